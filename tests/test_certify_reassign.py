"""Reassigning the verifier of an application under review: the workflow step (every refusal
and the success), the service on SQLite and PostgreSQL (one transaction) and the command line.

The body decides who evaluates (ISO/IEC 17065:2012 clauses 6.1, certification body
personnel, and 7.4, evaluation): a decision maker of the body handling the application, or a
platform administrator, hands the review to another verifier of the same body.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from certify_people import (
    ADMIN,
    ALICE,
    BODY,
    BODY2,
    DAN,
    DORA,
    NOW,
    ROGUE,
    VERA,
    VIC,
    draft,
    issued,
    model_version,
    to_decision,
)
from service_helpers import as_user, service_context
from tanzuji.certify import workflow as wf
from tanzuji.certify.records import Actor, Application, LabelType, ModelVersion, Role, State
from tanzuji.errors import GateNotMet, InvalidTransition, NotFound, PermissionDenied
from tanzuji.services import accounts, certification, organisations
from test_certify_cli import add_people, run
from test_certify_factor_gate import JAM
from web_helpers import apply

#: A verifier of the second accredited body, and a decision maker of an unaccredited one.
WEN = Actor(id="wen", name="Wen", role=Role.verifier, organisation=BODY2)
RUDY = Actor(id="rudy", name="Rudy", role=Role.decision_maker, organisation=ROGUE)
#: An administrator of a certification body (possible in older participants files): not a
#: platform administrator (services.accounts.administers).
BODY_ADMIN = Actor(id="badmin", name="Body admin", role=Role.administrator, organisation=BODY)
#: Alice, who prepared the application, later working as a verifier of the body.
ALICE_VERIFIER = Actor(id="alice", name="Alice", role=Role.verifier, organisation=BODY)


def under_review(state: State = State.data_verification) -> Application:
    """The widget application, reviewed by Vic, with one open finding and a PCR check."""
    a = wf.start_review(wf.submit(draft(), ALICE, NOW), VIC, NOW)
    if state is State.document_review:
        return a
    a = wf.record_pcr_check(a, VIC, [], NOW)
    a = wf.accept_documents(a, VIC, NOW)
    return wf.raise_finding(a, VIC, "electricity source?", NOW)


# -- the workflow ----------------------------------------------------------------------------
@pytest.mark.parametrize("state", [State.document_review, State.data_verification])
@pytest.mark.parametrize("actor", [DORA, ADMIN], ids=["decision_maker", "administrator"])
def test_reassign_hands_the_review_over_and_records_who_from_to_why(state, actor):
    before = under_review(state)
    after = wf.reassign_verifier(before, actor, VERA, "Vic is on sick leave", NOW)
    assert after.verifier == VERA
    assert after.state is state  # the review goes on where it was
    line = after.audit[-1]
    assert (line.seq, line.actor_id, line.role, line.organisation_id) == (
        len(before.audit),
        actor.id,
        actor.role,
        actor.organisation.id,
    )
    assert (line.action, line.from_state, line.to_state) == ("reassign_verifier", state, state)
    assert line.reason == "verifier vic -> vera: Vic is on sick leave"
    assert before.verifier == VIC  # the old record is unchanged
    # findings and the PCR check stay as recorded, attributed to who recorded them
    assert after.findings == before.findings
    assert (after.pcr_error_count, after.pcr_messages) == (
        before.pcr_error_count,
        before.pcr_messages,
    )


def test_after_reassignment_the_old_verifier_is_refused_and_the_new_one_finishes():
    a = under_review()
    a = wf.reassign_verifier(a, DORA, VERA, "conflict of interest declared by Vic", NOW)
    with pytest.raises(PermissionDenied, match=r"vic is not the verifier of application APP-1 "):
        wf.close_finding(a, VIC, 1, NOW)
    with pytest.raises(PermissionDenied, match=r"\(assigned: vera\)"):
        wf.sign_off(a, VIC, NOW)
    a = wf.answer_finding(a, ALICE, 1, "metered", NOW)
    a = wf.close_finding(a, VERA, 1, NOW)  # Vic's finding, closed by Vera
    assert a.findings[0].raised_by == "vic" and a.findings[0].closed
    a = wf.sign_off(a, VERA, NOW)
    # Vic took part in the evaluation: never the decision maker (ISO/IEC 17065:2012 7.6.2)
    assert wf.evaluation_people(a) == {"vic", "vera"}
    a = wf.issue(wf.decide(a, DORA, True, "conforms", NOW), ADMIN, "CERT-1", NOW)
    assert wf.certificate_for(a, NOW).verifier == {
        "id": "vera",
        "name": "Vera",
        "body": "SMQ 认证",
    }


def test_waivers_stay_attributed_to_the_verifier_who_recorded_them():
    # JAM has three placeholder factors (test_certify_factor_gate): fert, ink and glue
    a = wf.submit(draft_of(model_version(JAM)), ALICE, NOW)
    a = wf.start_review(a, VIC, NOW)
    a = wf.waive_factor(a, VIC, "fert", "supplier value, checked on site", NOW)
    a = wf.reassign_verifier(a, ADMIN, VERA, "Vic left the body", NOW)
    assert [(w.factor_id, w.waived_by) for w in a.factor_waivers] == [("fert", "vic")]
    a = wf.record_pcr_check(a, VERA, [], NOW)
    a = wf.accept_documents(a, VERA, NOW)
    for factor_id in ("glue", "ink"):
        a = wf.waive_factor(a, VERA, factor_id, "supplier declaration on file", NOW)
    a = wf.sign_off(a, VERA, NOW)  # Vic's waiver still counts at the factor gate
    assert [(w["factor_id"], w["waived_by"]) for w in wf.certified_waivers(a)] == [
        ("fert", "vic"),
        ("glue", "vera"),
        ("ink", "vera"),
    ]


def draft_of(model: ModelVersion) -> Application:
    return wf.new_application(
        "APP-1",
        ALICE,
        model,
        pcr_id="PCR-widget",
        pcr_version="1.0",
        factor_release="R1",
        label_type=LabelType.disclosure,
        now=NOW,
    )


@pytest.mark.parametrize(
    ("actor", "message"),
    [
        (VIC, r"vic acts as verifier; the verifier of application APP-1 may only be reassigned "),
        (VERA, r"vera acts as verifier"),
        (ALICE, r"alice acts as applicant"),
        (BODY_ADMIN, r"badmin acts as administrator; .* or a platform administrator"),
        (DAN, r"dan of body2 cannot reassign the verifier of application APP-1: it is handled "),
        (
            RUDY,
            r"rudy of rogue cannot reassign the verifier of application APP-1: rogue is not an "
            r"accredited certification body, expected a decision maker of one",
        ),
    ],
    ids=["the verifier", "another verifier", "applicant", "body admin", "other body", "rogue"],
)
def test_who_may_not_reassign(actor, message):
    a = under_review()
    with pytest.raises(PermissionDenied, match=message):
        wf.reassign_verifier(a, actor, VERA, "reason", NOW)


@pytest.mark.parametrize(
    ("candidate", "active", "error", "message"),
    [
        (
            DORA,
            True,
            PermissionDenied,
            r"dora cannot take over application APP-1: dora acts as decision_maker, expected a "
            r"verifier of body smq",
        ),
        (
            WEN,
            True,
            PermissionDenied,
            r"wen cannot take over application APP-1: wen is a verifier of body2, expected one "
            r"of body smq",
        ),
        (
            VERA,
            False,
            PermissionDenied,
            r"vera cannot take over application APP-1: user vera is deactivated, expected an "
            r"active verifier",
        ),
        (
            VIC,
            True,
            InvalidTransition,
            r"vic cannot take over application APP-1: vic is already its verifier, expected "
            r"another verifier of body smq",
        ),
        (
            ALICE_VERIFIER,
            True,
            PermissionDenied,
            r"alice prepared or submitted application APP-1 and cannot also verify it "
            r"\(impartiality, ISO/IEC 17065:2012 4.2\)",
        ),
    ],
    ids=["not a verifier", "other body", "deactivated", "current verifier", "prepared it"],
)
def test_to_whom_the_review_may_not_go(candidate, active, error, message):
    a = under_review()
    with pytest.raises(error, match=message):
        wf.reassign_verifier(a, DORA, candidate, "reason", NOW, active=active)
    assert wf.eligible_verifiers(a, [(candidate, active)]) == []


def test_a_verifier_of_a_body_that_lost_its_accreditation_cannot_take_over():
    lapsed = BODY.model_copy(update={"accredited": False})
    candidate = VERA.model_copy(update={"organisation": lapsed})
    with pytest.raises(
        PermissionDenied,
        match=r"vera cannot take over application APP-1: body smq is not accredited now, expected "
        r"a verifier of an accredited certification body",
    ):
        wf.reassign_verifier(under_review(), ADMIN, candidate, "reason", NOW)


def test_eligible_verifiers_keeps_only_those_who_may_take_over():
    users = [(ALICE_VERIFIER, True), (DORA, True), (VERA, True), (VIC, True), (WEN, True)]
    other = Actor(id="viv", name="Viv", role=Role.verifier, organisation=BODY)
    users += [(other, False)]
    assert wf.eligible_verifiers(under_review(), users) == [VERA]


@pytest.mark.parametrize(
    ("application", "message"),
    [
        (
            lambda: draft(),
            r"application APP-1 is draft: no verifier has started the review yet; the verifier "
            r"can be reassigned in state document_review, data_verification only / 尚未开始审核",
        ),
        (
            lambda: wf.submit(draft(), ALICE, NOW),
            r"application APP-1 is submitted: no verifier has started the review yet",
        ),
        (
            lambda: to_decision(draft()),
            r"application APP-1 is decision: the verification was signed off; the verifier can "
            r"be reassigned in state document_review, data_verification only / 核查已签字确认，"
            r"不得更换核查员",
        ),
        (lambda: issued(), r"application APP-1 is issued: the verification was signed off"),
    ],
    ids=["draft", "submitted", "signed off", "issued"],
)
def test_reassignment_outside_the_review_is_refused(application, message):
    with pytest.raises(InvalidTransition, match=message):
        wf.reassign_verifier(application(), ADMIN, VERA, "reason", NOW)


def test_a_reason_is_required():
    with pytest.raises(GateNotMet, match=r"verifier of application APP-1 needs a reason"):
        wf.reassign_verifier(under_review(), DORA, VERA, "  ", NOW)


# -- the service, SQLite and PostgreSQL ------------------------------------------------------
@pytest.fixture
def ctx(database_url: str, tmp_path: Path):
    """The demo's cast (applicant, verifier, decider, admin of demo-body and the platform)
    and a second verifier of demo-body, ``verifier2``."""
    ctx = service_context(database_url, tmp_path / "data")
    organisations.add_user(
        ctx,
        organisations.UserRequest(
            id="verifier2", name="Lam Verifier", role=Role.verifier, organisation="demo-body"
        ),
    )
    return ctx


def _review(ctx, user: str, application_id: str, action: str, **fields):
    request = certification.ReviewRequest(application_id=application_id, action=action, **fields)
    return certification.review(as_user(ctx, user), request).application


def _in_data_verification(ctx) -> str:
    application_id = apply(ctx)
    certification.submit(as_user(ctx, "applicant"), application_id)
    _review(ctx, "verifier", application_id, "start")
    _review(ctx, "verifier", application_id, "pcr-check", findings=[])
    _review(ctx, "verifier", application_id, "accept")
    _review(ctx, "verifier", application_id, "finding", text="meter calibration?")
    return application_id


def test_service_reassigns_in_one_transaction_and_the_new_verifier_finishes(ctx):
    application_id = _in_data_verification(ctx)
    reason = "Chan Verifier declared a conflict of interest / 原核查员申报利益冲突"
    after = _review(ctx, "decider", application_id, "reassign", to_user="verifier2", text=reason)
    stored = certification.load(ctx, application_id)
    assert stored == after
    assert (stored.verifier.id, stored.verifier.organisation.id) == ("verifier2", "demo-body")
    line = certification.status(ctx, application_id).audit[-1]
    assert (line.actor_id, line.role, line.action, line.reason) == (
        "decider",
        Role.decision_maker,
        "reassign_verifier",
        f"verifier verifier -> verifier2: {reason}",
    )
    with pytest.raises(PermissionDenied, match="verifier is not the verifier of application"):
        _review(ctx, "verifier", application_id, "close", finding_id=1)
    certification.answer(as_user(ctx, "applicant"), application_id, 1, "calibrated 2026-01")
    _review(ctx, "verifier2", application_id, "close", finding_id=1)
    # the test model's one illustrative factor: the new verifier records the waiver
    text = "test factor, accepted for the test"
    _review(ctx, "verifier2", application_id, "waive", factor_id="grid", text=text)
    _review(ctx, "verifier2", application_id, "sign-off")
    certification.decide(
        as_user(ctx, "decider"),
        certification.DecideRequest(application_id=application_id, approve=True, reason="ok"),
    )
    issued = certification.issue(as_user(ctx, "admin"), application_id)
    assert issued.document["certificate"]["verifier"]["id"] == "verifier2"
    assert stored.findings[0].raised_by == "verifier"


def test_service_refusals_change_nothing(ctx):
    application_id = _in_data_verification(ctx)
    before = certification.load(ctx, application_id)
    accounts.set_active(ctx, "verifier2", False)
    with pytest.raises(PermissionDenied, match="user verifier2 is deactivated"):
        _review(ctx, "admin", application_id, "reassign", to_user="verifier2", text="ill")
    with pytest.raises(
        NotFound,
        match=rf"no user 'nobody' to take over application {application_id}; expected the user "
        r"id of an active verifier of body demo-body",
    ):
        _review(ctx, "admin", application_id, "reassign", to_user="nobody", text="ill")
    with pytest.raises(GateNotMet, match="needs the user id of the new verifier"):
        _review(ctx, "admin", application_id, "reassign", text="ill")
    assert certification.load(ctx, application_id) == before


def test_service_lists_the_verifiers_who_may_take_over(ctx):
    application_id = _in_data_verification(ctx)
    organisations.add_user(
        ctx,
        organisations.UserRequest(
            id="verifier3", name="Ng Verifier", role=Role.verifier, organisation="demo-body"
        ),
    )
    accounts.set_active(ctx, "verifier3", False)
    found = certification.load(ctx, application_id)
    candidates = certification.reassign_candidates(ctx, found)
    assert [c.id for c in candidates] == ["verifier2"]  # not verifier (current), verifier3


# -- the command line ------------------------------------------------------------------------
def test_cli_reassign(tmp_path: Path):
    add_people()
    run("user", "add", "vera", "--name", "Vera", "--role", "verifier", "--org", "smq")
    out = run(
        "certify",
        "apply",
        Path(__file__).parent / "data" / "widget.yaml",
        "--as",
        "applicant",
        "--pcr",
        "electronics-itu-l1410",
    ).output
    app_id = out.split()[1]
    run("certify", "submit", app_id, "--as", "applicant")
    run("certify", "review", app_id, "start", "--as", "verifier")
    out = run(
        "certify",
        "review",
        app_id,
        "reassign",
        "--to",
        "vera",
        "--text",
        "on leave",
        "--as",
        "decider",
    ).output
    assert out.splitlines() == [
        f"{app_id}: reassign_verifier -> document_review",
        "核查员 verifier verifier -> vera: on leave",
    ]
    refused = run("certify", "review", app_id, "accept", "--as", "verifier", ok=False)
    assert isinstance(refused.exception, PermissionDenied)
    run("certify", "review", app_id, "accept", "--as", "vera")
    late = run(
        "certify",
        "review",
        app_id,
        "reassign",
        "--to",
        "verifier",
        "--text",
        "x",
        "--as",
        "verifier",
        ok=False,
    )
    assert "verifier acts as verifier" in str(late.exception)
