"""Build ``data/factors/gba_utilities.csv``: Hong Kong utilities' published grid intensities.

Each value is the emission intensity of electricity sold that the utility publishes in its
sustainability / ESG report for that year. The reports were not reachable from the build
machine; every value below is transcribed from a source that could be read, named in
``ACCESS`` (never estimated). Re-check against the report before certification use.

- CLP Power Hong Kong (中华电力): 2019 0.49 kg CO2/kWh (``shared/reference/factors/README.md``);
  2023 0.39 and 2024 0.38 kg CO2e/kWh as quoted, with the report URLs, by public Scope 2
  calculator code (code index id 36022028460, repository not identified).
- HK Electric (港灯): 2019 0.81 kg CO2e/kWh (``shared/reference/factors/README.md``); 2023 0.66
  and 2024 0.60 kg CO2e/kWh, same access route as CLP 2023/2024.

Macao (CEM, 澳门电力): no published intensity could be read here; none is shipped.

Licences: HK Electric's website copyright notice restricts reproduction to non-commercial use
(``shared/reference/factors/README.md``); a deployment that cannot accept that excludes these
rows with ``--exclude-licence non-commercial``. CLP's reuse terms were not verified here.

Run once: ``.venv/bin/python scripts/build_starter_gba.py``.
"""

from __future__ import annotations

from pathlib import Path

from tanzuji.factors.starter import write_rows

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "src" / "tanzuji" / "data" / "factors" / "gba_utilities.csv"
ACCESSED = "2026-12-02"
REFERENCE = "shared/reference/factors/README.md (Tanzuji reference data, notes)"
CODE_QUOTE = "public Scope 2 calculator code quoting the report (code index id 36022028460)"

UTILITIES = {
    "clp": (
        "CLP Power Hong Kong Limited (中华电力有限公司)",
        "CLP",
        "中华电力",
        "LicenseRef-CLP-Copyright: (c) CLP Holdings Limited; published sustainability-report "
        "figure, reuse terms not verified here",
    ),
    "hke": (
        "The Hongkong Electric Company, Limited (港灯电力投资 / 香港电灯有限公司)",
        "HK Electric",
        "港灯",
        "LicenseRef-HKElectric-Copyright: (c) HK Electric; the website's copyright notice "
        "allows reproduction for non-commercial use only",
    ),
}

HOME = {"clp": "https://www.clpgroup.com/", "hke": "https://www.hkelectric.com/"}

#: (utility, year, value, gas basis, document, URL, access route)
VALUES = [
    ("clp", 2019, 0.49, "CO2", "CLP Sustainability Report 2019", None, REFERENCE),
    (
        "clp",
        2023,
        0.39,
        "CO2e",
        "CLP Sustainability Report 2023",
        "https://www.clp.com.cn/wp-content/uploads/2024/03/CLP_Sustainability_Report_2023_en-1.pdf",
        CODE_QUOTE,
    ),
    (
        "clp",
        2024,
        0.38,
        "CO2e",
        "CLP Sustainability Report 2024, ESG data hub",
        "https://sustainability.clpgroup.com/en/2024/esg-data-hub",
        CODE_QUOTE,
    ),
    ("hke", 2019, 0.81, "CO2e", "HK Electric Sustainability Report 2019", None, REFERENCE),
    (
        "hke",
        2023,
        0.66,
        "CO2e",
        "HK Electric Sustainability Report 2023",
        "https://www.hkelectric.com/documents/en/CorporateSocialResponsibility/"
        "CorporateSocialResponsibility_CDD/Documents/SR2023E.pdf",
        CODE_QUOTE,
    ),
    (
        "hke",
        2024,
        0.60,
        "CO2e",
        "HK Electric Environmental, Social and Governance Report 2024",
        "https://www.hkelectric.com/documents/en/InvestorRelations/InvestorRelations_GLNCS/"
        "Documents/2025/ESR2024%20full%20version.pdf",
        CODE_QUOTE,
    ),
]


def build_rows() -> list[dict[str, object]]:
    rows = []
    for key, year, value, basis, document, url, route in VALUES:
        publisher, name_en, name_zh, licence = UTILITIES[key]
        amount = {"co2_fossil_kg": value} if basis == "CO2" else {"kg_co2e": value}
        rows.append(
            {
                "id": f"hk-{key}.electricity.{year}.kwh",
                "name_en": f"Purchased grid electricity, Hong Kong, {name_en}, {year}",
                "name_zh": f"外购电力 香港 {name_zh} 碳排放强度 {year}年",
                "activity": "electricity consumption from the grid (location-based)",
                "unit": "kWh",
                **amount,
                # the reports do not state a GWP set for their CO2e intensities
                "gwp_set": None,
                "boundary": "combustion",
                "geography": "CN-HK",
                "year": year,
                "publisher": publisher,
                "document": document,
                "table": f"emission intensity of electricity sold, {year} ({basis} per kWh)",
                "url": url or HOME[key],
                "accessed": ACCESSED,
                "licence": licence,
                "comment": (
                    f"{value} kg {basis}/kWh as published by the utility for {year}; "
                    f"transcribed from {route}; the utility's report is the primary source: "
                    "re-check there before certification use"
                ),
            }
        )
    return rows


def main() -> None:
    count = write_rows(OUTPUT, build_rows())
    print(f"wrote {count} factors to {OUTPUT}")


if __name__ == "__main__":
    main()
