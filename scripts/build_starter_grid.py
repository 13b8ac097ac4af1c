"""Build ``data/factors/china_grid_mee.csv`` from the MEE/NBS electricity CO2 factor tables.

Inputs:

1. ``/work/shared/reference/factors/china_grid_co2_factors_mee.csv`` (national and regional
   values and the 2022 top/bottom-five provinces, transcribed from press reprints of the
   MEE & NBS announcements; see that folder's README);
2. :data:`ANNEX_TABLES` below: the annex tables of the announcements (2021: 公告2024年第12号,
   2022: 公告2024年第33号, 2023: 公告2025年第47号) — every province (表3), the regional grids
   (表2) and the national scopes — as transcribed by the public sources named in
   :data:`ACCESS_ROUTES`. The annex PDFs could not be read from the build machine; where two
   independent transcriptions exist the builder checks that they agree value by value, and
   every value also given by input 1 (the press) must equal the annex value, or the build
   stops.

Values are kg CO2 per kWh (= t CO2/MWh), CO2 only, location-based; official documents of a
state organ are not copyright-protected (PRC Copyright Law Art. 5). Region ids and their
provinces are in ``geography.json``.

Run once: ``.venv/bin/python scripts/build_starter_grid.py [INPUT]``.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from tanzuji.factors.starter import write_rows

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "src" / "tanzuji" / "data" / "factors" / "china_grid_mee.csv"
GEOGRAPHY = ROOT / "src" / "tanzuji" / "data" / "factors" / "geography.json"
DEFAULT_INPUT = ROOT.parent / "shared" / "reference" / "factors" / "china_grid_co2_factors_mee.csv"
ACCESSED = "2026-12-02"
LICENCE = (
    "LicenseRef-PRC-Official-Document: official document of a state organ, not protected by "
    "copyright (Copyright Law of the PRC, Art. 5); values transcribed from press reprints of "
    "the announcement, re-check against the official annex before certification use"
)
#: Licence text of the rows taken from the annex tables (the access route is a transcription in
#: public code, not a press reprint).
ANNEX_LICENCE = (
    "LicenseRef-PRC-Official-Document: official document of a state organ, not protected by "
    "copyright (Copyright Law of the PRC, Art. 5); values transcribed from the announcement's "
    "annex table by the public sources named in the comment, re-check against the official "
    "annex before certification use"
)

REGIONS = {
    "全国": ("CN", "national"),
    "全国电网平均排放因子": ("CN", "national"),
    "华北": ("CN-NCG", "North China Grid"),
    "东北": ("CN-NECG", "Northeast China Grid"),
    "华东": ("CN-ECG", "East China Grid"),
    "华中": ("CN-CCG", "Central China Grid"),
    "西北": ("CN-NWCG", "Northwest China Grid"),
    "南方": ("CN-CSG", "China Southern Grid"),
    "西南": ("CN-SWCG", "Southwest China Grid"),
}
# provinces (ISO 3166-2:CN codes and English names from geography.json)
_GEO = json.loads(GEOGRAPHY.read_text(encoding="utf-8"))
for _code, _place in _GEO["provinces"].items():
    REGIONS.setdefault(_place["name_zh"], (_code, _place["name_en"]))

ETS_DOCUMENT = (
    "生态环境部办公厅 关于做好2023—2025年发电行业企业温室气体排放报告管理有关工作的通知 "
    "(MEE General Office notice, 2023-02)"
)
PUBLISHER = (
    "Ministry of Ecology and Environment (MEE) & National Bureau of Statistics (NBS) of China"
)
#: The primary source of each year's factors: the joint announcement of the Ministry of
#: Ecology and Environment (生态环境部) and the National Bureau of Statistics (国家统计局) —
#: title, number, date, and annex. Numbers and dates: 2021 from the announcement text as
#: reprinted (hfyfsb.com/industry/elec/3596.html: 附件 1.《2021年电力二氧化碳排放因子》,
#: 2024年4月12日); 2022 from the reprint at ets.sceex.com.cn (2024年12月20日, 办公厅12月23日印发)
#: and, for the number, public code quoting it (code index ids 67568892939, 67591170269,
#: 56240570273); 2023 from public code quoting the MEE page and annex PDF (code index ids
#: 67568892939, 71004464696, 70093699519, 53899028592).
DOCUMENTS = {
    "2021": (
        "生态环境部 国家统计局 公告2024年第12号《关于发布2021年电力二氧化碳排放因子的公告》"
        "(2024-04-12), 附件1《2021年电力二氧化碳排放因子》"
    ),
    "2022": (
        "生态环境部 国家统计局 公告2024年第33号《关于发布2022年电力二氧化碳排放因子的公告》"
        "(2024-12-20), 附件《2022年电力二氧化碳排放因子》"
    ),
    "2023": (
        "生态环境部 国家统计局 公告2025年第47号《关于发布2023年电力二氧化碳排放因子的公告》"
        "(2025-12-31), 附件《2023年电力二氧化碳排放因子》"
    ),
}
#: Official pages where known (the access route otherwise is the press reprint).
OFFICIAL_URL = {
    "2022": "https://www.mee.gov.cn/xxgk2018/xxgk/xxgk01/202412/t20241226_1099413.html",
    "2023": "https://www.mee.gov.cn/xxgk2018/xxgk/xxgk01/202512/t20251231_1139517.html",
}
#: Annex file names on the MEE site, as the access routes give them.
ANNEX_FILES = {
    "2021": "W020240412827267102800.pdf (code index ids 67568892939, 69154225185)",
    "2022": "附件 of the page t20241226_1099413.html (file name not given by the access routes)",
    "2023": "W020251231726284332528.pdf (code index ids 70996442807, 70093699519, 71004464696)",
}

# -- the annex tables ---------------------------------------------------------------------------

#: Public transcriptions of the annex tables that were read (code index ids of the search
#: tool's GitHub index; the repositories are public). Each is an independent copy: different
#: authors, languages and layouts.
ACCESS_ROUTES = {
    "A": "code index id 18672665361 (JavaScript config: 2021 and 2022 provincial and regional "
    "factors, regional ones in t CO2/kWh)",
    "B": "code index id 25232621340 (Python: 2022 provincial factors; its 西藏 entry is the "
    "西南 regional value, not an annex value, and is not used)",
    "C": "code index id 53153469588 (Python: 2023 provincial factors)",
    "D": "code index id 70996442807 (Python module citing the 2023 annex PDF "
    "W020251231726284332528.pdf, published 2025-12-31)",
    "E": "code index id 70935936635 (Python: 2023 national, regional and provincial factors)",
    "F": "code index id 70336283949 (JavaScript factor library citing 公告2025年第47号 表1-表3)",
    "G": "code index id 67568892939 (Java test of a factor catalogue: 2021 安徽 0.7075 and 华北 "
    "0.7120 (公告2024年第12号, 2024-04-12); 2022 广东 0.4403 (公告2024年第33号); 2023 四川 "
    "0.1564 (公告2025年第47号, 2025-12-31))",
    "P": "press reprints: szcbn.com/newsinfo/7157203.html (2021: 全国 0.5568, 不包括市场化交易的"
    "非化石能源电量 0.5942)",
}

_ORDER = (
    "北京 天津 河北 山西 内蒙古 辽宁 吉林 黑龙江 上海 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 "
    "广东 广西 海南 重庆 四川 贵州 云南 陕西 甘肃 青海 宁夏 新疆"
).split()


def _table(values: str) -> dict[str, str]:
    """The 30 provincial values of an annex 表3, in the annex's order of provinces (西藏 has
    none)."""
    numbers = values.split()
    assert len(numbers) == len(_ORDER), len(numbers)
    return dict(zip(_ORDER, numbers, strict=True))


#: Annex 表3 (省级电力平均二氧化碳排放因子), kg CO2/kWh, per year and access route.
PROVINCIAL = {
    "2021": {
        "A": _table(
            "0.5688 0.7355 0.7901 0.7222 0.7025 0.5876 0.5629 0.6342 0.5834 0.6451 0.5422 "
            "0.7075 0.4711 0.5835 0.6838 0.6369 0.3672 0.5138 0.4715 0.5154 0.4524 0.4743 "
            "0.1255 0.5182 0.1235 0.6336 0.4955 0.1326 0.6546 0.6577"
        ),
        "G": {"安徽": "0.7075"},
    },
    "2022": {
        "A": _table(
            "0.5580 0.7041 0.7252 0.7096 0.6849 0.5626 0.4932 0.5368 0.5849 0.5978 0.5153 "
            "0.6782 0.4092 0.5752 0.6410 0.6058 0.4364 0.4900 0.4403 0.4044 0.4184 0.5227 "
            "0.1404 0.4989 0.1073 0.6558 0.4772 0.1567 0.6423 0.6231"
        ),
        "B": _table(
            "0.5580 0.7041 0.7252 0.7096 0.6849 0.5626 0.4932 0.5368 0.5849 0.5978 0.5153 "
            "0.6782 0.4092 0.5752 0.6410 0.6058 0.4364 0.4900 0.4403 0.4044 0.4184 0.5227 "
            "0.1404 0.4989 0.1073 0.6558 0.4772 0.1567 0.6423 0.6231"
        ),
        "G": {"广东": "0.4403"},
    },
    "2023": {
        "C": _table(
            "0.5554 0.6796 0.6516 0.6634 0.6479 0.4878 0.4671 0.5229 0.5737 0.5827 0.4974 "
            "0.6553 0.4211 0.5836 0.6191 0.5897 0.4044 0.4976 0.4419 0.4476 0.3648 0.5581 "
            "0.1564 0.5683 0.1333 0.6335 0.4471 0.1796 0.6187 0.6021"
        ),
        "E": _table(
            "0.5554 0.6796 0.6516 0.6634 0.6479 0.4878 0.4671 0.5229 0.5737 0.5827 0.4974 "
            "0.6553 0.4211 0.5836 0.6191 0.5897 0.4044 0.4976 0.4419 0.4476 0.3648 0.5581 "
            "0.1564 0.5683 0.1333 0.6335 0.4471 0.1796 0.6187 0.6021"
        ),
        "D": _table(
            "0.5554 0.6796 0.6516 0.6634 0.6479 0.4878 0.4671 0.5229 0.5737 0.5827 0.4974 "
            "0.6553 0.4211 0.5836 0.6191 0.5897 0.4044 0.4976 0.4419 0.4476 0.3648 0.5581 "
            "0.1564 0.5683 0.1333 0.6335 0.4471 0.1796 0.6187 0.6021"
        ),
        "F": _table(
            "0.5554 0.6796 0.6516 0.6634 0.6479 0.4878 0.4671 0.5229 0.5737 0.5827 0.4974 "
            "0.6553 0.4211 0.5836 0.6191 0.5897 0.4044 0.4976 0.4419 0.4476 0.3648 0.5581 "
            "0.1564 0.5683 0.1333 0.6335 0.4471 0.1796 0.6187 0.6021"
        ),
        "G": {"四川": "0.1564"},
    },
}
#: Annex 表2 (区域电力平均二氧化碳排放因子) and the national scopes (表1, 表4) where an access
#: route gives them and the reference table does not.
REGIONAL = {
    "2021": {
        "A": {
            "华北": "0.7120",
            "东北": "0.6012",
            "华东": "0.5992",
            "华中": "0.5354",
            "西北": "0.5951",
            "南方": "0.4326",
            "西南": "0.2113",
        },
        "G": {"华北": "0.7120"},
    },
    "2022": {
        "A": {
            "华北": "0.6776",
            "东北": "0.5564",
            "华东": "0.5617",
            "华中": "0.5395",
            "西北": "0.5857",
            "南方": "0.3869",
            "西南": "0.2268",
        },
    },
    "2023": {
        "E": {
            "华北": "0.6361",
            "东北": "0.5122",
            "华东": "0.5500",
            "华中": "0.5271",
            "西北": "0.5543",
            "南方": "0.4042",
            "西南": "0.2472",
        },
    },
}
#: National scopes given by an access route (表4: excl. market-traded non-fossil electricity).
NATIONAL_EXCL_MARKET = {"2021": {"P": "0.5942"}}


class TranscriptionMismatch(ValueError):
    """Two transcriptions of the same annex value disagree."""


def _agreed(year: str, place: str, copies: dict[str, dict[str, str]]) -> tuple[str, list[str]]:
    """The value of ``place`` all routes that give it agree on, and those routes."""
    found = {route: table[place] for route, table in copies.items() if place in table}
    if len({float(v) for v in found.values()}) != 1:
        raise TranscriptionMismatch(f"{year} {place}: transcriptions disagree: {found}")
    return next(iter(found.values())), sorted(found)


def annex_values() -> list[dict[str, str]]:
    """One entry per annex value: year, level, place, value, the routes that give it."""
    out = []
    for year, copies in PROVINCIAL.items():
        for place in _ORDER:
            value, routes = _agreed(year, place, copies)
            out.append(
                {"year": year, "table": "表3", "place": place, "value": value, "routes": routes}
            )
    for year, copies in REGIONAL.items():
        for place in ("华北", "东北", "华东", "华中", "西北", "南方", "西南"):
            value, routes = _agreed(year, place, copies)
            out.append(
                {"year": year, "table": "表2", "place": place, "value": value, "routes": routes}
            )
    for year, copies in NATIONAL_EXCL_MARKET.items():
        value, routes = _agreed(year, "全国", {k: {"全国": v} for k, v in copies.items()})
        out.append(
            {"year": year, "table": "表4", "place": "全国", "value": value, "routes": routes}
        )
    return out


def _kind(factor_type: str, level: str) -> tuple[str, str, str]:
    """(id suffix, English qualifier, Chinese qualifier) of a factor type."""
    if "ETS" in level:
        return (
            "ets",
            "grid average factor for enterprise GHG reporting (ETS)",
            "全国电网平均排放因子",
        )
    if "excl." in factor_type:
        return (
            "excl-market-nonfossil",
            "average excl. market-traded non-fossil electricity",
            "不包括市场化交易的非化石能源电量",
        )
    if "fossil" in factor_type:
        return "fossil", "fossil-fuel electricity", "化石能源电力"
    return "avg", "average", "平均"


def _row(
    *,
    year: str,
    region_cn: str,
    value: str,
    suffix: str,
    kind_en: str,
    kind_zh: str,
    table: str,
    document: str,
    url: str,
    licence: str,
    comment: str,
) -> dict[str, object]:
    geography, place_en = REGIONS[region_cn]
    place_zh = "全国" if geography == "CN" else region_cn
    if geography.startswith("CN-") and len(geography) > 5:
        place_zh = region_cn + "区域电网"
    return {
        "id": f"cn-mee.electricity.{year}.{geography.lower()}.{suffix}",
        "name_en": f"Purchased grid electricity, {place_en}, {kind_en}, {year}",
        "name_zh": f"外购电力 {place_zh} 电力{kind_zh}二氧化碳排放因子 {year}年",
        "activity": "electricity consumption from the grid (location-based)",
        "unit": "kWh",
        "co2_fossil_kg": value,
        "boundary": "combustion",
        "geography": geography,
        "year": year,
        "publisher": PUBLISHER,
        "document": document,
        "table": table,
        "url": url,
        "accessed": ACCESSED,
        "licence": licence,
        "comment": comment,
    }


def _routes_text(routes: list[str]) -> str:
    return "; ".join(f"[{r}] {ACCESS_ROUTES[r]}" for r in routes)


def build_rows(path: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    annex = {(a["year"], a["place"], a["table"]): a for a in annex_values()}
    used: set[tuple[str, str, str]] = set()
    with path.open(encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            suffix, kind_en, kind_zh = _kind(row["factor_type"], row["level"])
            year = row["data_year"]
            document = DOCUMENTS[year]
            if suffix == "ets":
                document = ETS_DOCUMENT
            comment = (
                f"CO2 only, location-based generation average (not life-cycle); "
                f"access route (press reprint of the announcement): "
                f"{row['source'].split('; ')[-1]}; reference table "
                f"shared/reference/factors/china_grid_co2_factors_mee.csv line {line}: "
                f"{row['source']}"
            )
            table_no = {"provincial": "表3", "regional": "表2"}.get(row["level"].split(" ")[0])
            key = (year, row["region_cn"], table_no or "")
            if suffix == "avg" and key in annex:
                # the press value must equal the annex-table transcription
                found = annex[key]
                if float(found["value"]) != float(row["kgCO2_per_kWh"]):
                    raise TranscriptionMismatch(
                        f"{key}: press {row['kgCO2_per_kWh']} != annex {found['value']}"
                    )
                used.add(key)
                comment += (
                    f"; equals the annex {table_no} value as transcribed by "
                    f"{_routes_text(found['routes'])}"
                )
            rows.append(
                _row(
                    year=year,
                    region_cn=row["region_cn"],
                    value=row["kgCO2_per_kWh"],
                    suffix=suffix,
                    kind_en=kind_en,
                    kind_zh=kind_zh,
                    table=f"{row['level']}: {row['region_cn']} ({row['factor_type']})",
                    document=document,
                    url=OFFICIAL_URL.get(year, "https://www.mee.gov.cn/")
                    if suffix != "ets"
                    else "https://www.mee.gov.cn/",
                    licence=LICENCE,
                    comment=comment,
                )
            )
    for key, found in annex.items():
        if key in used:
            continue
        year, place, table_no = key
        if table_no == "表4":
            suffix, kind_en, kind_zh = _kind("national average excl. market-traded", "national")
            level = "national"
        else:
            suffix, kind_en, kind_zh = "avg", "average", "平均"
            level = "provincial" if table_no == "表3" else "regional"
        single = len(found["routes"]) == 1
        rows.append(
            _row(
                year=year,
                region_cn=place,
                value=found["value"],
                suffix=suffix,
                kind_en=kind_en,
                kind_zh=kind_zh,
                table=f"附件 {table_no} ({level}): {place}",
                document=DOCUMENTS[year],
                url=OFFICIAL_URL.get(year, "https://www.mee.gov.cn/"),
                licence=ANNEX_LICENCE,
                comment=(
                    f"CO2 only, location-based generation average (not life-cycle); annex file "
                    f"{ANNEX_FILES[year]}; the annex could not be read from the build machine: "
                    f"value as transcribed by {_routes_text(found['routes'])}"
                    + (
                        "; one transcription only, not cross-checked value by value"
                        if single
                        else "; the transcriptions agree"
                    )
                ),
            )
        )
    return rows


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_INPUT
    count = write_rows(OUTPUT, build_rows(source))
    print(f"wrote {count} factors to {OUTPUT}")


if __name__ == "__main__":
    main()
