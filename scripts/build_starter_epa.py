"""Build ``data/factors/epa_hub.csv``: US EPA fuel combustion and transport factors.

Sources
-------
- Fuel combustion: ``co2_ch4_n2o_ef.csv`` from USEPA/egrid@ac0f422a939c
  ``data/static_tables/co2_ch4_n2o_ef.csv`` (MIT; U.S. Government work), factors of the EPA GHG
  Mandatory Reporting Rule, 40 CFR Part 98 Subpart C Tables C-1 and C-2 (rows marked "IPCC" are
  2006 IPCC defaults as tabulated by EPA). Units there: short ton CO2, lb CH4, lb N2O per
  mmBtu (higher heating value). Converted here to kg per GJ (HHV):
  1 short ton = 907.18474 kg, 1 lb = 0.45359237 kg, 1 mmBtu = 1.055056 GJ.
- Transport: ``atomic6ghg`` 1.1.1 (BSD-3-Clause) ``factors/source_data/
  product_transport_emission_factors.json`` and ``business_travel_factors.json``, which
  tabulate the EPA GHG Emission Factors Hub tables for upstream/downstream transportation and
  business travel (kg CO2, g CH4, g N2O per unit). Converted: 1 short ton-mile =
  0.90718474 t x 1.609344 km = 1.459972 tkm; 1 mile = 1.609344 km; 1 passenger-mile =
  1.609344 pkm. The Hub edition is not stated in the package; year left empty.

Install ``atomic6ghg`` in the build venv only. Run once:
``.venv/bin/python scripts/build_starter_epa.py [CO2_CH4_N2O_CSV]``.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import sys
from pathlib import Path

from tanzuji.factors.starter import write_rows

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "src" / "tanzuji" / "data" / "factors" / "epa_hub.csv"
DEFAULT_INPUT = (
    ROOT.parent / "shared" / "reference" / "samples" / "emission_factors" / "co2_ch4_n2o_ef.csv"
)
ACCESSED = "2026-11-25"
SHORT_TON_KG = 0.90718474e3
LB_KG = 0.45359237
MMBTU_GJ = 1.055056
MILE_KM = 1.609344
TON_MILE_TKM = 0.90718474 * MILE_KM
UNIT_ZH = {"tkm": "吨公里", "km": "公里", "pkm": "人公里"}

ZH = {
    "Anthracite": "无烟煤",
    "Bituminous": "烟煤",
    "Subbituminous": "次烟煤",
    "Lignite": "褐煤",
    "Coke": "焦炭",
    "Pipeline (Weighted U.S. Average)": "天然气（管道，美国加权平均）",
    "Distillate Fuel Oil (avg)": "馏分燃料油（柴油）",
    "Residual Fuel Oil (avg)": "残渣燃料油（重油）",
    "Kerosene": "煤油",
    "Liquefied petroleum gases (LPG)": "液化石油气",
    "Propane": "丙烷",
    "Butane": "丁烷",
    "Ethane": "乙烷",
    "Motor Gasoline": "汽油",
    "Kerosene-Type Jet Fuel": "航空煤油",
    "Petroleum Coke": "石油焦",
    "Crude Oil": "原油",
    "Blast Furnace Gas": "高炉煤气",
    "Coke Oven Gas": "焦炉煤气",
    "Wood and Wood Residuals": "木材及木质残余物",
    "Biogas (Captured Methane)": "沼气（回收甲烷）",
    "Ethanol (100%)": "乙醇（100%）",
    "Biodisesel (100%)": "生物柴油（100%）",
    "Municipal Solid Waste": "城市生活垃圾",
    "Tires": "废轮胎",
    "Waste Oils": "废油",
    "Landfill Gas": "填埋气",
    "Lubricants": "润滑油",
    "Asphalt and Road Oil": "沥青及铺路油",
    "Naphtha (<401 deg F)": "石脑油",
}

TRANSPORT = {
    # key: (English, Chinese, per-unit conversion)
    ("mediumAndHeavyDutyTruck", "ton-mile"): (
        "Road freight, medium- and heavy-duty truck",
        "公路货运 中重型卡车",
    ),
    ("mediumAndHeavyDutyTruck", "vehicle-mile"): (
        "Medium- and heavy-duty truck, per vehicle-km",
        "中重型卡车 车公里",
    ),
    ("passengerCars", "vehicle-mile"): ("Passenger car, per vehicle-km", "乘用车 车公里"),
    ("lightDutyTruck", "vehicle-mile"): (
        "Light-duty truck (van, pickup, SUV), per vehicle-km",
        "轻型货车 车公里",
    ),
    ("rail", "ton-mile"): ("Rail freight", "铁路货运"),
    ("waterborneCraft", "ton-mile"): ("Waterborne freight (ship, barge)", "水路货运（船舶）"),
    ("aircraft", "ton-mile"): ("Air freight", "航空货运"),
}

TRAVEL_ZH = {
    "motorcycle": "摩托车",
    "intercityRailNortheastCorridor": "城际铁路（美国东北走廊）",
    "intercityRailOtherRoutes": "城际铁路（其他线路）",
    "intercityRailNationalAverage": "城际铁路（全国平均）",
    "commuterRail": "通勤铁路",
    "transitRail": "城市轨道交通（地铁/轻轨）",
    "bus": "公共汽车/大巴",
    "shortHaul": "短途航班（<300英里）",
    "mediumHaul": "中途航班（300-2300英里）",
    "longHaul": "长途航班（>2300英里）",
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", re.sub(r"([a-z])([A-Z])", r"\1-\2", text).lower()).strip("-")


def fuel_rows(path: Path) -> list[dict[str, object]]:
    rows, seen = [], set()
    with path.open(encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            if row["source"] not in ("EPA GHG MRR", "IPCC") or row["fuel_type"] in seen:
                continue
            co2, ch4, n2o = float(row["co2_ef"]), float(row["ch4_ef"]), float(row["n2o_ef"])
            if co2 == 0:
                continue
            seen.add(row["fuel_type"])
            biogenic = row["fuel_category"].startswith("Biomass") or row["eia_fuel_code"] in (
                "BLQ",
                "OBS",
                "OBL",
                "LFG",
                "OBG",
            )
            co2_gj = co2 * SHORT_TON_KG / MMBTU_GJ
            name = row["fuel_type"]
            rows.append(
                {
                    "id": f"us-epa.combustion.{_slug(name)}.gj-hhv",
                    "name_en": f"{name} ({row['fuel_category']}) combustion, US, per GJ (HHV)",
                    "name_zh": f"{ZH.get(name, name)} 燃烧 美国 单位热值（HHV）",
                    "activity": "stationary fuel combustion (EPA 40 CFR 98 Subpart C)",
                    "unit": "GJ",
                    "co2_biogenic_kg" if biogenic else "co2_fossil_kg": round(co2_gj, 5),
                    "ch4_kg": round(ch4 * LB_KG / MMBTU_GJ, 7),
                    "n2o_kg": round(n2o * LB_KG / MMBTU_GJ, 7),
                    "boundary": "combustion",
                    "geography": "US",
                    "publisher": "US Environmental Protection Agency (EPA)"
                    + (
                        " (IPCC 2006 default as tabulated by EPA)"
                        if row["source"] == "IPCC"
                        else ""
                    ),
                    "document": (
                        "40 CFR Part 98 Subpart C, Tables C-1 and C-2, as tabulated in "
                        "USEPA/egrid data/static_tables/co2_ch4_n2o_ef.csv"
                    ),
                    "table": f"Table C-1/C-2: {row['fuel_category']} / {name}",
                    "url": "https://github.com/USEPA/egrid/blob/ac0f422a939c2ace83286537ae15848235428861/data/static_tables/co2_ch4_n2o_ef.csv",
                    "accessed": ACCESSED,
                    "licence": "US Government work (public domain); repository MIT",
                    "comment": (
                        f"HHV basis; CO2 {co2} short ton/mmBtu x 907.18474 / 1.055056 "
                        f"= {co2_gj:.4f} kg/GJ; CH4 {ch4} lb/mmBtu, N2O {n2o} lb/mmBtu "
                        f"x 0.45359237 / 1.055056; line {line}"
                    ),
                }
            )
    return rows


def _package_json(name: str) -> dict:
    spec = importlib.util.find_spec("atomic6ghg")
    if spec is None or spec.origin is None:
        raise SystemExit("atomic6ghg is not installed: pip install atomic6ghg (build venv only)")
    return json.loads((Path(spec.origin).parent / "factors" / "source_data" / name).read_text())


def _transport_row(
    key: str,
    basis: str,
    name_en: str,
    name_zh: str,
    values: dict[str, float],
    table: str,
    doc_file: str,
) -> dict[str, object]:
    per = {
        "ton-mile": (TON_MILE_TKM, "tkm", "short ton-mile = 1.459972 tkm"),
        "vehicle-mile": (MILE_KM, "km", "mile = 1.609344 km"),
        "passenger-mile": (MILE_KM, "pkm", "passenger-mile = 1.609344 pkm"),
    }[basis]
    divisor, unit, note = per
    return {
        "id": f"us-epa.transport.{_slug(key)}.{unit}",
        "name_en": f"{name_en}, US average, per {unit}",
        "name_zh": f"{name_zh} 美国平均 每{UNIT_ZH[unit]}",
        "activity": "transport (EPA GHG Emission Factors Hub)",
        "unit": unit,
        "co2_fossil_kg": round(values["co2"] / divisor, 6),
        "ch4_kg": round(values["ch4"] / 1000 / divisor, 9),
        "n2o_kg": round(values["n2o"] / 1000 / divisor, 9),
        "boundary": "combustion",
        "geography": "US",
        "publisher": "US Environmental Protection Agency (EPA)",
        "document": "GHG Emission Factors Hub, as tabulated in atomic6ghg 1.1.1 (BSD-3-Clause)",
        "table": table,
        "url": "https://www.epa.gov/climateleadership/ghg-emission-factors-hub",
        "accessed": ACCESSED,
        "licence": "US Government work (public domain); atomic6ghg BSD-3-Clause",
        "comment": (
            f"tank-to-wheel; per {basis}: CO2 {values['co2']} kg, CH4 {values['ch4']} g, "
            f"N2O {values['n2o']} g; "
            f"divided by {divisor:.6f} ({note}); atomic6ghg factors/source_data/{doc_file}"
        ),
    }


def transport_rows() -> list[dict[str, object]]:
    rows = []
    product = _package_json("product_transport_emission_factors.json")
    for (key, basis), (name_en, name_zh) in TRANSPORT.items():
        rows.append(
            _transport_row(
                key if basis == "ton-mile" else f"{key}-vehicle",
                basis,
                name_en,
                name_zh,
                product[key][basis],
                "Scope 3 Category 4 and 9: upstream/downstream transportation",
                "product_transport_emission_factors.json",
            )
        )
    travel = _package_json("business_travel_factors.json")
    for key, zh in TRAVEL_ZH.items():
        values = travel[key]
        words = re.sub(r"([a-z])([A-Z])", r"\1 \2", key).lower()
        name_en = f"Business travel, {'air ' if 'Haul' in key else ''}{words}"
        rows.append(
            _transport_row(
                f"travel-{key}",
                values["units"],
                name_en,
                f"商务出行 {zh}",
                values,
                "Scope 3 Category 6 and 7: business travel and employee commuting",
                "business_travel_factors.json",
            )
        )
    return rows


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_INPUT
    count = write_rows(OUTPUT, fuel_rows(source) + transport_rows())
    print(f"wrote {count} factors to {OUTPUT}")


if __name__ == "__main__":
    main()
