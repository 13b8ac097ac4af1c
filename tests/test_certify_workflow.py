"""The certification state machine: steps, roles, gates, audit trail, labels."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from certify_people import (
    ADMIN,
    ALICE,
    DAN,
    DORA,
    MALLORY,
    NOW,
    PUBLIC,
    ROGER,
    VERA,
    VIC,
    WIDGET,
    WIDGET_KG_CO2E,
    draft,
    issued,
    model_version,
    to_decision,
)
from tanzuji.certify import workflow as wf
from tanzuji.certify.comparability import Baseline, same_quantity
from tanzuji.certify.records import LabelType, State
from tanzuji.errors import GateNotMet, InvalidTransition, LabelRefused, PermissionDenied


@dataclass
class PcrFinding:
    """Shape of a finding of the PCR checker (tanzuji.pcr): only .severity is read."""

    severity: str
    message: str


def test_full_path_and_audit_trail():
    a = draft()
    assert a.state is State.draft
    assert a.current_model.total_kg_co2e == pytest.approx(WIDGET_KG_CO2E, rel=1e-12)
    a = wf.submit(a, ALICE, NOW)
    a = wf.start_review(a, VIC, NOW)
    a = wf.record_pcr_check(a, VIC, [PcrFinding("warning", "cut-off not stated")], NOW)
    a = wf.accept_documents(a, VIC, NOW)
    a = wf.raise_finding(a, VIC, "electricity source?", NOW)
    a = wf.answer_finding(a, ALICE, 1, "metered", NOW)
    a = wf.close_finding(a, VIC, 1, NOW)
    a = wf.sign_off(a, VIC, NOW)
    a = wf.decide(a, DORA, True, "conforms", NOW)
    a = wf.issue(a, ADMIN, "CERT-1", NOW, validity_years=3)
    a = wf.start_surveillance(a, VIC, NOW)
    later = NOW + dt.timedelta(days=400)
    a = wf.renew(a, ADMIN, later, "surveillance passed")
    assert a.state is State.renewed and a.certificate_version == 2
    assert a.valid_until == dt.date(2030, 4, 6)  # 2027-04-06 + 3 years
    actions = [line.action for line in a.audit]
    assert actions == [
        "apply",
        "submit",
        "start_review",
        "pcr_check",
        "accept_documents",
        "raise_finding",
        "answer_finding",
        "close_finding",
        "sign_off",
        "approve",
        "issue",
        "start_surveillance",
        "renew",
    ]
    assert [line.seq for line in a.audit] == list(range(len(actions)))
    assert a.audit[9].actor_id == "dora" and a.audit[9].reason == "conforms"
    assert a.audit[9].from_state is State.decision and a.audit[9].to_state is State.approved


def test_steps_return_new_records_and_never_change_the_old_one():
    a = draft()
    b = wf.submit(a, ALICE, NOW)
    assert a.state is State.draft and len(a.audit) == 1
    assert b.state is State.submitted and len(b.audit) == 2


def test_validity_period_is_passed_in_or_the_schemes():
    # the application records its scheme (setting certification_scheme, read by the service);
    # the workflow reads no setting
    approved = wf.decide(to_decision(draft()), DORA, True, "ok", NOW)
    a = wf.issue(approved, ADMIN, "CERT-1", NOW, validity_years=2)
    assert (a.valid_from, a.valid_until) == (dt.date(2026, 3, 2), dt.date(2028, 3, 2))
    assert issued().valid_until == dt.date(2029, 3, 2)  # scheme gba: 3 years (unconfirmed)
    # scheme cnca-2025: 2 years (reported), surveillance due after 12 months
    cnca = issued(scheme="cnca-2025")
    assert cnca.valid_until == dt.date(2028, 3, 2)
    assert wf.surveillance_of(cnca) == {
        "scheme": "cnca-2025",
        "interval_months": 12,
        "due": ["2027-03-02"],
    }


def test_model_revision_creates_a_new_version_and_recalculates():
    a = wf.accept_documents(wf.start_review(wf.submit(draft(), ALICE, NOW), VIC, NOW), VIC, NOW)
    a = wf.record_pcr_check(a, VIC, [], NOW)
    text = WIDGET.read_text("utf-8").replace("steel_kg: 2", "steel_kg: 1")
    a = wf.revise_model(a, ALICE, model_version(text, version=2), NOW)
    assert [m.version for m in a.model_versions] == [1, 2]
    # steel halves: 4.1 / 2 from steel, electricity 1 kg * 5 kWh/kg * 0.5 = 2.5, CH4 0.0298
    assert a.current_model.total_kg_co2e == pytest.approx(2.05 + 2.5 + 0.0298, rel=1e-12)
    assert a.model_versions[0].model_sha256 != a.model_versions[1].model_sha256
    assert a.pcr_error_count is None  # the new version must be checked again
    with pytest.raises(GateNotMet, match="PCR check of model v2 was not recorded"):
        wf.sign_off(a, VIC, NOW)


def test_pcr_errors_block_approval():
    a = wf.accept_documents(wf.start_review(wf.submit(draft(), ALICE, NOW), VIC, NOW), VIC, NOW)
    a = wf.record_pcr_check(a, VIC, [PcrFinding("error", "boundary is not cradle-to-grave")], NOW)
    a = wf.sign_off(a, VIC, NOW)
    with pytest.raises(GateNotMet, match="PCR check has 1 recorded result with errors"):
        wf.decide(a, DORA, True, "looks fine", NOW)
    rejected = wf.decide(a, DORA, False, "PCR errors", NOW)
    assert rejected.state is State.rejected


def test_sign_off_needs_closed_findings():
    a = wf.accept_documents(wf.start_review(wf.submit(draft(), ALICE, NOW), VIC, NOW), VIC, NOW)
    a = wf.record_pcr_check(a, VIC, [], NOW)
    a = wf.raise_finding(a, VIC, "missing transport data", NOW)
    with pytest.raises(GateNotMet, match=r"findings \[1\] are still open"):
        wf.sign_off(a, VIC, NOW)
    with pytest.raises(GateNotMet, match="has no answer"):
        wf.close_finding(a, VIC, 1, NOW)


def test_decision_needs_the_verifier_sign_off():
    a = to_decision(draft())
    unsigned = a.model_copy(update={"verifier_signed_off_at": None})
    with pytest.raises(GateNotMet, match="sign-off"):
        wf.decide(unsigned, DORA, True, "ok", NOW)


@pytest.mark.parametrize(
    ("step", "actor", "message"),
    [
        (lambda a, who: wf.submit(a, who, NOW), MALLORY, "only for its own organisation"),
        (lambda a, who: wf.submit(a, who, NOW), VIC, "may only be taken by applicant"),
        (lambda a, who: wf.submit(a, who, NOW), PUBLIC, "acts as public"),
        (lambda a, who: wf.add_evidence(a, who, "x.pdf", b"x", NOW), MALLORY, "own organisation"),
    ],
)
def test_applicant_steps_are_refused_to_others(step, actor, message):
    with pytest.raises(PermissionDenied, match=message):
        step(draft(), actor)


def test_verifier_steps_need_an_accredited_body_and_the_assigned_verifier():
    submitted = wf.submit(draft(), ALICE, NOW)
    with pytest.raises(PermissionDenied, match="accredited"):
        wf.start_review(submitted, ROGER, NOW)
    with pytest.raises(PermissionDenied, match="may only be taken by verifier"):
        wf.start_review(submitted, ALICE, NOW)
    reviewing = wf.start_review(submitted, VIC, NOW)
    with pytest.raises(PermissionDenied, match="vera is not the verifier"):
        wf.accept_documents(reviewing, VERA, NOW)


def test_decision_maker_must_be_of_the_body_and_not_the_verifier():
    a = to_decision(draft())
    with pytest.raises(PermissionDenied, match="handled by body smq"):
        wf.decide(a, DAN, True, "ok", NOW)
    with pytest.raises(PermissionDenied, match="may only be taken by decision_maker"):
        wf.decide(a, VIC, True, "ok", NOW)
    with pytest.raises(PermissionDenied, match="may only be taken by decision_maker"):
        wf.decide(a, ADMIN, True, "ok", NOW)
    with pytest.raises(GateNotMet, match="needs a reason"):
        wf.decide(a, DORA, True, "  ", NOW)


def test_only_the_administrator_issues_and_public_can_do_nothing():
    a = wf.decide(to_decision(draft()), DORA, True, "ok", NOW)
    for actor in (ALICE, VIC, DORA, PUBLIC):
        with pytest.raises(PermissionDenied, match="may only be taken by administrator"):
            wf.issue(a, actor, "CERT-1", NOW)
    with pytest.raises(PermissionDenied):
        wf.revoke(wf.issue(a, ADMIN, "CERT-1", NOW), PUBLIC, NOW, "I don't like it")


def test_invalid_transitions_name_the_state():
    a = draft()
    with pytest.raises(InvalidTransition, match="is draft; step 'decide' needs state decision"):
        wf.decide(a, DORA, True, "ok", NOW)
    with pytest.raises(InvalidTransition, match="step 'issue' needs state approved"):
        wf.issue(a, ADMIN, "C", NOW)
    revoked = wf.revoke(issued(), DORA, NOW, "fraud")
    with pytest.raises(InvalidTransition):
        wf.renew(revoked, ADMIN, NOW, "again")


def test_suspend_reinstate_revoke_expire():
    a = issued()
    a = wf.suspend(a, DORA, NOW, "surveillance found a gap")
    assert a.state is State.suspended
    a = wf.reinstate(a, DORA, NOW, "gap closed")
    assert a.state is State.under_surveillance
    with pytest.raises(InvalidTransition, match="cannot expire before then"):
        wf.expire(a, ADMIN, NOW)
    gone = wf.expire(a, ADMIN, dt.datetime(2029, 3, 3, tzinfo=dt.UTC))
    assert gone.state is State.expired
    with pytest.raises(PermissionDenied, match="handled by body smq"):
        wf.revoke(a, DAN, NOW, "not mine")


def test_public_view_hides_model_and_evidence():
    view = wf.public_view(issued())
    assert view == {
        "application_id": "APP-1",
        "certificate_id": "CERT-1",
        "state": "issued",
        "company": "Acme 电子",
        "product": {"zh": "小部件", "en": "Widget"},
        "label": "disclosure",
        "valid_until": "2029-03-02",
    }


def test_certificate_content():
    cert = wf.certificate_for(issued(), NOW)
    assert cert.footprint_kg_co2e == pytest.approx(WIDGET_KG_CO2E, rel=1e-12)
    assert cert.stage_breakdown_kg_co2e == pytest.approx(
        {"production": 5.0298, "raw_materials": 4.1}, rel=1e-12
    )
    assert cert.pcr == {"id": "PCR-widget", "version": "1.0"}
    assert cert.label == {"type": "disclosure"}
    assert cert.verifier["id"] == "vic" and cert.decision_maker["id"] == "dora"
    assert len(cert.model_sha256) == 64


# -- reduction label ---------------------------------------------------------------------------
#: The baseline's data describe 2024; its certificate was issued in 2024 too (NOW - 700 days),
#: so the data-year test below uses a 2023 period to tell the two apart.
DATA_2023 = (dt.date(2023, 1, 1), dt.date(2023, 12, 31))


def _baseline(period=DATA_2023, state=State.issued, applicant="acme", **changes) -> Baseline:
    cert = wf.certificate_for(
        issued(app_id="APP-0", cert_id="CERT-0"), NOW - dt.timedelta(days=700)
    )
    return Baseline(cert.model_copy(update=changes), applicant, state, period)


def _reduction_app(text: str, pcr_version: str = "1.0"):
    a = wf.new_application(
        "APP-2",
        ALICE,
        model_version(text),
        pcr_id="PCR-widget",
        pcr_version=pcr_version,
        factor_release="R2",
        label_type=LabelType.reduction,
        now=NOW,
        baseline_certificate_id="CERT-0",
    )
    return to_decision(a)


def test_reduction_is_computed_from_the_two_certified_footprints():
    text = WIDGET.read_text("utf-8").replace("steel_kg: 2", "steel_kg: 1")
    a = _reduction_app(text)
    a = wf.decide(a, DORA, True, "lower", NOW, wf.LabelContext(baseline=_baseline()))
    details = a.label_details
    # baseline 9.1298, now 4.5798 (test_model_revision...): reduction 4.55 kg, 49.84 %
    assert details["reduction_kg_co2e"] == pytest.approx(9.1298 - 4.5798, rel=1e-12)
    assert details["reduction_percent"] == pytest.approx(100 * 4.55 / 9.1298, rel=1e-12)
    assert details["baseline_certificate_id"] == "CERT-0"
    # the label names the year of the baseline's data (2023), not the year it was issued (2024)
    assert details["baseline_data_year"] == "2023" and "baseline_year" not in details
    assert details["baseline_data_period"] == {"start": "2023-01-01", "end": "2023-12-31"}
    two_years = _baseline(period=(dt.date(2023, 7, 1), dt.date(2024, 6, 30)))
    a = wf.decide(_reduction_app(text), DORA, True, "lower", NOW, wf.LabelContext(two_years))
    assert a.label_details["baseline_data_year"] == "2023–2024"


def test_reduction_refused_when_not_lower_or_rules_differ():
    same = _reduction_app(WIDGET.read_text("utf-8"))
    with pytest.raises(LabelRefused, match="not lower than the baseline"):
        wf.decide(same, DORA, True, "x", NOW, wf.LabelContext(baseline=_baseline()))
    text = WIDGET.read_text("utf-8").replace("steel_kg: 2", "steel_kg: 1")
    lower = _reduction_app(text)
    refusals = [
        (_baseline(pcr={"id": "PCR-other", "version": "1.0"}), "follows PCR PCR-other version"),
        (_baseline(functional_unit={"amount": 1, "unit": "kg"}), "declared per 1 kg, this"),
        (_baseline(stage_breakdown_kg_co2e={"production": 9.0}), "the boundaries differ"),
        (_baseline(gwp_set="AR5"), "uses GWP set AR5"),
        (_baseline(applicant="other"), "belongs to another company"),
        (_baseline(state=State.revoked), "CERT-0 is revoked"),
        (_baseline(period=None), "states no data period"),
    ]
    for baseline, words in refusals:
        with pytest.raises(LabelRefused, match=words):
            wf.decide(lower, DORA, True, "x", NOW, wf.LabelContext(baseline=baseline))
    # the same PCR id but another version does not compare either
    with pytest.raises(
        LabelRefused, match=r"version 1\.0, this application PCR PCR-widget version 1\.1"
    ):
        wf.decide(_reduction_app(text, "1.1"), DORA, True, "x", NOW, wf.LabelContext(_baseline()))
    # 1000 g is the same declared unit as 1 kg, 0.5 kg is not (a widget in pieces vs kg: above)
    assert same_quantity((1000, "g"), (1, "kg")) and not same_quantity((0.5, "kg"), (1, "kg"))
    with pytest.raises(LabelRefused, match="needs an earlier certified footprint"):
        wf.decide(lower, DORA, True, "x", NOW, wf.LabelContext())
