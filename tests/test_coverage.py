"""docs/data.md prints the coverage of the shipped data; the tables must equal the data."""

from __future__ import annotations

from pathlib import Path

from tanzuji.factors.coverage import (
    category,
    coverage_counts,
    coverage_table,
    electricity_table,
    licence_counts,
    region,
)
from tanzuji.factors.starter import OPTIONAL_SETS, load_optional, load_starter

PAGE = Path(__file__).resolve().parents[1] / "docs" / "data.md"


def _block(name: str) -> str:
    text = PAGE.read_text(encoding="utf-8")
    return text.split(f"<!-- {name}:start -->\n", 1)[1].split(f"\n<!-- {name}:end -->", 1)[0]


def test_coverage_table_in_docs_equals_the_data():
    records = load_starter()
    assert _block("coverage-table") == coverage_table(records)
    assert _block("electricity-table") == electricity_table(records)
    lines = ["| publisher | licence | factors |", "|---|---|---:|"] + [
        f"| {p} | {lic} | {n} |" for (p, lic), n in sorted(licence_counts(records).items())
    ]
    assert _block("licence-table") == "\n".join(lines)
    optional = [r for name in OPTIONAL_SETS for r in load_optional(name)]
    assert _block("optional-table") == coverage_table(optional)


def test_the_target_size_and_china_gba_columns():
    records = load_starter()
    assert len(records) >= 1000
    counts = coverage_counts(records)
    assert counts["electricity"]["GBA"] >= 6 and counts["electricity"]["China (rest)"] > 20


def test_categories_and_regions_of_known_rows():
    by_id = {r.id: r for r in load_starter()}
    assert category(by_id["us-epa.waste.pet.combusted.t"]) == "waste"
    assert category(by_id["cn-mee.electricity.2023.cn-csg.avg"]) == "electricity"
    assert category(by_id["us-epa.transport.rail.tkm"]) == "transport"
    steel = "desnz2023.material-use.metal.metal-steel-cans.primary-material-production.t"
    assert category(by_id[steel]) == "materials"
    assert category(by_id["ipcc2006.manufacturing.diesel.t"]) == "energy"
    assert region("CN-HK") == "GBA" and region("CN-GD-440300") == "GBA"
    assert region("CN-CSG") == "Guangdong / Southern Grid" and region("CN-ECG") == "China (rest)"
