"""A certified Tanzuji result as a PACT v3 ProductFootprint, and a footprint as a factor.

:func:`product_footprint` maps, field by field (PACT Tech Specs v3.0.3 ``CarbonFootprint``):

* the declared unit and amount: the functional unit converted to the PACT unit of the same
  dimension (:func:`declared_unit`); every quantity is per that declared unit, as Tanzuji's
  are per functional unit;
* ``pcfExcludingBiogenicUptake``, ``pcfIncludingBiogenicUptake``, ``fossilGhgEmissions``,
  ``landUseChangeGhgEmissions``, ``landManagementBiogenicCO2Removals``,
  ``aircraftGhgEmissions``: the footprint's PACT quantities (:class:`tanzuji.footprint.
  PactQuantities`); ``biogenicCO2Uptake`` = Including - Excluding when <= 0;
  ``landManagementBiogenicCO2Emissions`` and ``biogenicNonCO2Emissions`` from the gas lines;
* ``biogenicCarbonContent`` from the model, ``fossilCarbonContent`` from the owner's
  disclosure (Tanzuji's model does not hold it);
* ``productMassPerDeclaredUnit``: a mass unit's own amount, else ``product.mass_per_unit_kg``,
  else ``0`` for energy, transport and service units as the specification says;
* ``exemptedEmissionsPercent`` from the model's declared exclusions (ISO 14067 cut-off);
* ``primaryDataShare`` and ``dqi`` from the footprint's data quality (PEF DQR scale 1..5, the
  v3 DQR scale);
* ``productOrSectorSpecificRules`` and classifications from the PCR, ``verification`` from
  the certificate (provider, completion time, the public certificate URL);
* the validity period: the certificate's, cut to the PACT window referencePeriodEnd ..
  referencePeriodEnd + 3 years (section "Validity Period"); left out, with a warning, when the
  two do not overlap;
* an extension (``DataModelExtension``) with the certificate id and URL and the content hashes
  of the result, model and factors, so a recipient can tie the footprint to its certificate.

:func:`factor_record` maps a received footprint back to a primary-data emission factor with
its provenance (supplier, host, footprint id, verification).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from tanzuji import units
from tanzuji.errors import PactMappingError, UnitMismatch, UnknownUnit
from tanzuji.exchange.filters import DEFAULT_VALIDITY_YEARS, add_years
from tanzuji.exchange.model import (
    REGIONS,
    SPEC_VERSION,
    ProductFootprint,
    datetime_text,
    decimal_text,
    parse_datetime,
    read_footprint,
)
from tanzuji.factors.importers import Skipped
from tanzuji.factors.importers.pact import footprint_record
from tanzuji.factors.record import FactorRecord, Source
from tanzuji.footprint import Footprint
from tanzuji.model.schema import Exclusion, Product
from tanzuji.pcr.schema import Pcr

#: PACT declared units and the Tanzuji unit each stands for, in the order a functional unit
#: is tried against them (the first of the same dimension wins).
DECLARED_UNITS: tuple[tuple[str, str], ...] = (
    ("kilogram", "kg"),
    ("liter", "L"),
    ("cubic meter", "m3"),
    ("kilowatt hour", "kWh"),
    ("megajoule", "MJ"),
    ("ton kilometer", "tkm"),
    ("square meter", "m2"),
    ("piece", "piece"),
    ("hour", "hour"),
)

#: Declared units of products whose mass is not relevant: productMassPerDeclaredUnit is 0
#: ("energy (kWh, MJ), logistics (ton.km) or service related product", PACT v3.0.3).
MASSLESS_UNITS = frozenset(
    {"kilowatt hour", "megajoule", "ton kilometer", "hour", "megabit second"}
)

#: Decimals the data quality ratings and the primary data share are written with (they are
#: weighted means of 1..5 scores and a percentage: more digits would claim a false precision).
QUALITY_DECIMALS = 2

#: Version of the Data Model Extension specification the Tanzuji extension follows.
EXTENSION_SPEC_VERSION = "2.0.0"

#: Path under a host's base URL where it serves the JSON schema of the Tanzuji extension.
EXTENSION_SCHEMA_PATH = "/pact/extensions/tanzuji-certificate/1.0.0/schema.json"

#: The JSON schema of the Tanzuji certificate extension (served by the host at
#: :data:`EXTENSION_SCHEMA_PATH`; ``dataSchema`` of the extension points at it).
EXTENSION_SCHEMA: dict = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Tanzuji certificate of a product footprint",
    "type": "object",
    "required": [
        "certificateId",
        "certificateVersion",
        "certificateUrl",
        "footprintSha256",
        "modelSha256",
        "factorsSha256",
    ],
    "properties": {
        "certificateId": {"type": "string"},
        "certificateVersion": {"type": "integer", "minimum": 1},
        "certificateUrl": {"type": "string", "format": "uri"},
        "certificateSha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "footprintSha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "modelSha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "factorsSha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "factorRelease": {"type": "string"},
        "gwpSet": {"type": "string"},
        "boundary": {"type": "string"},
        "functionalUnit": {"type": "string"},
        "label": {"type": "string"},
    },
}


@dataclass(frozen=True)
class Certified:
    """What the certificate says about the result (read from the signed certificate)."""

    certificate_id: str
    certificate_version: int
    certificate_url: str
    certificate_sha256: str
    issued_at: dt.datetime
    valid_from: dt.date
    valid_until: dt.date
    company_name: str
    verifier_name: str
    factor_release: str
    label: str


@dataclass(frozen=True)
class Disclosure:
    """What the data owner adds for PACT that a Tanzuji model does not hold.

    ``fossil_carbon_content_kg`` is kg of fossil carbon per declared unit (PACT SHALL; 0 for a
    product without fossil carbon, e.g. electricity).
    """

    company_ids: tuple[str, ...]
    product_ids: tuple[str, ...]
    fossil_carbon_content_kg: float
    classifications: tuple[str, ...] = ()
    packaging_included: bool | None = None
    comment: str = ""


@dataclass
class Mapped:
    """A footprint made by :func:`product_footprint`, with what the owner should know."""

    footprint: ProductFootprint
    warnings: list[str] = field(default_factory=list)


def footprint_sha256(footprint: Footprint) -> str:
    """SHA-256 of the result's canonical JSON (sorted keys, no spaces)."""
    data = footprint.model_dump(mode="json", exclude_none=True)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def declared_unit(functional_unit: dict) -> tuple[str, float]:
    """The PACT declared unit and amount of a functional unit (``{"amount", "unit"}``).

    Raises
    ------
    PactMappingError
        When no PACT declared unit has the functional unit's dimension.
    """
    amount = float(functional_unit.get("amount", 1.0))
    unit = str(functional_unit.get("unit", ""))
    for pact_unit, tanzuji_unit in DECLARED_UNITS:
        if unit.strip().lower() in (pact_unit, tanzuji_unit.lower()):
            return pact_unit, amount
    for pact_unit, tanzuji_unit in DECLARED_UNITS:
        try:
            if units.convertible(unit, tanzuji_unit):
                return pact_unit, units.convert(amount, unit, tanzuji_unit)
        except (UnitMismatch, UnknownUnit):
            continue
    raise PactMappingError(
        f"functional unit {amount:g} {unit} has no PACT declared unit of its dimension; PACT v3 "
        f"declares {', '.join(u for u, _ in DECLARED_UNITS)} (and megabit second)",
        field="functional_unit",
    )


