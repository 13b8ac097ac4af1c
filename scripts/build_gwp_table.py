"""Build ``src/tanzuji/data/gwp100.csv`` from the reference tables (run once; output committed).

Inputs
------
- ``../shared/reference/gwp_ar6_ar5.csv``: AR6 and AR5 GWP100 with a source per row.
- ``globalwarmingpotentials`` (PyPI, CC0, openclimatedata): column ``AR4GWP100`` (GHG Protocol
  Global-Warming-Potential-Values, Feb 2016, which quotes IPCC AR4 WG1 Table 2.14).

Usage: ``.venv/bin/python scripts/build_gwp_table.py ../shared/reference/gwp_ar6_ar5.csv``
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import globalwarmingpotentials as gwp_pkg

AR4_SOURCE = (
    "IPCC AR4 WG1 Table 2.14 GWP100, as tabulated by GHG Protocol Global-Warming-Potential-Values "
    "(Feb 2016), via openclimatedata/globalwarmingpotentials v{version} column AR4GWP100 (CC0)"
)

# Rows of the reference table we keep, by their 'gas' column prefix -> our gas id.
SPECIAL = {
    "Carbon dioxide": "CO2",
    "Methane, fossil": "CH4-fossil",
    "Methane, non-fossil": "CH4-non-fossil",
    "Nitrous oxide": "N2O",
}
ZH = {
    "CO2": "二氧化碳",
    "CH4-fossil": "甲烷（化石）",
    "CH4-non-fossil": "甲烷（非化石）",
    "N2O": "氧化亚氮",
    "SF6": "六氟化硫",
    "NF3": "三氟化氮",
}


def ar4_lookup() -> dict[str, float]:
    frame = gwp_pkg.as_frame()
    return {str(k).upper(): float(v) for k, v in frame["AR4GWP100"].dropna().items()}


def gas_id(row: dict[str, str]) -> str | None:
    for prefix, gid in SPECIAL.items():
        if row["gas"].startswith(prefix):
            return gid
    if row["gas"].startswith("Methane"):
        return None  # the Table 7.SM.7 CH4 row: we use the fossil / non-fossil pair instead
    if row["formula"] in ("SF6", "NF3", "SO2F2", "CH2Cl2"):
        return row["formula"]
    match = re.match(r"^([A-Z]+-[\w-]+(?:\([A-Z]\))?)", row["gas"])
    return match.group(1) if match else row["formula"]


def ar4_key(gid: str, formula: str) -> str:
    if gid.startswith("CH4"):
        return "CH4"
    if gid.startswith("PFC") or gid in ("SF6", "NF3", "SO2F2", "CH2Cl2"):
        key = formula
        if key.startswith("n-"):
            key = key[2:]
        return "CC4F8" if "cyc" in key else key.upper()
    return gid.replace("-", "").upper()


def main(reference: Path) -> None:
    ar4 = ar4_lookup()
    out = Path(__file__).resolve().parents[1] / "src/tanzuji/data/gwp100.csv"
    with reference.open(encoding="utf-8") as fh, out.open("w", newline="", encoding="utf-8") as oh:
        writer = csv.writer(oh)
        writer.writerow(
            [
                "gas",
                "formula",
                "name_en",
                "name_zh",
                "ar4",
                "ar5",
                "ar6",
                "source_ar4",
                "source_ar5_ar6",
            ]
        )
        for row in csv.DictReader(fh):
            gid = gas_id(row)
            if gid is None:
                continue
            a4 = 1.0 if gid == "CO2" else ar4.get(ar4_key(gid, row["formula"]))
            writer.writerow(
                [
                    gid,
                    row["formula"],
                    row["gas"],
                    ZH.get(gid, ""),
                    "" if a4 is None else f"{a4:g}",
                    row["gwp100_ar5"],
                    row["gwp100_ar6"],
                    "" if a4 is None else AR4_SOURCE.format(version=gwp_pkg.__version__),
                    row["source"],
                ]
            )
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
