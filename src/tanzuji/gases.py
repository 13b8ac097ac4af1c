"""Greenhouse gases, GWP100 sets (IPCC AR4, AR5, AR6) and characterization.

The table ``data/gwp100.csv`` carries one row per gas with a citation for every value; it was
built by ``scripts/build_gwp_table.py`` from the reference tables named there. Methane is two
rows, fossil and non-fossil (AR6 Table 7.15: 29.8 and 27.0), because ISO 14067 and PACT
distinguish them; the engine picks the row from an emission's origin.

``CO2e`` is a pseudo-gas for factors known only as CO2-equivalents: its characterization
factor is 1 in every set, and the factor record says which GWP set produced it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from tanzuji.errors import UnknownGas, UnknownGWPSet

GWP_SETS = ("AR4", "AR5", "AR6")
DEFAULT_GWP_SET = "AR6"  # ISO 14067:2018 6.5.2 asks for the latest IPCC GWP100 values
CO2E = "CO2e"

#: Origins of an emission (ISO 14067:2018 6.5.1, 6.5.2; PACT v3 ``ProductFootprint``).
ORIGINS = ("fossil", "biogenic", "land_use_change", "land_management")

# Gas names people write -> gas id in the table.
_ALIASES = {
    "carbon dioxide": "CO2",
    "methane": "CH4",
    "nitrous oxide": "N2O",
    "dinitrogen monoxide": "N2O",
    "sulfur hexafluoride": "SF6",
    "sulphur hexafluoride": "SF6",
    "nitrogen trifluoride": "NF3",
    "co2-eq": CO2E,
    "co2eq": CO2E,
    "co2e": CO2E,
    "二氧化碳": "CO2",
    "甲烷": "CH4",
    "氧化亚氮": "N2O",
    "cf4": "PFC-14",
    "c2f6": "PFC-116",
    "hfc134a": "HFC-134a",
    "r134a": "HFC-134a",
    "r-134a": "HFC-134a",
    "r32": "HFC-32",
    "r-32": "HFC-32",
}


@dataclass(frozen=True)
class Gas:
    """One row of the GWP table."""

    gas: str
    formula: str
    name_en: str
    name_zh: str
    gwp100: dict[str, float | None]
    source_ar4: str
    source_ar5_ar6: str


@lru_cache(maxsize=1)
def table() -> dict[str, Gas]:
    """The GWP table, keyed by gas id."""
    text = resources.files("tanzuji").joinpath("data/gwp100.csv").read_text(encoding="utf-8")
    rows: dict[str, Gas] = {}
    for row in csv.DictReader(text.splitlines()):
        rows[row["gas"]] = Gas(
            gas=row["gas"],
            formula=row["formula"],
            name_en=row["name_en"],
            name_zh=row["name_zh"],
            gwp100={s: float(row[s.lower()]) if row[s.lower()] else None for s in GWP_SETS},
            source_ar4=row["source_ar4"],
            source_ar5_ar6=row["source_ar5_ar6"],
        )
    return rows


def canonical_gas(name: str) -> str:
    """Gas id for a name as written (``methane`` -> ``CH4``, ``R-134a`` -> ``HFC-134a``)."""
    stripped = name.strip()
    if stripped == CO2E or stripped in ("CH4", "CO2", "N2O"):
        return stripped
    lowered = stripped.lower()
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    gases = table()
    if stripped in gases:
        return stripped
    by_lower = {g.lower(): g for g in gases} | {row.formula.lower(): g for g, row in gases.items()}
    if lowered in by_lower:
        return by_lower[lowered]
    raise UnknownGas(
        f"unknown greenhouse gas {name!r}; expected one of CO2, CH4, N2O, SF6, NF3, CO2e or an "
        f"HFC/PFC id such as HFC-134a (see data/gwp100.csv)"
    )


def check_gwp_set(name: str | None) -> str:
    """Return the canonical GWP set name (default :data:`DEFAULT_GWP_SET`); raise if unknown."""
    chosen = (name or DEFAULT_GWP_SET).upper()
    if chosen not in GWP_SETS:
        raise UnknownGWPSet(f"unknown GWP set {name!r}; expected one of {', '.join(GWP_SETS)}")
    return chosen


def gwp(gas: str, origin: str = "fossil", gwp_set: str | None = None) -> float:
    """GWP100 of ``gas`` emitted with ``origin`` in ``gwp_set``, in kg CO2e per kg.

    Methane of fossil origin takes the fossil value, any other origin the non-fossil one.
    """
    chosen = check_gwp_set(gwp_set)
    gas_id = canonical_gas(gas)
    if gas_id == CO2E:
        return 1.0
    if gas_id == "CH4":
        gas_id = "CH4-fossil" if origin == "fossil" else "CH4-non-fossil"
    value = table()[gas_id].gwp100[chosen]
    if value is None:
        raise UnknownGas(
            f"{gas_id} has no GWP100 in {chosen} (the IPCC report did not assess it); "
            f"choose another GWP set"
        )
    return value
