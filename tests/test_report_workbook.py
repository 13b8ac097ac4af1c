"""The Excel workbook of a result: credits, electricity, units and reproducible bytes.

Expected values come from the footprint the workbook is made of (a sheet must carry the
result's numbers unchanged) and, for the PET bottle, from the hand arithmetic written beside
them: its electricity input is ``bottle_kg * kwh_per_kg`` = (0.020 + 0.002) x 1.5 = 0.033 kWh
per bottle (per run of ``bottle_making``), 600 / 1500 = 40 % covered by the GEC block
(examples/pet_bottle.yaml). openpyxl stores floats with 15 significant digits, hence rel=1e-14.
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tanzuji.factors.starter import StarterFactorSource
from tanzuji.footprint import calculate
from tanzuji.model.files import load_model
from tanzuji.report import workbook
from tanzuji.report.study import StudyInputs

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def bottle_inputs() -> StudyInputs:
    loaded = load_model(EXAMPLES / "pet_bottle.yaml")
    return StudyInputs(calculate(loaded, factor_source=StarterFactorSource()), loaded.model)


@pytest.fixture(scope="module")
def bottle() -> tuple[StudyInputs, bytes]:
    inputs = bottle_inputs()
    return inputs, workbook.workbook_bytes(inputs)


def _rows(data: bytes, sheet: str) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data))[sheet].iter_rows(values_only=True))


def test_credits_sheet_lists_every_credit_with_its_line_and_rule(bottle):
    inputs, data = bottle
    credits = inputs.footprint.credits
    header, *rows = _rows(data, "credits")
    assert header[:4] == ("location", "process", "life_cycle_stage", "kind")
    assert len(rows) == len(credits.items) >= 2
    for row, item in zip(rows, credits.items, strict=True):
        assert row[0] == item.location and ":" in row[0]  # file:line
        assert row[3] == item.kind and row[10] is item.counted
        assert row[9] == pytest.approx(item.kg_co2e, rel=1e-14) and row[9] < 0
    # the preform scrap (avoided product) is reported apart, the CFF credits are counted
    kinds = {(r[3], r[10]) for r in rows}
    assert ("avoided_product", False) in kinds and ("recycling", True) in kinds
    summary = dict(_rows(data, "summary")[1:])
    assert summary["burdens_kg_co2e"] == pytest.approx(credits.burdens_kg_co2e, rel=1e-14)
    assert summary["credits_counted_kg_co2e"] == pytest.approx(credits.counted_kg_co2e, rel=1e-14)
    assert summary["total_kg_co2e"] == pytest.approx(
        credits.burdens_kg_co2e + credits.counted_kg_co2e, rel=1e-12
    )


def test_electricity_sheet_has_both_results_inputs_and_instruments(bottle):
    inputs, data = bottle
    result = inputs.footprint.electricity
    header, *rows = _rows(data, "electricity")
    assert header[0] == "row" and header[10] == "kg_co2e"
    by_kind = {r[0]: r for r in rows}
    assert by_kind["result"][3] == "market" == result.reported
    assert by_kind["location_based"][10] == pytest.approx(result.location_based_kg_co2e, rel=1e-14)
    assert by_kind["market_based"][10] == pytest.approx(result.market_based_kg_co2e, rel=1e-14)
    (use,) = [r for r in rows if r[0] == "input"]
    assert use[3] == "cn-mee.electricity.2022.cn-csg.avg"
    assert use[4] == "cn-mee.electricity.2022.cn.excl-market-nonfossil"
    # per bottle: 0.033 kWh, 40 % covered by the certificates, 60 % at the residual mix
    assert use[5] == pytest.approx(0.033, rel=1e-12)
    assert use[6] == pytest.approx(0.4 * 0.033, rel=1e-12)
    assert use[7] == pytest.approx(0.6 * 0.033, rel=1e-12)
    (gec,) = [r for r in rows if r[0] == "instrument:gec"]
    assert gec[9] == "counted" and "GEC-2024-GD-1000001-GEC-2024-GD-1000600" in gec[4]
    assert gec[6] == pytest.approx(0.4 * 0.033, rel=1e-12)


def test_summary_has_units_and_parameter_set(bottle):
    inputs, data = bottle
    fp = inputs.footprint
    summary = dict(_rows(data, "summary")[1:])
    assert summary["sales_unit"] == "one bottle"
    assert summary["sales_unit_functional_units"] == pytest.approx(0.022, rel=1e-12)
    assert summary["sales_unit_kg_co2e"] == pytest.approx(
        fp.per_sales_unit.total_kg_co2e, rel=1e-14
    )
    assert summary["parameter_set"] == "baseline"
    groups = dict(_rows(data, "analysis_groups")[1:])
    assert groups == pytest.approx(fp.analysis_groups, rel=1e-14)
    stages = {r[0]: r for r in _rows(data, "stages")[1:]}
    for stage, value in fp.by_stage.items():
        assert stages[stage][2] == pytest.approx(value, rel=1e-14)
        assert stages[stage][3] == pytest.approx(fp.by_stage_analysis_groups[stage], rel=1e-14)


def test_result_without_credits_or_market_data_has_header_only_sheets():
    loaded = load_model(EXAMPLES / "pv_module.yaml")
    fp = calculate(loaded, factor_source=StarterFactorSource())
    data = workbook.workbook_bytes(StudyInputs(fp, loaded.model))
    assert len(_rows(data, "credits")) == 1 and len(_rows(data, "electricity")) == 1


def test_workbook_bytes_are_reproducible_and_dated_from_the_inputs(bottle):
    _, data = bottle
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {i.date_time for i in archive.infolist()} == {workbook.ZIP_DATE_TIME}
        core = archive.read("docProps/core.xml").decode()
    # the end of the reference period of examples/pet_bottle.yaml, not today
    assert "<dcterms:modified" in core and "2024-12-31T00:00:00Z" in core
    assert workbook.workbook_bytes(bottle_inputs()) == data
    script = (
        "import sys, hashlib; sys.path.insert(0, sys.argv[1]);"
        "from test_report_workbook import bottle_inputs;"
        "from tanzuji.report import workbook;"
        "print(hashlib.sha256(workbook.workbook_bytes(bottle_inputs())).hexdigest())"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        check=True,
    )
    import hashlib

    assert out.stdout.strip() == hashlib.sha256(data).hexdigest()