def _mass(product: Product, pact_unit: str, amount: float) -> float:
    """productMassPerDeclaredUnit, kg."""
    if pact_unit == "kilogram":
        return amount
    if product.mass_per_unit_kg is not None:
        return float(product.mass_per_unit_kg)
    if pact_unit in MASSLESS_UNITS:
        return 0.0
    raise PactMappingError(
        f"product {product.id}: PACT needs the mass of one declared unit ({amount:g} "
        f"{pact_unit}); set product.mass_per_unit_kg in the model",
        field="productMassPerDeclaredUnit",
    )


def _geography(code: str | None) -> dict[str, str]:
    if not code:
        return {}
    text = code.strip()
    if len(text) == 2 and text.isalpha():
        return {"geographyCountry": text.upper()}
    country, _, sub = text.partition("-")
    if len(country) == 2 and country.isalpha() and 1 <= len(sub) <= 3 and sub.isalnum():
        return {"geographyCountrySubdivision": f"{country.upper()}-{sub.upper()}"}
    if text in REGIONS:
        return {"geographyRegionOrSubregion": text}
    return {}  # GLO, RoW, grid regions: PACT has no value for them


def _reference_period(product: Product) -> tuple[str, str]:
    period = product.reference_period
    if period is None:
        raise PactMappingError(
            f"product {product.id}: PACT needs the reference period of the activity data; set "
            "product.reference_period {start, end} in the model",
            field="referencePeriodStart",
        )
    start = dt.datetime.combine(period.start, dt.time(0, 0), tzinfo=dt.UTC)
    end = dt.datetime.combine(period.end, dt.time(23, 59, 59), tzinfo=dt.UTC)
    return datetime_text(start), datetime_text(end)


