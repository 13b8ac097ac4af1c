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

import re
import sys
from pathlib import Path

import openpyxl

from tanzuji.factors.starter import write_rows

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "src" / "tanzuji" / "data" / "factors" / "desnz2023.csv"
ACCESSED = "2026-12-02"
URL = "https://www.gov.uk/government/publications/greenhouse-gas-reporting-conversion-factors-2023"
LICENCE = (
    "OGL-UK-3.0: Open Government Licence v3.0, Crown copyright (UK DESNZ); flat file as kept "
    "in TEC-Toolkit/cfkg@edf7ff8 DESNZ-UK/data_raw (repository Apache-2.0)"
)
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


#: Words of DESNZ category names -> Chinese (names of new categories are composed from these;
#: untranslated words stay in English).
WORDS_ZH = {
    "Freighting goods": "货运",
    "Passenger vehicles": "乘用车辆",
    "Delivery vehicles": "配送车辆",
    "Business travel- land": "商务出行 陆路",
    "Business travel- air": "商务出行 航空",
    "Business travel- sea": "商务出行 水路",
    "Waste disposal": "废弃物处理（报废处置）",
    "Water supply": "供水",
    "Water treatment": "污水处理",
    "WTT- heat and steam": "热力蒸汽 上游（井到油箱）",
    "WTT- fuels": "燃料 上游（井到油箱）",
    "WTT- bioenergy": "生物能源 上游（井到油箱）",
    "Bioenergy": "生物能源",
    "Vans": "厢式货车",
    "HGV (all diesel)": "重型货车（柴油）",
    "HGVs refrigerated (all diesel)": "冷藏重型货车（柴油）",
    "Freight flights": "航空货运",
    "Rail": "铁路",
    "Sea tanker": "海运油轮",
    "Cargo ship": "货轮",
    "Cars (by market segment)": "轿车（按细分市场）",
    "Cars (by size)": "轿车（按尺寸）",
    "Motorbike": "摩托车",
    "Taxis": "出租车",
    "Bus": "公共汽车",
    "Flights": "航班",
    "Ferry": "渡轮",
    "Diesel": "柴油",
    "Petrol": "汽油",
    "CNG": "压缩天然气",
    "LPG": "液化石油气",
    "Unknown": "燃料未知",
    "Battery Electric Vehicle": "纯电动",
    "Plug-in Hybrid Electric Vehicle": "插电混动",
    "Hybrid": "混合动力",
    "Average": "平均",
    "With RF": "含辐射强迫",
    "Without RF": "不含辐射强迫",
    "Landfill": "填埋",
    "Combustion": "焚烧",
    "Composting": "堆肥",
    "Anaerobic digestion": "厌氧消化",
    "Open-loop": "开环回收",
    "Closed-loop": "闭环回收",
    "Re-use": "再利用",
    "Biofuel": "生物燃料",
    "Biomass": "生物质",
    "Biogas": "沼气",
    "Bioethanol": "生物乙醇",
    "Biodiesel ME": "生物柴油（甲酯）",
    "Biodiesel HVO": "生物柴油（加氢植物油）",
    "Biopropane": "生物丙烷",
    "Wood logs": "木柴",
    "Wood chips": "木片",
    "Wood pellets": "木颗粒",
    "Grass/straw": "草/秸秆",
    "Landfill gas": "填埋气",
    "WTT- biofuel": "生物燃料",
    "WTT- biomass": "生物质",
    "WTT- biogas": "沼气",
}


def _zh(text: str) -> str:
    return WORDS_ZH.get(text) or ZH.get(text) or text


def _describe(
    level1: str, level2: str, level3: str, level4: str, column: str, unit: str
) -> tuple[str, str, str]:
    """(name_en, name_zh, activity) of one DESNZ factor."""
    if level1 in ("Fuels", "Material use", "UK electricity", "WTT- UK electricity") or level1 in (
        "Transmission and distribution",
        "Heat and steam",
    ):
        name_en, name_zh, activity, _ = _names((level1, level2, level3, level4, column), unit)
        return name_en, name_zh, activity
    if level1 == "WTT- fuels":
        name_en, name_zh, _, _ = _names(("Fuels", level2, level3, level4, column), unit)
        return (
            "Well-to-tank (upstream) of " + name_en.replace(" combustion", ""),
            "上游（井到油箱） " + name_zh.replace(" 燃烧", ""),
            "upstream fuel supply (well-to-tank)",
        )
    words = [w for w in (level2, level3, level4, column) if w and w != level1]
    detail = ", ".join(dict.fromkeys(words))
    wtt = level1.startswith("WTT")
    name_en = (
        f"{'Well-to-tank (upstream) of ' if wtt else ''}{level1.replace('WTT- ', '')}: "
        f"{detail}, UK, per {unit}"
    )
    name_zh = f"{_zh(level1)} " + " ".join(_zh(w) for w in dict.fromkeys(words)) + f" 英国 每{unit}"
    return name_en, name_zh, f"{level1.lower()} (DESNZ)"


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


