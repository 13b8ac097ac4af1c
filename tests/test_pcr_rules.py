"""One broken variant per rule kind yields its finding (rule id + severity + location)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tanzuji.errors import PcrError
from tanzuji.footprint import Footprint, calculate
from tanzuji.model.files import load_model
from tanzuji.pcr import check_model
from tanzuji.pcr.checks import exclusion_shares, footprint_dqr

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "pcr"
BROKEN = Path(__file__).parent / "data" / "pcr_broken"


def findings(path: Path, **options: Any) -> list[tuple[str, str]]:
    report = check_model(load_model(path), **options)
    return [(f.rule, f.severity) for f in report.findings if f.severity != "info"]


def located(path: Path, rule: str, **options: Any) -> str:
    report = check_model(load_model(path), **options)
    return next(f.location for f in report.findings if f.rule == rule)


# (broken file, check options, the non-info findings expected, exactly)
CASES = [
    ("functional_unit_dimension.yaml", {}, [("functional_unit.dimension", "error")]),
    ("stages_use_present.yaml", {}, [("stages.excluded_present", "error")]),
    ("stages_missing_end_of_life.yaml", {}, [("stages.mandatory_missing", "error")]),
    ("boundary_mismatch.yaml", {}, [("boundary.mismatch", "error")]),
    ("required_input_missing.yaml", {}, [("required_inputs.missing", "error")]),
    ("required_input_unit.yaml", {}, [("required_inputs.unit", "error")]),
    ("cutoff_total.yaml", {}, [("cutoff.total", "error")]),
    (
        "cutoff_per_flow_kg.yaml",
        {"parameters": {"cutoff.per_flow": 0.01}},
        [
            ("cutoff.per_flow", "error"),
            ("cutoff.no_estimate", "warning"),
            ("cutoff.total", "error"),
        ],
    ),
    ("allocation_shares.yaml", {}, [("allocation.method_not_allowed", "error")]),
    ("allocation_economic.yaml", {}, [("allocation.economic_needs_justification", "warning")]),
    ("primary_missing.yaml", {}, [("data_quality.primary_missing", "error")]),
    ("removal_fossil.yaml", {}, [("reporting.removal_not_separate", "error")]),
    ("aircraft_unflagged.yaml", {}, [("reporting.aircraft_unflagged", "warning")]),
    ("pcr_other.yaml", {"pcr": "battery-eu-2023@1.0"}, [("pcr.mismatch", "error")]),
]


@pytest.mark.parametrize(("name", "options", "expected"), CASES, ids=[c[0] for c in CASES])
def test_broken_variant(name, options, expected):
    assert findings(BROKEN / name, **options) == expected


def test_locations_point_at_the_offending_line():
    # Lines counted in the broken files (1-based, header comment is line 1).
    assert located(BROKEN / "functional_unit_dimension.yaml", "functional_unit.dimension") == (
        f"{BROKEN / 'functional_unit_dimension.yaml'}:11 product.functional_unit.unit"
    )
    assert located(BROKEN / "stages_use_present.yaml", "stages.excluded_present").endswith(
        ":62 processes[4].life_cycle_stage"
    )
    assert located(BROKEN / "primary_missing.yaml", "data_quality.primary_missing").endswith(
        ":34 processes[0].inputs[1]"
    )
    assert located(BROKEN / "allocation_shares.yaml", "allocation.method_not_allowed").endswith(
        ":46 processes[1].allocation"
    )


def test_gwp_set_other_than_the_pcr_is_an_error():
    # building-materials-en15804 prescribes AR5 (EN 15804+A2 / EF 3.0); compute with AR6.
    got = findings(EXAMPLES / "building-materials.yaml", gwp_set="AR6")
    assert got == [("gwp_set.mismatch", "error")]


def test_biogenic_carbon_content_missing():
    loaded = load_model(EXAMPLES / "furniture.yaml")
    loaded.model.product.biogenic_carbon_content_kg = None
    report = check_model(loaded)
    # error because the result holds biogenic removals (-11 kg CO2e of wood uptake)
    assert [(f.rule, f.severity) for f in report.findings if f.severity != "info"] == [
        ("reporting.biogenic_carbon_content_missing", "error")
    ]


def test_kind_mismatch_and_unit_scale():
    loaded = load_model(EXAMPLES / "battery.yaml")
    loaded.model.product.functional_unit.kind = "functional"
    loaded.model.product.functional_unit.unit = "MWh"
    report = check_model(loaded)
    got = {(f.rule, f.severity): f for f in report.findings}
    assert ("functional_unit.kind", "warning") in got
    # 1 MWh = 1000 kWh: results per MWh are divided by 1000 to compare with the PCR's kWh
    assert "multiply by 0.001" in got[("functional_unit.unit", "info")].message_en


def test_unknown_parameter_is_refused():
    with pytest.raises(PcrError, match=r"unknown PCR parameter\(s\) \['cutoff.perflow'\]"):
        check_model(load_model(EXAMPLES / "battery.yaml"), parameters={"cutoff.perflow": 0.01})


def test_exclusion_shares_from_kg():
    loaded = load_model(BROKEN / "cutoff_per_flow_kg.yaml")
    total = 0.04145551433333333  # test_pcr.test_battery_example_by_hand
    shares = exclusion_shares(loaded.model, total)
    # 0.01 kg CO2e excluded out of a complete footprint of total + 0.01
    assert shares[0] == pytest.approx(0.01 / (total + 0.01), rel=1e-12)
    assert shares[1] is None


def _with_dqr(dqr: float) -> tuple[Any, Footprint]:
    loaded = load_model(EXAMPLES / "pv-module.yaml")
    base = calculate(loaded)
    quality = base.data_quality.model_copy(update={"dqr": dqr})
    return loaded, base.model_copy(update={"data_quality": quality})


def test_dqr_ceiling():
    # pv-module-pefcr: DQR <= 3.0 (PEF "good" level, parameter default)
    loaded, footprint = _with_dqr(3.4)
    assert footprint_dqr(footprint) == 3.4
    report = check_model(loaded, footprint)
    assert [(f.rule, f.severity) for f in report.findings if f.severity != "info"] == [
        ("data_quality.dqr_exceeded", "error")
    ]
    loaded, footprint = _with_dqr(2.5)
    assert check_model(loaded, footprint).passed
    # raising the ceiling by parameter lets 3.4 pass
    loaded, footprint = _with_dqr(3.4)
    assert check_model(loaded, footprint, parameters={"data_quality.dqr_max": 3.5}).passed


def test_dqr_unavailable_is_info():
    loaded = load_model(EXAMPLES / "battery.yaml")
    without = calculate(loaded).model_copy(update={"data_quality": None})
    report = check_model(loaded, without)
    info = [f for f in report.findings if f.rule == "data_quality.dqr_unavailable"]
    assert len(info) == 1 and info[0].severity == "info"
    assert info[0].message_zh and info[0].message_en == (
        "DQR not available for this result; the DQR ceiling was not checked"
    )


def test_air_conditioner_is_not_air_transport():
    loaded = load_model(EXAMPLES / "appliance.yaml")
    loaded.model.processes[2].name.en = "Air conditioner assembly"
    assert check_model(loaded).passed
    assert not [f for f in check_model(loaded).findings if f.severity == "warning"]
