"""Build ``data/factors/desnz2023.csv``: UK DESNZ greenhouse-gas conversion factors 2023.

Input: the subset ``desnz_conversion_factors_2023_subset.csv`` (rows of Level 1 = Fuels, UK
electricity, Heat and steam, Transmission and distribution, WTT- UK electricity, Material use)
from TEC-Toolkit/cfkg@edf7ff8b5c10 ``DESNZ-UK/data/conversion_factors_2023_modified_v2.csv``
(Apache-2.0), values from the UK Government GHG Conversion Factors for Company Reporting 2023
(DESNZ), Open Government Licence v3.0.

Each factor is one (Level 2, Level 3, Level 4, Column Text, unit) group; its value is the
published "kg CO2e" row; the published per-gas rows (kg CO2e of CO2, CH4, N2O) are kept in
the comment. Fuels are Scope 1 combustion; "Material use" factors are cradle-to-gate
(DESNZ "Material use" = emissions of producing the material); well-to-tank (WTT) electricity
factors are upstream only and named so.

Run once: ``.venv/bin/python scripts/build_starter_desnz.py [INPUT]``.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

from tanzuji.factors.starter import write_rows

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "src" / "tanzuji" / "data" / "factors" / "desnz2023.csv"
DEFAULT_INPUT = Path(
    "/work/shared/reference/samples/emission_factors/desnz_conversion_factors_2023_subset.csv"
)
ACCESSED = "2026-11-25"
URL = "https://www.gov.uk/government/publications/greenhouse-gas-reporting-conversion-factors-2023"
LICENCE = "Open Government Licence v3.0 (UK DESNZ); subset via TEC-Toolkit/cfkg (Apache-2.0)"
# DESNZ 2023 methodology paper: CO2e uses IPCC AR5 GWP100 (UK inventory basis).
GWP_SET = "AR5"

UNITS = {"tonne": "t", "litre": "L", "kilowatt hour": "kWh", "cubic metre": "m3"}

ZH = {
    "Butane": "丁烷",
    "CNG": "压缩天然气（CNG）",
    "LNG": "液化天然气（LNG）",
    "LPG": "液化石油气",
    "Natural gas": "天然气",
    "Natural gas (100% mineral blend)": "天然气（100%矿物来源）",
    "Other petroleum gas": "其他石油气",
    "Propane": "丙烷",
    "Aviation spirit": "航空汽油",
    "Aviation turbine fuel": "航空煤油",
    "Burning oil": "煤油（燃烧用油）",
    "Diesel (average biofuel blend)": "柴油（含平均比例生物柴油）",
    "Diesel (100% mineral diesel)": "柴油（100%矿物柴油）",
    "Fuel oil": "燃料油",
    "Gas oil": "瓦斯油（轻柴油）",
    "Lubricants": "润滑油",
    "Naphtha": "石脑油",
    "Petrol (average biofuel blend)": "汽油（含平均比例生物乙醇）",
    "Petrol (100% mineral petrol)": "汽油（100%矿物汽油）",
    "Processed fuel oils - residual oil": "再生燃料油-残渣油",
    "Processed fuel oils - distillate oil": "再生燃料油-馏分油",
    "Refinery miscellaneous": "炼厂杂项燃料",
    "Waste oils": "废油",
    "Marine gas oil": "船用轻油",
    "Marine fuel oil": "船用燃料油",
    "Coal (industrial)": "工业用煤",
    "Coal (electricity generation)": "发电用煤",
    "Coal (domestic)": "民用煤",
    "Coking coal": "炼焦煤",
    "Petroleum coke": "石油焦",
    "Coal (electricity generation - home produced coal only)": "发电用煤（仅英国本土产煤）",
    "Aggregates": "骨料（砂石）",
    "Average construction": "建筑材料平均",
    "Asbestos": "石棉",
    "Asphalt": "沥青混合料",
    "Bricks": "砖",
    "Concrete": "混凝土",
    "Insulation": "保温材料",
    "Metals": "建筑用金属",
    "Soils": "土壤",
    "Mineral oil": "矿物油",
    "Plasterboard": "石膏板",
    "Tyres": "轮胎",
    "Wood": "木材",
    "Glass": "玻璃",
    "Clothing": "服装纺织品",
    "Food and drink": "食品饮料",
    "Compost derived from garden waste": "园林废弃物堆肥",
    "Compost derived from food and garden waste": "厨余及园林废弃物堆肥",
    "Electrical items - fridges and freezers": "电器-冰箱冰柜",
    "Electrical items - large": "大型电器",
    "Electrical items - IT": "IT电子设备",
    "Electrical items - small": "小型电器",
    "Batteries - Alkaline": "碱性电池",
    "Batteries - Li ion": "锂离子电池",
    "Batteries - NiMh": "镍氢电池",
    "Metal: aluminium cans and foil (excl. forming)": "铝罐和铝箔（不含成型）",
    "Metal: mixed cans": "混合金属罐",
    "Metal: scrap metal": "废金属",
    "Metal: steel cans": "钢罐（马口铁罐）",
    "Plastics: average plastics": "塑料（平均）",
    "Plastics: average plastic film": "塑料薄膜（平均）",
    "Plastics: average plastic rigid": "硬质塑料（平均）",
    "Plastics: HDPE (incl. forming)": "高密度聚乙烯HDPE（含成型）",
    "Plastics: LDPE and LLDPE (incl. forming)": "低密度聚乙烯LDPE/LLDPE（含成型）",
    "Plastics: PET (incl. forming)": "聚对苯二甲酸乙二醇酯PET（含成型）",
    "Plastics: PP (incl. forming)": "聚丙烯PP（含成型）",
    "Plastics: PS (incl. forming)": "聚苯乙烯PS（含成型）",
    "Plastics: PVC (incl. forming)": "聚氯乙烯PVC（含成型）",
    "Paper and board: board": "纸板",
    "Paper and board: mixed": "纸和纸板（混合）",
    "Paper and board: paper": "纸",
    "Onsite heat and steam": "现场热力和蒸汽",
    "District heat and steam": "区域供热和蒸汽",
}

MATERIAL_ROUTE = {
    "Primary material production": ("primary production", "原生材料生产"),
    "Re-used": ("re-used", "再利用"),
    "Closed-loop source": ("closed-loop recycled source", "闭环回收料"),
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _names(key: tuple[str, ...], unit: str) -> tuple[str, str, str, str]:
    """(name_en, name_zh, activity, boundary) of one DESNZ group."""
    level1, level2, level3, _level4, column = key
    if level1 == "Fuels":
        basis = f", {column.lower()}" if column else ""
        return (
            f"{level3} combustion, UK, per {unit}{basis}",
            f"{ZH[level3]} 燃烧 英国 每{unit}"
            + (f"（{'低位' if column == 'Net CV' else '高位'}热值）" if column else ""),
            f"{level2.lower()} burned (DESNZ Scope 1 fuels)",
            "combustion",
        )
    if level1 == "Material use":
        route_en, route_zh = MATERIAL_ROUTE[column]
        return (
            f"{level3} ({level2.lower()} material), {route_en}, UK",
            f"{ZH[level3]} {route_zh} 材料生产 英国",
            f"material use: {level2.lower()}",
            "cradle_to_gate",
        )
    if level1 == "UK electricity":
        return (
            "Purchased grid electricity, UK, generation",
            "外购电力 英国 电网发电",
            "electricity consumption from the grid (location-based)",
            "combustion",
        )
    if level1 == "WTT- UK electricity":
        part = "generation" if "generation" in level2 else "transmission and distribution"
        return (
            f"Well-to-tank (upstream) of UK grid electricity, {part}",
            f"英国电网电力 上游（井到油箱）排放 {'发电' if part == 'generation' else '输配电'}",
            "upstream fuel supply of grid electricity (well-to-tank)",
            "cradle_to_gate",
        )
    if level1 == "Transmission and distribution":
        what = "UK grid electricity" if "electricity" in level2 else "district heat and steam"
        what_zh = "电网电力" if "electricity" in level2 else "区域供热蒸汽"
        return (
            f"Transmission and distribution losses, {what}, UK",
            f"输配损耗 {what_zh} 英国",
            "losses in transmission and distribution",
            "combustion",
        )
    return (f"{level3}, UK", f"{ZH[level3]} 英国", "heat and steam purchased", "combustion")


def build_rows(path: Path) -> list[dict[str, object]]:
    groups: dict[tuple[str, ...], dict[str, dict[str, str]]] = {}
    lines: dict[tuple[str, ...], int] = {}
    with path.open(encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            key = (
                row["Level 1"],
                row["Level 2"],
                row["Level 3"],
                row["Level 4"],
                row["Column Text"],
                row["UOM"].strip(),
            )
            groups.setdefault(key, {})[row["emission_target_formula"]] = row
            lines.setdefault(key, line)
    rows = []
    for key, by_gas in groups.items():
        unit = UNITS[key[5]]
        name_en, name_zh, activity, boundary = _names(key[:5], unit)
        total = by_gas["CO2e"]
        split = ", ".join(
            f"{g} {by_gas[g]['GHG Conversion Factor 2023']}"
            for g in ("CO2", "CH4", "N2O")
            if g in by_gas
        )
        parts = [key[1], key[2], key[4]] if key[0] != "Fuels" else [key[2], key[4]]
        rows.append(
            {
                "id": "desnz2023."
                + ".".join(_slug(p) for p in [key[0], *parts] if p)
                + f".{_slug(unit)}",
                "name_en": name_en,
                "name_zh": name_zh,
                "activity": activity,
                "unit": unit,
                "kg_co2e": total["GHG Conversion Factor 2023"],
                "gwp_set": GWP_SET,
                "boundary": boundary,
                "geography": "GB",
                "year": 2023,
                "publisher": "UK Department for Energy Security and Net Zero (DESNZ)",
                "document": "Greenhouse gas reporting: conversion factors 2023 (flat file)",
                "table": " > ".join(p for p in key[:5] if p) + f" ({total['id_original']})",
                "url": URL,
                "accessed": ACCESSED,
                "licence": LICENCE,
                "comment": (
                    f"kg CO2e per {unit}; published split (kg CO2e of gas): "
                    f"{split or 'CO2e only'}; "
                    f"reference subset line {lines[key]}"
                ),
            }
        )
    return rows


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_INPUT
    count = write_rows(OUTPUT, build_rows(source))
    print(f"wrote {count} factors to {OUTPUT}")


if __name__ == "__main__":
    main()
