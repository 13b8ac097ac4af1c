"""Build ``data/factors/china_grid_mee.csv`` from the MEE/NBS electricity CO2 factor table.

Input: ``/work/shared/reference/factors/china_grid_co2_factors_mee.csv`` (transcribed from the
MEE & NBS announcements; see that folder's README). Values are kg CO2 per kWh (= t CO2/MWh),
CO2 only, location-based; official documents of a state organ are not copyright-protected
(PRC Copyright Law Art. 5). Region ids and their provinces are in ``geography.json``.

Run once: ``.venv/bin/python scripts/build_starter_grid.py [INPUT]``.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from tanzuji.factors.starter import write_rows

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "src" / "tanzuji" / "data" / "factors" / "china_grid_mee.csv"
DEFAULT_INPUT = ROOT.parent / "shared" / "reference" / "factors" / "china_grid_co2_factors_mee.csv"
ACCESSED = "2026-12-02"
LICENCE = (
    "LicenseRef-PRC-Official-Document: official document of a state organ, not protected by "
    "copyright (Copyright Law of the PRC, Art. 5); values transcribed from press reprints of "
    "the announcement, re-check against the official annex before certification use"
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
    "河北": ("CN-HE", "Hebei"),
    "山西": ("CN-SX", "Shanxi"),
    "天津": ("CN-TJ", "Tianjin"),
    "内蒙古": ("CN-NM", "Inner Mongolia"),
    "安徽": ("CN-AH", "Anhui"),
    "福建": ("CN-FJ", "Fujian"),
    "广西": ("CN-GX", "Guangxi"),
    "青海": ("CN-QH", "Qinghai"),
    "四川": ("CN-SC", "Sichuan"),
    "云南": ("CN-YN", "Yunnan"),
}

ETS_DOCUMENT = (
    "生态环境部办公厅 关于做好2023—2025年发电行业企业温室气体排放报告管理有关工作的通知 "
    "(MEE General Office notice, 2023-02)"
)
PUBLISHER = (
    "Ministry of Ecology and Environment (MEE) & National Bureau of Statistics (NBS) of China"
)
#: The primary source of each year's factors: the joint announcement of the Ministry of
#: Ecology and Environment (生态环境部) and the National Bureau of Statistics (国家统计局) —
#: title, number where the access route states it, date, and annex.
DOCUMENTS = {
    "2021": (
        "生态环境部 国家统计局 公告2024年第12号《关于发布2021年电力二氧化碳排放因子的公告》"
        "(2024-04-12), 附件1《2021年电力二氧化碳排放因子》"
    ),
    "2022": (
        "生态环境部 国家统计局《关于发布2022年电力二氧化碳排放因子的公告》(2024-12-20; "
        "announcement number not stated in the access route), 附件《2022年电力二氧化碳排放因子》"
    ),
    "2023": (
        "生态环境部 国家统计局《关于发布2023年电力二氧化碳排放因子的公告》(reported 2026-01; "
        "number and date of signature not stated in the access route), 附件《2023年电力二氧化碳"
        "排放因子》"
    ),
}
#: Official pages where known (the access route otherwise is the press reprint).
OFFICIAL_URL = {
    "2022": "https://www.mee.gov.cn/xxgk2018/xxgk/xxgk01/202412/t20241226_1099413.html",
}


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


def build_rows(path: Path) -> list[dict[str, object]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            geography, place_en = REGIONS[row["region_cn"]]
            suffix, kind_en, kind_zh = _kind(row["factor_type"], row["level"])
            year = row["data_year"]
            place_zh = "全国" if geography == "CN" else row["region_cn"]
            if geography.startswith("CN-") and len(geography) > 5:
                place_zh = row["region_cn"] + "区域电网"
            document = DOCUMENTS[year]
            if suffix == "ets":
                document = ETS_DOCUMENT
            rows.append(
                {
                    "id": f"cn-mee.electricity.{year}.{geography.lower()}.{suffix}",
                    "name_en": f"Purchased grid electricity, {place_en}, {kind_en}, {year}",
                    "name_zh": f"外购电力 {place_zh} 电力{kind_zh}二氧化碳排放因子 {year}年",
                    "activity": "electricity consumption from the grid (location-based)",
                    "unit": "kWh",
                    "co2_fossil_kg": row["kgCO2_per_kWh"],
                    "boundary": "combustion",
                    "geography": geography,
                    "year": year,
                    "publisher": PUBLISHER,
                    "document": document,
                    "table": f"{row['level']}: {row['region_cn']} ({row['factor_type']})",
                    "url": OFFICIAL_URL.get(year, "https://www.mee.gov.cn/")
                    if suffix != "ets"
                    else "https://www.mee.gov.cn/",
                    "accessed": ACCESSED,
                    "licence": LICENCE,
                    "comment": (
                        f"CO2 only, location-based generation average (not life-cycle); "
                        f"access route (press reprint of the announcement): "
                        f"{row['source'].split('; ')[-1]}; reference table "
                        f"shared/reference/factors/china_grid_co2_factors_mee.csv line {line}: "
                        f"{row['source']}"
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