def validity(certified: Certified, reference_end: str) -> tuple[str, str] | None:
    """The certificate's validity within PACT's window (None when they do not overlap)."""
    window_start = parse_datetime(reference_end)
    window_end = add_years(window_start, DEFAULT_VALIDITY_YEARS)
    start = max(dt.datetime.combine(certified.valid_from, dt.time(0), tzinfo=dt.UTC), window_start)
    end = min(dt.datetime.combine(certified.valid_until, dt.time(0), tzinfo=dt.UTC), window_end)
    if start >= end:
        return None
    return datetime_text(start), datetime_text(end)


def _gas_sum(footprint: Footprint, *, gas: str | None, origin: str, other_gases: bool) -> float:
    total = 0.0
    for line in footprint.by_gas:
        if line.origin != origin or line.removal:
            continue
        if gas is None or (line.gas == gas) != other_gases:
            total += line.kg_co2e
    return total


def _non_negative(value: float, name: str) -> str:
    if value < -1e-12:
        raise PactMappingError(
            f"{name} is {value:g} kg CO2e; PACT v3 requires it >= 0 (credits for avoided "
            "burdens are not part of a PACT footprint)",
            field=name,
        )
    return decimal_text(max(value, 0.0), name)


def _non_positive(value: float, name: str) -> str:
    if value > 1e-12:
        raise PactMappingError(f"{name} is {value:g}; PACT v3 requires it <= 0", field=name)
    return decimal_text(min(value, 0.0), name)


def _quantities(footprint: Footprint) -> dict[str, str]:
    """The GHG lines of the CarbonFootprint (kg CO2e per declared unit)."""
    pact = footprint.pact
    lines = {
        "pcfExcludingBiogenicUptake": decimal_text(pact.pcfExcludingBiogenicUptake),
        "pcfIncludingBiogenicUptake": decimal_text(pact.pcfIncludingBiogenicUptake),
        "fossilGhgEmissions": _non_negative(pact.fossilGhgEmissions, "fossilGhgEmissions"),
        "landUseChangeGhgEmissions": _non_negative(
            pact.landUseChangeGhgEmissions, "landUseChangeGhgEmissions"
        ),
        "landManagementBiogenicCO2Emissions": _non_negative(
            _gas_sum(footprint, gas="CO2", origin="land_management", other_gases=False),
            "landManagementBiogenicCO2Emissions",
        ),
        "landManagementBiogenicCO2Removals": _non_positive(
            pact.landManagementBiogenicCO2Removals, "landManagementBiogenicCO2Removals"
        ),
        "biogenicNonCO2Emissions": _non_negative(
            _gas_sum(footprint, gas="CO2", origin="biogenic", other_gases=True),
            "biogenicNonCO2Emissions",
        ),
        "aircraftGhgEmissions": _non_negative(pact.aircraftGhgEmissions, "aircraftGhgEmissions"),
    }
    # PACT v3: Including = Excluding + biogenicCO2Uptake, the uptake <= 0
    uptake = pact.pcfIncludingBiogenicUptake - pact.pcfExcludingBiogenicUptake
    if uptake <= 0:
        lines["biogenicCO2Uptake"] = decimal_text(uptake)
    return lines


