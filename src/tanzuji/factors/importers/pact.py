"""PACT v3 ProductFootprint JSON: a supplier's product carbon footprint as a primary-data factor.

Accepts one ``ProductFootprint``, a list response ``{"data": [...]}``, a single response
``{"data": {...}}`` and a ``RequestFulfilledEvent`` (``{"data": {"pfs": [...]}}``).
Field meanings: PACT Technical Specification v3.0, section "ProductFootprint" / "CarbonFootprint".

The factor is per *one* declared unit: every amount is divided by ``declaredUnitAmount``.
``kg_co2e`` is ``pcfExcludingBiogenicUptake``; the split the footprint discloses becomes
``gases`` (``CO2e`` by origin, and the biogenic CO2 uptake/removals as CO2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tanzuji.errors import FactorImportError
from tanzuji.factors.importers import ImportResult, Skipped, load_json
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

# (PACT field, gas, origin): the disclosed split. CO2e amounts carry the footprint's GWP set.
_SPLIT = (
    ("fossilGhgEmissions", "CO2e", "fossil"),
    ("landManagementFossilGhgEmissions", "CO2e", "fossil"),
    ("biogenicNonCO2Emissions", "CO2e", "biogenic"),
    ("landUseChangeGhgEmissions", "CO2e", "land_use_change"),
    ("landManagementBiogenicCO2Emissions", "CO2", "land_management"),
    ("landManagementBiogenicCO2Removals", "CO2", "land_management"),
    ("biogenicCO2Uptake", "CO2", "biogenic"),
    ("biogenicCO2Withdrawal", "CO2", "biogenic"),  # name in PACT v2 / some v3 examples
)
_IPCC = ("AR6", "AR5", "AR4")


def read(path: Path) -> ImportResult:
    """Read the ProductFootprint(s) in a PACT JSON file."""
    document = load_json(path, Path(path).read_text(encoding="utf-8-sig"))
    result = ImportResult()
    for where, footprint in _footprints(document, str(path)):
        if str(footprint.get("status", "Active")) != "Active":
            result.skipped.append(
                Skipped(where, f"status {footprint.get('status')!r}; only Active footprints")
            )
            continue
        result.records.append(footprint_record(footprint, where, Path(path).name))
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


def footprint_record(footprint: dict[str, Any], where: str, file_name: str) -> FactorRecord:
    """The primary-data factor of one ProductFootprint."""
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
    ident = str(_field(footprint, "id", where))
    start = footprint.get("validityPeriodStart") or pcf.get("referencePeriodStart")
    end = footprint.get("validityPeriodEnd") or pcf.get("referencePeriodEnd")
    return FactorRecord(
        id=safe_id("pact", ident),
        name_en=footprint.get("productNameCompany") or footprint.get("productDescription") or ident,
        activity=footprint.get("productDescription") or "",
        unit=DECLARED_UNITS[declared.strip().lower()],
        kg_co2e=total / amount,
        gases=_split(pcf, at, amount),
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
        comment=_comment(pcf, amount),
    )


def _split(pcf: dict[str, Any], at: str, amount: float) -> list[GasAmount]:
    totals: dict[tuple[str, str], float] = {}
    for key, gas, origin in _SPLIT:
        if pcf.get(key) not in (None, ""):
            value = number(pcf[key], at, key) / amount
            if value:
                totals[(gas, origin)] = totals.get((gas, origin), 0.0) + value
    return [GasAmount(gas=g, origin=o, amount_kg=v) for (g, o), v in totals.items()]  # type: ignore[arg-type]


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
