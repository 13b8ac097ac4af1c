"""Greenhouse gases, GWP100 sets (IPCC AR4, AR5, AR6) and characterization.

The table ``data/gwp100.csv`` carries one row per gas with a citation per GWP set naming the
primary IPCC table; it was built by ``scripts/build_gwp_table.py`` from the reference tables
named there (AR6 values cross-checked against the AR6 WG1 chapter 7 data release). Methane is
two rows, fossil and non-fossil (AR6 WG1 Table 7.15: 29.8 and 27.0; AR5 WG1 Table 8.A.1: 30
and 28), because ISO 14067 and PACT distinguish them; the engine picks the row from an
emission's origin: fossil methane the fossil value, biogenic, land-use-change and
land-management methane the non-fossil one.

``CO2e`` is a pseudo-gas for factors known only as CO2-equivalents: its characterization
factor is 1 in every set, and the factor says which GWP set produced it
(``FactorData.gwp_set_of_co2e``); a result in another set lists such factors
(``Footprint.gwp_set_mismatches``). A factor published as CO2e *per gas* is converted back to
kg of each gas with the GWP the publisher applied (:func:`mass_from_co2e`) and then
characterized in the requested set like any other gas (docs/factors.md).
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
    #: Citation of each set's value (primary IPCC table), by set name.
    sources: dict[str, str]


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
            sources={s: row[f"source_{s.lower()}"] for s in GWP_SETS},
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


def table_row(gas: str, origin: str = "fossil") -> str:
    """The row of ``data/gwp100.csv`` for ``gas`` emitted with ``origin``.

    Methane of fossil origin is ``CH4-fossil``; biogenic, land-use-change and land-management
    methane is ``CH4-non-fossil`` (AR6 WG1 Table 7.15, AR5 WG1 Table 8.A.1).
    """
    gas_id = canonical_gas(gas)
    if gas_id == "CH4":
        return "CH4-fossil" if origin == "fossil" else "CH4-non-fossil"
    return gas_id


def gwp(gas: str, origin: str = "fossil", gwp_set: str | None = None) -> float:
    """GWP100 of ``gas`` emitted with ``origin`` in ``gwp_set``, in kg CO2e per kg.

    Methane of fossil origin takes the fossil value, any other origin the non-fossil one.
    """
    chosen = check_gwp_set(gwp_set)
    gas_id = table_row(gas, origin)
    if gas_id == CO2E:
        return 1.0
    value = table()[gas_id].gwp100[chosen]
    if value is None:
        raise UnknownGas(
            f"{gas_id} has no GWP100 in {chosen} (the IPCC report did not assess it); "
            f"choose another GWP set"
        )
    return value


def canonical_gwp_set(name: str | None) -> str | None:
    """``AR5`` for ``ar5`` / ``IPCC AR5``; other names upper-cased as they are; None stays None.

    Unlike :func:`check_gwp_set` this accepts sets Tanzuji cannot characterize with (a factor
    may have been published in AR2 CO2e); comparing the result decides what happens.
    """
    if name is None or not name.strip():
        return None
    upper = name.strip().upper().replace("IPCC", "").strip()
    return upper


def mass_from_co2e(
    gas: str,
    origin: str,
    kg_co2e: float,
    gwp_set: str | None,
    gwp100: float | None = None,
) -> float:
    """kg of ``gas`` behind a published per-gas CO2e amount: ``kg_co2e / GWP100``.

    Parameters
    ----------
    gas, origin : str
        The gas and its origin (methane's GWP differs by origin).
    kg_co2e : float
        kg CO2e of this gas as published.
    gwp_set : str or None
        The GWP set the publisher used (``AR4``, ``AR5``, ``AR6``).
    gwp100 : float, optional
        The GWP100 the publisher applied to this gas, when it is not Tanzuji's table value of
        ``gwp_set`` for ``(gas, origin)`` (e.g. a publisher applying AR5's methane value 28
        to fossil methane, where AR5 WG1 Table 8.A.1 gives 30 for fossil methane).

    Raises
    ------
    UnknownGas
        For the pseudo-gas ``CO2e`` (it has no mass), or a gas without a GWP in ``gwp_set``.
    UnknownGWPSet
        When neither ``gwp100`` nor a known ``gwp_set`` is given.
    """
    if canonical_gas(gas) == CO2E:
        raise UnknownGas("a CO2e amount of the pseudo-gas CO2e has no mass; give a real gas")
    if gwp100 is None:
        if gwp_set is None:
            raise UnknownGWPSet(
                f"kg CO2e of {gas} needs the GWP set it was computed with (gwp_set) or the "
                "GWP100 the publisher applied (gwp100) to be converted back to kg of gas"
            )
        gwp100 = gwp(gas, origin, gwp_set)
    return kg_co2e / gwp100
