"""Build ``data/factors/gbt51366_building.csv``: GB/T 51366-2019 building-material and
transport factors.

Primary source: GB/T 51366-2019《建筑碳排放计算标准》(Standard for building carbon emission
calculation), a recommended national standard of the PRC: 附录D 表D.0.1 (建材碳排放因子,
kg CO2e per unit of material, production stage = cradle to gate) and 附录E 表E.0.1 (各类运输方式
的碳排放因子, kg CO2e per t·km). The printed standard could not be read from the build machine;
the values are the ones given by the independent public transcriptions in
:data:`ACCESS_ROUTES`, which the builder checks against each other value by value (a value two
routes give differently stops the build unless :data:`RESOLVED` records which one is taken and
why).

Licence: the standard's text is protected by copyright (a recommended standard, GB/T, is not an
official document under PRC Copyright Law Art. 5); the individual factor values are quoted as
facts with their table reference. Re-check against the printed standard before certification
use.

Run once: ``.venv/bin/python scripts/build_starter_gbt51366.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tanzuji.factors.starter import write_rows

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "src" / "tanzuji" / "data" / "factors" / "gbt51366_building.csv"
ACCESSED = "2026-12-02"
PUBLISHER = "Ministry of Housing and Urban-Rural Development (MOHURD) of China (住房和城乡建设部)"
DOCUMENT = (
    "GB/T 51366-2019《建筑碳排放计算标准》(Standard for building carbon emission calculation), "
    "approved by the MOHURD announcement 关于发布国家标准《建筑碳排放计算标准》的公告 of "
    "2019-04-09, in force 2019-12-01"
)
#: The approving announcement (as reprinted at jzlm.net/gcgf/29035.html, which gives this
#: address as its origin); the announcement says the standard is published openly on the MOHURD
#: website and printed by China Architecture & Building Press.
URL = "http://www.ccsn.gov.cn/News/ShowInfo.aspx?Guid=d274a039-f299-4f15-9201-4da75927c0fd"
LICENCE = (
    "LicenseRef-GB-Standard-Values: factor values of a recommended national standard (GB/T, "
    "published openly on the MOHURD website per its approving announcement), quoted as facts "
    "with their table reference; the standard's text is not reproduced; values taken from "
    "public transcriptions, re-check against the printed standard before certification use"
)

#: Public transcriptions that were read (code index ids of the search tool's GitHub index).
ACCESS_ROUTES = {
    "A": "code index id 70336283949 (JavaScript factor library: 表D.0.1 and 表E.0.1 'full table, "
    "checked line by line against the standard')",
    "B": "code index id 22781865639 (Python construction-carbon calculator: 表D.0.1 and 表E.0.1)",
    "C": "AlessioWang/AutoFacade src/main/buildingSystem/buildingControl/dataControl/parameters/"
    "CarbonPara.java (C30, C50, 电解铝, 塑钢窗, 普通硅酸盐水泥, 平板玻璃, 钢筋)",
    "D": "code index id 36698431505 (Vue building-carbon page: the ten road-freight values)",
}

# key: (name_zh, name_en, unit, {route: value})
MATERIALS: dict[str, tuple[str, str, str, dict[str, str]]] = {
    "concrete-c30": ("C30混凝土", "Concrete C30", "m3", {"A": "295", "B": "295", "C": "295"}),
    "concrete-c50": ("C50混凝土", "Concrete C50", "m3", {"A": "385", "B": "385", "C": "385"}),
    "cement-portland": (
        "普通硅酸盐水泥（市场平均）",
        "Ordinary Portland cement (market average)",
        "t",
        {"A": "735", "B": "735", "C": "735"},
    ),
    "lime": ("石灰（市场平均）", "Lime (market average)", "t", {"A": "1190", "B": "1190"}),
    "slaked-lime": (
        "消石灰（熟石灰、氢氧化钙）",
        "Slaked lime (calcium hydroxide)",
        "t",
        {"A": "747", "B": "747"},
    ),
    "gypsum-natural": ("天然石膏", "Natural gypsum", "t", {"A": "32.8", "B": "32.8"}),
    "sand": (
        "砂（细度模数1.6~3.0）",
        "Sand (fineness modulus 1.6-3.0)",
        "t",
        {"A": "2.51", "B": "2.51"},
    ),
    "crushed-stone": (
        "碎石（10~30mm）",
        "Crushed stone (10-30 mm)",
        "t",
        {"A": "2.18", "B": "2.18"},
    ),
    "shale": ("页岩石", "Shale rock", "t", {"A": "5.08", "B": "5.08"}),
    "clay": ("黏土", "Clay", "t", {"A": "2.69", "B": "2.69"}),
    "concrete-brick": (
        "混凝土砖（240×115×90）",
        "Concrete brick (240x115x90 mm)",
        "m3",
        {"A": "336", "B": "336"},
    ),
    "autoclaved-fly-ash-brick": (
        "蒸压粉煤灰砖（240×115×53）",
        "Autoclaved fly-ash brick (240x115x53 mm)",
        "m3",
        {"A": "341", "B": "341"},
    ),
    "sintered-fly-ash-solid-brick": (
        "烧结粉煤灰实心砖（240×115×53，掺入量50%）",
        "Sintered fly-ash solid brick (240x115x53 mm, 50% fly ash)",
        "m3",
        {"A": "134", "B": "134"},
    ),
    "shale-solid-brick": (
        "页岩实心砖（240×115×53）",
        "Shale solid brick (240x115x53 mm)",
        "m3",
        {"A": "292", "B": "292"},
    ),
    "shale-hollow-brick": (
        "页岩空心砖（240×115×53）",
        "Shale hollow brick (240x115x53 mm)",
        "m3",
        {"A": "204", "B": "204"},
    ),
    "clay-hollow-brick": (
        "黏土空心砖（240×115×53）",
        "Clay hollow brick (240x115x53 mm)",
        "m3",
        {"A": "250", "B": "250"},
    ),
    "coal-gangue-solid-brick": (
        "煤矸石实心砖（240×115×53，90%掺入量）",
        "Coal-gangue solid brick (240x115x53 mm, 90% gangue)",
        "m3",
        {"A": "22.8", "B": "22.8"},
    ),
    "coal-gangue-hollow-brick": (
        "煤矸石空心砖（240×115×53，90%掺入量）",
        "Coal-gangue hollow brick (240x115x53 mm, 90% gangue)",
        "m3",
        {"A": "16", "B": "16"},
    ),
    "pig-iron-steelmaking": (
        "炼钢生铁",
        "Pig iron for steelmaking",
        "t",
        {"A": "1700", "B": "1700"},
    ),
    "pig-iron-foundry": ("铸造生铁", "Foundry pig iron", "t", {"A": "2280", "B": "2280"}),
    "ferroalloy": (
        "炼钢用铁合金（市场平均）",
        "Ferroalloy for steelmaking (market average)",
        "t",
        {"A": "9530", "B": "9530"},
    ),
    "steel-bof": (
        "转炉碳钢",
        "Carbon steel, basic oxygen furnace",
        "t",
        {"A": "1990", "B": "1990"},
    ),
    "steel-eaf": (
        "电炉碳钢",
        "Carbon steel, EAF steelmaking",
        "t",
        {"A": "3030", "B": "3030"},
    ),
    "steel-average": (
        "普通碳钢（市场平均）",
        "Carbon steel (market average)",
        "t",
        {"A": "2050", "B": "2050"},
    ),
    "steel-small-sections": (
        "热轧碳钢小型型钢",
        "Hot-rolled carbon steel, small sections",
        "t",
        {"A": "2310", "B": "2310"},
    ),
    "steel-medium-sections": (
        "热轧碳钢中型型钢",
        "Hot-rolled carbon steel, medium sections",
        "t",
        {"A": "2365", "B": "2365"},
    ),
    "steel-large-billets": (
        "热轧碳钢大型轨梁（方圆坯、管坯）",
        "Hot-rolled carbon steel, large rails and beams (billets, tube rounds)",
        "t",
        {"A": "2340", "B": "2340"},
    ),
    "steel-large-heavy-rails": (
        "热轧碳钢大型轨梁（重轨、普通型钢）",
        "Hot-rolled carbon steel, large rails and beams (heavy rails, ordinary sections)",
        "t",
        {"A": "2380", "B": "2380"},
    ),
    "steel-plate": (
        "热轧碳钢中厚板",
        "Hot-rolled carbon steel, medium and heavy plate",
        "t",
        {"A": "2400", "B": "2400"},
    ),
    "steel-h-beam": (
        "热轧碳钢H钢",
        "Hot-rolled carbon steel, H-beams",
        "t",
        {"A": "2350", "B": "2350"},
    ),
    "steel-wide-strip": (
        "热轧碳钢宽带钢",
        "Hot-rolled carbon steel, wide strip",
        "t",
        {"A": "2310", "B": "2310"},
    ),
    "steel-rebar": (
        "热轧碳钢钢筋",
        "Hot-rolled carbon steel, reinforcing bar",
        "t",
        {"A": "2340", "B": "2340", "C": "2340"},
    ),
    "steel-wire-rod": (
        "热轧碳钢高线材",
        "Hot-rolled carbon steel, high-speed wire rod",
        "t",
        {"A": "2375", "B": "2375"},
    ),
    "steel-bar": ("热轧碳钢棒材", "Hot-rolled carbon steel, bars", "t", {"A": "2340", "B": "2340"}),
    "steel-pipe-ssaw": (
        "螺旋埋弧焊管",
        "Spiral submerged-arc welded pipe",
        "t",
        {"A": "2520", "B": "2520"},
    ),
    "steel-pipe-lsaw-large": (
        "大口径埋弧焊直缝钢管",
        "Large-diameter longitudinal submerged-arc welded pipe",
        "t",
        {"A": "2430", "B": "2430"},
    ),
    "steel-pipe-welded": (
        "焊接直缝钢管",
        "Longitudinally welded steel pipe",
        "t",
        {"A": "2530", "B": "2530"},
    ),
    "steel-pipe-seamless-hot": (
        "热轧碳钢无缝钢管",
        "Hot-rolled carbon steel seamless pipe",
        "t",
        {"A": "3150", "B": "3150"},
    ),
    "steel-pipe-seamless-cold": (
        "冷轧冷拔碳钢无缝钢管",
        "Cold-rolled / cold-drawn carbon steel seamless pipe",
        "t",
        {"A": "3680", "B": "3680"},
    ),
    "steel-hot-dip-galvanized": (
        "碳钢热镀锌板卷",
        "Carbon steel, hot-dip galvanized sheet coil",
        "t",
        {"A": "3110", "B": "3110"},
    ),
    "steel-electro-galvanized": (
        "碳钢电镀锌板卷",
        "Carbon steel, electro-galvanized sheet coil",
        "t",
        {"A": "3020", "B": "3020"},
    ),
    "steel-tinplate": (
        "碳钢电镀锡板卷",
        "Carbon steel, electrolytic tinplate coil",
        "t",
        {"A": "2870", "B": "2870"},
    ),
    "steel-pickled": ("酸洗板卷", "Pickled steel coil", "t", {"A": "1730", "B": "1730"}),
    "steel-cold-rolled": (
        "冷轧碳钢板卷",
        "Cold-rolled carbon steel coil",
        "t",
        {"A": "2530", "B": "2530"},
    ),
    "steel-full-hard": (
        "冷硬碳钢板卷",
        "Full-hard cold-rolled carbon steel coil",
        "t",
        {"A": "2410", "B": "2410"},
    ),
    "flat-glass": ("平板玻璃", "Flat glass", "t", {"A": "1130", "B": "1130", "C": "1130"}),
    "aluminium-electrolytic": (
        "电解铝（全国平均）",
        "Primary aluminium, electrolytic (China average)",
        "t",
        {"A": "20300", "B": "20300", "C": "20300"},
    ),
    "aluminium-sheet-strip": (
        "铝板带",
        "Aluminium sheet and strip",
        "t",
        {"A": "28500", "B": "28500"},
    ),
    "window-al-thermal-break-primary": (
        "断桥铝合金窗（100%原生铝型材）",
        "Thermal-break aluminium window (100% primary aluminium profiles)",
        "m2",
        {"A": "254", "B": "254"},
    ),
    "window-al-thermal-break-recycled": (
        "断桥铝合金窗（原生铝:再生铝=7:3）",
        "Thermal-break aluminium window (primary : recycled aluminium = 7:3)",
        "m2",
        {"A": "194", "B": "194"},
    ),
    "window-al-wood-primary": (
        "铝木复合窗（100%原生铝型材）",
        "Aluminium-clad wood window (100% primary aluminium profiles)",
        "m2",
        {"A": "147", "B": "147"},
    ),
    "window-al-wood-recycled": (
        "铝木复合窗（原生铝:再生铝=7:3）",
        "Aluminium-clad wood window (primary : recycled aluminium = 7:3)",
        "m2",
        {"A": "122.5", "B": "1225"},
    ),
    "window-al-pvc-coextruded": (
        "铝塑共挤窗",
        "Aluminium-PVC co-extruded window",
        "m2",
        {"A": "129.5", "B": "1295"},
    ),
    "window-pvc-steel": (
        "塑钢窗",
        "PVC window with steel reinforcement",
        "m2",
        {"A": "121", "B": "121", "C": "121"},
    ),
    "pipe-ppr": (
        "无规共聚聚丙烯管（PPR）",
        "Polypropylene random copolymer pipe (PPR)",
        "kg",
        {"A": "3.72", "B": "3.72"},
    ),
    "pipe-pe": ("聚乙烯管", "Polyethylene pipe", "kg", {"A": "3.6", "B": "3.6"}),
    "pipe-pvc-u": (
        "硬聚氯乙烯管",
        "Unplasticized PVC pipe (PVC-U)",
        "kg",
        {"A": "7.93", "B": "7.93"},
    ),
    "eps-board": ("聚苯乙烯泡沫板", "Polystyrene foam board", "t", {"A": "5020", "B": "5020"}),
    "rock-wool-board": ("岩棉板", "Rock wool board", "t", {"A": "1980", "B": "1980"}),
    "pur-board": ("硬泡聚氨酯板", "Rigid polyurethane foam board", "t", {"A": "5220", "B": "5220"}),
    "al-composite-panel": (
        "铝塑复合板",
        "Aluminium-plastic composite panel",
        "m2",
        {"A": "8.06", "B": "8.06"},
    ),
    "cu-composite-panel": (
        "铜塑复合板",
        "Copper-plastic composite panel",
        "m2",
        {"A": "37.1", "B": "37.1"},
    ),
    "copper-sheet": ("铜单板", "Copper sheet panel", "m2", {"A": "218", "B": "218"}),
    "polystyrene": ("普通聚苯乙烯", "General-purpose polystyrene", "t", {"A": "4620", "B": "4620"}),
    "lldpe": (
        "线性低密度聚乙烯",
        "Linear low-density polyethylene (LLDPE)",
        "t",
        {"A": "1990", "B": "1990"},
    ),
    "hdpe": ("高密度聚乙烯", "High-density polyethylene (HDPE)", "t", {"A": "2620", "B": "2620"}),
    "ldpe": ("低密度聚乙烯", "Low-density polyethylene (LDPE)", "t", {"A": "2810", "B": "2810"}),
    "pvc": (
        "聚氯乙烯（市场平均）",
        "Polyvinyl chloride (market average)",
        "t",
        {"A": "7300", "B": "7300"},
    ),
    "tap-water": ("自来水", "Tap water", "t", {"A": "0.168", "B": "0.168"}),
}

#: Row names of the table where the factor's name is shortened (words that would make the
#: factor match electricity bills are left out of its name, not of the table reference).
TABLE_NAMES = {"aluminium-electrolytic": "电解铝（全国平均电网电力）"}

#: Values two routes give differently: the one taken and why.
RESOLVED = {
    "window-al-wood-recycled": (
        "A",
        "B gives 1225, ten times A's 122.5: a window with 30% recycled aluminium cannot emit "
        "eight times the 100%-primary one (147); B lost the decimal point",
    ),
    "window-al-pvc-coextruded": (
        "A",
        "B gives 1295, ten times A's 129.5: implausible against the other windows (121-254); "
        "B lost the decimal point",
    ),
}
#: Wording differences between the transcriptions (same value).
WORDING = {
    "steel-medium-sections": "A writes 热轧碳钢中小型钢, B 热轧碳钢中型型钢",
    "copper-sheet": "A writes 铜板, B 铜单板",
    "coal-gangue-solid-brick": "B writes 煤肝石 (typo for 煤矸石)",
    "coal-gangue-hollow-brick": "B writes 煤肝石 (typo for 煤矸石)",
}

# key: (name_zh, name_en, {route: value}); kg CO2e per t·km
TRANSPORT: dict[str, tuple[str, str, dict[str, str]]] = {
    "road.gasoline.light-2t": (
        "轻型汽油货车运输（载重2t）",
        "Light gasoline truck (2 t payload)",
        {"A": "0.334", "B": "0.334", "D": "0.334"},
    ),
    "road.gasoline.medium-8t": (
        "中型汽油货车运输（载重8t）",
        "Medium gasoline truck (8 t payload)",
        {"A": "0.115", "B": "0.115", "D": "0.115"},
    ),
    "road.gasoline.heavy-10t": (
        "重型汽油货车运输（载重10t）",
        "Heavy gasoline truck (10 t payload)",
        {"A": "0.104", "B": "0.104", "D": "0.104"},
    ),
    "road.gasoline.heavy-18t": (
        "重型汽油货车运输（载重18t）",
        "Heavy gasoline truck (18 t payload)",
        {"A": "0.104", "B": "0.104", "D": "0.104"},
    ),
    "road.diesel.light-2t": (
        "轻型柴油货车运输（载重2t）",
        "Light diesel truck (2 t payload)",
        {"A": "0.286", "B": "0.286", "D": "0.286"},
    ),
    "road.diesel.medium-8t": (
        "中型柴油货车运输（载重8t）",
        "Medium diesel truck (8 t payload)",
        {"A": "0.179", "B": "0.179", "D": "0.179"},
    ),
    "road.diesel.heavy-10t": (
        "重型柴油货车运输（载重10t）",
        "Heavy diesel truck (10 t payload)",
        {"A": "0.162", "B": "0.162", "D": "0.162"},
    ),
    "road.diesel.heavy-18t": (
        "重型柴油货车运输（载重18t）",
        "Heavy diesel truck (18 t payload)",
        {"A": "0.129", "B": "0.129", "D": "0.129"},
    ),
    "road.diesel.heavy-30t": (
        "重型柴油货车运输（载重30t）",
        "Heavy diesel truck (30 t payload)",
        {"A": "0.078", "B": "0.078", "D": "0.078"},
    ),
    "road.diesel.heavy-46t": (
        "重型柴油货车运输（载重46t）",
        "Heavy diesel truck (46 t payload)",
        {"A": "0.057", "B": "0.057", "D": "0.057"},
    ),
    "rail.electric": (
        "电力机车运输",
        "Rail freight, electric locomotive",
        {"A": "0.010", "B": "0.01"},
    ),
    "rail.diesel": (
        "内燃机车运输",
        "Rail freight, diesel locomotive",
        {"A": "0.011", "B": "0.011"},
    ),
    "rail.average": (
        "铁路运输（中国市场平均）",
        "Rail freight (China market average)",
        {"A": "0.010", "B": "0.01"},
    ),
    "water.liquid-bulk-2000t": (
        "液货船运输（载重2000t）",
        "Liquid-cargo ship (2,000 t deadweight)",
        {"A": "0.019", "B": "0.019"},
    ),
    "water.dry-bulk-2500t": (
        "干散货船运输（载重2500t）",
        "Dry-bulk ship (2,500 t deadweight)",
        {"A": "0.015", "B": "0.015"},
    ),
    "water.container-200teu": (
        "集装箱船运输（200TEU）",
        "Container ship (200 TEU)",
        {"A": "0.012", "B": "0.012"},
    ),
}


class TranscriptionMismatch(ValueError):
    """Two transcriptions of the same table value disagree and no resolution is recorded."""


def _agreed(key: str, copies: dict[str, str]) -> tuple[str, str]:
    """(value, note on the routes) of one table entry."""
    numbers = {route: float(v) for route, v in copies.items()}
    if len(set(numbers.values())) == 1:
        routes = ", ".join(sorted(copies))
        return copies[sorted(copies)[0]], f"routes {routes} agree"
    if key not in RESOLVED:
        raise TranscriptionMismatch(f"{key}: transcriptions disagree: {copies}")
    route, why = RESOLVED[key]
    others = "; ".join(f"{r} gives {v}" for r, v in sorted(copies.items()) if r != route)
    return copies[route], f"value of route {route}; {others} ({why})"


def _comment(note: str, key: str, routes: dict[str, str]) -> str:
    used = "; ".join(f"[{r}] {ACCESS_ROUTES[r]}" for r in sorted(routes))
    wording = f"; {WORDING[key]}" if key in WORDING else ""
    return (
        f"the printed standard could not be read from the build machine: {note}{wording}; "
        f"access routes: {used}"
    )


def build_rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for key, (name_zh, name_en, unit, copies) in MATERIALS.items():
        value, note = _agreed(key, copies)
        rows.append(
            {
                "id": f"cn-gbt51366.material.{key}.{unit}",
                "name_en": f"{name_en}, production (GB/T 51366-2019)",
                "name_zh": f"{name_zh} 建材生产 碳排放因子 (GB/T 51366-2019)",
                "activity": "construction material production, cradle to gate (China)",
                "unit": unit,
                "co2e_kg": value,
                "boundary": "cradle_to_gate",
                "geography": "CN",
                "year": "2019",
                "publisher": PUBLISHER,
                "document": DOCUMENT,
                "table": f"附录D 表D.0.1 建材碳排放因子: {TABLE_NAMES.get(key, name_zh)} "
                f"(kgCO2e/{unit})",
                "url": URL,
                "accessed": ACCESSED,
                "licence": LICENCE,
                "comment": "CO2e as published (no split by gas, GWP set not stated in the "
                "access routes); " + _comment(note, key, copies),
            }
        )
    for key, (name_zh, name_en, copies) in TRANSPORT.items():
        value, note = _agreed(key, copies)
        rows.append(
            {
                "id": f"cn-gbt51366.transport.{key}.tkm",
                "name_en": f"Freight transport, {name_en} (GB/T 51366-2019)",
                "name_zh": f"{name_zh} 货物运输 碳排放因子 (GB/T 51366-2019)",
                "activity": "freight transport of building materials (China)",
                "unit": "tkm",
                "co2e_kg": value,
                "boundary": "unknown",
                "geography": "CN",
                "year": "2019",
                "publisher": PUBLISHER,
                "document": DOCUMENT,
                "table": f"附录E 表E.0.1 各类运输方式的碳排放因子: {name_zh} (kgCO2e/(t·km))",
                "url": URL,
                "accessed": ACCESSED,
                "licence": LICENCE,
                "comment": "CO2e per tonne-kilometre as published (no split by gas; whether "
                "fuel supply upstream is included is not stated in the access routes, so the "
                "boundary is recorded as unknown); " + _comment(note, key, copies),
            }
        )
    return rows


def main() -> None:
    if len(sys.argv) > 1:
        raise SystemExit("usage: build_starter_gbt51366.py (no arguments)")
    count = write_rows(OUTPUT, build_rows())
    print(f"wrote {count} factors to {OUTPUT}")


if __name__ == "__main__":
    main()