def _exempted(exclusions: Sequence[Exclusion], total: float) -> tuple[str, str | None]:
    """exemptedEmissionsPercent and its description from the model's declared exclusions."""
    percent = 0.0
    reasons = []
    for item in exclusions:
        if item.estimated_share is not None:
            share = item.estimated_share
        elif item.estimated_kg_co2e is not None and total > 0:
            share = item.estimated_kg_co2e / total
        else:
            share = 0.0
        percent += 100.0 * share
        reasons.append(f"{item.id} ({100 * share:.3g} %): {item.justification or 'cut-off'}")
    return decimal_text(percent), ("; ".join(reasons) or None)


def _rules(pcr: Pcr) -> list[dict]:
    """productOrSectorSpecificRules from a Tanzuji PCR."""
    publishers = " ".join(s.publisher or "" for s in pcr.standard)
    if "pefcr" in pcr.id.lower() or "PEF" in publishers.split():
        operator = {"operator": "PEF"}
    elif "EPD International" in publishers:
        operator = {"operator": "EPD International"}
    else:
        other = next((s.publisher for s in pcr.standard if s.publisher), None)
        operator = {"operator": "Other", "otherOperatorName": other or "Tanzuji PCR library"}
    names = [f"{pcr.ref} {pcr.name.text('en')}"]
    names += [s.title.strip() for s in pcr.standard if s.title.strip() not in names]
    return [{**operator, "ruleNames": list(dict.fromkeys(names))}]


def _secondary_sources(footprint: Footprint) -> list[dict] | None:
    sources: dict[tuple[str, str], None] = {}
    for used in footprint.inputs.factors:
        name = (used.source.split(";")[0].strip() or used.id)[:200]
        version = used.release or f"{used.id} v{used.version}"
        sources[(name, version)] = None
    return [{"name": n, "version": v} for n, v in sources] or None


def _quality(footprint: Footprint) -> dict:
    quality = footprint.data_quality
    if quality is None:
        return {}
    return {
        "primaryDataShare": decimal_text(round(quality.primary_data_share, QUALITY_DECIMALS)),
        # PACT v3.0.3 DataQualityIndicators: "between 1 and 5" - the PEF scale of ter/ger/tir
        "dqi": {
            "technologicalDQR": decimal_text(round(quality.ter, QUALITY_DECIMALS)),
            "geographicalDQR": decimal_text(round(quality.ger, QUALITY_DECIMALS)),
            "temporalDQR": decimal_text(round(quality.tir, QUALITY_DECIMALS)),
        },
    }


def _boundary_text(footprint: Footprint, product: Product, pcr: Pcr | None) -> str:
    stages = ", ".join(f"{s} {v:.4g}" for s, v in footprint.by_stage.items())
    rule = f" under PCR {pcr.ref}" if pcr else ""
    return (
        f"{product.boundary or 'boundary of the PCR'}{rule} (ISO 14067:2018); life-cycle "
        f"stages, kg CO2e per declared unit: {stages}"
    )


def _names(product: Product) -> tuple[str, str]:
    en, zh = product.name.en, product.name.zh
    name = " / ".join(n for n in (en, zh) if n)
    unit = product.functional_unit
    described = unit.description.text("en") if unit.description else ""
    text = f"{name}; {unit.kind} unit {unit.amount:g} {unit.unit}" + (
        f": {described}" if described else ""
    )
    return name, text


def _extension(
    footprint: Footprint, product: Product, certified: Certified, schema_url: str
) -> dict:
    unit = footprint.functional_unit
    return {
        "specVersion": EXTENSION_SPEC_VERSION,
        "dataSchema": schema_url,
        "data": {
            "certificateId": certified.certificate_id,
            "certificateVersion": certified.certificate_version,
            "certificateUrl": certified.certificate_url,
            "certificateSha256": certified.certificate_sha256,
            "footprintSha256": footprint_sha256(footprint),
            "modelSha256": footprint.inputs.model_sha256,
            "factorsSha256": footprint.inputs.factors_sha256,
            "factorRelease": certified.factor_release,
            "gwpSet": footprint.gwp_set,
            "boundary": product.boundary or "",
            "functionalUnit": f"{unit.get('amount', 1):g} {unit.get('unit', '')}",
            "label": certified.label,
        },
    }


