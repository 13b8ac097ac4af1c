"""The audit trail of administrative changes (``audit_events``, ``services.audit``): written in
the unit of work of each change, read by the platform's administrators only — service (whole
payloads), API, page in both languages and command line, on SQLite and PostgreSQL.

What a demanding operator expects of it:

- every change to users, API tokens and organisations writes one event in the same
  transaction, and a repeat of the current state writes none;
- a refused or failed change writes no event, and an event that cannot be written takes its
  change with it (both shown with a real database refusal: a trigger);
- the table refuses updates and deletes;
- the ``tanzuji.audit`` log line follows the commit (and only a commit).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tanzuji.certify.records import Organisation, Role
from tanzuji.cli import main
from tanzuji.context import Context
from tanzuji.errors import LastAdministrator, NotFound, ParticipantError, PermissionDenied
from tanzuji.services import accounts, audit, organisations
from tanzuji.services.audit import AuditQuery
from tanzuji.store.organisations import OrganisationRepository
from tanzuji.web import i18n
from web_helpers import FIXED_NOW, PASSWORD_SUFFIX, login, token_for, web_client, web_context

#: The demo cast is made at FIXED_NOW; the changes of these tests an hour and more later.
T1 = FIXED_NOW + dt.timedelta(hours=1)


class Clock:
    """A clock the test moves by hand (``clock.now = ...``)."""

    def __init__(self) -> None:
        self.now = FIXED_NOW

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ctx(database_url: str, tmp_path: Path, clock: Clock) -> Context:
    made = web_context(database_url, tmp_path / "data", clock=clock)
    clock.now = T1
    return made


def _at(minutes: int) -> str:
    """T1 + ``minutes`` as the API and JSON show it."""
    return (T1 + dt.timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def _since_t1(ctx: Context, **filters: object) -> list[dict]:
    """The events from T1 on (the tests' own), newest first, as JSON."""
    page = audit.events(ctx, AuditQuery(since=T1, limit=1000, **filters))
    return [e.model_dump(mode="json") for e in page.items]


def _event(
    at: str,
    actor: str | None,
    action: str,
    kind: str,
    subject: str,
    before: dict | None,
    after: dict | None,
    reason: str | None = None,
) -> dict:
    """An event as JSON, without its id (ids are compared for order separately)."""
    organisation = {None: None, "admin": "platform", "li": "acme"}[actor]
    return {
        "at": at,
        "actor_id": actor,
        "actor_organisation_id": organisation,
        "action": action,
        "subject_kind": kind,
        "subject_id": subject,
        "before": before,
        "after": after,
        "reason": reason,
    }


def _without_ids(events: list[dict]) -> list[dict]:
    ids = [e.pop("id") for e in events]
    assert ids == sorted(ids, reverse=True)  # newest first: the last written first
    return events


def _all_changes(ctx: Context, clock: Clock) -> str:
    """Make one of each administrative change, one minute apart; returns the token's id."""
    admin = ctx.with_user("admin")
    steps = iter(range(100))

    def tick() -> None:
        clock.now = T1 + dt.timedelta(minutes=next(steps))

    tick()  # 0
    organisations.add_organisation(
        admin, organisations.OrganisationRequest(id="acme", name="Acme 公司", kind="enterprise")
    )
    tick()  # 1
    organisations.add_user(
        admin,
        organisations.UserRequest(
            id="li", name="Li 李", role=Role.applicant, organisation="acme", email="li@acme.cn"
        ),
    )
    tick()  # 2
    accounts.set_password(admin, accounts.PasswordRequest(user_id="li", password="li-password"))
    tick()  # 3
    organisations.change_role(
        admin,
        organisations.RoleChangeRequest(
            user_id="decider", role="verifier", reason="decision maker on leave / 休假"
        ),
    )
    tick()  # 4
    accounts.set_active(admin, "verifier", False, "left the body")
    tick()  # 5
    accounts.set_active(admin, "verifier", True)
    tick()  # 6
    organisations.set_accreditation(admin, "demo-body", False, "accreditation lapsed")
    tick()  # 7
    token = accounts.create_token(
        ctx.with_user("li"), accounts.TokenRequest(name="erp", scopes=[accounts.Scope.read])
    )
    tick()  # 8
    accounts.revoke_token(admin, token.id)
    tick()  # 9: repeats of the current state change nothing and write nothing
    organisations.change_role(
        admin, organisations.RoleChangeRequest(user_id="decider", role="verifier")
    )
    accounts.set_active(admin, "verifier", True)
    organisations.set_accreditation(admin, "demo-body", False)
    accounts.revoke_token(admin, token.id)
    return token.id


def _expected(token_id: str) -> list[dict]:
    token = {"user_id": "li", "name": "erp", "scopes": ["read"], "expires_at": None}
    return [
        _event(
            _at(8),
            "admin",
            "token.revoke",
            "api_token",
            token_id,
            token | {"revoked_at": None},
            token | {"revoked_at": _at(8)},
        ),
        _event(
            _at(7), "li", "token.create", "api_token", token_id, None, token | {"revoked_at": None}
        ),
        _event(
            _at(6),
            "admin",
            "organisation.accreditation",
            "organisation",
            "demo-body",
            {"accredited": True},
            {"accredited": False},
            "accreditation lapsed",
        ),
        _event(
            _at(5),
            "admin",
            "user.reactivate",
            "user",
            "verifier",
            {"active": False},
            {"active": True},
        ),
        _event(
            _at(4),
            "admin",
            "user.deactivate",
            "user",
            "verifier",
            {"active": True},
            {"active": False},
            "left the body",
        ),
        _event(
            _at(3),
            "admin",
            "user.role_change",
            "user",
            "decider",
            {"role": "decision_maker", "organisation": "demo-body"},
            {"role": "verifier", "organisation": "demo-body"},
            "decision maker on leave / 休假",
        ),
        _event(
            _at(2),
            "admin",
            "user.password_set",
            "user",
            "li",
            {"has_password": False},
            {"has_password": True},
        ),
        _event(
            _at(1),
            "admin",
            "user.create",
            "user",
            "li",
            None,
            {
                "name": "Li 李",
                "role": "applicant",
                "organisation": "acme",
                "email": "li@acme.cn",
                "active": True,
            },
        ),
        _event(
            _at(0),
            "admin",
            "organisation.create",
            "organisation",
            "acme",
            None,
            {"name": "Acme 公司", "kind": "enterprise", "accredited": False},
        ),
    ]


# -- written with the change ------------------------------------------------------------------
def test_every_administrative_change_writes_one_event(ctx, clock, caplog) -> None:
    caplog.set_level(logging.INFO, logger="tanzuji.audit")
    token_id = _all_changes(ctx, clock)
    assert _without_ids(_since_t1(ctx)) == _expected(token_id)
    # the log carries a copy of each committed event, in the order they were committed
    assert [r.getMessage() for r in caplog.records if r.name == "tanzuji.audit"] == [
        "organisation acme: organisation.create "
        '{"accredited": false, "kind": "enterprise", "name": "Acme 公司"}, '
        "by admin at 2026-12-02T11:00:00+00:00",
        "user li: user.create "
        '{"active": true, "email": "li@acme.cn", "name": "Li 李", "organisation": "acme", '
        '"role": "applicant"}, by admin at 2026-12-02T11:01:00+00:00',
        'user li: user.password_set {"has_password": true}, by admin at 2026-12-02T11:02:00+00:00',
        "user decider: role decision_maker of demo-body -> role verifier of demo-body, "
        "by admin at 2026-12-02T11:03:00+00:00 (decision maker on leave / 休假)",
        'user verifier: user.deactivate {"active": false}, by admin at '
        "2026-12-02T11:04:00+00:00 (left the body)",
        'user verifier: user.reactivate {"active": true}, by admin at 2026-12-02T11:05:00+00:00',
        'organisation demo-body: organisation.accreditation {"accredited": false}, by admin at '
        "2026-12-02T11:06:00+00:00 (accreditation lapsed)",
        f'api_token {token_id}: token.create {{"expires_at": null, "name": "erp", '
        '"revoked_at": null, "scopes": ["read"], "user_id": "li"}, by li at '
        "2026-12-02T11:07:00+00:00",
        f'api_token {token_id}: token.revoke {{"expires_at": null, "name": "erp", '
        '"revoked_at": "2026-12-02T11:08:00Z", "scopes": ["read"], "user_id": "li"}, by admin '
        "at 2026-12-02T11:08:00+00:00",
    ]


def test_the_demo_cast_is_in_the_trail_as_made_by_the_local_operator(ctx) -> None:
    """web_context made the demo's organisations and users at FIXED_NOW with no user acting."""
    made = audit.events(ctx, AuditQuery(until=T1, limit=1000)).items
    assert {(e.action.value, e.subject_id) for e in made} == {
        ("organisation.create", "demo-enterprise"),
        ("organisation.create", "demo-body"),
        ("organisation.create", "platform"),
        ("user.create", "applicant"),
        ("user.create", "verifier"),
        ("user.create", "decider"),
        ("user.create", "admin"),
    }
    assert {(e.actor_id, e.actor_organisation_id, e.at) for e in made} == {(None, None, FIXED_NOW)}


def test_a_participants_import_names_its_file_as_the_reason(ctx) -> None:
    content = (
        b"organisations:\n  - {id: north, name: North Co, kind: enterprise}\n"
        b"actors:\n  - {id: wang, name: Wang, role: applicant, organisation: north}\n"
    )
    organisations.import_participants(ctx, content, "participants.yaml")
    assert [(e["action"], e["subject_id"], e["reason"]) for e in _since_t1(ctx)] == [
        ("user.create", "wang", "imported from participants.yaml"),
        ("organisation.create", "north", "imported from participants.yaml"),
    ]


def test_a_refused_change_writes_no_event(ctx) -> None:
    admin = ctx.with_user("admin")
    refusals = [
        (
            ParticipantError,
            "role applicant belongs to an organisation of kind enterprise",
            lambda: organisations.change_role(
                admin, organisations.RoleChangeRequest(user_id="decider", role="applicant")
            ),
        ),
        (
            LastAdministrator,
            "admin is the last active administrator",
            lambda: organisations.change_role(
                admin, organisations.RoleChangeRequest(user_id="admin", role="data_steward")
            ),
        ),
        (
            ParticipantError,
            "role verifier belongs to an organisation of kind certification_body",
            lambda: organisations.add_user(
                admin,
                organisations.UserRequest(
                    id="wu", name="Wu", role=Role.verifier, organisation="demo-enterprise"
                ),
            ),
        ),
        (
            ParticipantError,
            "organisation 'demo-body' already exists",
            lambda: organisations.add_organisation(
                admin,
                organisations.OrganisationRequest(id="demo-body", name="x", kind="enterprise"),
            ),
        ),
        (
            ParticipantError,
            "only a certification_body is accredited",
            lambda: organisations.set_accreditation(admin, "demo-enterprise", True),
        ),
        (NotFound, "no user 'ghost'", lambda: accounts.set_active(admin, "ghost", False)),
        (
            PermissionDenied,
            "verifier acts as verifier; only an administrator may change a user's role",
            lambda: organisations.change_role(
                ctx.with_user("verifier"),
                organisations.RoleChangeRequest(user_id="verifier", role="decision_maker"),
            ),
        ),
        (
            PermissionDenied,
            "only the platform's administrators may \\(de\\)activate users",
            lambda: accounts.set_active(ctx.with_user("verifier"), "decider", False),
        ),
    ]
    for error, message, change in refusals:
        with pytest.raises(error, match=message):
            change()
    assert _since_t1(ctx) == []
    assert [v.user.id for v in organisations.users(ctx)] == [
        "admin",
        "applicant",
        "decider",
        "verifier",
    ]


def _refuse_writes(ctx: Context, table: str, operation: str) -> None:
    """A real database refusal: a trigger that aborts every ``operation`` on ``table``."""
    name = f"refuse_{table}_{operation.lower()}"
    with ctx.unit_of_work() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(
                text(
                    f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    f"BEGIN RAISE EXCEPTION 'the store refused: {table}'; END; $$"
                )
            )
            session.execute(
                text(
                    f"CREATE TRIGGER {name} BEFORE {operation} ON {table} FOR EACH ROW "
                    f"EXECUTE FUNCTION {name}()"
                )
            )
        else:
            session.execute(
                text(
                    f"CREATE TRIGGER {name} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'the store refused: {table}'); END"
                )
            )


def test_an_event_that_cannot_be_written_takes_its_change_with_it(ctx, caplog) -> None:
    caplog.set_level(logging.INFO, logger="tanzuji.audit")
    _refuse_writes(ctx, "audit_events", "INSERT")
    admin = ctx.with_user("admin")
    changes = [
        lambda: organisations.change_role(
            admin, organisations.RoleChangeRequest(user_id="decider", role="verifier")
        ),
        lambda: organisations.add_user(
            admin,
            organisations.UserRequest(
                id="li", name="Li", role=Role.applicant, organisation="demo-enterprise"
            ),
        ),
        lambda: organisations.add_organisation(
            admin, organisations.OrganisationRequest(id="acme", name="Acme", kind="enterprise")
        ),
        lambda: organisations.set_accreditation(admin, "demo-body", False),
        lambda: accounts.set_active(admin, "verifier", False),
        lambda: accounts.set_password(
            admin, accounts.PasswordRequest(user_id="applicant", password="new-password")
        ),
        lambda: accounts.create_token(
            ctx.with_user("verifier"),
            accounts.TokenRequest(name="erp", scopes=[accounts.Scope.read]),
        ),
    ]
    for change in changes:
        with pytest.raises(DBAPIError, match="the store refused: audit_events"):
            change()
    assert ctx.with_user("decider").require_actor().role is Role.decision_maker
    assert [o.id for o in organisations.organisations(ctx)] == [
        "demo-body",
        "demo-enterprise",
        "platform",
    ]
    assert [(v.user.id, v.active) for v in organisations.users(ctx)] == [
        ("admin", True),
        ("applicant", True),
        ("decider", True),
        ("verifier", True),
    ]
    assert [o.accredited for o in organisations.organisations(ctx) if o.id == "demo-body"] == [True]
    assert accounts.tokens(ctx.with_user("admin")) == []
    # the password is the old one: the applicant still logs in with it
    accounts.login(
        ctx, accounts.LoginRequest(user_id="applicant", password="applicant" + PASSWORD_SUFFIX)
    )
    assert [r for r in caplog.records if r.name == "tanzuji.audit"] == []


def test_a_change_the_database_refuses_leaves_no_event(ctx, caplog) -> None:
    """The event of a (de)activation is written before the user's row, which the database
    refuses at commit: the event goes with it. A role change fails at its own row first."""
    caplog.set_level(logging.INFO, logger="tanzuji.audit")
    token = accounts.create_token(
        ctx.with_user("verifier"), accounts.TokenRequest(name="erp", scopes=[accounts.Scope.read])
    )
    baseline = _since_t1(ctx)
    _refuse_writes(ctx, "users", "UPDATE")
    _refuse_writes(ctx, "organisations", "UPDATE")
    _refuse_writes(ctx, "api_tokens", "UPDATE")
    admin = ctx.with_user("admin")
    changes = [
        lambda: accounts.set_active(admin, "verifier", False),
        lambda: organisations.change_role(
            admin, organisations.RoleChangeRequest(user_id="decider", role="verifier")
        ),
        lambda: accounts.set_password(
            admin, accounts.PasswordRequest(user_id="applicant", password="new-password")
        ),
        lambda: organisations.set_accreditation(admin, "demo-body", False),
        lambda: accounts.revoke_token(admin, token.id),
    ]
    for change in changes:
        with pytest.raises(DBAPIError, match="the store refused"):
            change()
    assert _since_t1(ctx) == baseline
    assert [r.getMessage().split(":")[0] for r in caplog.records if r.name == "tanzuji.audit"] == [
        f"api_token {token.id}"  # the token's creation, before the refusals
    ]


def test_the_trail_is_append_only(ctx) -> None:
    organisations.change_role(
        ctx.with_user("admin"),
        organisations.RoleChangeRequest(user_id="decider", role="verifier"),
    )
    kept = _since_t1(ctx)
    for statement in (
        "UPDATE audit_events SET reason = 'rewritten', actor_id = 'someone'",
        "DELETE FROM audit_events",
    ):
        with pytest.raises(DBAPIError, match="audit_events is append-only"):
            with ctx.unit_of_work() as session:
                session.execute(text(statement))
    assert _since_t1(ctx) == kept


# -- reading ----------------------------------------------------------------------------------
def test_filters_and_pages(ctx, clock) -> None:
    token_id = _all_changes(ctx, clock)
    expected = _expected(token_id)

    def found(**filters: object) -> list[dict]:
        return _without_ids(_since_t1(ctx, **filters))

    assert found(subject_kind="user", subject_id="verifier") == expected[3:5]
    assert found(subject_id="li") == expected[6:8]  # any kind
    assert found(actor_id="li") == expected[1:2]
    assert found(action="organisation.accreditation") == expected[2:3]
    assert found(subject_kind="api_token") == expected[0:2]
    # since inclusive, until exclusive: 11:03 up to 11:05
    window = audit.events(
        ctx, AuditQuery(since=T1 + dt.timedelta(minutes=3), until=T1 + dt.timedelta(minutes=5))
    )
    assert [e.action.value for e in window.items] == ["user.deactivate", "user.role_change"]
    # a time without a zone is UTC
    naive = audit.events(ctx, AuditQuery(since=dt.datetime(2026, 12, 2, 11, 8)))
    assert [e.action.value for e in naive.items] == ["token.revoke"]
    # times with no UTC equivalent are the first and last ones (not an overflow)
    east, west = dt.timezone(dt.timedelta(hours=5)), dt.timezone(dt.timedelta(hours=-5))
    edges = AuditQuery(
        since=dt.datetime(1, 1, 1, tzinfo=east), until=dt.datetime(9999, 12, 31, 23, tzinfo=west)
    )
    assert audit.events(ctx, edges).total == 16
    # pages of the whole trail: 9 events of the test and the 7 of the demo cast
    first = audit.events(ctx, AuditQuery(limit=4))
    third = audit.events(ctx, AuditQuery(offset=8, limit=4))
    assert (first.total, len(first.items), third.total) == (16, 4, 16)
    # the test's first event (acme), then the demo's last three users, newest first
    assert [(e.action.value, e.actor_id) for e in third.items] == [
        ("organisation.create", "admin"),
        ("user.create", None),
        ("user.create", None),
        ("user.create", None),
    ]


def test_only_the_platforms_administrators_and_the_local_operator_read(ctx) -> None:
    assert audit.events(ctx, AuditQuery()).total == 7  # the local operator
    assert audit.events(ctx.with_user("admin"), AuditQuery()).total == 7
    for user in ("applicant", "verifier", "decider"):
        with pytest.raises(PermissionDenied, match="only the platform's administrators may"):
            audit.events(ctx.with_user(user), AuditQuery())


# -- the API ----------------------------------------------------------------------------------
def _error(code: str, status: int, message: str) -> dict:
    return {
        "error": {
            "code": code,
            "status": status,
            "title": i18n.both(f"error.{code}"),
            "message": message,
            "location": None,
            "details": {},
        }
    }


def test_the_api_lists_the_trail(ctx, clock) -> None:
    client = web_client(ctx)
    login(client, "admin")  # through the API: a session at T1 + 9 min (no event)
    answer = client.put(
        "/api/v1/users/decider/role", json={"role": "verifier", "reason": "on leave"}
    )
    assert answer.status_code == 200, answer.text
    page = client.get("/api/v1/audit", params={"subject_kind": "user", "subject_id": "decider"})
    assert page.status_code == 200, page.text
    body = page.json()
    assert [e.pop("id") > 0 for e in body["items"]] == [True, True]
    assert body == {
        "items": [
            _event(
                _at(0),
                "admin",
                "user.role_change",
                "user",
                "decider",
                {"role": "decision_maker", "organisation": "demo-body"},
                {"role": "verifier", "organisation": "demo-body"},
                "on leave",
            ),
            _event(
                "2026-12-02T10:00:00Z",
                None,
                "user.create",
                "user",
                "decider",
                None,
                {
                    "name": "Wong Decider",
                    "role": "decision_maker",
                    "organisation": "demo-body",
                    "email": None,
                    "active": True,
                },
            ),
        ],
        "total": 2,
        "offset": 0,
        "limit": 50,
        "next_offset": None,
    }
    # the accreditation and activation routes take a reason too
    client.put(
        "/api/v1/organisations/demo-body/accreditation",
        json={"accredited": False, "reason": "lapsed"},
    )
    client.put("/api/v1/users/verifier/active", json={"active": False, "reason": "left"})
    newest = client.get("/api/v1/audit", params={"limit": 2, "actor": "admin"}).json()
    assert [(e["action"], e["reason"]) for e in newest["items"]] == [
        ("user.deactivate", "left"),
        ("organisation.accreditation", "lapsed"),
    ]
    assert (newest["total"], newest["next_offset"]) == (3, 2)
    since = client.get("/api/v1/audit", params={"since": "2026-12-02T11:00:00+00:00"}).json()
    assert since["total"] == 3
    bad = client.get("/api/v1/audit", params={"action": "user.delete"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_request")
    assert "action" in bad.json()["error"]["message"]
    bad_time = client.get("/api/v1/audit", params={"until": "yesterday"})
    assert (bad_time.status_code, bad_time.json()["error"]["code"]) == (422, "invalid_request")


def test_the_api_refuses_everyone_but_the_platforms_administrators(ctx) -> None:
    with ctx.unit_of_work() as session:  # data of an earlier version: participants files
        repository = OrganisationRepository(session)  # did not check roles against kinds
        repository.add_organisation(
            Organisation(id="rival-co", name="Rival", kind="enterprise"), FIXED_NOW
        )
        repository.add_user("rival-admin", "Rival", Role.administrator, "rival-co", FIXED_NOW)
    accounts.set_password(
        ctx, accounts.PasswordRequest(user_id="rival-admin", password="rival-admin-password")
    )
    client = web_client(ctx)
    anonymous = client.get("/api/v1/audit")
    assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (401, "unauthenticated")
    for user in ("applicant", "verifier", "decider"):
        login(client, user)
        role = ctx.with_user(user).require_actor().role.value
        assert client.get("/api/v1/audit").json() == _error(
            "permission_denied",
            403,
            f"{user} acts as {role}; only an administrator may / 仅管理员可执行",
        ), user
        assert client.get("/admin/audit").status_code == 403
        client.cookies.clear()
    login(client, "rival-admin")
    assert client.get("/api/v1/audit").json() == _error(
        "permission_denied",
        403,
        "rival-admin is an administrator of rival-co (enterprise); only the platform "
        "operator's administrators may / 仅平台运营方的管理员可执行",
    )
    assert client.get("/admin/audit").status_code == 403
    client.cookies.clear()
    reader = token_for(client, "admin", ["read", "write"])
    refused = client.get("/api/v1/audit", headers={"Authorization": f"Bearer {reader}"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "insufficient_scope")
    full = token_for(client, "admin", ["read", "admin"])
    allowed = client.get("/api/v1/audit", headers={"Authorization": f"Bearer {full}"})
    assert allowed.status_code == 200
    # the two tokens' creation is in the trail, by admin; the rival's import is not (made
    # through the repository, as data of an earlier version was)
    assert [e["action"] for e in allowed.json()["items"][:2]] == ["token.create", "token.create"]


def test_the_openapi_document_describes_the_route(ctx) -> None:
    document = web_client(ctx).get("/api/v1/openapi.json").json()
    route = document["paths"]["/api/v1/audit"]["get"]
    assert [p["name"] for p in route["parameters"]] == [
        "subject_kind",
        "subject_id",
        "actor",
        "action",
        "since",
        "until",
        "offset",
        "limit",
    ]
    assert "/admin/audit" not in document["paths"]


# -- the page ---------------------------------------------------------------------------------
def test_the_page_in_both_languages(ctx) -> None:
    client = web_client(ctx)
    login(client, "admin")
    page = client.get("/admin?lang=en")
    assert 'href="/admin/audit"' in page.text
    # the role form of the admin page carries a reason into the trail
    from web_helpers import form_csrf

    done = client.post(
        "/admin/users/decider/role",
        data={
            "csrf_token": form_csrf(page.text),
            "role": "verifier",
            "organisation": "demo-body",
            "reason": "on leave 休假",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    english = client.get("/admin/audit?lang=en&subject_id=decider&subject_kind=&action=")
    assert english.status_code == 200, english.text
    assert "<h1>Audit trail</h1>" in english.text
    assert "2 events" in english.text
    assert "role or organisation changed" in english.text and "user created" in english.text
    assert "role: decision_maker → verifier" in english.text
    assert "on leave 休假" in english.text
    assert "admin (platform)" in english.text and "local operator (command line)" in english.text
    chinese = client.get("/admin/audit?lang=zh&subject_id=decider")
    assert "<h1>审计记录</h1>" in chinese.text
    assert "共 2 条" in chinese.text
    assert "更改角色或机构" in chinese.text and "新增用户" in chinese.text
    assert "本地操作员（命令行）" in chinese.text
    # pages keep the filters
    first = client.get("/admin/audit?lang=en&action=user.create&limit=3")
    assert "4 events" in first.text
    assert 'href="?action=user.create&amp;offset=3&amp;limit=3" rel="next"' in first.text
    # a filter that does not parse is named, in both languages
    bad = client.get("/admin/audit?lang=en&since=yesterday")
    assert bad.status_code == 422
    assert (
        "since: Input should be a valid datetime" in bad.text and "筛选条件 since 无效" in bad.text
    )
    none = client.get("/admin/audit?lang=en&actor=nobody")
    assert 'id="audit-empty"' in none.text and "No event matches." in none.text


# -- the command line ---------------------------------------------------------------------------
def tanzuji(monkeypatch, capsys, *args: object) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["tanzuji", *(str(a) for a in args)])
    with pytest.raises(SystemExit) as exited:
        main()
    out = capsys.readouterr()
    return exited.value.code, out.out, out.err


def test_the_command_line_lists_the_trail(ctx, database_url, monkeypatch, capsys) -> None:
    monkeypatch.setenv("TANZUJI_DATABASE_URL", database_url)
    code, out, _ = tanzuji(
        monkeypatch,
        capsys,
        "user",
        "set-role",
        "decider",
        "--role",
        "verifier",
        "--reason",
        "on leave",
        "--as",
        "admin",
    )
    assert code == 0, out
    code, out, _ = tanzuji(
        monkeypatch, capsys, "audit", "list", "--kind", "user", "--subject", "decider", "--json"
    )
    assert code == 0
    page = json.loads(out)
    assert [e.pop("id") > 0 for e in page["items"]] == [True, True]
    at = page["items"][0].pop("at")  # the command line's clock is the real one
    assert dt.datetime.fromisoformat(at).tzinfo is not None
    assert page == {
        "items": [
            {
                "actor_id": "admin",
                "actor_organisation_id": "platform",
                "action": "user.role_change",
                "subject_kind": "user",
                "subject_id": "decider",
                "before": {"role": "decision_maker", "organisation": "demo-body"},
                "after": {"role": "verifier", "organisation": "demo-body"},
                "reason": "on leave",
            },
            _event(
                "2026-12-02T10:00:00Z",
                None,
                "user.create",
                "user",
                "decider",
                None,
                {
                    "name": "Wong Decider",
                    "role": "decision_maker",
                    "organisation": "demo-body",
                    "email": None,
                    "active": True,
                },
            ),
        ],
        "total": 2,
        "offset": 0,
        "limit": 50,
        "next_offset": None,
    }
    code, out, _ = tanzuji(
        monkeypatch, capsys, "audit", "list", "--action", "user.role_change", "--as", "admin"
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].strip() == "audit trail 审计记录: 1 of 1"
    row = next(line for line in lines if "user.role_change" in line)
    cells = [c.strip() for c in row.strip("│ ").split("│")]
    assert cells[2:] == [
        "admin (platform)",
        "user.role_change",
        "user decider",
        'role: "decision_maker" -> "verifier"',
        "on leave",
    ]
    assert any('organisation: "demo-body" -> "demo-body"' in line for line in lines)
    code, out, _ = tanzuji(
        monkeypatch, capsys, "audit", "list", "--until", "2026-12-02T10:00:00", "--json"
    )
    assert (code, json.loads(out)["total"]) == (0, 0)  # until is exclusive; the cast is at 10:00
    code, _, err = tanzuji(monkeypatch, capsys, "audit", "list", "--as", "verifier")
    assert code == 1 and "only the platform's administrators may read the audit trail" in (
        " ".join(err.split())
    )
    code, _, err = tanzuji(monkeypatch, capsys, "audit", "list", "--since", "yesterday")
    assert code == 2 and "--since" in err
