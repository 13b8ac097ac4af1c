"""Build ``data/factors/ipcc2006_fuels.csv``: IPCC 2006 default combustion factors per fuel.

Sources
-------
- Net calorific values: IPCC 2006 Guidelines Vol. 2 Ch. 1 Table 1.2 and carbon contents
  Table 1.3, read from the ``bonsai-ipcc`` package (MIT; ``data/generic/
  par_energy_content_per_mass.csv`` and ``par_carbon_content_per_energy.csv``). Install it in
  the build venv only (``pip install bonsai-ipcc``); it is not a runtime dependency.
- CO2 per TJ: Table 1.4 default = carbon content x 44/12 (oxidation factor 1, Vol. 2 Ch. 1
  1.4.2.1), rounded to three significant figures as Table 1.4 prints it (e.g. gas/diesel oil
  20.2 kg C/GJ x 44/12 = 74.07 -> 74,100 kg CO2/TJ).
- CH4 and N2O per TJ: Vol. 2 Ch. 2 Tables 2.2 (energy industries), 2.3 (manufacturing
  industries and construction), 2.4 (commercial/institutional), 2.5 (residential); Ch. 3
  Table 3.2.2 (road transport, uncontrolled/default rows). These are not in bonsai-ipcc 0.5.3
  and are transcribed from the tables in :data:`CH4_N2O` below.

Per-tonne factors are derived: kg/t = kg/TJ x NCV (TJ/Gg = GJ/t) / 1000; the arithmetic is in
each row's ``comment``. The NCVs are those of Table 1.2 as transcribed in
:data:`TABLE_1_2_NCV` (checked against two transcriptions: bonsai-ipcc 0.5.3 and
betagouv/portail-rse ``impact/utils/combustibles.py``); bonsai-ipcc's value is used only
when it agrees, and the build stops on any other disagreement (bonsai-ipcc 0.5.3 gives natural
gas liquids 44.3 TJ/Gg, Table 1.2 prints 44.2). Per-TJ factors are on the NCV (= LHV) basis
(Vol. 2 Ch. 1 1.4.1.2), recorded in ``heating_value``.

Run once: ``.venv/bin/python scripts/build_starter_ipcc.py``.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

from tanzuji.factors.starter import write_rows

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "src" / "tanzuji" / "data" / "factors" / "ipcc2006_fuels.csv"
ACCESSED = "2026-11-25"
URL_CH1 = "https://www.ipcc-nggip.iges.or.jp/public/2006gl/pdf/2_Volume2/V2_1_Ch1_Introduction.pdf"
URL_CH2 = "https://www.ipcc-nggip.iges.or.jp/public/2006gl/pdf/2_Volume2/V2_2_Ch2_Stationary_Combustion.pdf"
URL_CH3 = (
    "https://www.ipcc-nggip.iges.or.jp/public/2006gl/pdf/2_Volume2/V2_3_Ch3_Mobile_Combustion.pdf"
)
#: IPCC's copyright terms, quoted from the IPCC website's copyright page
#: (https://archive.ipcc.ch/home_copyright.shtml, read 2026-12-02).
LICENCE = (
    "LicenseRef-IPCC-Copyright: IPCC terms (https://archive.ipcc.ch/home_copyright.shtml): "
    '"You may freely download and copy the material contained on this website for your '
    "personal, non-commercial use, without any right to resell or redistribute it or to "
    'compile or create derivative works there from" and "Reproduction of limited number of '
    "figures or short excerpts of IPCC material is authorized free of charge and without "
    "formal written permission provided that the original source is properly acknowledged, "
    "with mention of the complete name of the report, the publisher and the numbering of the "
    'page(s) or the figure(s)... For any other use, permission is required." Default values '
    "transcribed from the 2006 IPCC Guidelines; NCV and carbon content also read from "
    "bonsai-ipcc 0.5.3 (MIT)"
)

#: 2006 IPCC Guidelines Vol. 2 Ch. 1 Table 1.2, default net calorific values (TJ/Gg) of the
#: fuels built here. Transcribed; cross-checked against bonsai-ipcc 0.5.3 and
#: betagouv/portail-rse impact/utils/combustibles.py (both agree except where noted).
TABLE_1_2_NCV: dict[str, float] = {
    "gas_diesel_oil": 43.0,
    "motor_gasoline": 44.3,
    "jet_kerosene": 44.1,
    "other_kerosene": 43.8,
    "residual_fuel_oil": 40.4,
    "liquefied_petroleum_gases": 47.3,
    "natural_gas": 48.0,
    "oil": 42.3,
    "naphtha": 44.5,
    "petroleum_coke": 32.5,
    "refinery_gas": 49.5,
    "ethane": 46.4,
    "lubricants": 40.2,
    "natural_gas_liquids": 44.2,  # bonsai-ipcc 0.5.3 has 44.3; Table 1.2 and portail-rse 44.2
    "anthracite": 26.7,
    "coking_coal": 28.2,
    "other_bituminous_coal": 25.8,
    "sub_bituminous_coal": 18.9,
    "lignite": 11.9,
    "coke": 28.2,
    "coal_tar": 28.0,
    "coke_oven_gas": 38.7,
    "blast_furnace_gas": 2.47,
    "gas_works_gas": 38.7,
    "biodiesels": 27.0,
    "biogasoline": 27.0,
    "other_biogas": 50.4,
    "landfill_gas": 50.4,
}
#: Where bonsai-ipcc 0.5.3 differs from Table 1.2 (known, checked): product -> its value.
BONSAI_DIFFERS = {"natural_gas_liquids": 44.3}

# fuel id -> (bonsai product, English name, Chinese name, class, biogenic)
# class selects the CH4/N2O row: oil, coal, gas, biomass_liquid, biogas
FUELS: dict[str, tuple[str, str, str, str, bool]] = {
    "diesel": ("gas_diesel_oil", "Gas/diesel oil (diesel)", "柴油", "oil", False),
    "gasoline": ("motor_gasoline", "Motor gasoline (petrol)", "汽油", "oil", False),
    "jet-kerosene": ("jet_kerosene", "Jet kerosene (aviation fuel)", "航空煤油", "oil", False),
    "kerosene": ("other_kerosene", "Other kerosene", "煤油", "oil", False),
    "residual-fuel-oil": (
        "residual_fuel_oil",
        "Residual fuel oil (heavy fuel oil)",
        "燃料油（重油）",
        "oil",
        False,
    ),
    "lpg": (
        "liquefied_petroleum_gases",
        "Liquefied petroleum gases (LPG)",
        "液化石油气",
        "gas",
        False,
    ),
    "natural-gas": ("natural_gas", "Natural gas", "天然气", "gas", False),
    "crude-oil": ("oil", "Crude oil", "原油", "oil", False),
    "naphtha": ("naphtha", "Naphtha", "石脑油", "oil", False),
    "petroleum-coke": ("petroleum_coke", "Petroleum coke", "石油焦", "oil", False),
    "refinery-gas": ("refinery_gas", "Refinery gas", "炼厂干气", "gas", False),
    "ethane": ("ethane", "Ethane", "乙烷", "gas", False),
    "lubricants": ("lubricants", "Lubricants", "润滑油", "oil", False),
    "ngl": ("natural_gas_liquids", "Natural gas liquids", "天然气凝液", "oil", False),
    "anthracite": ("anthracite", "Anthracite", "无烟煤", "coal", False),
    "coking-coal": ("coking_coal", "Coking coal", "炼焦煤", "coal", False),
    "bituminous-coal": ("other_bituminous_coal", "Other bituminous coal", "烟煤", "coal", False),
    "sub-bituminous-coal": ("sub_bituminous_coal", "Sub-bituminous coal", "次烟煤", "coal", False),
    "lignite": ("lignite", "Lignite (brown coal)", "褐煤", "coal", False),
    "coke": ("coke", "Coke oven coke", "焦炭", "coal", False),
    "coal-tar": ("coal_tar", "Coal tar", "煤焦油", "coal", False),
    "coke-oven-gas": ("coke_oven_gas", "Coke oven gas", "焦炉煤气", "gas", False),
    "blast-furnace-gas": ("blast_furnace_gas", "Blast furnace gas", "高炉煤气", "gas", False),
    "gas-works-gas": ("gas_works_gas", "Gas works gas (town gas)", "城市煤气", "gas", False),
    "biodiesel": ("biodiesels", "Biodiesel", "生物柴油", "biomass_liquid", True),
    "biogasoline": (
        "biogasoline",
        "Biogasoline (bioethanol)",
        "生物汽油（燃料乙醇）",
        "biomass_liquid",
        True,
    ),
    "biogas": ("other_biogas", "Biogas", "沼气", "biogas", True),
    "landfill-gas": ("landfill_gas", "Landfill gas", "填埋气", "biogas", True),
}

# (table, sector id, English sector, Chinese sector) -> class -> (CH4 kg/TJ, N2O kg/TJ)
CH4_N2O: dict[tuple[str, str, str, str], dict[str, tuple[float, float]]] = {
    (
        "Vol. 2 Ch. 2 Table 2.3",
        "manufacturing",
        "stationary combustion in manufacturing industries and construction",
        "工业（制造业和建筑业）固定源燃烧",
    ): {
        "oil": (3.0, 0.6),
        "coal": (10.0, 1.5),
        "gas": (1.0, 0.1),
        "biomass_liquid": (3.0, 0.6),
        "biogas": (1.0, 0.1),
    },
    (
        "Vol. 2 Ch. 2 Table 2.2",
        "energy",
        "stationary combustion in energy industries",
        "能源生产（发电、供热、炼油）固定源燃烧",
    ): {
        "oil": (3.0, 0.6),
        "coal": (1.0, 1.5),
        "gas": (1.0, 0.1),
    },
    (
        "Vol. 2 Ch. 2 Table 2.4",
        "commercial",
        "stationary combustion in the commercial/institutional category",
        "商业/机构固定源燃烧",
    ): {
        "oil": (10.0, 0.6),
        "coal": (10.0, 1.5),
        "gas": (5.0, 0.1),
    },
    (
        "Vol. 2 Ch. 2 Table 2.5",
        "residential",
        "stationary combustion in the residential category",
        "居民生活固定源燃烧",
    ): {
        "oil": (10.0, 0.6),
        "coal": (300.0, 1.5),
        "gas": (5.0, 0.1),
    },
}
# Sectors other than manufacturing are built for these main fuels only.
MAIN_FUELS = (
    "diesel",
    "natural-gas",
    "lpg",
    "kerosene",
    "residual-fuel-oil",
    "bituminous-coal",
    "anthracite",
)

# Road transport, Vol. 2 Ch. 3 Table 3.2.2 (CH4, N2O kg/TJ; gasoline: uncontrolled row).
ROAD: dict[str, tuple[float, float, str]] = {
    "gasoline": (33.0, 3.2, "motor gasoline, uncontrolled"),
    "diesel": (3.9, 3.9, "gas/diesel oil"),
    "natural-gas": (92.0, 3.0, "natural gas"),
    "lpg": (62.0, 0.2, "liquefied petroleum gas"),
}


def _bonsai_defaults(name: str) -> dict[str, float]:
    spec = importlib.util.find_spec("bonsai_ipcc")
    if spec is None or spec.origin is None:
        raise SystemExit("bonsai-ipcc is not installed: pip install bonsai-ipcc (build venv only)")
    path = Path(spec.origin).parent / "data" / "generic" / name
    with path.open(encoding="utf-8") as handle:
        return {
            r["product"]: float(r["value"])
            for r in csv.DictReader(handle)
            if r["property"] == "def" and r["region"] == "World"
        }


def _sig3(value: float) -> float:
    return float(f"{value:.3g}")


def _rows_for(
    fuel: str,
    ncv: float,
    carbon: float,
    table: str,
    sector: str,
    sector_en: str,
    sector_zh: str,
    ch4: float | None,
    n2o: float | None,
    url: str,
) -> list[dict[str, object]]:
    _product, name_en, name_zh, _cls, biogenic = FUELS[fuel]
    co2_tj = _sig3(carbon * 44.0 / 12.0) * 1000.0
    co2_col = "co2_biogenic_kg" if biogenic else "co2_fossil_kg"
    base_comment = (
        f"CO2 = Table 1.3 carbon {carbon} kg C/GJ x 44/12 = {carbon * 44 / 12:.3f} kg/GJ, "
        f"Table 1.4 default {co2_tj:,.0f} kg/TJ; CH4/N2O from {table}"
    )
    common = {
        "activity": f"{name_en.lower()} burned ({sector_en})",
        "boundary": "combustion",
        "geography": "GLO",
        "year": 2006,
        "publisher": "Intergovernmental Panel on Climate Change (IPCC)",
        "document": "2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 2 Energy",
        "url": url,
        "accessed": ACCESSED,
        "licence": LICENCE,
    }
    tables = f"Vol. 2 Ch. 1 Tables 1.2-1.4; {table}"
    per_tj = {
        **common,
        "id": f"ipcc2006.{sector}.{fuel}.tj",
        "name_en": f"{name_en}, {sector_en}, per TJ (NCV basis)",
        "name_zh": f"{name_zh} {sector_zh} 单位热值排放因子（低位热值）",
        "unit": "TJ",
        "heating_value": "LHV",
        co2_col: co2_tj,
        "ch4_kg": ch4,
        "n2o_kg": n2o,
        "table": tables,
        "comment": base_comment
        + ("" if ch4 is not None else " (no CH4/N2O default in that table for this fuel)"),
    }

    def per_t(v: float | None) -> float | None:
        return None if v is None else round(v * ncv / 1000.0, 6)

    per_tonne = {
        **common,
        "id": f"ipcc2006.{sector}.{fuel}.t",
        "name_en": f"{name_en}, {sector_en}, per tonne of fuel",
        "name_zh": f"{name_zh} {sector_zh} 单位质量排放因子",
        "unit": "t",
        co2_col: per_t(co2_tj),
        "ch4_kg": per_t(ch4),
        "n2o_kg": per_t(n2o),
        "table": tables,
        "comment": (
            base_comment + f"; per tonne = per TJ x NCV {ncv} TJ/Gg (Table 1.2) / 1000, "
            f"e.g. CO2 {co2_tj:,.0f} x {ncv} / 1000 = {co2_tj * ncv / 1000:.4f} kg/t"
        ),
    }
    return [per_tj, per_tonne]


def checked_ncvs() -> dict[str, float]:
    """Table 1.2 NCVs, after checking bonsai-ipcc agrees except where known to differ."""
    bonsai = _bonsai_defaults("par_energy_content_per_mass.csv")
    for product, value in TABLE_1_2_NCV.items():
        expected = BONSAI_DIFFERS.get(product, value)
        if bonsai[product] != expected:
            raise SystemExit(
                f"bonsai-ipcc NCV of {product} is {bonsai[product]}, expected {expected}: "
                "check Table 1.2 before building"
            )
    return dict(TABLE_1_2_NCV)


def build_rows() -> list[dict[str, object]]:
    ncvs = checked_ncvs()
    carbons = _bonsai_defaults("par_carbon_content_per_energy.csv")
    rows: list[dict[str, object]] = []
    for (table, sector, sector_en, sector_zh), by_class in CH4_N2O.items():
        for fuel, (product, *_rest) in FUELS.items():
            cls = FUELS[fuel][3]
            if sector != "manufacturing" and fuel not in MAIN_FUELS:
                continue
            ch4, n2o = by_class.get(cls, (None, None))
            rows += _rows_for(
                fuel,
                ncvs[product],
                carbons[product],
                table,
                sector,
                sector_en,
                sector_zh,
                ch4,
                n2o,
                URL_CH2,
            )
    for fuel, (ch4, n2o, row_name) in ROAD.items():
        product = FUELS[fuel][0]
        rows += _rows_for(
            fuel,
            ncvs[product],
            carbons[product],
            f"Vol. 2 Ch. 3 Tables 3.2.1/3.2.2 ({row_name})",
            "road",
            "mobile combustion in road vehicles",
            "道路运输移动源燃烧",
            ch4,
            n2o,
            URL_CH3,
        )
    return rows


def main() -> None:
    count = write_rows(OUTPUT, build_rows())
    print(f"wrote {count} factors to {OUTPUT}")


if __name__ == "__main__":
    main()