#: DESNZ categories built (Level 1), each with the boundary of its factors. Left out: per-km
#: passenger, delivery and business-travel-land vehicles (their "Diesel"/"Petrol" per-km
#: names compete with the fuels in matching; a follow-up can add them with a vehicle concept),
#: well-to-tank of fuels and bioenergy (upstream-only rows whose names repeat the fuels'),
#: refrigerants (GWPs, not activity factors), managed assets, hotel stays, homeworking.
CATEGORIES = {
    "Fuels": "combustion",
    "Bioenergy": "combustion",
    "UK electricity": "combustion",
    "Transmission and distribution": "combustion",
    "WTT- UK electricity": "cradle_to_gate",
    "Heat and steam": "combustion",
    "WTT- heat and steam": "cradle_to_gate",
    "Material use": "cradle_to_gate",
    "Waste disposal": "gate_to_gate",
    "Freighting goods": "combustion",
    "Business travel- air": "combustion",
    "Business travel- sea": "combustion",
    "Water supply": "cradle_to_gate",
    "Water treatment": "gate_to_gate",
}
#: DESNZ unit of measure -> (Tanzuji unit, heating-value basis).
UOM = {
    "tonnes": ("t", None),
    "litres": ("L", None),
    "kWh": ("kWh", None),
    "kWh (Net CV)": ("kWh", "LHV"),
    "kWh (Gross CV)": ("kWh", "HHV"),
    "cubic metres": ("m3", None),
    "kg": ("kg", None),
    "km": ("km", None),
    "tonne.km": ("tkm", None),
    "passenger.km": ("pkm", None),
    "million litres": ("ML", None),
}
#: DESNZ 2023 uses IPCC AR5 GWP100 without climate-carbon feedback for CO2e (the UK
#: inventory basis): kg of gas = published kg CO2e of that gas / GWP (gwp100.csv, AR5 column:
#: CH4 non-fossil 28, N2O 265; DESNZ applies 28 to all methane).
AR5_GWP = {"CH4": 28.0, "N2O": 265.0}
#: Energy units DESNZ publishes without a stated calorific-value basis; left out.
UNSTATED_BASIS = {
    ("Bioenergy", "GJ"),
    ("Bioenergy", "kWh"),
    ("WTT- bioenergy", "GJ"),
    ("WTT- bioenergy", "kWh"),
}
FACTOR = "GHG Conversion Factor 2023"


def read_flat_file(path: Path) -> list[dict[str, object]]:
    """The rows of the "Factors by Category" sheet, with their sheet line numbers."""
    sheet = openpyxl.load_workbook(path, read_only=True, data_only=True)["Factors by Category"]
    rows = list(sheet.iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r and r[0] == "ID")
    header = rows[header_at]
    return [
        {**dict(zip(header, r, strict=False)), "line": i + 1}
        for i, r in enumerate(rows[header_at + 1 :], start=header_at + 1)
        if r and r[0]
    ]


def _biogenic_co2(rows: list[dict[str, object]]) -> dict[tuple[str, str], dict]:
    """ "Outside of scopes" biogenic CO2 by (Level 3 fuel, DESNZ unit)."""
    return {
        (str(r["Level 3"]), str(r["UOM"])): r
        for r in rows
        if r["Level 1"] == "Outside of scopes" and r[FACTOR] not in (None, "")
    }


def build_rows(path: Path) -> list[dict[str, object]]:
    rows = read_flat_file(path)
    biogenic = _biogenic_co2(rows)
    groups: dict[tuple, dict[str, dict]] = {}
    for row in rows:
        if row["Level 1"] not in CATEGORIES or row["UOM"] not in UOM:
            continue
        if (row["Level 1"], row["UOM"]) in UNSTATED_BASIS:
            continue
        key = tuple(
            row[k] or "" for k in ("Level 1", "Level 2", "Level 3", "Level 4", "Column Text")
        )
        groups.setdefault((*key, row["UOM"]), {})[str(row["GHG/Unit"])] = row
    out = []
    for key, by_gas in groups.items():
        total = by_gas.get("kg CO2e")
        if total is None or total[FACTOR] in (None, ""):
            continue
        out.append(_factor_row(key, by_gas, biogenic))
    return out


