"""Recheck at scale on SQLite and PostgreSQL: certificates grouped by model, each model
recomputed once, the ones beyond the threshold listed, progress reported.

Factor values: China Southern Grid 2022 average 0.3869 kg CO2/kWh (MEE & NBS, as in
test_store_factors.py) and a corrected 0.4 (a test input, not a published value); the inline
10 kg CO2e part is illustrative. Expected changes by hand below.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from service_helpers import as_user, certify, service_context
from tanzuji.certify.recheck import RecheckRow
from tanzuji.cli import app
from tanzuji.scale import recheck as scale_recheck
from tanzuji.services import certification, factors
from tanzuji.services import recheck as recheck_service
from tanzuji.services.calculation import ModelInput
from test_store_factors import CORRECTED, SOUTH

GRID = SOUTH["id"]
MODEL = """
product:
  id: {product}
  name: {{en: Kettle}}
  functional_unit: {{amount: 1, unit: piece}}
  reference_flow: {{process: make, amount: 1, unit: piece}}
processes:
  - id: make
    name: {{en: Make}}
    life_cycle_stage: production
    reference_product: {{amount: 1, unit: piece}}
    inputs:
      - {{factor: {grid}, amount: 10, unit: kWh}}
{extra}
factors:
  - id: part
    name: {{en: Part (illustrative)}}
    unit: kg
    gases: [{{gas: CO2e, amount: 1.0}}]
    source: "ILLUSTRATIVE placeholder, not a sourced value"
    illustrative: true
"""
PART = "      - {factor: part, amount: 10, unit: kg}"


def model(product: str, extra: str = "") -> ModelInput:
    return ModelInput(
        name=f"{product}.yaml", text=MODEL.format(product=product, grid=GRID, extra=extra)
    )


@pytest.fixture
def certified(database_url: str, tmp_path: Path):
    """Three certificates under R1: two of one model (grid only), one of a second (grid and
    the part); then the grid factor's corrected version released as R2."""
    ctx = service_context(database_url, tmp_path / "data")
    database = ctx.factor_database()
    database.add_records([SOUTH], "mee", status="published", reviewer="Li")
    factors.create_release(ctx, "R1")
    ids = []
    for text in (model("kettle"), model("kettle"), model("kettle-plus", PART)):
        request = certification.ApplyRequest(
            model=text, pcr_id="electronics-itu-l1410", pcr_version="1.0", release="R1"
        )
        application_id = certification.apply(as_user(ctx, "applicant"), request).id
        # the part is an illustrative placeholder: the verifier waives it (the factor gate)
        waivers = {"part": "illustrative placeholder of the test"} if PART in text.text else None
        ids.append(certify(ctx, application_id, waivers).application.certificate_id)
    database.new_version(GRID, {"gases": CORRECTED})
    database.set_status(GRID, 2, "under_review", "Chen")
    database.set_status(GRID, 2, "published", "Li")
    factors.create_release(ctx, "R2")
    return ctx, ids


def test_grouped_recheck_lists_what_moved_beyond_the_threshold(certified):
    ctx, (first, second, plus) = certified
    done: list[tuple[int, int | None]] = []
    result = recheck_service.recheck_release(
        ctx,
        recheck_service.ReleaseRecheckRequest(release="R2", threshold_percent=2.0),
        progress=lambda d, t: done.append((d, t)),
    )
    # The second kettle certificate superseded the first (same company, product, label, PCR
    # and declared unit: one valid certificate each, issue 8), so two are in force.
    assert (result.checked, result.models, result.affected) == (2, 2, 2)
    assert done[-1] == (2, 2)
    # By hand: grid only 10 * 0.3869 = 3.869 -> 4.0, +3.386 % (> 2 %); with the part
    # 3.869 + 10 = 13.869 -> 14.0, +0.945 % (< 2 %).
    moved = {m.certificate_id: m for m in result.moved}
    assert set(moved) == {second} and first not in moved
    assert moved[second].certified_kg_co2e == pytest.approx(3.869, rel=1e-12)
    assert moved[second].recomputed_kg_co2e == pytest.approx(4.0, rel=1e-12)
    assert moved[second].delta_percent == pytest.approx(100 * 0.131 / 3.869, rel=1e-9)
    assert moved[second].changed_factors == [GRID]
    # The default threshold (5 %) lists none of them; 0.5 % lists all three.
    default = recheck_service.recheck_release(
        ctx, recheck_service.ReleaseRecheckRequest(release="R2")
    )
    assert (default.threshold_percent, default.moved, default.affected) == (5.0, [], 2)
    low = recheck_service.recheck_release(
        ctx, recheck_service.ReleaseRecheckRequest(release="R2", threshold_percent=0.5)
    )
    assert {m.certificate_id for m in low.moved} == {second, plus}


def test_grouped_recheck_agrees_with_the_one_by_one_recheck(certified):
    ctx, _ = certified
    one_by_one = {r.certificate_id: r for r in certification.recheck(ctx, "R2")}
    result = recheck_service.recheck_release(
        ctx, recheck_service.ReleaseRecheckRequest(release="R2", threshold_percent=0.0)
    )
    assert {m.certificate_id for m in result.moved} == set(one_by_one)
    for row in result.moved:
        reference = one_by_one[row.certificate_id]
        assert row.recomputed_kg_co2e == reference.recomputed_kg_co2e
        assert row.changed_factors == reference.changed_factors
    assert (
        recheck_service.recheck_release(
            ctx, recheck_service.ReleaseRecheckRequest(release="R1", threshold_percent=0.0)
        ).affected
        == 0
    )  # their own release changes nothing


def test_moved_beyond_counts_any_change_of_a_zero_footprint():
    row = RecheckRow(
        certificate_id="C",
        application_id="A",
        changed_factors=["f"],
        certified_kg_co2e=0.0,
        recomputed_kg_co2e=0.1,
    )
    assert scale_recheck.moved_beyond(row, 5.0)


def test_cli_recheck_release(certified, monkeypatch):
    ctx, (_, second, _) = certified
    monkeypatch.setenv("TANZUJI_DATABASE_URL", str(ctx.settings.database_url))
    monkeypatch.setenv("TANZUJI_DATA_DIR", str(ctx.data_dir))
    result = CliRunner().invoke(app, ["recheck-release", "R2", "--threshold", "2"])
    assert result.exit_code == 0, result.output
    assert "2 certificates (2 models) rechecked against release R2" in result.output
    assert "1 moved by more than 2 %" in result.output
    assert second in result.output