def product_footprint(
    footprint: Footprint,
    product: Product,
    pcr: Pcr | None,
    certified: Certified,
    disclosure: Disclosure,
    *,
    footprint_id: str,
    created: dt.datetime,
    extension_schema_url: str,
    exclusions: Sequence[Exclusion] = (),
    preceding: Sequence[str] = (),
) -> Mapped:
    """The ProductFootprint of a certified result (see the module notes).

    Raises
    ------
    PactMappingError
        When a field PACT requires cannot be filled (naming it and what to set), or a
        quantity is outside PACT's range.
    PactInvalid
        When the owner's identifiers are not URNs.
    """
    warnings: list[str] = []
    pact_unit, amount = declared_unit(footprint.functional_unit)
    reference_start, reference_end = _reference_period(product)
    name, description = _names(product)
    classifications = disclosure.classifications or tuple(
        f"urn:cpc:{code}" for code in (pcr.category.cpc if pcr else [])
    )
    exempted, exempted_why = _exempted(exclusions, footprint.total_kg_co2e)
    pcf: dict = {
        "declaredUnitOfMeasurement": pact_unit,
        "declaredUnitAmount": decimal_text(amount, "declaredUnitAmount"),
        "productMassPerDeclaredUnit": decimal_text(_mass(product, pact_unit, amount)),
        "referencePeriodStart": reference_start,
        "referencePeriodEnd": reference_end,
        **_geography(product.geography),
        "boundaryProcessesDescription": _boundary_text(footprint, product, pcr),
        **_quantities(footprint),
        "fossilCarbonContent": _non_negative(
            disclosure.fossil_carbon_content_kg, "fossilCarbonContent"
        ),
        "ipccCharacterizationFactors": [footprint.gwp_set],
        "crossSectoralStandards": ["ISO14067"],
        "exemptedEmissionsPercent": exempted,
        **_quality(footprint),
        "verification": {
            "coverage": "product level",
            "providerName": certified.verifier_name,
            "completedAt": datetime_text(certified.issued_at),
            "standardName": "ISO 14067:2018" + (f"; PCR {pcr.ref}" if pcr else ""),
            "comments": f"certificate {certified.certificate_id} version "
            f"{certified.certificate_version}: {certified.certificate_url}",
        },
    }
    if footprint.biogenic_carbon_content_kg is not None:
        pcf["biogenicCarbonContent"] = _non_negative(
            footprint.biogenic_carbon_content_kg, "biogenicCarbonContent"
        )
    if exempted_why:
        pcf["exemptedEmissionsDescription"] = exempted_why
    if pcr is not None:
        pcf["productOrSectorSpecificRules"] = _rules(pcr)
    sources = _secondary_sources(footprint)
    if sources:
        pcf["secondaryEmissionFactorSources"] = sources
    if disclosure.packaging_included is not None:
        pcf["packagingEmissionsIncluded"] = disclosure.packaging_included
    document: dict = {
        "id": footprint_id,
        "specVersion": SPEC_VERSION,
        "created": datetime_text(created),
        "status": "Active",
        "companyName": certified.company_name,
        "companyIds": list(disclosure.company_ids),
        "productDescription": description,
        "productIds": list(disclosure.product_ids),
        "productNameCompany": name,
        "comment": disclosure.comment
        or f"Certified carbon footprint ({certified.label} label), certificate "
        f"{certified.certificate_id}: {certified.certificate_url}",
        "pcf": pcf,
        "extensions": [_extension(footprint, product, certified, extension_schema_url)],
    }
    if classifications:
        document["productClassifications"] = list(dict.fromkeys(classifications))
    if preceding:
        document["precedingPfIds"] = list(dict.fromkeys(preceding))
    window = validity(certified, reference_end)
    if window is None:
        warnings.append(
            f"the certificate's validity ({certified.valid_from} .. {certified.valid_until}) "
            f"does not overlap PACT's window (reference period end {reference_end} + "
            f"{DEFAULT_VALIDITY_YEARS} years): the footprint carries no validity period, so "
            "PACT takes it as valid until the window's end; recompute with a newer reference "
            "period for a current footprint"
        )
    else:
        document["validityPeriodStart"], document["validityPeriodEnd"] = window
    return Mapped(
        read_footprint(document, f"footprint of certificate {certified.certificate_id}"), warnings
    )


