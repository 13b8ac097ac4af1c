"""Column mappings for published emission-factor tables recognised by their header.

* US EPA eGRID static table ``co2_ch4_n2o_ef.csv`` (CO2 in short ton per mmBtu, CH4 and N2O in
  lb per mmBtu, factors from the GHG Mandatory Reporting Rule, 40 CFR 98 Subpart C). The
  factor is per GJ: 1 mmBtu = 10^6 Btu (International Table Btu, 1055.056 J).
* UK DESNZ "Greenhouse gas reporting: conversion factors 2023" in the flat layout of the
  TEC-Toolkit/cfkg repository (one row per activity x unit x gas): the ``kg CO2e`` row gives
  ``kg_co2e``; the per-gas rows are CO2-equivalents and are kept in the comment.

Any other table must use the Tanzuji template columns (docs/importers.md).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tanzuji import units
from tanzuji.factors.importers import ImportResult, Skipped
from tanzuji.factors.importers.inventory import date_of, number, safe_id
from tanzuji.factors.record import FactorRecord, GasAmount, Source

EPA_HEADER = ("fuel_type", "co2_ef", "co2_units", "ch4_ef", "ch4_units", "n2o_ef", "n2o_units")
DESNZ_HEADER = ("Level 1", "Level 2", "UOM", "GHG/Unit", "GHG Conversion Factor 2023")
_DESNZ_UNITS = {"kilowatt hour": "kWh", "tonne": "t", "litre": "L", "cubic metre": "m3"}


def read_rows(path: Path, header: list[str], rows: list[list[Any]]) -> ImportResult | None:
    """An :class:`ImportResult` when ``header`` is a known published table, else ``None``."""
    dicts = [
        (i, dict(zip(header, (str(v or "").strip() for v in r), strict=False)))
        for i, r in enumerate(rows, start=2)
        if any(v not in (None, "") for v in r)
    ]
    if all(h in header for h in EPA_HEADER):
        return _epa(path, dicts)
    if all(h in header for h in DESNZ_HEADER):
        return _desnz(path, dicts)
    return None


def _epa(path: Path, rows: list[tuple[int, dict[str, str]]]) -> ImportResult:
    result = ImportResult()
    per_gj = units.convert(1.0, "GJ", "Btu") / 1e6  # mmBtu per GJ
    for line, row in rows:
        where = f"{path}: row {line}"
        if row.get("source", "").lower() == "no ef":
            result.skipped.append(Skipped(where, f"{row['fuel_type']!r}: source says 'no EF'"))
            continue
        amounts = []
        for gas in ("co2", "ch4", "n2o"):
            value = number(row[f"{gas}_ef"], f"{where}, column '{gas}_ef'", f"{gas}_ef")
            mass_unit = row[f"{gas}_units"].split()[0].replace("lbs", "lb")
            kg = units.convert(value, mass_unit, "kg", where=f"{where}, column '{gas}_units'")
            amounts.append(GasAmount(gas=gas.upper(), amount_kg=kg * per_gj))
        code = row.get("eia_fuel_code") or row["fuel_type"]
        result.records.append(
            FactorRecord(
                id=safe_id("epa-egrid", f"{code}_{row['fuel_type']}"),
                name_en=f"{row['fuel_type']}, stationary combustion",
                activity=row.get("fuel_category", ""),
                unit="GJ",
                gases=amounts,
                boundary="combustion",
                geography="US",
                source=Source(
                    publisher="US EPA",
                    document="eGRID static table co2_ch4_n2o_ef.csv "
                    f"(factors from {row.get('source') or 'EPA GHG MRR'}, 40 CFR 98)",
                    table="co2_ch4_n2o_ef.csv",
                    url="https://github.com/USEPA/egrid",
                ),
                licence="MIT (USEPA/egrid repository); US Government work",
                comment=f"converted from {row['co2_units']}, {row['ch4_units']}, "
                f"{row['n2o_units']} to kg per GJ (1 mmBtu = 1.055056 GJ)",
            )
        )
    return result


def _desnz(path: Path, rows: list[tuple[int, dict[str, str]]]) -> ImportResult:
    groups: dict[tuple[str, ...], list[tuple[int, dict[str, str]]]] = {}
    for line, row in rows:
        key = tuple(row.get(k, "") for k in ("Level 1", "Level 2", "Level 3", "Level 4"))
        key += (row.get("Column Text", ""), row["UOM"].strip())
        groups.setdefault(key, []).append((line, row))
    result = ImportResult()
    for key, members in groups.items():
        total = [(ln, r) for ln, r in members if r["GHG/Unit"].strip() == "kg CO2e"]
        where = f"{path}: row {members[0][0]}"
        if not total:
            result.skipped.append(Skipped(where, f"{' / '.join(key)}: no 'kg CO2e' total row"))
            continue
        result.records.append(_desnz_record(key, total[0], members, path))
    return result


def _desnz_record(
    key: tuple[str, ...],
    total: tuple[int, dict[str, str]],
    members: list[tuple[int, dict[str, str]]],
    path: Path,
) -> FactorRecord:
    line, row = total
    where = f"{path}: row {line}, column 'GHG Conversion Factor 2023'"
    value = number(row["GHG Conversion Factor 2023"], where, "GHG Conversion Factor 2023")
    parts = [
        f"{r['GHG/Unit'].strip()}={r['GHG Conversion Factor 2023']}"
        for _, r in members
        if r is not row
    ]
    uom = row["UOM"].strip()
    valid_from = date_of(row.get("valid_from"))
    return FactorRecord(
        id=safe_id("desnz-2023", row.get("id_original") or row.get("id") or str(line)),
        name_en=" / ".join(p for p in key[1:5] if p),
        activity=" / ".join(p for p in key[:4] if p),
        unit=_DESNZ_UNITS.get(uom, uom),
        kg_co2e=value,
        boundary="combustion" if row.get("Scope") == "Scope1" else "unknown",
        geography="GB" if row.get("region") == "United Kingdom" else row.get("region") or "GB",
        year=valid_from.year if valid_from else 2023,
        valid_from=valid_from,
        valid_to=date_of(row.get("valid_to")) or dt.date(2023, 12, 31),
        source=Source(
            publisher="UK Department for Energy Security and Net Zero (DESNZ)",
            document="Greenhouse gas reporting: conversion factors 2023",
            table=f"{row.get('Scope', '')} {key[0]} (flat file {path.name}, row {line})",
            url="https://www.gov.uk/government/publications/"
            "greenhouse-gas-reporting-conversion-factors-2023",
        ),
        licence="Open Government Licence v3.0",
        comment="; ".join(parts),
    )
