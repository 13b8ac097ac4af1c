"""What a set of factors covers: counts by category and region, electricity by place and year.

``docs/data.md`` prints these tables for the shipped starter data; ``tests/test_coverage.py``
recomputes them and fails when the page and the data disagree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from tanzuji import units
from tanzuji.factors import text as factor_text
from tanzuji.factors.record import FactorRecord

#: Categories of the coverage table, in order.
CATEGORIES = ("energy", "electricity", "materials", "transport", "waste", "agriculture", "other")
#: Region columns of the coverage table, in order.
REGIONS = ("GBA", "Guangdong / Southern Grid", "China (rest)", "global", "UK", "US", "other")
_TRANSPORT_UNITS = ("tkm", "pkm", "km")


def category(record: FactorRecord) -> str:
    """The coverage category of a factor (first rule that applies).

    ``waste`` end-of-life treatment; ``electricity`` grid electricity incl. its losses and
    upstream; ``transport`` freight and travel (per tkm, pkm, km); ``materials`` material
    production (per mass, or cradle to gate per volume, area or piece); ``agriculture`` crops,
    livestock, fertiliser; ``energy`` fuels burned and heat or steam bought; ``other`` the rest
    (water supply ...).
    """
    text = f"{record.id} {record.name_en} {record.activity}".lower()
    if "waste" in record.id or "end-of-life" in text:
        return "waste"
    if "electricity" in text and units.dimension(record.unit) == units.dimension("kWh"):
        return "electricity"
    if record.unit in _TRANSPORT_UNITS or "transport" in text or "freight" in text:
        return "transport"
    if "material" in text and (
        units.dimension(record.unit) == units.dimension("kg") or record.boundary == "cradle_to_gate"
    ):
        return "materials"
    if record.boundary == "combustion" or "fuel" in text or "steam" in text:
        return "energy"
    if any(w in text for w in ("agricultur", "fertili", "livestock", "crop")):
        return "agriculture"
    return "other"


def region(geography: str) -> str:
    """The coverage column of a geography: the Greater Bay Area (the region, its members and
    the places inside them), then Guangdong and the China Southern Grid region that contains
    it (their factors apply in the nine GBA cities), then the rest of China."""
    if geography == "GLO":
        return "global"
    if geography == "CN-GBA" or factor_text.within(geography, "CN-GBA"):
        return "GBA"
    if geography in ("CN-GD", "CN-CSG"):
        return "Guangdong / Southern Grid"
    if geography.split("-")[0] == "CN":
        return "China (rest)"
    if geography.startswith("GB"):
        return "UK"
    if geography.split("-")[0] == "US":
        return "US"
    return "other"


def coverage_counts(records: Iterable[FactorRecord]) -> dict[str, Counter[str]]:
    """Category -> Counter of region -> number of factors."""
    table: dict[str, Counter[str]] = {c: Counter() for c in CATEGORIES}
    for record in records:
        table[category(record)][region(record.geography)] += 1
    return table


def coverage_table(records: Iterable[FactorRecord]) -> str:
    """The coverage table as Markdown (rows: categories; columns: regions; cells: counts)."""
    table = coverage_counts(records)
    head = "| category | " + " | ".join(REGIONS) + " | total |"
    rule = "|---|" + "---:|" * (len(REGIONS) + 1)
    lines = [head, rule]
    for name in CATEGORIES:
        row = table[name]
        cells = [str(row[r]) if row[r] else "—" for r in REGIONS]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {sum(row.values())} |")
    totals = [sum(table[c][r] for c in CATEGORIES) for r in REGIONS]
    lines.append("| **total** | " + " | ".join(map(str, totals)) + f" | {sum(totals)} |")
    return "\n".join(lines)


def electricity_table(records: Iterable[FactorRecord]) -> str:
    """Grid electricity factors by geography and year (Chinese and GBA places first)."""
    years: dict[str, set[int]] = defaultdict(set)
    for record in records:
        if category(record) == "electricity" and record.year is not None:
            years[record.geography].add(record.year)

    def order(geography: str) -> tuple[int, str]:
        return (list(REGIONS).index(region(geography)), geography)

    lines = ["| geography | region | years |", "|---|---|---|"]
    for geography in sorted(years, key=order):
        span = ", ".join(str(y) for y in sorted(years[geography]))
        lines.append(f"| {geography} | {region(geography)} | {span} |")
    return "\n".join(lines)


def licence_counts(records: Iterable[FactorRecord]) -> Counter[tuple[str, str]]:
    """(publisher, licence identifiers) -> number of factors."""
    from tanzuji.factors.licence import licence_ids

    return Counter(
        (record.source.publisher, " AND ".join(licence_ids(record.licence)) or record.licence)
        for record in records
    )


__all__ = [
    "CATEGORIES",
    "REGIONS",
    "category",
    "coverage_counts",
    "coverage_table",
    "electricity_table",
    "licence_counts",
    "region",
]
