"""The figures that examples/README.md states equal what the calculation gives.

The README table prints each stage and total with 4 significant digits, the format of every
report (``tanzuji.report.study.number``); this test recomputes the four examples with the
built-in starter factors and compares each printed cell with the computed value in that
format, so a change of a model or a factor that moves a figure fails here until the README is
updated. The expected numbers come from the calculation itself (the hand checks of the same
models are in ``tests/test_examples.py``); what this test guards is the text.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from tanzuji.factors.starter import StarterFactorSource
from tanzuji.footprint import Footprint, calculate
from tanzuji.model.files import load_model
from tanzuji.report.study import number

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "examples" / "README.md"
COLUMNS = ("lfp_battery_pack", "pv_module", "cotton_tshirt", "pet_bottle")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


@cache
def _footprint(name: str) -> Footprint:
    return calculate(
        load_model(ROOT / "examples" / f"{name}.yaml"), factor_source=StarterFactorSource()
    )


def _table() -> dict[str, list[str]]:
    """The footprint table of the README: first cell (stage) -> the four model cells."""
    text = README.read_text(encoding="utf-8")
    block = text.split("| stage | LFP pack", 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in block.splitlines()[2:]:
        cells = [c.strip().replace("**", "") for c in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def _first_number(cell: str) -> str | None:
    found = NUMBER.search(cell.replace("−", "-"))
    return found.group(0) if found else None


def test_readme_table_has_every_stage_and_model():
    assert list(_table()) == [
        "raw_materials",
        "production",
        "distribution",
        "use",
        "end_of_life",
        "credits counted",
        "total",
    ]
    assert all(len(cells) == len(COLUMNS) for cells in _table().values())


@pytest.mark.parametrize("column", range(len(COLUMNS)), ids=COLUMNS)
def test_readme_stage_and_total_figures_equal_the_calculation(column: int):
    fp = _footprint(COLUMNS[column])
    for stage, cells in _table().items():
        printed = _first_number(cells[column])
        if stage == "total":
            assert printed == number(fp.total_kg_co2e), (COLUMNS[column], stage)
        elif stage == "credits counted":
            counted = fp.credits.counted_kg_co2e if fp.credits else None
            assert printed == (number(counted) if counted else None), (COLUMNS[column], stage)
        elif fp.by_stage.get(stage):
            assert printed == number(fp.by_stage[stage]), (COLUMNS[column], stage)
        else:  # a stage the model leaves out or that is zero: no figure or a written 0
            assert printed in (None, "0"), (COLUMNS[column], stage, printed)


def test_readme_side_figures_equal_the_calculation():
    table = _table()
    shirt = _footprint("cotton_tshirt")
    shirt_total = table["total"][COLUMNS.index("cotton_tshirt")]
    assert f"biogenic removals {number(shirt.iso14067.biogenic_ghg_removals)}" in shirt_total
    assert f"biogenic emissions +{number(shirt.iso14067.biogenic_ghg_emissions)}" in shirt_total
    pet = _footprint("pet_bottle")
    pet_total = table["total"][COLUMNS.index("pet_bottle")]
    assert f"{number(pet.per_sales_unit.total_kg_co2e)} per bottle" in pet_total
    assert f"location-based {number(pet.electricity.location_based_kg_co2e)}" in pet_total
    separate = [c.kg_co2e for c in pet.credits.items if not c.counted]
    credits = table["credits counted"][COLUMNS.index("pet_bottle")]
    assert f"credit {number(sum(separate))} is reported apart" in credits


def test_readme_dqr_line_equals_the_calculation():
    text = README.read_text(encoding="utf-8")
    line = text.split("DQR (EU PEF", 1)[1].split("\n\n", 1)[0]
    names = {"battery": "lfp_battery_pack", "PV": "pv_module", "T-shirt": "cotton_tshirt"}
    names["PET bottles"] = "pet_bottle"
    for label, name in names.items():
        assert f"{label} {_footprint(name).data_quality.dqr:.2f}" in line, label


def test_readme_grid_factor_values_equal_the_starter_data():
    text = README.read_text(encoding="utf-8")
    source = StarterFactorSource()
    for region, ref in (
        ("national", "cn-mee.electricity.2022.cn.avg"),
        ("East China", "cn-mee.electricity.2022.cn-ecg.avg"),
        ("Northwest", "cn-mee.electricity.2022.cn-nwcg.avg"),
        ("South", "cn-mee.electricity.2022.cn-csg.avg"),
    ):
        (flow,) = source.resolve(ref).flows
        assert f"{region} {flow.amount_kg:.4f}" in text, region


def test_model_md_pet_figures_equal_the_calculation():
    """docs/model.md quotes the PET example's analysis groups and a sweep."""
    from tanzuji.footprint import sweep

    text = " ".join((ROOT / "docs" / "model.md").read_text(encoding="utf-8").split())
    pet = _footprint("pet_bottle")
    groups = pet.analysis_groups
    quoted = (
        f"`PET {number(groups['PET'])}`, `bottle making {number(groups['bottle making'])}`"
        f" and `Top {number(groups['Top'])}`"
    )
    assert quoted in text
    assert f"burdens {number(pet.credits.burdens_kg_co2e)} kg CO2e" in text
    loaded = load_model(ROOT / "examples" / "pet_bottle.yaml")
    rows = sweep(loaded, "rpet_share", (0.0, 0.5, 1.0), factor_source=StarterFactorSource()).rows
    totals = (
        ", ".join(number(r.total_kg_co2e) for r in rows[:2])
        + " and "
        + number(rows[2].total_kg_co2e)
    )
    assert f"gives totals {totals} kg CO2e per kg" in text
    step = (rows[0].total_kg_co2e - rows[1].total_kg_co2e) / 5  # per 0.1 of rpet_share
    assert f"= {step:.3g})" in text
