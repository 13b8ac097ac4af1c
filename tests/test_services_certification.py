"""The certification service on SQLite and PostgreSQL: release pinning, stored model files,
one transaction per operation, optimistic versions.

Factor values: China Southern Grid 2022 average 0.3869 kg CO2/kWh (MEE & NBS announcement of
2024-12-20, as in test_store_factors.py); 0.4 is a test input for a second, corrected version,
not a published value.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from service_helpers import BATTERY, as_user, certify, service_context, to_decision
from tanzuji.certify import workflow as wf
from tanzuji.certify.certificate import KeyStore
from tanzuji.certify.records import State
from tanzuji.cli.inputs import model_input
from tanzuji.errors import ConcurrentUpdate, NotFound
from tanzuji.footprint import calculate
from tanzuji.model.files import load_model_text
from tanzuji.services import certification, factors
from tanzuji.services.calculation import ModelInput
from tanzuji.store.certify import CertificationRepository
from test_store_factors import CORRECTED, SOUTH

GRID = SOUTH["id"]

KETTLE = """
product:
  id: kettle
  name: {{zh: 电水壶, en: Kettle}}
  functional_unit: {{amount: 1, unit: piece}}
  reference_flow: {{process: make, amount: 1, unit: piece}}
processes:
  - id: make
    name: {{en: Make}}
    life_cycle_stage: production
    reference_product: {{amount: 1, unit: piece}}
    inputs:
{inputs}
"""
BY_ID = f"      - {{factor: {GRID}, amount: 10, unit: kWh}}"
BY_TEXT = "      - {match: 南方区域电网 电力, amount: 20, unit: kWh}"


@pytest.fixture
def ctx(database_url: str, tmp_path: Path):
    return service_context(database_url, tmp_path / "data")


def kettle(*inputs: str) -> ModelInput:
    return ModelInput(name="kettle.yaml", text=KETTLE.format(inputs="\n".join(inputs)))


def apply(ctx, model: ModelInput, release: str | None, pcr: str = "electronics-itu-l1410") -> str:
    request = certification.ApplyRequest(
        model=model, pcr_id=pcr, pcr_version="1.0", release=release
    )
    return certification.apply(as_user(ctx, "applicant"), request).id


@pytest.fixture
def two_versions(ctx):
    """The grid factor v1 (0.3869) published and released as R1; v2 (0.4) published after."""
    database = ctx.factor_database()
    database.add_records([SOUTH], "mee", status="published", reviewer="Li")
    factors.create_release(ctx, "R1")
    database.new_version(GRID, {"gases": CORRECTED})
    database.set_status(GRID, 2, "under_review", "Chen")
    database.set_status(GRID, 2, "published", "Li")
    return ctx


def test_a_pinned_release_governs_factor_and_match_inputs_alike(two_versions):
    ctx = two_versions
    application = certification.load(ctx, apply(ctx, kettle(BY_ID, BY_TEXT), "R1"))
    footprint = application.current_model.footprint
    assert application.factor_release == "R1"
    # both inputs from release R1: version 1, 30 kWh * 0.3869 kg CO2/kWh (GWP of CO2: 1)
    assert [(f["id"], f["version"], f["release"]) for f in footprint["inputs"]["factors"]] == [
        (GRID, "1", "R1")
    ]
    (matched,) = footprint["matched_exchanges"]
    assert (matched["factor_id"], matched["version"], matched["release"]) == (GRID, "1", "R1")
    assert footprint["total_kg_co2e"] == pytest.approx(30 * 0.3869, rel=1e-12)
    # unpinned, both take the newest published version: 30 kWh * 0.4
    newest = certification.load(ctx, apply(ctx, kettle(BY_ID, BY_TEXT), None))
    assert newest.factor_release == "newest"
    assert newest.current_model.total_kg_co2e == pytest.approx(30 * 0.4, rel=1e-12)


@pytest.mark.parametrize("inputs", [(BY_ID, BY_TEXT), (BY_TEXT,)], ids=["id+text", "text only"])
def test_recheck_flags_matched_factors_too(two_versions, inputs):
    ctx = two_versions
    certified = certify(ctx, apply(ctx, kettle(*inputs), "R1")).application
    factors.create_release(ctx, "R2")
    (row,) = certification.recheck(ctx, "R2")
    kwh = 30 if len(inputs) == 2 else 20
    assert (row.certificate_id, row.changed_factors) == (certified.certificate_id, [GRID])
    assert row.certified_kg_co2e == pytest.approx(kwh * 0.3869, rel=1e-12)
    assert row.recomputed_kg_co2e == pytest.approx(kwh * 0.4, rel=1e-12)
    assert certification.recheck(ctx, "R1") == []  # its own release changes nothing


def test_apply_refuses_an_unknown_release_and_stores_nothing(ctx):
    with pytest.raises(NotFound, match="release 'R9' does not exist"):
        apply(ctx, kettle(BY_ID), "R9")
    with ctx.unit_of_work(write=False) as session:
        assert CertificationRepository(session).applications() == []


def test_a_stored_model_carries_its_files_and_recomputes_elsewhere(ctx, tmp_path, monkeypatch):
    model = model_input(BATTERY)  # names factor_files: [factors.csv], read next to it
    assert set(model.files) == {"factors.csv"}
    app_id = apply(ctx, model, "builtin", pcr="battery-eu-2023")
    stored = certification.load(ctx, app_id).current_model
    assert stored.files == model.file_hashes()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # no factors.csv here: only the store has it
    with ctx.unit_of_work(write=False) as session:
        files = CertificationRepository(session).model_files(stored)
    assert files == model.files
    again = calculate(
        load_model_text(stored.model_text, "stored", files),
        factor_source=ctx.with_release("builtin").factors.source,
    )
    assert again.total_kg_co2e == stored.total_kg_co2e
    assert again.inputs.factors_sha256 == stored.footprint["inputs"]["factors_sha256"]
    # the PCR check reads the model and its files from the store alone
    certification.submit(as_user(ctx, "applicant"), app_id)
    verifier = as_user(ctx, "verifier")
    start = certification.ReviewRequest(application_id=app_id, action="start")
    certification.review(verifier, start)
    result = certification.review(
        verifier, certification.ReviewRequest(application_id=app_id, action="pcr-check")
    )
    assert result.application.pcr_error_count == 0
    assert result.application.pcr_messages == [
        f"{f.severity}: {f.rule} · {f.message}" for f in result.findings
    ]
    assert os.getcwd() == str(elsewhere)


def test_issue_and_publish_are_one_transaction(ctx, tmp_path):
    model = model_input(BATTERY)
    app_id = apply(ctx, model, "builtin")
    to_decision(ctx, app_id)
    certification.decide(
        as_user(ctx, "decider"),
        certification.DecideRequest(application_id=app_id, approve=True, reason="ok"),
    )
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the key folder should be")
    broken = dataclasses.replace(as_user(ctx, "admin"), keys=KeyStore(blocker))
    with pytest.raises(OSError):
        certification.issue(broken, app_id)  # signing fails after the id and the save
    after = certification.load(ctx, app_id)
    assert after.state is State.approved and after.certificate_id is None
    with ctx.unit_of_work(write=False) as session:
        repository = CertificationRepository(session)
        assert repository.ledger().size == 0
    issued = certification.issue(as_user(ctx, "admin"), app_id)
    # the failed attempt took no number: the first certificate is still number 1
    assert issued.application.certificate_id.endswith("-000001")
    assert issued.document["ledger"]["entry"]["index"] == 0


def test_an_update_from_a_stale_read_is_refused(ctx):
    app_id = apply(ctx, model_input(BATTERY), "builtin")
    stale = certification.load(ctx, app_id)
    certification.submit(as_user(ctx, "applicant"), app_id)
    applicant = as_user(ctx, "applicant").require_actor()
    changed = wf.submit(stale, applicant, ctx.now(), reason="submitted from a stale copy")
    with ctx.unit_of_work() as session, pytest.raises(ConcurrentUpdate) as caught:
        CertificationRepository(session).save(changed, expected_version=len(stale.audit))
    assert caught.value.http_status == 409
    with ctx.unit_of_work() as session, pytest.raises(ConcurrentUpdate):
        CertificationRepository(session).save(changed)  # no version given: audit must extend
    assert [a.action for a in certification.load(ctx, app_id).audit] == ["apply", "submit"]


def test_a_pcr_check_starts_over_when_the_model_changes_meanwhile(ctx, monkeypatch):
    widget = Path(__file__).parent / "data" / "widget.yaml"
    app_id = apply(ctx, model_input(widget), "builtin")
    certification.submit(as_user(ctx, "applicant"), app_id)
    verifier = as_user(ctx, "verifier")
    for action in ("start", "accept"):
        certification.review(
            verifier, certification.ReviewRequest(application_id=app_id, action=action)
        )
    checked_models = []
    run_checker = certification.pcr_findings

    def checker_while_the_applicant_revises(context, application):
        checked_models.append(len(application.model_versions))
        if len(checked_models) == 1:  # the applicant saves a new model version meanwhile
            text = widget.read_text("utf-8").replace("steel_kg: 2", "steel_kg: 1")
            revised = ModelInput(name="widget.yaml", text=text)
            certification.revise(
                as_user(ctx, "applicant"),
                certification.ReviseRequest(application_id=app_id, model=revised, reason="fix"),
            )
        return run_checker(context, application)

    monkeypatch.setattr(certification, "pcr_findings", checker_while_the_applicant_revises)
    result = certification.review(
        verifier, certification.ReviewRequest(application_id=app_id, action="pcr-check")
    )
    # the check of version 1 was not recorded against version 2: it ran again on version 2
    assert checked_models == [1, 2]
    assert [a.action for a in result.application.audit][-2:] == ["revise_model", "pcr_check"]


def test_apply_and_revise_compute_under_the_pcr_calculation_rules(ctx):
    # The application's PCR sets the rules of every model version (pcr.calculation.rules_of):
    # the footprint records them with their source, and states the PCR's declared unit.
    model = model_input(BATTERY)
    app_id = apply(ctx, model, "builtin", pcr="battery-eu-2023")
    first = certification.load(ctx, app_id).current_model.footprint
    assert first["rules"]["source"].startswith("PCR battery-eu-2023@1.0")
    assert first["per_declared_unit"]["unit"] == "kWh"
    revised = certification.revise(
        as_user(ctx, "applicant"),
        certification.ReviseRequest(application_id=app_id, model=model, reason="same model"),
    )
    assert revised.current_model.footprint["rules"] == first["rules"]
