"""Build ``src/tanzuji/data/gwp100.csv`` from the reference tables (run once; output committed).

Inputs
------
- ``../shared/reference/gwp_ar6_ar5.csv``: AR6 and AR5 GWP100 with a source per row.
- ``globalwarmingpotentials`` (PyPI, CC0, openclimatedata): column ``AR4GWP100`` (GHG Protocol
  Global-Warming-Potential-Values, Feb 2016, which quotes IPCC AR4 WG1 Table 2.14) and
  ``AR5GWP100`` (the same table quoting AR5 WG1 Table 8.A.1), used to cross-check AR5.
- optional ``--ipcc-7sm PATH``: ``data_output/7sm/metrics_supplement_cleaned.csv`` of the AR6
  WG1 Chapter 7 data release (github.com/IPCC-WG1/Chapter-7, MIT), used to cross-check every
  AR6 value except methane's (Table 7.15 splits methane into fossil and non-fossil; Table
  7.SM.7 gives one value, 27.9, without the CO2 from oxidation).

Each GWP set has its own citation column, naming the primary IPCC table.

Usage: ``.venv/bin/python scripts/build_gwp_table.py ../shared/reference/gwp_ar6_ar5.csv
[--ipcc-7sm metrics_supplement_cleaned.csv]``
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

import globalwarmingpotentials as gwp_pkg

AR4_SOURCE = (
    "IPCC AR4 WG1 Ch.2 (Forster et al. 2007) Table 2.14 GWP100, as tabulated by GHG Protocol "
    "Global-Warming-Potential-Values (Feb 2016), via openclimatedata/globalwarmingpotentials "
    "v{version} column AR4GWP100 (CC0)"
)
AR5_SOURCE = (
    "IPCC AR5 WG1 Ch.8 (Myhre et al. 2013) Table 8.A.1 GWP100 without climate-carbon "
    "feedback, doi:10.1017/CBO9781107415324.018; as tabulated by GHG Protocol "
    "Global-Warming-Potential-Values (Feb 2016), via openclimatedata/globalwarmingpotentials "
    "v{version} column AR5GWP100 (CC0)"
)
AR6_SOURCE = (
    "IPCC AR6 WG1 Ch.7 (Forster et al. 2021) Table 7.SM.7 GWP-100, "
    "doi:10.1017/9781009157896.009; chapter data release github.com/IPCC-WG1/Chapter-7 "
    "data_output/7sm/metrics_supplement_cleaned.csv (MIT; CFC-11/12 corrected vs PDF)"
)
#: Methane: the primary tables give fossil and non-fossil values (the fossil value adds the CO2
#: from the oxidation of fossil methane). Values as in the reference copy
#: ../shared/reference/gwp_ar6_ar5.csv, which quotes them from secondary sources (AR6:
#: FLCAC-admin/LCIAformatter#106; AR5 fossil: GHG Protocol GWP table Aug 2024) - not re-read
#: from the IPCC PDFs here.
METHANE_SOURCES = {
    ("CH4-fossil", "ar6"): (
        "IPCC AR6 WG1 Ch.7 (Forster et al. 2021) Table 7.15, CH4-fossil GWP-100 29.8 ± 11 "
        "(includes the CO2 from oxidation), doi:10.1017/9781009157896.009; value as in the "
        "reference copy shared/reference/gwp_ar6_ar5.csv"
    ),
    ("CH4-non-fossil", "ar6"): (
        "IPCC AR6 WG1 Ch.7 (Forster et al. 2021) Table 7.15, CH4-non fossil GWP-100 27.0 ± 11, "
        "doi:10.1017/9781009157896.009; value as in the reference copy "
        "shared/reference/gwp_ar6_ar5.csv"
    ),
    ("CH4-fossil", "ar5"): (
        "IPCC AR5 WG1 Ch.8 (Myhre et al. 2013) Table 8.A.1, fossil methane GWP100 30 (no "
        "climate-carbon feedback; includes the CO2 from oxidation), "
        "doi:10.1017/CBO9781107415324.018; value as in the reference copy "
        "shared/reference/gwp_ar6_ar5.csv (quoting the GHG Protocol GWP table, Aug 2024)"
    ),
    ("CH4-non-fossil", "ar5"): (
        "IPCC AR5 WG1 Ch.8 (Myhre et al. 2013) Table 8.A.1, methane GWP100 28 (no "
        "climate-carbon feedback), doi:10.1017/CBO9781107415324.018; as tabulated by GHG "
        "Protocol Global-Warming-Potential-Values (Feb 2016), via "
        "openclimatedata/globalwarmingpotentials column AR5GWP100 (CC0)"
    ),
}
#: AR4 gives one methane value (Table 2.14: 25) for both origins.
AR4_METHANE_NOTE = "; AR4 gives one methane value for fossil and non-fossil methane"
SF6_NOTE = (
    "; NOTE GHG Protocol GWP table (Aug 2024) lists AR6 SF6 = 24,300 (seen quoted in public "
    "code anchored to that PDF) vs 25,200 in the IPCC chapter data release - verify before use"
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


def package_lookup(column: str) -> dict[str, float]:
    frame = gwp_pkg.as_frame()
    return {str(k).upper(): float(v) for k, v in frame[column].dropna().items()}


def ipcc_7sm(path: Path | None) -> dict[str, float]:
    """GWP100 by acronym (or formula) from the AR6 chapter 7 data release, if given."""
    if path is None:
        return {}
    with path.open(encoding="utf-8") as handle:
        return {
            (row["Acronym"] or row["Formula"]).upper(): float(row["GWP100"])
            for row in csv.DictReader(handle)
            if row["GWP100"]
        }


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


def sources(gid: str, a4: float | None) -> tuple[str, str, str]:
    """The AR4, AR5 and AR6 citations of one gas."""
    version = gwp_pkg.__version__
    ar4 = "" if a4 is None else AR4_SOURCE.format(version=version)
    ar5 = METHANE_SOURCES.get((gid, "ar5"), AR5_SOURCE.format(version=version))
    ar6 = METHANE_SOURCES.get((gid, "ar6"), AR6_SOURCE)
    if gid.startswith("CH4") and ar4:
        ar4 += AR4_METHANE_NOTE
    if gid == "SF6":
        ar6 += SF6_NOTE
    return ar4, ar5, ar6


def cross_check(gid: str, key: str, row: dict[str, str], ar5: dict, ar6: dict) -> None:
    """Fail when a value differs from the AR5 package column or the AR6 data release."""
    if gid.startswith("CH4"):
        return  # Table 7.15 / the fossil row are not in these tables (see METHANE_SOURCES)
    if key in ar5 and row["gwp100_ar5"] and float(row["gwp100_ar5"]) != ar5[key]:
        found5 = ar5[key]
        raise SystemExit(f"{gid}: AR5 {row['gwp100_ar5']} in the reference, {found5} in AR5GWP100")
    if ar6 and gid != "CO2":
        found = ar6.get(gid.upper(), ar6.get(row["formula"].upper()))
        if found is not None and float(row["gwp100_ar6"]) != found:
            raise SystemExit(f"{gid}: AR6 {row['gwp100_ar6']} in the reference, {found} in 7.SM.7")


HEADER = [
    *("gas", "formula", "name_en", "name_zh", "ar4", "ar5", "ar6"),
    *("source_ar4", "source_ar5", "source_ar6"),
]


def main(reference: Path, ipcc_csv: Path | None) -> None:
    ar4 = package_lookup("AR4GWP100")
    ar5 = package_lookup("AR5GWP100")
    ar6 = ipcc_7sm(ipcc_csv)
    out = Path(__file__).resolve().parents[1] / "src/tanzuji/data/gwp100.csv"
    with reference.open(encoding="utf-8") as fh, out.open("w", newline="", encoding="utf-8") as oh:
        writer = csv.writer(oh, lineterminator="\n")
        writer.writerow(HEADER)
        for row in csv.DictReader(fh):
            gid = gas_id(row)
            if gid is None:
                continue
            key = ar4_key(gid, row["formula"])
            cross_check(gid, key, row, ar5, ar6)
            a4 = 1.0 if gid == "CO2" else ar4.get(key)
            writer.writerow(
                [
                    gid,
                    row["formula"],
                    row["gas"],
                    ZH.get(gid, ""),
                    "" if a4 is None else f"{a4:g}",
                    row["gwp100_ar5"],
                    row["gwp100_ar6"],
                    *sources(gid, a4),
                ]
            )
    print(f"wrote {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", type=Path)
    parser.add_argument("--ipcc-7sm", type=Path, default=None)
    args = parser.parse_args()
    main(args.reference, args.ipcc_7sm)
