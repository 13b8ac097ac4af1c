"""The administrator changes a user's role and organisation: the API (whole payloads), the
admin page's form, the command line, and what a demanding operator expects of it — on SQLite
and PostgreSQL.

- only an administrator of the platform operator may (another role, a token without the
  ``admin`` scope, an administrator of another organisation: refused, nothing changed);
- roles are checked against the known ones and against the organisation's kind, in both
  languages, naming what was found and what is allowed;
- the last active administrator keeps the role;
- the change holds from the user's next request: a demoted verifier's open session and API
  token can no longer sign off;
- every change is written to the ``tanzuji.audit`` log (who, when, from what to what).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path

import pytest

from tanzuji.certify.records import Organisation, Role, State
from tanzuji.cli import main
from tanzuji.errors import LastAdministrator, PermissionDenied
from tanzuji.services import accounts, certification, organisations
from tanzuji.store.organisations import OrganisationRepository
from tanzuji.web import i18n
from web_helpers import (
    FIXED_NOW,
    PASSWORD_SUFFIX,
    apply,
    form_csrf,
    login,
    token_for,
    web_client,
    web_context,
)

#: The demo's certification body and platform (tanzuji.services.demo), as the API shows them.
BODY = {
    "id": "demo-body",
    "name": "示例认证机构 Demo Certification Body",
    "kind": "certification_body",
    "accredited": True,
}
PLATFORM = {
    "id": "platform",
    "name": "大湾区碳足迹平台 GBA Platform",
    "kind": "platform",
    "accredited": False,
}
ROLES = "applicant, verifier, decision_maker, administrator, data_steward"


@pytest.fixture
def ctx(database_url: str, tmp_path: Path):
    return web_context(database_url, tmp_path / "data", clock=lambda: FIXED_NOW)


def _error(code: str, status: int, message: str, location=None, details=None) -> dict:
    return {
        "error": {
            "code": code,
            "status": status,
            "title": i18n.both(f"error.{code}"),
            "message": message,
            "location": location,
            "details": details or {},
        }
    }


def _placement(ctx, user_id: str) -> tuple[str, str]:
    actor = ctx.with_user(user_id).require_actor()
    return actor.role.value, actor.organisation.id


def _add_admin(ctx, user_id: str) -> None:
    organisations.add_user(
        ctx,
        organisations.UserRequest(
            id=user_id, name=user_id, role=Role.administrator, organisation="platform"
        ),
    )
    accounts.set_password(
        ctx, accounts.PasswordRequest(user_id=user_id, password=user_id + PASSWORD_SUFFIX)
    )


def test_an_administrator_moves_a_user_and_the_change_is_logged(ctx, caplog) -> None:
    client = web_client(ctx)
    login(client, "admin")
    caplog.set_level(logging.INFO, logger="tanzuji.audit")
    answer = client.put("/api/v1/users/decider/role", json={"role": "verifier"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "user": {"id": "decider", "name": "Wong Decider", "role": "verifier", "organisation": BODY},
        "before": {"role": "decision_maker", "organisation": "demo-body"},
        "after": {"role": "verifier", "organisation": "demo-body"},
        "changed": True,
        "changed_by": "admin",
        "changed_at": "2026-12-02T10:00:00Z",  # FIXED_NOW
    }
    assert [r.getMessage() for r in caplog.records if r.name == "tanzuji.audit"] == [
        "user decider: role decision_maker of demo-body -> role verifier of demo-body, "
        "by admin at 2026-12-02T10:00:00+00:00"
    ]
    listed = client.get("/api/v1/users?organisation=demo-body").json()["items"]
    assert [(v["user"]["id"], v["user"]["role"]) for v in listed] == [
        ("decider", "verifier"),
        ("verifier", "verifier"),
    ]

    # to another organisation and role at once: a new enterprise's applicant
    made = client.post(
        "/api/v1/organisations", json={"id": "acme", "name": "Acme 公司", "kind": "enterprise"}
    )
    assert made.status_code == 201
    moved = client.put(
        "/api/v1/users/decider/role", json={"role": "applicant", "organisation": "acme"}
    )
    assert moved.json()["before"] == {"role": "verifier", "organisation": "demo-body"}
    assert moved.json()["after"] == {"role": "applicant", "organisation": "acme"}
    assert _placement(ctx, "decider") == ("applicant", "acme")

    # the same again changes nothing and logs nothing
    caplog.clear()
    again = client.put("/api/v1/users/decider/role", json={"role": "applicant"})
    assert again.json()["changed"] is False and again.json()["before"] == again.json()["after"]
    assert [r for r in caplog.records if r.name == "tanzuji.audit"] == []


def test_roles_and_organisations_are_checked_in_both_languages(ctx) -> None:
    client = web_client(ctx)
    login(client, "admin")
    path = "/api/v1/users/verifier/role"
    assert client.put(path, json={"role": "auditor"}).json() == _error(
        "participant_error",
        422,
        f"role 'auditor' is not a role a user may have; expected one of {ROLES} / "
        f"角色 'auditor' 无效，可选：{ROLES}",
        "role",
        {"allowed": ROLES.split(", ")},
    )
    public = client.put(path, json={"role": "public"}).json()["error"]
    assert public["message"].startswith("role 'public' is not a role a user may have")
    assert client.put(path, json={"role": "applicant"}).json() == _error(
        "participant_error",
        422,
        "role applicant belongs to an organisation of kind enterprise; 'demo-body' is of kind "
        "certification_body: choose another organisation or role / 角色 applicant 须属于 "
        "enterprise 类机构，而 demo-body 是 certification_body",
        "organisation",
    )
    unknown_org = client.put(path, json={"role": "verifier", "organisation": "nowhere"})
    assert unknown_org.status_code == 404
    assert (
        "no organisation 'nowhere'; known: demo-body, demo-enterprise, platform"
        in (unknown_org.json()["error"]["message"])
    )
    assert client.put("/api/v1/users/ghost/role", json={"role": "verifier"}).json() == _error(
        "not_found", 404, "no user 'ghost' / 用户不存在", "user_id"
    )
    missing = client.put(path, json={})
    assert (missing.status_code, missing.json()["error"]["code"]) == (422, "invalid_request")
    too_long = client.put(f"/api/v1/users/{'u' * 65}/role", json={"role": "verifier"})
    assert too_long.json()["error"]["details"]["problems"][0]["location"] == "path.user_id"
    long_password = client.put(f"/api/v1/users/{'u' * 65}/password", json={"password": "x" * 8})
    assert long_password.status_code == 422  # was a 500: the service's request refused it
    assert _placement(ctx, "verifier") == ("verifier", "demo-body")  # nothing changed


def test_a_new_user_must_fit_the_organisation_too(ctx) -> None:
    client = web_client(ctx)
    login(client, "admin")
    body = {"id": "wu", "name": "Wu", "role": "verifier", "organisation": "demo-enterprise"}
    answer = client.post("/api/v1/users", json=body)
    assert answer.json()["error"]["message"].startswith(
        "role verifier belongs to an organisation of kind certification_body; "
        "'demo-enterprise' is of kind enterprise"
    )
    assert [v["user"]["id"] for v in client.get("/api/v1/users").json()["items"]] == [
        "admin",
        "applicant",
        "decider",
        "verifier",
    ]  # the demo's cast (tanzuji.services.demo.DEMO_USERS); nothing half-written


def test_the_last_active_administrator_keeps_the_role(ctx) -> None:
    client = web_client(ctx)
    login(client, "admin")
    last = _error(
        "last_administrator",
        409,
        "admin is the last active administrator: the platform would have nobody to administer "
        "it; make another user an administrator first / admin 是最后一位在用的管理员，请先指定"
        "另一位管理员",
    )
    assert client.put("/api/v1/users/admin/role", json={"role": "data_steward"}).json() == last
    _add_admin(ctx, "admin2")
    # a deactivated administrator does not count: still the last active one
    assert client.put("/api/v1/users/admin2/active", json={"active": False}).status_code == 204
    assert client.put("/api/v1/users/admin/role", json={"role": "data_steward"}).json() == last
    assert client.put("/api/v1/users/admin2/active", json={"active": True}).status_code == 204

    # with another active administrator, one may step down; from the next request on the
    # old session is a data steward's
    stepped = client.put("/api/v1/users/admin/role", json={"role": "data_steward"})
    assert stepped.status_code == 200 and stepped.json()["after"]["role"] == "data_steward"
    assert client.get("/api/v1/auth/me").json()["user"]["role"] == "data_steward"
    assert client.get("/api/v1/users").status_code == 403
    other = web_client(ctx)
    login(other, "admin2")
    refused = other.put("/api/v1/users/admin2/role", json={"role": "data_steward"}).json()
    assert refused["error"]["code"] == "last_administrator"
    assert _placement(ctx, "admin2") == ("administrator", "platform")


def test_two_administrators_demoting_each_other_at_once_leave_one(ctx, monkeypatch) -> None:
    """Each counts the active administrators, then pauses before writing: without the row
    locks both would count two and both would step down, leaving none. With them the second
    waits for the first, counts again and is refused (PostgreSQL: SELECT ... FOR UPDATE;
    SQLite: writers queue on BEGIN IMMEDIATE)."""
    _add_admin(ctx, "admin2")
    counted = organisations._keep_an_administrator

    def slow(session, user_id: str) -> None:
        counted(session, user_id)
        time.sleep(0.5)

    monkeypatch.setattr(organisations, "_keep_an_administrator", slow)
    start = threading.Barrier(2)
    outcome: dict[str, str] = {}

    def demote(actor: str, target: str) -> None:
        acting = ctx.with_user(actor)
        start.wait()
        request = organisations.RoleChangeRequest(user_id=target, role="data_steward")
        try:
            outcome[actor] = organisations.change_role(acting, request).after.role.value
        except LastAdministrator as exc:
            outcome[actor] = exc.code

    threads = [
        threading.Thread(target=demote, args=pair)
        for pair in (("admin", "admin2"), ("admin2", "admin"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcome.values()) == ["data_steward", "last_administrator"], outcome
    roles = [_placement(ctx, user)[0] for user in ("admin", "admin2")]
    assert sorted(roles) == ["administrator", "data_steward"]


def test_only_the_platforms_administrators_change_roles(ctx) -> None:
    """The isolation rule: another role, a token without the admin scope and an administrator
    of another organisation are refused (403: the administrator routes answer "forbidden",
    whether or not the user exists, so nothing leaks), and nothing changes."""
    with ctx.unit_of_work() as session:  # data of an earlier version: participants files
        repository = OrganisationRepository(session)  # did not check roles against kinds
        repository.add_organisation(
            Organisation(id="rival-co", name="Rival", kind="enterprise"), FIXED_NOW
        )
        repository.add_user("rival-admin", "Rival", Role.administrator, "rival-co", FIXED_NOW)
    accounts.set_password(
        ctx, accounts.PasswordRequest(user_id="rival-admin", password="rival-admin-password")
    )
    body = {"role": "applicant", "organisation": "demo-enterprise"}
    client = web_client(ctx)
    for user in ("applicant", "verifier", "decider"):
        login(client, user)
        for target in ("verifier", "ghost"):
            answer = client.put(f"/api/v1/users/{target}/role", json=body)
            assert answer.status_code == 403, (user, target)
            assert answer.json()["error"]["code"] == "permission_denied"
        client.cookies.clear()
    writer = token_for(client, "admin", ["read", "write"])
    answer = client.put(
        "/api/v1/users/verifier/role", json=body, headers={"Authorization": f"Bearer {writer}"}
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (403, "insufficient_scope")
    login(client, "rival-admin")
    not_theirs = _error(
        "permission_denied",
        403,
        "rival-admin is an administrator of rival-co (enterprise); only the platform "
        "operator's administrators may / 仅平台运营方的管理员可执行",
    )
    assert client.put("/api/v1/users/verifier/role", json=body).json() == not_theirs
    assert client.get("/api/v1/users").json() == not_theirs
    # nor take over the platform's administrator by setting their password
    password = client.put("/api/v1/users/admin/password", json={"password": "taken-over-1"})
    assert (password.status_code, password.json()["error"]["code"]) == (403, "permission_denied")
    assert _placement(ctx, "verifier") == ("verifier", "demo-body")
    # the service says the same to the command line (tanzuji user set-role --as rival-admin)
    with pytest.raises(PermissionDenied, match="rival-admin is an administrator of rival-co"):
        organisations.change_role(
            ctx.with_user("rival-admin"),
            organisations.RoleChangeRequest(user_id="verifier", role="decision_maker"),
        )


def test_a_demoted_verifier_can_no_longer_sign_off(ctx) -> None:
    """Sessions and tokens look the user up at each request: the open session and the API
    token of a verifier made decision maker are refused the sign-off at once, and work
    again when the role is given back."""
    app_id = apply(ctx)  # widget_uncertain: the illustrative "grid" factor needs a waiver
    certification.submit(ctx.with_user("applicant"), app_id)
    maker = web_client(ctx)
    token = token_for(maker, "verifier", ["read", "write"])
    bearer = {"Authorization": f"Bearer {token}"}
    session = web_client(ctx)
    login(session, "verifier")
    review = f"/api/v1/applications/{app_id}/review"
    for action in ("start", "pcr-check", "accept"):
        assert session.post(review, json={"action": action}).status_code == 200, action
    waive = {"action": "waive", "factor_id": "grid", "text": "test factor, not a product"}
    waived = maker.post(review, json=waive, headers=bearer)
    assert waived.status_code == 200, waived.text

    admin = web_client(ctx)
    login(admin, "admin")
    demoted = admin.put("/api/v1/users/verifier/role", json={"role": "decision_maker"})
    assert demoted.json()["after"] == {"role": "decision_maker", "organisation": "demo-body"}
    refusal = _error(
        "permission_denied",
        403,
        "verifier acts as decision_maker; step 'sign off' may only be taken by verifier / "
        "角色无权执行此步骤",
    )
    assert session.post(review, json={"action": "sign-off"}).json() == refusal
    assert maker.post(review, json={"action": "sign-off"}, headers=bearer).json() == refusal
    page = session.get(f"/applications/{app_id}")
    assert 'id="do-sign-off"' not in page.text  # the page no longer offers the step
    assert certification.load(ctx, app_id).state is State.data_verification

    admin.put("/api/v1/users/verifier/role", json={"role": "verifier"})
    signed = maker.post(review, json={"action": "sign-off"}, headers=bearer)
    assert signed.json()["application"]["state"] == "decision"


def test_the_admin_page_changes_a_role_and_shows_refusals(ctx) -> None:
    client = web_client(ctx)
    login(client, "admin")
    page = client.get("/admin?lang=en")
    assert 'id="change-role-decider"' in page.text and 'for="role-decider"' in page.text
    assert '<option value="decision_maker" selected>decision maker</option>' in page.text
    token = form_csrf(page.text)
    done = client.post(
        "/admin/users/decider/role",
        data={"csrf_token": token, "role": "verifier", "organisation": "demo-body"},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (
        303,
        "/admin?changed=decider#user-decider",
    )
    assert 'id="admin-done"' not in client.get("/admin?changed=nobody").text  # users only
    shown = client.get("/admin?changed=decider&lang=zh").text
    assert "已更改 decider 的角色与机构" in shown
    row = shown.split('id="user-decider"')[1].split("</tr>")[0]
    assert '<td class="role">核查员</td>' in row
    refused = client.post(
        "/admin/users/decider/role",
        data={"csrf_token": token, "role": "verifier", "organisation": "demo-enterprise"},
    )
    assert refused.status_code == 422 and 'id="admin-error"' in refused.text
    # the language links of a refusal lead to the page, not to the form's POST-only address
    assert 'href="/admin?lang=en"' in refused.text
    assert "role verifier belongs to an organisation of kind certification_body" in refused.text
    assert "角色 verifier 须属于 certification_body 类机构" in refused.text
    assert _placement(ctx, "decider") == ("verifier", "demo-body")
    without_csrf = client.post(
        "/admin/users/decider/role",
        data={"role": "applicant", "organisation": "demo-enterprise"},
        headers={"X-CSRF-Token": ""},
    )
    assert without_csrf.status_code == 403

    # stepping down leaves the page for the home page (the admin page is no longer theirs)
    _add_admin(ctx, "admin2")
    down = client.post(
        "/admin/users/admin/role",
        data={"csrf_token": token, "role": "data_steward", "organisation": "platform"},
        follow_redirects=False,
    )
    assert (down.status_code, down.headers["location"]) == (303, "/")
    assert client.get("/admin").status_code == 403


def tanzuji(monkeypatch, capsys, *args: object) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["tanzuji", *(str(a) for a in args)])
    with pytest.raises(SystemExit) as exited:
        main()
    out = capsys.readouterr()
    return exited.value.code, out.out, out.err


def test_the_command_line_uses_the_same_service(ctx, database_url, monkeypatch, capsys) -> None:
    monkeypatch.setenv("TANZUJI_DATABASE_URL", database_url)
    code, out, _ = tanzuji(monkeypatch, capsys, "user", "set-role", "decider", "--role", "verifier")
    assert (code, out) == (
        0,
        "user 用户 decider: decision_maker of demo-body -> verifier of demo-body (by local "
        "operator)\n",
    )
    code, _, err = tanzuji(
        monkeypatch, capsys, "user", "set-role", "decider", "--role", "boss", "--as", "admin"
    )
    assert code == 1 and f"role 'boss' is not a role a user may have; expected one of {ROLES}" in (
        " ".join(err.split())
    )
    code, _, err = tanzuji(monkeypatch, capsys, "user", "set-role", "admin", "--role", "applicant")
    assert code == 1 and "admin is the last active administrator" in " ".join(err.split())
    code, _, err = tanzuji(
        monkeypatch,
        capsys,
        "user",
        "set-role",
        "decider",
        "--role",
        "applicant",
        "--as",
        "verifier",
    )
    assert code == 1 and "only an administrator may" in " ".join(err.split())
    assert _placement(ctx, "decider") == ("verifier", "demo-body")


def test_every_role_has_its_name_in_both_languages() -> None:
    """The admin page shows roles as ``role.<Role>`` catalogue keys."""
    for role in Role:
        entry = i18n.MESSAGES[f"role.{role.value}"]
        assert set(entry) == {"zh", "en"} and all(entry.values()), role
    assert list(organisations.ROLE_ORGANISATION_KINDS) == [r for r in Role if r is not Role.public]
