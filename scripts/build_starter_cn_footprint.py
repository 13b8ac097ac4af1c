"""Build ``data/factors/china_electricity_footprint.csv``: China's national average electricity
carbon-footprint factors (life cycle, kg CO2e per kWh consumed).

Primary sources: the joint announcements of the Ministry of Ecology and Environment (生态环境部),
the National Bureau of Statistics (国家统计局) and the National Energy Administration (国家能源局):

- 《关于发布2023年电力碳足迹因子数据的公告》(2025年第3号): 2023 factors;
- 《关于发布2024年电力碳足迹因子数据的公告》(signed 2025-09-28, issued by the MEE General Office
  2025-10-23): 2024 factors — coal, gas, hydro, nuclear, wind, PV, solar-thermal and biomass
  generation, transmission and distribution, and the national average (附件).

Unlike the MEE/NBS electricity CO2 emission factors (``china_grid_mee.csv``: CO2 of
generation only), these are product-carbon-footprint factors (ISO 14067): life-cycle
greenhouse gases in CO2e, for "各行业产品核算电力生产和消费产生的碳足迹". The annex could not be
read from the build machine; the values are the ones stated by the access routes in
:data:`ROWS`. Official documents of a state organ (PRC Copyright Law Art. 5).

Run once: ``.venv/bin/python scripts/build_starter_cn_footprint.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tanzuji.factors.starter import write_rows

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "src" / "tanzuji" / "data" / "factors" / "china_electricity_footprint.csv"
ACCESSED = "2026-12-02"
PUBLISHER = (
    "Ministry of Ecology and Environment (MEE), National Bureau of Statistics (NBS) & National "
    "Energy Administration (NEA) of China"
)
LICENCE = (
    "LicenseRef-PRC-Official-Document: official document of a state organ, not protected by "
    "copyright (Copyright Law of the PRC, Art. 5); value as stated by the access routes named "
    "in the comment, re-check against the official annex before certification use"
)
ANNOUNCEMENT_2024 = (
    "生态环境部 国家统计局 国家能源局《关于发布2024年电力碳足迹因子数据的公告》(2025-09-28; "
    "生态环境部办公厅 2025-10-23 印发), 附件"
)
ANNOUNCEMENT_2023 = (
    "生态环境部 国家统计局 国家能源局《关于发布2023年电力碳足迹因子数据的公告》(2025年第3号), 附件"
)
#: The 2024 announcement text as reprinted at tanpaifang.com/zhengcefagui/2025/1024115022.html
#: (date, signatories, the list of factors, and the number 2025年第3号 of the 2023 one).
TEXT_ROUTE = "announcement text reprinted at tanpaifang.com/zhengcefagui/2025/1024115022.html"
#: MEE's explanation of the 2024 factors as reprinted at hasugian.com/tanzuji/2025/1027/115039.html:
#: "2024年全国电力平均碳足迹因子为0.5777千克二氧化碳当量每千瓦时,较2023年全国电力平均碳足迹因子
#: 0.6205千克二氧化碳当量每千瓦时下降6.9%".
VALUE_ROUTE = (
    "MEE explanation of the 2024 factors reprinted at hasugian.com/tanzuji/2025/1027/115039.html "
    "(2024 national average 0.5777, 2023 national average 0.6205 kg CO2e/kWh, -6.9 %)"
)
SECOND_2024 = (
    "public code quoting the announcement with the national average 0.5777 kgCO2e/kWh (code "
    "index id 52784259353); MEE page t20251024_1130734.html as cited by public code (code index "
    "ids 69084989906, 53899028592)"
)

ROWS = [
    {
        "year": "2024",
        "value": "0.5777",
        "document": ANNOUNCEMENT_2024,
        "url": "https://www.mee.gov.cn/xxgk2018/xxgk/xxgk01/202510/t20251024_1130734.html",
        "routes": f"{VALUE_ROUTE}; {SECOND_2024}; {TEXT_ROUTE}",
        "check": "two routes agree",
    },
    {
        "year": "2023",
        "value": "0.6205",
        "document": ANNOUNCEMENT_2023,
        "url": "https://www.mee.gov.cn/",
        "routes": f"{VALUE_ROUTE}; {TEXT_ROUTE} (for the number 2025年第3号)",
        "check": "one route only (the value as quoted in MEE's explanation of the 2024 factors)",
    },
]


def build_rows() -> list[dict[str, object]]:
    rows = []
    for row in ROWS:
        year = row["year"]
        rows.append(
            {
                "id": f"cn-mee.electricity-footprint.{year}.cn.avg",
                "name_en": (
                    f"Purchased grid electricity, national, average carbon footprint "
                    f"(life cycle), {year}"
                ),
                "name_zh": f"外购电力 全国 电力平均碳足迹因子（生命周期） {year}年",
                "activity": "electricity consumption from the grid, life cycle (product "
                "carbon footprint)",
                "unit": "kWh",
                "co2e_kg": row["value"],
                "boundary": "cradle_to_gate",
                "geography": "CN",
                "year": year,
                "publisher": PUBLISHER,
                "document": row["document"],
                "table": "附件: 全国电力平均碳足迹因子 (kgCO2e/kWh)",
                "url": row["url"],
                "accessed": ACCESSED,
                "licence": LICENCE,
                "comment": (
                    "life-cycle CO2e per kWh for product carbon footprints (the announcement "
                    "lists factors per generation type, one for transmission and distribution "
                    "and this national average; what the average includes is not stated in the "
                    "access routes); GWP set not stated; the annex could not be read from the "
                    "build "
                    f"machine: {row['check']}; access routes: {row['routes']}"
                ),
            }
        )
    return rows


def main() -> None:
    if len(sys.argv) > 1:
        raise SystemExit("usage: build_starter_cn_footprint.py (no arguments)")
    count = write_rows(OUTPUT, build_rows())
    print(f"wrote {count} factors to {OUTPUT}")


if __name__ == "__main__":
    main()