def same_content(a: ProductFootprint, b: ProductFootprint) -> bool:
    """Whether two footprints say the same thing (ignoring id, creation, status, lineage)."""
    ignored = {"id", "created", "status", "precedingPfIds"}
    left = {
        k: v for k, v in a.model_dump(mode="json", exclude_unset=True).items() if k not in ignored
    }
    right = {
        k: v for k, v in b.model_dump(mode="json", exclude_unset=True).items() if k not in ignored
    }
    return left == right


# -- a received footprint as a factor ------------------------------------------------------------
def verification_status(footprint: ProductFootprint) -> str:
    """``verified by PROVIDER (STANDARD, DATE)`` or ``not verified``."""
    check = footprint.pcf.verification
    if check is None or not (check.providerName or check.completedAt):
        return "not verified"
    parts = [p for p in (check.standardName, check.completedAt, check.coverage) if p]
    return f"verified by {check.providerName or 'an unnamed provider'}" + (
        f" ({', '.join(parts)})" if parts else ""
    )


def tanzuji_certificate(footprint: ProductFootprint) -> dict | None:
    """The data of a Tanzuji certificate extension, when the footprint carries one."""
    for extension in footprint.extensions or ():
        if str(extension.dataSchema).endswith(EXTENSION_SCHEMA_PATH):
            return dict(extension.data)
    return None


_BOUNDARIES = {
    "cradle-to-grave": "cradle_to_grave",
    "cradle-to-gate": "cradle_to_gate",
    "cradle-to-gate-with-options": "cradle_to_gate",
}


def factor_record(
    footprint: ProductFootprint, *, factor_id: str, host: str, accessed: dt.date
) -> FactorRecord:
    """A received footprint as a primary-data emission factor (per one declared unit).

    The amounts come from :func:`tanzuji.factors.importers.pact.footprint_record` (gases
    that reproduce both PACT totals); the source names the supplier, the host, the footprint
    id and its verification status.

    Raises
    ------
    PactMappingError
        When the footprint's quantities are inconsistent (the importer's reason).
    """
    where = f"{host} footprint {footprint.id}"
    outcome = footprint_record(footprint.model_dump(mode="json", exclude_unset=True), where, host)
    if isinstance(outcome, Skipped):
        raise PactMappingError(f"{where}: {outcome.reason}")
    certificate = tanzuji_certificate(footprint)
    boundary = _BOUNDARIES.get(str((certificate or {}).get("boundary", "")), outcome.boundary)
    lineage = (
        f"; replaces {', '.join(footprint.precedingPfIds)}" if footprint.precedingPfIds else ""
    )
    source = Source(
        publisher=footprint.companyName,
        document=(
            f"PACT ProductFootprint {footprint.id} (specVersion {footprint.specVersion}, "
            f"{footprint.status}) from {host}; {verification_status(footprint)}{lineage}"
        ),
        table=(certificate or {}).get("certificateId"),
        url=f"{host.rstrip('/')}/3/footprints/{footprint.id}",
        accessed=accessed,
    )
    return outcome.model_copy(update={"id": factor_id, "source": source, "boundary": boundary})


__all__ = [
    "DECLARED_UNITS",
    "EXTENSION_SCHEMA",
    "EXTENSION_SCHEMA_PATH",
    "Certified",
    "Disclosure",
    "Mapped",
    "declared_unit",
    "factor_record",
    "footprint_sha256",
    "product_footprint",
    "same_content",
    "tanzuji_certificate",
    "validity",
    "verification_status",
]
