"""PACT v3 ProductFootprint JSON: a supplier's product carbon footprint as a primary-data factor.

Accepts one ``ProductFootprint``, a list response ``{"data": [...]}``, a single response
``{"data": {...}}`` and a ``RequestFulfilledEvent`` (``{"data": {"pfs": [...]}}``).
Field meanings: PACT Technical Specification v3.0, section "ProductFootprint" / "CarbonFootprint".

The factor is per *one* declared unit: every amount is divided by ``declaredUnitAmount``.
``kg_co2e`` is ``pcfExcludingBiogenicUptake`` (for display); the engine uses ``gases``, built
so that a footprint computed from the factor reproduces the supplier's two totals
(:func:`split_gases`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tanzuji.errors import FactorImportError
from tanzuji.factors.importers import ImportResult, Skipped, limits, load_json
from tanzuji.factors.importers.inventory import (
    UNKNOWN_LICENCE,
    date_of,
    geography_code,
    number,
    safe_id,
    year_of,
)
from tanzuji.factors.record import FactorRecord, GasAmount, Source

#: PACT v3 DeclaredUnit values -> units of :mod:`tanzuji.units`.
DECLARED_UNITS = {
    "kilogram": "kg",
    "liter": "L",
    "litre": "L",
    "kilowatt hour": "kWh",
    "cubic meter": "m3",
    "ton kilometer": "tkm",
    "square meter": "m2",
    "megajoule": "MJ",
    "unit": "piece",
    "piece": "piece",
}

_IPCC = ("AR6", "AR5", "AR4")


def read(path: Path) -> ImportResult:
    """Read the ProductFootprint(s) in a PACT JSON file."""
    document = load_json(path, limits.read_bytes(Path(path)).decode("utf-8-sig"))
    result = ImportResult()
    for where, footprint in _footprints(document, str(path)):
        if str(footprint.get("status", "Active")) != "Active":
            result.skipped.append(
                Skipped(where, f"status {footprint.get('status')!r}; only Active footprints")
            )
            continue
        outcome = footprint_record(footprint, where, Path(path).name)
        if isinstance(outcome, Skipped):
            result.skipped.append(outcome)
        else:
            result.records.append(outcome)
    return result


def _footprints(document: object, path: str) -> list[tuple[str, dict[str, Any]]]:
    if isinstance(document, dict) and "pcf" in document:
        return [(path, document)]
    data = document.get("data") if isinstance(document, dict) else None
    if isinstance(data, dict) and isinstance(data.get("pfs"), list):
        return [(f"{path}: data.pfs[{i}]", pf) for i, pf in enumerate(data["pfs"])]
    if isinstance(data, dict) and "pcf" in data:
        return [(f"{path}: data", data)]
    if isinstance(data, list) and all(isinstance(pf, dict) for pf in data):
        return [(f"{path}: data[{i}]", pf) for i, pf in enumerate(data)]
    found = list(document)[:6] if isinstance(document, dict) else type(document).__name__
    raise FactorImportError(
        f"no ProductFootprint found (top level: {found}); expected an object with 'pcf', "
        "{'data': [...]} or {'data': {'pfs': [...]}} (PACT v3)",
        location=path,
    )


def _field(obj: dict[str, Any], key: str, where: str) -> Any:
    if key not in obj or obj[key] in (None, ""):
        raise FactorImportError(
            f"missing required field {key!r}; expected it in a PACT v3 ProductFootprint",
            location=where,
            field=key,
        )
    return obj[key]


def footprint_record(
    footprint: dict[str, Any], where: str, file_name: str
) -> FactorRecord | Skipped:
    """The primary-data factor of one ProductFootprint (or why it cannot be one)."""
    pcf = _field(footprint, "pcf", where)
    at = f"{where}.pcf"
    declared = str(_field(pcf, "declaredUnitOfMeasurement", at))
    if declared.strip().lower() not in DECLARED_UNITS:
        raise FactorImportError(
            f"unknown declaredUnitOfMeasurement {declared!r}; expected one of "
            f"{', '.join(sorted(DECLARED_UNITS))} / 申报单位无法识别",
            location=at,
            field="declaredUnitOfMeasurement",
            found=declared,
        )
    amount = number(_field(pcf, "declaredUnitAmount", at), at, "declaredUnitAmount")
    if amount <= 0:
        raise FactorImportError(
            f"declaredUnitAmount is {amount}; expected a positive number",
            location=at,
            field="declaredUnitAmount",
        )
    total = number(_field(pcf, "pcfExcludingBiogenicUptake", at), at, "pcfExcludingBiogenicUptake")
    split = split_gases(pcf, at, amount)
    if isinstance(split, str):
        return Skipped(at, split)
    gas_amounts, notes = split
    ident = str(_field(footprint, "id", where))
    start = footprint.get("validityPeriodStart") or pcf.get("referencePeriodStart")
    end = footprint.get("validityPeriodEnd") or pcf.get("referencePeriodEnd")
    return FactorRecord(
        id=safe_id("pact", ident),
        name_en=footprint.get("productNameCompany") or footprint.get("productDescription") or ident,
        activity=footprint.get("productDescription") or "",
        unit=DECLARED_UNITS[declared.strip().lower()],
        kg_co2e=total / amount,
        gases=gas_amounts,
        gwp_set=_gwp_set(pcf.get("ipccCharacterizationFactors") or []),
        boundary="cradle_to_gate",
        geography=geography_code(
            pcf.get("geographyCountrySubdivision")
            or pcf.get("geographyCountry")
            or pcf.get("geographyRegionOrSubregion")
        ),
        year=year_of(pcf.get("referencePeriodStart")),
        valid_from=date_of(start),
        valid_to=date_of(end),
        source=Source(
            publisher=str(footprint.get("companyName") or "unknown supplier"),
            document=f"PACT ProductFootprint {ident} ({file_name})",
        ),
        licence=UNKNOWN_LICENCE,
        classification=_classification(footprint.get("productClassifications") or []),
        primary_data=True,
        comment=" | ".join([_comment(pcf, amount), *notes]).strip(" |"),
    )


def _value(pcf: dict[str, Any], key: str, at: str, amount: float) -> float:
    raw = pcf.get(key)
    return 0.0 if raw in (None, "") else number(raw, at, key) / amount


def split_gases(
    pcf: dict[str, Any], at: str, amount: float
) -> tuple[list[GasAmount], list[str]] | str:
    """Gas amounts per declared unit that reproduce the footprint's totals in the engine.

    With ``E`` = pcfExcludingBiogenicUptake and ``I`` = pcfIncludingBiogenicUptake (PACT v3:
    ``I`` adds the biogenic product CO2 uptake to ``E``):

    * ``CO2e`` fossil = fossilGhgEmissions (which already includes land-management fossil
      emissions), the aircraftGhgEmissions part flagged ``aircraft``;
    * ``CO2e`` land_use_change = landUseChangeGhgEmissions;
    * ``CO2`` land_management = -|landManagementBiogenicCO2Removals| (part of ``E``);
    * ``CO2e`` biogenic = the remainder of ``E`` (biogenic CH4/CO2, land-management biogenic
      CO2, technological removals...);
    * ``CO2`` biogenic = ``I - E`` (<= 0), the uptake, so that the engine's
      pcfExcludingBiogenicUptake (total minus net biogenic CO2) equals ``E`` and its total
      equals ``I``. A reported biogenicCO2Uptake that differs (rounding) is noted.

    Returns the gases and notes, or the reason the footprint is inconsistent.
    """
    excluding = _value(pcf, "pcfExcludingBiogenicUptake", at, amount)
    including = _value(pcf, "pcfIncludingBiogenicUptake", at, amount)
    if pcf.get("pcfIncludingBiogenicUptake") in (None, ""):
        including = excluding + _value(pcf, "biogenicCO2Uptake", at, amount)
    fossil = _value(pcf, "fossilGhgEmissions", at, amount)
    aircraft = _value(pcf, "aircraftGhgEmissions", at, amount)
    luc = _value(pcf, "landUseChangeGhgEmissions", at, amount)
    lm_removals = -abs(_value(pcf, "landManagementBiogenicCO2Removals", at, amount))
    uptake = including - excluding
    notes: list[str] = []
    if uptake > 1e-12 * max(1.0, abs(excluding)):
        return (
            f"pcfIncludingBiogenicUptake ({including:g}) exceeds pcfExcludingBiogenicUptake "
            f"({excluding:g}) per declared unit; PACT v3 biogenic uptake cannot be positive — "
            "ask the supplier to correct the footprint"
        )
    rest = excluding - fossil - luc - lm_removals
    if rest < 0:
        notes.append(
            f"disclosed fossil {fossil:g} + land-use change {luc:g} exceed "
            f"pcfExcludingBiogenicUptake; fossil part lowered to {fossil + rest:g} so the parts "
            "add up to the supplier's total"
        )
        fossil, rest = fossil + rest, 0.0
    if fossil < aircraft or fossil < 0:
        return (
            f"fossilGhgEmissions ({fossil:g}) is below aircraftGhgEmissions ({aircraft:g}) or "
            "cannot fit in pcfExcludingBiogenicUptake; the footprint's parts are inconsistent"
        )
    reported = pcf.get("biogenicCO2Uptake") or pcf.get("biogenicCO2Withdrawal")
    if reported not in (None, ""):
        stated = number(reported, at, "biogenicCO2Uptake") / amount
        if abs(stated - uptake) > 1e-9 * max(1.0, abs(uptake)):
            notes.append(
                f"biogenic CO2 uptake taken as pcfIncluding - pcfExcluding = {uptake:g} per "
                f"declared unit (reported biogenicCO2Uptake {stated:g})"
            )
    parts = [
        ("CO2e", "fossil", fossil - aircraft, False),
        ("CO2e", "fossil", aircraft, True),
        ("CO2e", "land_use_change", luc, False),
        ("CO2", "land_management", lm_removals, False),
        ("CO2e", "biogenic", rest, False),
        ("CO2", "biogenic", uptake, False),
    ]
    gas_amounts = [
        GasAmount(gas=g, origin=o, amount_kg=v, aircraft=a) for g, o, v, a in parts if v != 0
    ]
    return gas_amounts, notes


def _gwp_set(names: list[str]) -> str | None:
    """The newest IPCC assessment the footprint used (``["AR5", "AR6"]`` -> AR6)."""
    upper = {str(n).upper() for n in names}
    return next((s for s in _IPCC if s in upper), None)


def _classification(urns: list[str]) -> dict[str, str]:
    codes: dict[str, str] = {}
    for urn in urns:
        parts = str(urn).split(":")
        if len(parts) >= 2 and "productclassification" in urn:
            system = parts[-2].upper().replace("UN-", "")
            codes[system] = parts[-1]
    return codes


def _comment(pcf: dict[str, Any], amount: float) -> str:
    keys = ("pcfIncludingBiogenicUptake", "aircraftGhgEmissions", "primaryDataShare")
    shown = [f"{k}={pcf[k]}" for k in keys if pcf.get(k) not in (None, "")]
    per = f" per {amount:g} declared units" if amount != 1 else ""
    return ("PACT " + ", ".join(shown) + per) if shown else ""
