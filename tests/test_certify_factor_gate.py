"""The factor gate: a certified result does not rest on draft, illustrative or unsourced
factors unless the verifier waives each one with a reason, and the certificate says so.

Runs through the certification service on SQLite and PostgreSQL. The factor values below are
test inputs, not published values (three of them are deliberately placeholders).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import pytest

from service_helpers import as_user, service_context
from tanzuji.certify import workflow as wf
from tanzuji.certify.provenance import factor_concerns, is_unsourced
from tanzuji.certify.records import State
from tanzuji.errors import FactorsNotWaived, GateNotMet, InvalidTransition, VerificationFailed
from tanzuji.services import certification, report
from tanzuji.services.calculation import ModelInput

JAM = """
product:
  id: jam
  name: {zh: 果酱, en: Jam}
  functional_unit: {amount: 1, unit: kg}
  reference_flow: {process: cook, amount: 1, unit: kg}
processes:
  - id: cook
    name: {en: Cook}
    life_cycle_stage: production
    reference_product: {amount: 1, unit: kg}
    inputs:
      - {factor: grid, amount: 2, unit: kWh}
      - {factor: fert, amount: 0.1, unit: kg}
      - {factor: ink, amount: 0.01, unit: kg}
      - {factor: glue, amount: 0.02, unit: kg}
factors:
  - id: grid
    name: {en: Grid}
    unit: kWh
    gases: [{gas: CO2, amount: 0.5}]
    source: "test grid factor, cited as a source"
  - id: fert
    name: {en: Fertiliser}
    unit: kg
    gases: [{gas: CO2, amount: 5}]
    source: "a study, page 3"
    illustrative: true
  - id: ink
    name: {en: Ink}
    unit: kg
    gases: [{gas: CO2, amount: 3}]
    source: "TODO"
  - id: glue
    name: {en: Glue}
    unit: kg
    gases: [{gas: CO2, amount: 2}]
    source: "placeholder until the supplier answers"