def _factor_row(key: tuple, by_gas: dict[str, dict], biogenic: dict) -> dict[str, object]:
    level1, level2, level3, level4, column, uom = key
    unit, basis = UOM[uom]
    if basis:
        column = column or ("Net CV" if basis == "LHV" else "Gross CV")
    name_en, name_zh, activity = _describe(level1, level2, level3, level4, column, unit)
    total = by_gas["kg CO2e"]
    gases: dict[str, object] = {}
    split = []
    for gas in ("CO2", "CH4", "N2O"):
        row = by_gas.get(f"kg CO2e of {gas} per unit")
        if row is None or row[FACTOR] in (None, ""):
            continue
        value = float(row[FACTOR])
        split.append(f"{gas} {value:g} kg CO2e (line {row['line']})")
        if gas == "CO2":
            gases["co2_fossil_kg"] = value
        else:
            gases[f"{gas.lower()}_kg"] = float(f"{value / AR5_GWP[gas]:.6g}")
    note = ""
    published = float(total[FACTOR])
    residual = published - sum(
        float(by_gas[f"kg CO2e of {g} per unit"][FACTOR])
        for g in ("CO2", "CH4", "N2O")
        if by_gas.get(f"kg CO2e of {g} per unit")
        and by_gas[f"kg CO2e of {g} per unit"][FACTOR] not in (None, "")
    )
    outside = biogenic.get((level3, uom)) if level1 in ("Fuels", "Bioenergy") else None
    if (split or outside is not None) and abs(residual) > 1e-4 * abs(published) + 1e-9:
        # no (or an incomplete) per-gas split: the rest of the published total is kept as
        # CO2e, so that the factor's total stays the published one
        gases["co2e_kg"] = float(f"{residual:.8g}")
        note += f"; CO2e not split by gas {residual:.6g} kg"
    if outside is not None:
        gases["co2_biogenic_kg"] = float(outside[FACTOR])
        note += (
            f"; biogenic CO2 {float(outside[FACTOR]):g} kg per {unit} from DESNZ 'Outside of "
            f"scopes' > {outside['Level 2']} > {level3} (line {outside['line']}, {outside['ID']}), "
            "reported apart from the CO2e total (ISO 14067:2018 6.4.9.2)"
        )
    parts = (
        [level1, level3, column]
        if level1 in ("Fuels", "WTT- fuels")
        else [
            level1,
            level2,
            level3,
            level4 if level4 and level4 != "kWh" else "",
            column,
        ]
    )
    return {
        "id": "desnz2023." + ".".join(_slug(p) for p in parts if p) + f".{_slug(unit)}",
        "name_en": name_en,
        "name_zh": name_zh,
        "activity": activity,
        "unit": unit,
        "heating_value": basis,
        **gases,
        "kg_co2e": float(total[FACTOR]),
        "gwp_set": GWP_SET,
        "boundary": CATEGORIES[level1],
        "geography": "GB",
        "year": 2023,
        "publisher": "UK Department for Energy Security and Net Zero (DESNZ)",
        "document": "Greenhouse gas reporting: conversion factors 2023, flat file "
        "(ghg-conversion-factors-2023-flat-file-update.xlsx)",
        "table": "Factors by Category: "
        + " > ".join(str(p) for p in (level1, level2, level3, level4, column) if p)
        + f" [{uom}] ({total['ID']})",
        "url": URL,
        "accessed": ACCESSED,
        "licence": LICENCE,
        "comment": (
            f"kg CO2e per {unit} (AR5) as published, sheet line {total['line']}; published split: "
            + ("; ".join(split) if split else "CO2e only")
            + ("; kg CH4 = CO2e / 28, kg N2O = CO2e / 265 (AR5)" if len(split) > 1 else "")
            + note
        ),
    }


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(
            "usage: build_starter_desnz.py ghg-conversion-factors-2023-flat-file-update.xlsx"
        )
    count = write_rows(OUTPUT, build_rows(Path(sys.argv[1])))
    print(f"wrote {count} factors to {OUTPUT}")


if __name__ == "__main__":
    main()
