"""Build ``data/factors/epa_hub.csv`` from the EPA GHG Emission Factors Hub (2021 edition).

Source
------
US EPA Center for Corporate Climate Leadership, *Emission Factors for Greenhouse Gas
Inventories* ("GHG Emission Factors Hub"), workbook ``ghg-emission-factors-hub-2021.xlsx``,
"Last Modified: 15 September 2021". Its Table 1 reproduces 40 CFR Part 98 Subpart C Table C-1
(default CO2 factors and high heat values) and Table C-2 (CH4, N2O) "as amended at 81 FR
89252, Dec. 9, 2016" and Subpart AA Table AA-1 (kraft pulping liquor) — the source line the
workbook prints under Table 1. The current eCFR Table C-2 (as amended at 89 FR 42220,
May 14, 2024) keeps the same CH4/N2O values (it merges MSW and tires into "Other fuels —
solid" and adds a Subpart W footnote). Tables used:

- Table 1 stationary combustion: kg CO2, g CH4, g N2O per mmBtu (HHV) and per physical unit;
- Table 2 mobile combustion CO2 per gallon (scf for CNG);
- Table 6 electricity, eGRID2019 total output factors by subregion (lb/MWh);
- Table 7 steam and heat (per mmBtu of steam purchased);
- Table 8 upstream/downstream transportation and Table 10 business travel (per vehicle-mile,
  short ton-mile, passenger-mile);
- Table 9 waste (metric tons CO2e per short ton of material, AR4 GWPs, WARM v15).

Access route: the workbook as committed in ``Metropolitan-Council/ghg-cprg`` at
``d0163b2494b905f110ffd2d483a19be34c722c7b`` (``_meta/data-raw/ghg-emission-factors-hub-
2021.xlsx``); the EPA download page is https://www.epa.gov/climateleadership/ghg-emission-
factors-hub. US Government work: public domain in the United States (17 U.S.C. 105).

Conversions (40 CFR 98 Table A-2): 1 mmBtu = 1.055056 GJ; 1 short ton = 0.90718474 t;
1 lb = 0.45359237 kg; 1 gallon = 3.785411784 L; 1 scf = 0.0283168466 m3; 1 mile = 1.609344 km.
Peat: the Hub lists it under "Biomass Fuels - Solid"; its CO2 is recorded as fossil here
(IPCC 2006 Vol. 2 Ch. 1 and Ch. 2 treat peat as a fossil fuel; ISO 14067 reports fossil and
biogenic CO2 apart).

Run once: ``.venv/bin/python scripts/build_starter_epa.py HUB_2021.xlsx``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import openpyxl

from tanzuji.factors.starter import write_rows

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "src" / "tanzuji" / "data" / "factors" / "epa_hub.csv"
ACCESSED = "2026-12-02"
MMBTU_GJ = 1.055056
SHORT_TON_T = 0.90718474
LB_KG = 0.45359237
GALLON_L = 3.785411784
SCF_M3 = 0.0283168466
MILE_KM = 1.609344
PUBLISHER = "US Environmental Protection Agency (EPA)"
DOCUMENT = (
    "Emission Factors for Greenhouse Gas Inventories (GHG Emission Factors Hub), 2021 edition"
)
URL = "https://www.epa.gov/climateleadership/ghg-emission-factors-hub"
LICENCE = (
    "LicenseRef-US-Government-Work: work of the US Government, not subject to copyright in "
    "the United States (17 U.S.C. 105)"
)
ROUTE = (
    "workbook ghg-emission-factors-hub-2021.xlsx (Last Modified 15 September 2021) via "
    "Metropolitan-Council/ghg-cprg@d0163b2"
)
CFR = (
    "40 CFR Part 98 Subpart C Tables C-1 and C-2 (as amended at 81 FR 89252, Dec. 9, 2016), "
    "Subpart AA Table AA-1 (78 FR 71965, Nov. 29, 2013)"
)

ZH = {
    "Anthracite Coal": "无烟煤",
    "Bituminous Coal": "烟煤",
    "Sub-bituminous Coal": "次烟煤",
    "Lignite Coal": "褐煤",
    "Mixed (Commercial Sector)": "混合煤（商业部门）",
    "Mixed (Electric Power Sector)": "混合煤（电力部门）",
    "Mixed (Industrial Coking)": "混合煤（工业炼焦）",
    "Mixed (Industrial Sector)": "混合煤（工业部门）",
    "Coal Coke": "焦炭",
    "Municipal Solid Waste": "城市生活垃圾",
    "Petroleum Coke (Solid)": "石油焦",
    "Plastics": "塑料",
    "Tires": "废轮胎",
    "Agricultural Byproducts": "农业副产物",
    "Peat": "泥炭",
    "Solid Byproducts": "固体副产物",
    "Wood and Wood Residuals": "木材及木质残余物",
    "Natural Gas": "天然气",
    "Blast Furnace Gas": "高炉煤气",
    "Coke Oven Gas": "焦炉煤气",
    "Fuel Gas": "炼厂燃料气",
    "Propane Gas": "丙烷（气态）",
    "Landfill Gas": "填埋气",
    "Other Biomass Gases": "其他生物质气",
    "Asphalt and Road Oil": "沥青及铺路油",
    "Aviation Gasoline": "航空汽油",
    "Butane": "丁烷",
    "Butylene": "丁烯",
    "Crude Oil": "原油",
    "Distillate Fuel Oil No. 1": "1号馏分燃料油",
    "Distillate Fuel Oil No. 2": "2号馏分燃料油（柴油）",
    "Distillate Fuel Oil No. 4": "4号馏分燃料油",
    "Ethane": "乙烷",
    "Ethylene": "乙烯",
    "Heavy Gas Oils": "重质瓦斯油",
    "Isobutane": "异丁烷",
    "Isobutylene": "异丁烯",
    "Kerosene": "煤油",
    "Kerosene-Type Jet Fuel": "航空煤油",
    "Liquefied Petroleum Gases (LPG)": "液化石油气",
    "Lubricants": "润滑油",
    "Motor Gasoline": "汽油",
    "Naphtha (<401 deg F)": "石脑油",
    "Natural Gasoline": "天然汽油",
    "Other Oil (>401 deg F)": "其他油品",
    "Pentanes Plus": "戊烷及以上",
    "Petrochemical Feedstocks": "石化原料",
    "Propane": "丙烷",
    "Propylene": "丙烯",
    "Residual Fuel Oil No. 5": "5号残渣燃料油",
    "Residual Fuel Oil No. 6": "6号残渣燃料油（重油）",
    "Special Naphtha": "特种石脑油",
    "Unfinished Oils": "未完成油品",
    "Used Oil": "废油",
    "Biodiesel (100%)": "生物柴油（100%）",
    "Ethanol (100%)": "乙醇（100%）",
    "Rendered Animal Fat": "提炼动物脂肪",
    "Vegetable Oil": "植物油",
    "North American Softwood": "制浆黑液（北美软木）",
    "North American Hardwood": "制浆黑液（北美硬木）",
    "Bagasse": "制浆黑液（甘蔗渣）",
    "Bamboo": "制浆黑液（竹）",
    "Straw": "制浆黑液（秸秆）",
    "Compressed Natural Gas (CNG)": "压缩天然气（CNG）",
    "Diesel Fuel": "柴油",
    "Liquefied Natural Gas (LNG)": "液化天然气（LNG）",
    "Residual Fuel Oil": "残渣燃料油",
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _clean(name: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\s+[A-E]$", "", name.replace("\n", " "))).strip()


def _common(table: str, comment: str) -> dict[str, object]:
    return {
        "boundary": "combustion",
        "geography": "US",
        "publisher": PUBLISHER,
        "document": DOCUMENT,
        "table": table,
        "url": URL,
        "accessed": ACCESSED,
        "licence": LICENCE,
        "comment": comment + "; " + ROUTE,
    }


def _rows(sheet) -> list[tuple[int, list]]:
    return [(i, list(r)[1:]) for i, r in enumerate(sheet.iter_rows(values_only=True), start=1)]


def stationary_rows(rows: list[tuple[int, list]]) -> list[dict[str, object]]:
    """Table 1: per GJ (HHV) and per physical unit of each fuel."""
    out: list[dict[str, object]] = []
    start = next(i for i, r in rows if r[0] == "Table 1")
    end = next(i for i, r in rows if r[0] == "Table 2")
    category, per_unit = "", None
    for line, r in rows[start : end - 1]:
        name = r[1]
        if isinstance(r[2], str) and r[2].startswith("mmBtu per"):
            per_unit = r[2]
            continue
        if not isinstance(name, str):
            continue
        numbers = [v for v in r[2:9] if isinstance(v, int | float)]
        if not numbers:
            category = name.strip()
            continue
        if category.startswith("Biomass Fuels - \nKraft") or "Kraft" in category:
            out.append(_kraft_row(line, _clean(name), numbers))
            continue
        if len(numbers) < 7 or per_unit is None:
            continue
        co2, ch4_g, n2o_g = numbers[1:4]  # per mmBtu; numbers[0] is the default HHV
        fuel = _clean(name)
        biogenic = category.startswith("Biomass") and fuel != "Peat"
        co2_col = "co2_biogenic_kg" if biogenic else "co2_fossil_kg"
        table = f"Table 1 Stationary Combustion: {category} / {fuel} ({CFR})"
        zh = ZH[fuel]
        note = " Peat CO2 recorded as fossil (IPCC 2006 Vol. 2 Ch. 1-2)." if fuel == "Peat" else ""
        out.append(
            {
                **_common(
                    table,
                    f"HHV basis; {co2} kg CO2, {ch4_g} g CH4, {n2o_g} g N2O per mmBtu / "
                    f"1.055056 GJ per mmBtu; workbook row {line}.{note}",
                ),
                "id": f"us-epa.combustion.{_slug(fuel)}.gj-hhv",
                "name_en": f"{fuel} ({category}) combustion, US, per GJ (HHV)",
                "name_zh": f"{zh} 燃烧 美国 每吉焦（高位热值）",
                "activity": "stationary fuel combustion (EPA 40 CFR 98 Subpart C)",
                "unit": "GJ",
                "heating_value": "HHV",
                co2_col: _sig(co2 / MMBTU_GJ),
                "ch4_kg": _sig(ch4_g / 1000 / MMBTU_GJ),
                "n2o_kg": _sig(n2o_g / 1000 / MMBTU_GJ),
            }
        )
        # The per-physical-unit columns (per short ton, scf, gallon) are the same factors times
        # the default HHV; they are left out: a fuel's heat content varies, and per-mass rows of
        # a US table would outrank the IPCC defaults for Chinese fuel purchases.
    return out


UNIT_ZH = {"t": "吨", "m3": "立方米", "L": "升", "GJ": "吉焦", "kWh": "千瓦时"}


def _sig(value: float) -> float:
    return float(f"{value:.7g}")


def _kraft_row(line: int, name: str, numbers: list) -> dict[str, object]:
    co2, ch4_g, n2o_g = numbers[:3]
    return {
        **_common(
            f"Table 1 Stationary Combustion: Kraft Pulping Liquor, by Wood Furnish / {name} "
            "(40 CFR 98 Subpart AA Table AA-1)",
            f"HHV basis; {co2} kg CO2 (biogenic), {ch4_g} g CH4, {n2o_g} g N2O per mmBtu / "
            f"1.055056; workbook row {line}",
        ),
        "id": f"us-epa.combustion.kraft-liquor-{_slug(name)}.gj-hhv",
        "name_en": f"Kraft pulping liquor ({name}) combustion, US, per GJ (HHV)",
        "name_zh": f"{ZH[name]} 燃烧 美国 每吉焦（高位热值）",
        "activity": "kraft pulping liquor combustion (EPA 40 CFR 98 Subpart AA)",
        "unit": "GJ",
        "heating_value": "HHV",
        "co2_biogenic_kg": _sig(co2 / MMBTU_GJ),
        "ch4_kg": _sig(ch4_g / 1000 / MMBTU_GJ),
        "n2o_kg": _sig(n2o_g / 1000 / MMBTU_GJ),
    }


def mobile_rows(rows: list[tuple[int, list]]) -> list[dict[str, object]]:
    """Table 2: mobile combustion CO2 per litre (per m3 for CNG)."""
    out = []
    start = next(i for i, r in rows if r[0] == "Table 2")
    for line, r in rows[start + 2 : start + 12]:
        fuel, co2, per = r[1], r[2], r[3]
        unit, factor, note = (
            ("m3", 1 / SCF_M3, "scf") if per == "scf" else ("L", 1 / GALLON_L, "gal")
        )
        biogenic = fuel.startswith(("Biodiesel", "Ethanol"))
        out.append(
            {
                **_common(
                    f"Table 2 Mobile Combustion CO2: {fuel} (40 CFR 98 Table C-1, 81 FR 89252)",
                    f"{co2} kg CO2 per {per} x {factor:.9g} ({note}); CH4 and N2O depend on the "
                    f"vehicle (Tables 3-5), not included; workbook row {line}",
                ),
                "id": f"us-epa.mobile.{_slug(fuel)}.{_slug(unit)}",
                "name_en": f"{fuel}, mobile combustion CO2, US, per {unit}",
                "name_zh": f"{ZH[fuel]} 移动源燃烧 二氧化碳 美国 每{UNIT_ZH[unit]}",
                "activity": "fuel burned in vehicles (CO2 only)",
                "unit": unit,
                "co2_biogenic_kg" if biogenic else "co2_fossil_kg": _sig(co2 * factor),
            }
        )
    return out


def electricity_rows(rows: list[tuple[int, list]]) -> list[dict[str, object]]:
    """Table 6: eGRID2019 total output emission factors by subregion (lb/MWh -> kg/kWh)."""
    out = []
    start = next(i for i, r in rows if r[0] == "Table 6")
    for line, r in rows[start + 4 : start + 33]:
        values = [v for v in r[1:] if v is not None]
        name = next((v for v in values if isinstance(v, str) and "(" in v), None)
        if name is None and values and values[0] == "US Average":
            name = "US Average"
        if name is None:
            continue
        numbers = [v for v in values if isinstance(v, int | float)]
        co2, ch4, n2o = numbers[:3]
        code = name.split(" ")[0] if name != "US Average" else ""
        geography = f"US-{code}" if code else "US"
        per_kwh = LB_KG / 1000
        out.append(
            {
                **_common(
                    f"Table 6 Electricity: {name}, total output emission factors (eGRID2019, "
                    "February 2021)",
                    f"{co2} lb CO2, {ch4} lb CH4, {n2o} lb N2O per MWh x 0.45359237 / 1000; "
                    f"location-based generation factor (no T&D losses); workbook row {line}",
                ),
                "id": f"us-epa.electricity.egrid2019.{_slug(code or 'us')}.kwh",
                "name_en": f"Purchased grid electricity, US eGRID subregion {name}, 2019",
                "name_zh": f"外购电力 美国 eGRID 子区域 {name} 2019年",
                "activity": "electricity consumption from the grid (location-based)",
                "unit": "kWh",
                "geography": geography,
                "year": 2019,
                "co2_fossil_kg": _sig(co2 * per_kwh),
                "ch4_kg": _sig(ch4 * per_kwh),
                "n2o_kg": _sig(n2o * per_kwh),
            }
        )
    return out


def steam_row(rows: list[tuple[int, list]]) -> dict[str, object]:
    line, r = next(
        (i, r) for i, r in rows if r[1] == "Steam and Heat" and isinstance(r[2], int | float)
    )
    co2, ch4_g, n2o_g = r[2:5]
    return {
        **_common(
            "Table 7 Steam and Heat",
            f"{co2} kg CO2, {ch4_g} g CH4, {n2o_g} g N2O per mmBtu of steam / 1.055056; EPA: "
            f"natural gas at 80 % thermal efficiency; workbook row {line}",
        ),
        "id": "us-epa.steam-and-heat.gj",
        "name_en": "Purchased steam and heat, US, per GJ delivered",
        "name_zh": "外购蒸汽和热力 美国 每吉焦",
        "activity": "steam or heat purchased",
        "unit": "GJ",
        "co2_fossil_kg": _sig(co2 / MMBTU_GJ),
        "ch4_kg": _sig(ch4_g / 1000 / MMBTU_GJ),
        "n2o_kg": _sig(n2o_g / 1000 / MMBTU_GJ),
    }


TRANSPORT_ZH = {
    "Medium- and Heavy-Duty Truck": "中重型卡车",
    "Passenger Car": "乘用车",
    "Light-Duty Truck": "轻型货车",
    "Rail": "铁路货运",
    "Waterborne Craft": "水路货运（船舶）",
    "Aircraft": "航空货运",
    "Motorcycle": "摩托车",
    "Intercity Rail - Northeast Corridor": "城际铁路（美国东北走廊）",
    "Intercity Rail - Other Routes": "城际铁路（其他线路）",
    "Intercity Rail - National Average": "城际铁路（全国平均）",
    "Commuter Rail": "通勤铁路",
    "Transit Rail (i.e. Subway, Tram)": "城市轨道交通（地铁/轻轨）",
    "Bus": "公共汽车/大巴",
    "Air Travel - Short Haul (< 300 miles)": "短途航班（<300英里）",
    "Air Travel - Medium Haul (>= 300 miles, < 2300 miles)": "中途航班（300-2300英里）",
    "Air Travel - Long Haul (>= 2300 miles)": "长途航班（>2300英里）",
}
#: Ids of the transport factors (kept from the previous builder, which models and the matcher's
#: evaluation set name): (table, vehicle type, basis) -> id key.
TRANSPORT_IDS = {
    (
        "Table 8",
        "Medium- and Heavy-Duty Truck",
        "vehicle-mile",
    ): "medium-and-heavy-duty-truck-vehicle",
    ("Table 8", "Passenger Car", "vehicle-mile"): "passenger-cars-vehicle",
    ("Table 8", "Light-Duty Truck", "vehicle-mile"): "light-duty-truck-vehicle",
    ("Table 8", "Medium- and Heavy-Duty Truck", "ton-mile"): "medium-and-heavy-duty-truck",
    ("Table 8", "Rail", "ton-mile"): "rail",
    ("Table 8", "Waterborne Craft", "ton-mile"): "waterborne-craft",
    ("Table 8", "Aircraft", "ton-mile"): "aircraft",
    ("Table 10", "Motorcycle", "vehicle-mile"): "travel-motorcycle",
    ("Table 10", "Intercity Rail - Northeast Corridor", "passenger-mile"): (
        "travel-intercity-rail-northeast-corridor"
    ),
    (
        "Table 10",
        "Intercity Rail - Other Routes",
        "passenger-mile",
    ): "travel-intercity-rail-other-routes",
    ("Table 10", "Intercity Rail - National Average", "passenger-mile"): (
        "travel-intercity-rail-national-average"
    ),
    ("Table 10", "Commuter Rail", "passenger-mile"): "travel-commuter-rail",
    ("Table 10", "Transit Rail (i.e. Subway, Tram)", "passenger-mile"): "travel-transit-rail",
    ("Table 10", "Bus", "passenger-mile"): "travel-bus",
    ("Table 10", "Air Travel - Short Haul (< 300 miles)", "passenger-mile"): "travel-short-haul",
    ("Table 10", "Air Travel - Medium Haul (>= 300 miles, < 2300 miles)", "passenger-mile"): (
        "travel-medium-haul"
    ),
    ("Table 10", "Air Travel - Long Haul (>= 2300 miles)", "passenger-mile"): "travel-long-haul",
}

PER = {
    "ton-mile": (SHORT_TON_T * MILE_KM, "tkm", "吨公里", "short ton-mile = 1.459972 tkm"),
    "vehicle-mile": (MILE_KM, "km", "车公里", "mile = 1.609344 km"),
    "passenger-mile": (MILE_KM, "pkm", "人公里", "passenger-mile = 1.609344 pkm"),
}


def transport_rows(rows: list[tuple[int, list]], table: str, title: str) -> list[dict]:
    out = []
    start = next(i for i, r in rows if r[0] == table)
    for line, r in rows[start + 2 :]:
        if r[1] == "Vehicle Type":
            continue
        if not isinstance(r[2], int | float):
            break
        name, co2, ch4_g, n2o_g, basis = _clean(r[1]), r[2], r[3], r[4], r[5]
        name = re.sub(r"Aircraft.*", "Aircraft", name)
        divisor, unit, unit_zh, note = PER[basis]
        key = TRANSPORT_IDS.get((table, name, basis))
        if key is None:  # Table 10 repeats Table 8's passenger car and light-duty truck
            continue
        kind = "Business travel, " if table == "Table 10" else "Freight, " if "ton" in basis else ""
        out.append(
            {
                **_common(
                    f"{table} {title}: {name} ({basis})",
                    f"tank-to-wheel; per {basis}: {co2} kg CO2, {ch4_g} g CH4, {n2o_g} g N2O; "
                    f"divided by {divisor:.6f} ({note}); workbook row {line}",
                ),
                "id": f"us-epa.transport.{key}.{unit}",
                "name_en": f"{kind}{name}, US average, per {unit}",
                "name_zh": f"{'商务出行' if table == 'Table 10' else '货运'} "
                f"{TRANSPORT_ZH[name]} 美国平均 每{unit_zh}",
                "activity": "transport (EPA GHG Emission Factors Hub)",
                "unit": unit,
                "year": 2018,
                "co2_fossil_kg": _sig(co2 / divisor),
                "ch4_kg": _sig(ch4_g / 1000 / divisor),
                "n2o_kg": _sig(n2o_g / 1000 / divisor),
            }
        )
    return out


WASTE_ZH = {
    "Recycled": "回收",
    "Landfilled": "填埋",
    "Combusted": "焚烧",
    "Composted": "堆肥",
    "Anaerobically Digested (Dry Digestate with Curing)": "厌氧消化（干式消化物）",
    "Anaerobically Digested (Wet  Digestate with Curing)": "厌氧消化（湿式消化物）",
}


def waste_rows(rows: list[tuple[int, list]]) -> list[dict[str, object]]:
    """Table 9: end-of-life treatment, t CO2e per short ton -> kg CO2e per t (AR4)."""
    out = []
    start = next(i for i, r in rows if r[0] == "Table 9")
    header_line, header = next((i, r) for i, r in rows[start:] if r[1] == "Material")
    methods = [re.sub(r"[A-D]$", "", h).strip() if h else None for h in header[2:8]]
    for line, r in rows[header_line:]:
        if not isinstance(r[1], str) or r[1].startswith("Source"):
            break
        material = r[1].strip()
        for method, value in zip(methods, r[2:8], strict=False):
            if method is None or not isinstance(value, int | float):
                continue
            kg_t = value * 1000 / SHORT_TON_T
            out.append(
                {
                    **_common(
                        f"Table 9 Scope 3 Category 5 and 12, waste: {material} / {method} (WARM "
                        "v15, November 2020)",
                        f"{value} metric t CO2e per short ton x 1000 / 0.90718474 = "
                        f"{kg_t:.4f} kg CO2e per t; AR4 GWPs; includes transport to the "
                        f"facility; no avoided emissions; workbook row {line}",
                    ),
                    "id": f"us-epa.waste.{_slug(material)}.{_slug(method.split('(')[0])}"
                    + ("-dry" if "Dry" in method else "-wet" if "Wet" in method else "")
                    + ".t",
                    "name_en": f"End-of-life waste treatment: {material}, {method.lower()}, US, "
                    "per tonne",
                    "name_zh": f"废弃物处理（报废处置） {material} {WASTE_ZH[method]} 美国 每吨",
                    "activity": "end-of-life treatment of waste (EPA WARM)",
                    "unit": "t",
                    "kg_co2e": round(kg_t, 4),
                    "gwp_set": "AR4",
                    "boundary": "gate_to_gate",
                }
            )
    return out


def build_rows(path: Path) -> list[dict[str, object]]:
    sheet = openpyxl.load_workbook(path, data_only=True).active
    rows = _rows(sheet)
    return (
        stationary_rows(rows)
        # Table 2 (mobile CO2 per gallon) is left out: CO2 only, its CH4 and N2O depend on the
        # vehicle (Tables 3-5), and a CO2-only fuel factor would undercount a footprint
        + electricity_rows(rows)
        + [steam_row(rows)]
        + transport_rows(rows, "Table 8", "Scope 3 Category 4 and 9, transportation")
        + transport_rows(rows, "Table 10", "Scope 3 Category 6 and 7, business travel")
        + waste_rows(rows)
    )


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: build_starter_epa.py ghg-emission-factors-hub-2021.xlsx")
    count = write_rows(OUTPUT, build_rows(Path(sys.argv[1])))
    print(f"wrote {count} factors to {OUTPUT}")


if __name__ == "__main__":
    main()