"""
# total by hand: 2 * 0.5 + 0.1 * 5 + 0.01 * 3 + 0.02 * 2 = 1 + 0.5 + 0.03 + 0.04 = 1.57 kg CO2e
JAM_KG_CO2E = 2 * 0.5 + 0.1 * 5 + 0.01 * 3 + 0.02 * 2
PCR = "electronics-itu-l1410"


@pytest.fixture
def ctx(database_url: str, tmp_path: Path):
    return service_context(database_url, tmp_path / "data")


def _apply(ctx) -> str:
    request = certification.ApplyRequest(
        model=ModelInput(name="jam.yaml", text=JAM), pcr_id=PCR, pcr_version="1.0"
    )
    return certification.apply(as_user(ctx, "applicant"), request).id


def _review(ctx, app_id: str, action: str, **fields) -> certification.ReviewResult:
    request = certification.ReviewRequest(application_id=app_id, action=action, **fields)
    return certification.review(as_user(ctx, "verifier"), request)


def _to_sign_off(ctx, app_id: str) -> None:
    certification.submit(as_user(ctx, "applicant"), app_id)
    _review(ctx, app_id, "start")
    _review(ctx, app_id, "pcr-check", findings=[])
    _review(ctx, app_id, "accept")


def test_placeholder_citations_are_recognised():
    for text in ("", "  ", "TODO", "n/a", "ILLUSTRATIVE: replace", "示意值", "占位", "TBD later"):
        assert is_unsourced(text), text
    for text in ("IPCC 2006 Vol. 2 Table 2.2", "test", "MEE 2024 announcement No. 12"):
        assert not is_unsourced(text), text


def test_three_placeholder_factors_block_sign_off_and_approval_until_waived(ctx):
    app_id = _apply(ctx)
    application = certification.load(ctx, app_id)
    assert application.current_model.total_kg_co2e == pytest.approx(JAM_KG_CO2E, rel=1e-12)
    concerns = certification.open_factor_concerns(application)
    assert [(c.factor_id, c.concerns) for c in concerns] == [
        ("fert", ["illustrative"]),
        ("glue", ["unsourced"]),
        ("ink", ["unsourced"]),
    ]
    _to_sign_off(ctx, app_id)
    with pytest.raises(FactorsNotWaived) as refused:
        _review(ctx, app_id, "sign-off")
    message = refused.value.message
    for factor in ("fert@1 (illustrative", "glue@1 (unsourced", "ink@1 (unsourced; source 'TODO'"):
        assert factor in message
    # the service names no front end's command: each one adds its own (CLI, API, page form)
    assert "records a waiver with a reason for each" in message and "tanzuji" not in message
    assert refused.value.details == {
        "application_id": app_id,
        "step": "sign-off",
        "factor_ids": ["fert", "glue", "ink"],
    }
    assert refused.value.code == "gate_not_met"
    assert "草稿、示意或无来源" in message and "fert@1（示意值）" in message
    assert certification.load(ctx, app_id).state is State.data_verification  # nothing moved

    # a waiver needs a reason, and only a factor of concern can be waived
    with pytest.raises(GateNotMet, match="needs a reason"):
        _review(ctx, app_id, "waive", factor_id="fert", text="  ")
    with pytest.raises(InvalidTransition, match="'grid' is not a draft, illustrative"):
        _review(ctx, app_id, "waive", factor_id="grid", text="fine")
    reasons = {
        "fert": "fertiliser is 0.5 of 1.57 kg; supplier data pending, value conservative",
        "ink": "ink below 2 % of the total (0.03 of 1.57 kg CO2e)",
    }
    for factor_id, reason in reasons.items():
        _review(ctx, app_id, "waive", factor_id=factor_id, text=reason)
    with pytest.raises(GateNotMet, match=r"1 factor\(s\).*glue@1"):
        _review(ctx, app_id, "sign-off")
    reasons["glue"] = "glue below 3 % of the total (0.04 of 1.57 kg CO2e)"
    _review(ctx, app_id, "waive", factor_id="glue", text=reasons["glue"])
    _review(ctx, app_id, "sign-off")
    certification.decide(
        as_user(ctx, "decider"),
        certification.DecideRequest(application_id=app_id, approve=True, reason="conforms"),
    )
    issued = certification.issue(as_user(ctx, "admin"), app_id)
    document = issued.document or {}
    assert document["certificate"]["factor_waivers"] == [
        {
            "factor_id": factor_id,
            "version": "1",
            "concerns": kinds,
            "reason": reasons[factor_id],
            "waived_by": "verifier",
        }
        for factor_id, kinds in (
            ("fert", ["illustrative"]),
            ("glue", ["unsourced"]),
            ("ink", ["unsourced"]),
        )
    ]
    # the waivers are inside the signed object: the file verifies, and an edited reason fails
    keyring = ctx.keys.keyring()
    assert certification.verify_document(document, keyring, ctx.now()).ok
    document["certificate"]["factor_waivers"][0]["reason"] = "no reason"
    with pytest.raises(VerificationFailed, match="signature"):
        certification.verify_document(document, keyring, ctx.now())
    actions = [line.action for line in issued.application.audit]
    assert actions.count("waive_factor") == 3
    # the study report of the certificate lists them too
    cert_id = issued.application.certificate_id
    source = report.StudySource(certificate_id=cert_id)
    html = report.report(ctx, report.ReportRequest(source=source, lang="en")).content.decode()
    assert "Factors the verifier waived" in html
    for factor_id, reason in reasons.items():
        assert f"{factor_id}@1" in html and escape(reason) in html


def test_approval_refuses_an_application_signed_off_before_the_gate(ctx):
    """A record that reached the decision without the gate (signed off by an earlier version
    of the platform) is refused at approval, with the same message."""
    app_id = _apply(ctx)
    application = certification.load(ctx, app_id)
    at_decision = application.model_copy(
        update={
            "state": State.decision,
            "verifier": as_user(ctx, "verifier").require_actor(),
            "verifier_signed_off_at": ctx.now(),
            "pcr_error_count": 0,
        }
    )
    decider = as_user(ctx, "decider").require_actor()
    with pytest.raises(GateNotMet, match=r"approval refused: .* 3 factor\(s\)"):
        wf.decide(at_decision, decider, True, "ok", ctx.now())


def test_a_database_version_deprecated_after_its_release_is_a_concern():
    footprint = {
        "inputs": {
            "factors": [
                {"id": "a", "version": "2", "sha256": "x", "illustrative": False, "source": "MEE"},
                {
                    "id": "b",
                    "version": "1",
                    "sha256": "y",
                    "illustrative": False,
                    "source": "DESNZ 2023",
                    "status": "deprecated",
                },
            ]
        }
    }
    assert [(c.factor_id, c.concerns) for c in factor_concerns(footprint)] == [
        ("b", ["deprecated"])
    ]
