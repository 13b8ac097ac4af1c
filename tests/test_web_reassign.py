"""Reassigning the verifier through the web platform: the API route (whole payloads), the
tenant boundary (another body's decision maker) and the form on the application's page in
Chinese and English. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tanzuji.certify.records import Role, State
from tanzuji.services import accounts, certification, organisations
from tanzuji.web import i18n
from web_helpers import FIXED_NOW, PASSWORD_SUFFIX, apply, form_csrf, login, web_client, web_context

REASON = "Chan Verifier is on sick leave / 原核查员病假"


@pytest.fixture
def ctx(database_url: str, tmp_path: Path):
    """The demo's cast, a second verifier of demo-body (``verifier2``) and a decision maker of
    another accredited body (``other-decider``), all with passwords."""
    ctx = web_context(database_url, tmp_path / "data", clock=lambda: FIXED_NOW)
    organisations.add_organisation(
        ctx,
        organisations.OrganisationRequest(
            id="other-body", name="Other Body", kind="certification_body", accredited=True
        ),
    )
    for user_id, name, role, org in (
        ("verifier2", "Lam Verifier", Role.verifier, "demo-body"),
        ("other-decider", "Other Decider", Role.decision_maker, "other-body"),
    ):
        organisations.add_user(
            ctx, organisations.UserRequest(id=user_id, name=name, role=role, organisation=org)
        )
        accounts.set_password(
            ctx, accounts.PasswordRequest(user_id=user_id, password=user_id + PASSWORD_SUFFIX)
        )
    return ctx


def _error(code: str, status: int, message: str) -> dict:
    """The one JSON error shape; codes without a title of their own (invalid_transition) are
    titled as any Tanzuji error."""
    title = f"error.{code}" if f"error.{code}" in i18n.MESSAGES else "error.tanzuji_error"
    return {
        "error": {
            "code": code,
            "status": status,
            "title": i18n.both(title),
            "message": message,
            "location": None,
            "details": {},
        }
    }


def _under_review(ctx) -> str:
    """An application the demo verifier started reviewing (document review)."""
    application_id = apply(ctx)
    certification.submit(ctx.with_user("applicant"), application_id)
    certification.review(
        ctx.with_user("verifier"),
        certification.ReviewRequest(application_id=application_id, action="start"),
    )
    return application_id


def _sign_off(ctx, application_id: str) -> None:
    """The demo verifier finishes the review (the test model's illustrative factor waived)."""
    verifier = ctx.with_user("verifier")
    for action in ("pcr-check", "accept", "waive", "sign-off"):
        certification.review(
            verifier,
            certification.ReviewRequest(
                application_id=application_id,
                action=action,
                findings=[] if action == "pcr-check" else None,
                factor_id="grid" if action == "waive" else "",
                text="test factor" if action == "waive" else "",
            ),
        )


def _reassign(client, application_id: str, to_user: str, text: str = REASON):
    return client.post(
        f"/api/v1/applications/{application_id}/review",
        json={"action": "reassign", "to_user": to_user, "text": text},
    )


def test_api_reassign_answers_the_whole_application(ctx) -> None:
    application_id = _under_review(ctx)
    client = web_client(ctx)
    login(client, "decider")
    answer = _reassign(client, application_id, "verifier2")
    assert answer.status_code == 200, answer.text
    stored = certification.load(ctx, application_id)
    assert answer.json() == {"application": stored.model_dump(mode="json"), "findings": []}
    assert answer.json()["application"]["verifier"] == {
        "id": "verifier2",
        "name": "Lam Verifier",
        "role": "verifier",
        "organisation": {
            "id": "demo-body",
            "name": stored.verifier.organisation.name,
            "kind": "certification_body",
            "accredited": True,
        },
    }
    assert answer.json()["application"]["audit"][-1] == {
        "seq": 4,  # apply, add_evidence, submit, start_review, reassign_verifier
        "at": FIXED_NOW.isoformat().replace("+00:00", "Z"),
        "actor_id": "decider",
        "role": "decision_maker",
        "organisation_id": "demo-body",
        "action": "reassign_verifier",
        "from_state": "document_review",
        "to_state": "document_review",
        "reason": f"verifier verifier -> verifier2: {REASON}",
    }
    # the old verifier is refused, the new one goes on
    old = web_client(ctx)
    login(old, "verifier")
    refused = old.post(f"/api/v1/applications/{application_id}/review", json={"action": "accept"})
    assert refused.status_code == 403
    assert refused.json() == _error(
        "permission_denied",
        403,
        f"verifier is not the verifier of application {application_id} (assigned: verifier2) "
        "/ 非本申请的核查员",
    )
    new = web_client(ctx)
    login(new, "verifier2")
    accepted = new.post(f"/api/v1/applications/{application_id}/review", json={"action": "accept"})
    assert accepted.json()["application"]["state"] == "data_verification"


def test_api_refusals_name_application_user_found_and_expected(ctx) -> None:
    application_id = _under_review(ctx)
    client = web_client(ctx)
    login(client, "admin")
    same = _reassign(client, application_id, "verifier")
    assert same.status_code == 409
    assert same.json() == _error(
        "invalid_transition",
        409,
        f"verifier cannot take over application {application_id}: verifier is already its "
        "verifier, expected another verifier of body demo-body / 该核查员已负责本申请",
    )
    wrong_body = _reassign(client, application_id, "other-decider")
    assert wrong_body.json()["error"]["message"].startswith(
        f"other-decider cannot take over application {application_id}: other-decider acts as "
        "decision_maker, expected a verifier of body demo-body"
    )
    blank = _reassign(client, application_id, "verifier2", text=" ")
    assert blank.status_code == 422
    assert blank.json()["error"]["code"] == "gate_not_met"
    # after the sign-off: refused with a bilingual message
    _sign_off(ctx, application_id)
    late = _reassign(client, application_id, "verifier2")
    assert late.status_code == 409
    assert late.json() == _error(
        "invalid_transition",
        409,
        f"application {application_id} is decision: the verification was signed off; the "
        "verifier can be reassigned in state document_review, data_verification only / "
        "核查已签字确认，不得更换核查员",
    )
    assert certification.load(ctx, application_id).verifier.id == "verifier"


def test_another_bodys_decision_maker_finds_nothing_and_changes_nothing(ctx) -> None:
    """Answered like every cross-tenant request: not found, same message as a missing id."""
    application_id = _under_review(ctx)
    before = certification.load(ctx, application_id)
    client = web_client(ctx)
    token = login(client, "other-decider")
    answer = _reassign(client, application_id, "verifier2")
    assert answer.status_code == 404
    assert answer.json() == _error(
        "not_found", 404, f"no application {application_id!r} / 无此申请"
    )
    assert _reassign(client, "APP-2026-999999", "verifier2").json() == _error(
        "not_found", 404, "no application 'APP-2026-999999' / 无此申请"
    )
    page = client.post(
        f"/applications/{application_id}/do/reassign",
        data={"csrf_token": token, "to_user": "verifier2", "text": REASON},
    )
    assert page.status_code == 404
    assert certification.load(ctx, application_id) == before
    # the service itself (the command line has no tenant filter) refuses it too
    with pytest.raises(certification.CertificationError, match="it is handled by body demo-body"):
        certification.review(
            ctx.with_user("other-decider"),
            certification.ReviewRequest(
                application_id=application_id, action="reassign", to_user="verifier2", text="x"
            ),
        )


@pytest.mark.parametrize(
    ("lang", "texts"),
    [
        ("zh", ("更换核查员", "新核查员", "当前核查员", "仍记在原记录人名下")),
        ("en", ("Reassign the verifier", "New verifier", "Current verifier", "attributed to")),
    ],
)
def test_page_form_for_the_decision_maker(ctx, lang: str, texts: tuple[str, ...]) -> None:
    application_id = _under_review(ctx)
    client = web_client(ctx)
    login(client, "decider")
    page = client.get(f"/applications/{application_id}?lang={lang}")
    assert page.status_code == 200
    assert 'id="reassign-form"' in page.text and all(t in page.text for t in texts)
    # the select offers the body's eligible verifiers: not the current one
    assert '<option value="verifier2">Lam Verifier (verifier2)</option>' in page.text
    assert '<option value="verifier">' not in page.text
    done = client.post(
        f"/applications/{application_id}/do/reassign",
        data={"csrf_token": form_csrf(page.text), "to_user": "verifier2", "text": REASON},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (
        303,
        f"/applications/{application_id}?done=reassign",
    )
    after = client.get(done.headers["location"])
    assert f": {texts[0]}</div>" in after.text  # the done banner names the step
    assert f"verifier verifier -&gt; verifier2: {REASON}" in after.text  # the audit trail
    assert certification.load(ctx, application_id).verifier.id == "verifier2"
    # a refusal comes back on the page as an alert, in the status of the error
    again = client.post(
        f"/applications/{application_id}/do/reassign",
        data={"csrf_token": form_csrf(after.text), "to_user": "verifier2", "text": REASON},
    )
    assert again.status_code == 409
    assert 'id="step-error"' in again.text and "verifier2 is already its verifier" in again.text


def test_page_offers_no_reassignment_to_verifiers_or_after_the_sign_off(ctx) -> None:
    application_id = _under_review(ctx)
    verifier = web_client(ctx)
    login(verifier, "verifier")
    assert 'id="reassign-form"' not in verifier.get(f"/applications/{application_id}").text
    admin = web_client(ctx)
    login(admin, "admin")
    assert 'id="reassign-form"' in admin.get(f"/applications/{application_id}?lang=en").text
    accounts.set_active(ctx, "verifier2", False)
    page = admin.get(f"/applications/{application_id}?lang=en").text
    assert 'id="reassign-none"' in page and "No other verifier of this body" in page
    _sign_off(ctx, application_id)
    assert certification.load(ctx, application_id).state is State.decision
    assert 'id="reassign-form"' not in admin.get(f"/applications/{application_id}").text
