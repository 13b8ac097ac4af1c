"""The PACT v3 data model: ProductFootprint, CarbonFootprint, the events and the error body.

Written from the WBCSD PACT Technical Specifications v3.0.3 (OpenAPI 3.0.3 document,
``components/schemas``; sections "Data Model", "Action Events", "Error responses"). Property
names are the specification's own (camelCase), so a model reads like the spec it mirrors.

* Decimals (``string<decimal>``) stay text: ``"0.384"`` is read and written unchanged, and
  checked against the specification's patterns and signs (``PositiveOrZeroDecimal`` ...).
* Date-times stay text too, checked as ISO 8601 with a time zone (``format: date-time``).
* Properties the specification does not name are kept (``extra="allow"``): the specification
  does not forbid them, and a footprint read and written again must be the same JSON
  (:func:`dump`).

Nothing here reads a file: the OpenAPI document itself is not shipped (its licence forbids
redistribution); :mod:`tanzuji.exchange.openapi` validates against a copy the caller names.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from tanzuji.errors import PactInvalid, PactMappingError

#: The version of the data model Tanzuji writes (ProductFootprint ``specVersion``).
SPEC_VERSION = "3.0.3"

#: CloudEvents ``type`` of the four v3 events (PACT v3.0.3, Action Events).
REQUEST_CREATED = "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3"
REQUEST_FULFILLED = "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3"
REQUEST_REJECTED = "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3"
PUBLISHED = "org.wbcsd.pact.ProductFootprint.PublishedEvent.3"

#: CloudEvents specification version the events carry (CloudEvents 1.0, JSON format).
CLOUDEVENTS_VERSION = "1.0"

#: Media type of an event body (CloudEvents structured content mode, JSON).
CLOUDEVENTS_MEDIA_TYPE = "application/cloudevents+json"

#: PACT v3 ``Error.code`` values and the HTTP status of each (PACT v3.0.3, "Error responses",
#: error codes table; ``NotFound`` is the OpenAPI enum's name for the table's NoSuchFootprint).
ERROR_STATUS = {
    "AccessDenied": 403,
    "BadRequest": 400,
    "NotFound": 404,
    "NotImplemented": 400,
    "TokenExpired": 401,
    "InternalError": 500,
}

_DECIMAL = re.compile(r"^[+-]?\d+(\.\d+)?$")
_URN = re.compile(r"^[uU][rR][nN]:")
_SPEC_VERSION = re.compile(r"^\d+\.\d+\.\d+(-\d{8})?$")


# -- checked text types -----------------------------------------------------------------------
def _decimal_value(text: str) -> Decimal:
    if not _DECIMAL.match(text):
        raise ValueError(f"{text!r} is not a decimal string (digits, optional sign and point)")
    return Decimal(text)


def _any_decimal(text: str) -> str:
    _decimal_value(text)
    return text


def _positive_or_zero(text: str) -> str:
    if text.startswith("-") or _decimal_value(text) < 0:
        raise ValueError(f"{text!r} must be a decimal >= 0 without a minus sign")
    return text


def _negative_or_zero(text: str) -> str:
    if text.startswith("+") or _decimal_value(text) > 0:
        raise ValueError(f"{text!r} must be a decimal <= 0")
    return text


def _positive_non_zero(text: str) -> str:
    if text.startswith("-") or _decimal_value(text) <= 0:
        raise ValueError(f"{text!r} must be a decimal > 0")
    return text


def _urn(text: str) -> str:
    if not _URN.match(text):
        raise ValueError(f"{text!r} is not a URN (expected 'urn:namespace:...', RFC 8141)")
    return text


def _uuid(text: str) -> str:
    try:
        uuid.UUID(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a UUID (RFC 4122)") from None
    return text


def parse_datetime(text: str) -> dt.datetime:
    """An ISO 8601 date-time with a time zone (``Z`` or an offset), as an aware datetime.

    Raises
    ------
    ValueError
        When the text is not a date-time or has no time zone.
    """
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date-time") from None
    if "T" not in text.upper() or value.tzinfo is None:
        raise ValueError(f"{text!r} needs a date, a time and a time zone (e.g. ...T00:00:00Z)")
    return value


def _datetime(text: str) -> str:
    parse_datetime(text)
    return text


def _uri(text: str) -> str:
    if not urlsplit(text).scheme:
        raise ValueError(f"{text!r} is not an absolute URI")
    return text


def _unique(values: list[Any]) -> list[Any]:
    seen = [repr(v) for v in values]
    if len(seen) != len(set(seen)):
        raise ValueError("items must be unique")
    return values


DecimalText = Annotated[str, AfterValidator(_any_decimal)]
PositiveOrZeroDecimal = Annotated[str, AfterValidator(_positive_or_zero)]
NegativeOrZeroDecimal = Annotated[str, AfterValidator(_negative_or_zero)]
PositiveNonZeroDecimal = Annotated[str, AfterValidator(_positive_non_zero)]
Urn = Annotated[str, AfterValidator(_urn)]
UuidText = Annotated[str, AfterValidator(_uuid)]
DateTimeText = Annotated[str, AfterValidator(_datetime)]
UriText = Annotated[str, AfterValidator(_uri)]
NonEmptyText = Annotated[str, Field(min_length=1)]
UrnList = Annotated[list[Urn], Field(min_length=1), AfterValidator(_unique)]

DeclaredUnit = Literal[
    "liter",
    "kilogram",
    "cubic meter",
    "kilowatt hour",
    "megajoule",
    "ton kilometer",
    "square meter",
    "piece",
    "hour",
    "megabit second",
]

#: UN M49 regions and sub-regions PACT accepts in ``geographyRegionOrSubregion``.
REGIONS = (
    "Africa",
    "Americas",
    "Asia",
    "Europe",
    "Oceania",
    "Australia and New Zealand",
    "Central Asia",
    "Eastern Asia",
    "Eastern Europe",
    "Latin America and the Caribbean",
    "Melanesia",
    "Micronesia",
    "Northern Africa",
    "Northern America",
    "Northern Europe",
    "Polynesia",
    "South-eastern Asia",
    "Southern Asia",
    "Southern Europe",
    "Sub-Saharan Africa",
    "Western Asia",
    "Western Europe",
)
Region = Literal[REGIONS]  # type: ignore[valid-type]


class _Open(BaseModel):
    """A PACT object: properties the specification does not name are kept as they are."""

    model_config = ConfigDict(extra="allow")


# -- the data model -----------------------------------------------------------------------------
class ProductOrSectorSpecificRule(_Open):
    operator: Literal["PEF", "EPD International", "Other"]
    ruleNames: Annotated[list[NonEmptyText], Field(min_length=1), AfterValidator(_unique)]
    otherOperatorName: NonEmptyText | None = None


class EmissionFactorSource(_Open):
    name: NonEmptyText
    version: NonEmptyText


class DataQualityIndicators(_Open):
    """PACT v3 DQRs, 1 (best) .. 5 (PACT v3.0.3 ``DataQualityIndicators``)."""

    technologicalDQR: DecimalText
    geographicalDQR: DecimalText
    temporalDQR: DecimalText


class Verification(_Open):
    coverage: Literal["PCF calculation model", "PCF program", "product level"] | None = None
    providerName: str | None = None
    completedAt: DateTimeText | None = None
    standardName: str | None = None
    comments: str | None = None


class DataModelExtension(_Open):
    specVersion: str
    dataSchema: UriText
    documentation: UriText | None = None
    data: dict[str, Any]


class CarbonFootprint(_Open):
    """The carbon footprint of a product per declared unit (PACT v3 ``CarbonFootprint``)."""

    declaredUnitOfMeasurement: DeclaredUnit
    declaredUnitAmount: PositiveNonZeroDecimal
    productMassPerDeclaredUnit: DecimalText
    referencePeriodStart: DateTimeText
    referencePeriodEnd: DateTimeText
    geographyRegionOrSubregion: Region | None = None
    geographyCountry: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    geographyCountrySubdivision: (
        Annotated[str, Field(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$")] | None
    ) = None
    boundaryProcessesDescription: str | None = None
    pcfExcludingBiogenicUptake: DecimalText
    pcfIncludingBiogenicUptake: DecimalText
    fossilCarbonContent: PositiveOrZeroDecimal
    biogenicCarbonContent: PositiveOrZeroDecimal | None = None
    recycledCarbonContent: PositiveOrZeroDecimal | None = None
    fossilGhgEmissions: PositiveOrZeroDecimal
    landUseChangeGhgEmissions: PositiveOrZeroDecimal | None = None
    landCarbonLeakage: PositiveOrZeroDecimal | None = None
    landManagementFossilGhgEmissions: PositiveOrZeroDecimal | None = None
    landManagementBiogenicCO2Emissions: PositiveOrZeroDecimal | None = None
    landManagementBiogenicCO2Removals: NegativeOrZeroDecimal | None = None
    biogenicCO2Uptake: NegativeOrZeroDecimal | None = None
    biogenicNonCO2Emissions: PositiveOrZeroDecimal | None = None
    landAreaOccupation: PositiveOrZeroDecimal | None = None
    aircraftGhgEmissions: PositiveOrZeroDecimal | None = None
    packagingEmissionsIncluded: bool | None = None
    packagingGhgEmissions: PositiveOrZeroDecimal | None = None
    packagingBiogenicCarbonContent: PositiveOrZeroDecimal | None = None
    outboundLogisticsGhgEmissions: PositiveOrZeroDecimal | None = None
    ccsTechnologicalCO2CaptureIncluded: bool | None = None
    ccsTechnologicalCO2Capture: NegativeOrZeroDecimal | None = None
    technologicalCO2CaptureOrigin: str | None = None
    technologicalCO2Removals: NegativeOrZeroDecimal | None = None
    ccuCarbonContent: PositiveOrZeroDecimal | None = None
    ccuCalculationApproach: Literal["Cut-off", "Credit"] | None = None
    ccuCreditCertification: UriText | None = None
    ipccCharacterizationFactors: Annotated[
        list[Annotated[str, Field(pattern=r"^AR\d+$")]],
        Field(min_length=1),
        AfterValidator(_unique),
    ]
    crossSectoralStandards: Annotated[list[str], Field(min_length=1), AfterValidator(_unique)]
    productOrSectorSpecificRules: (
        Annotated[list[ProductOrSectorSpecificRule], Field(min_length=1), AfterValidator(_unique)]
        | None
    ) = None
    exemptedEmissionsPercent: DecimalText
    exemptedEmissionsDescription: str | None = None
    allocationRulesDescription: str | None = None
    secondaryEmissionFactorSources: (
        Annotated[list[EmissionFactorSource], Field(min_length=1)] | None
    ) = None
    primaryDataShare: DecimalText | None = None
    dqi: DataQualityIndicators | None = None
    verification: Verification | None = None

    @model_validator(mode="after")
    def _one_geography(self) -> CarbonFootprint:
        # OpenAPI: oneOf(exactly one of the three, none of them)
        given = [
            name
            for name in (
                "geographyRegionOrSubregion",
                "geographyCountry",
                "geographyCountrySubdivision",
            )
            if getattr(self, name) is not None
        ]
        if len(given) > 1:
            raise ValueError(f"give at most one geography; found {', '.join(given)}")
        return self

    def geography(self) -> str | None:
        """The one geography given (subdivision, country or region), if any."""
        return (
            self.geographyCountrySubdivision
            or self.geographyCountry
            or self.geographyRegionOrSubregion
        )


class ProductFootprint(_Open):
    """A product footprint (PACT v3 ``ProductFootprint``); immutable once published except for
    ``status`` becoming ``Deprecated`` (section "Product Footprint Lifecycle")."""

    id: UuidText
    specVersion: Annotated[str, Field(pattern=_SPEC_VERSION.pattern)]
    precedingPfIds: (
        Annotated[list[UuidText], Field(min_length=1), AfterValidator(_unique)] | None
    ) = None
    created: DateTimeText
    status: Literal["Active", "Deprecated"]
    validityPeriodStart: DateTimeText | None = None
    validityPeriodEnd: DateTimeText | None = None
    companyName: NonEmptyText
    companyIds: UrnList
    productDescription: str
    productIds: UrnList
    productClassifications: UrnList | None = None
    productNameCompany: NonEmptyText
    comment: str | None = None
    pcf: CarbonFootprint
    extensions: list[DataModelExtension] | None = None


class ErrorBody(_Open):
    """The body of a PACT error response and of a RequestRejectedEvent's ``error``."""

    code: Literal[
        "BadRequest", "AccessDenied", "TokenExpired", "NotFound", "InternalError", "NotImplemented"
    ]
    message: str


# -- events (CloudEvents 1.0, structured JSON) ------------------------------------------------
class RequestCriteria(_Open):
    """What a RequestCreatedEvent asks for: the ListFootprints filters and a comment.

    ``status`` is a string in v3.0.3 and a list in the 3.0.4 draft; both are read. Identifier
    lists are read as text (a value that is not a URN matches nothing).
    """

    productId: list[str] | None = None
    companyId: list[str] | None = None
    geography: list[str] | None = None
    classification: list[str] | None = None
    validOn: DateTimeText | None = None
    validAfter: DateTimeText | None = None
    validBefore: DateTimeText | None = None
    status: str | list[str] | None = None
    comment: str | None = None


class RequestFulfilledData(_Open):
    requestEventId: NonEmptyText
    pfs: Annotated[list[ProductFootprint], Field(min_length=1)]


class RequestRejectedData(_Open):
    requestEventId: NonEmptyText
    error: ErrorBody


class PublishedData(_Open):
    pfIds: Annotated[list[UuidText], Field(min_length=1)]


class _Event(_Open):
    specversion: NonEmptyText
    id: NonEmptyText
    source: NonEmptyText
    time: DateTimeText


class RequestCreatedEvent(_Event):
    type: Literal["org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3"]
    data: RequestCriteria


class RequestFulfilledEvent(_Event):
    type: Literal["org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3"]
    data: RequestFulfilledData


class RequestRejectedEvent(_Event):
    type: Literal["org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3"]
    data: RequestRejectedData


class PublishedEvent(_Event):
    type: Literal["org.wbcsd.pact.ProductFootprint.PublishedEvent.3"]
    data: PublishedData


Event = RequestCreatedEvent | RequestFulfilledEvent | RequestRejectedEvent | PublishedEvent

EVENT_MODELS: dict[str, type[_Event]] = {
    REQUEST_CREATED: RequestCreatedEvent,
    REQUEST_FULFILLED: RequestFulfilledEvent,
    REQUEST_REJECTED: RequestRejectedEvent,
    PUBLISHED: PublishedEvent,
}


# -- reading and writing ------------------------------------------------------------------------
def problems(exc: ValidationError, limit: int = 5) -> str:
    """The first ``limit`` problems of a validation error, each as ``path: message``."""
    lines = []
    for error in exc.errors()[:limit]:
        path = ".".join(str(p) for p in error["loc"]) or "(document)"
        lines.append(f"{path}: {error['msg']}")
    more = len(exc.errors()) - limit
    return "; ".join(lines) + (f"; and {more} more" if more > 0 else "")


def read_footprint(document: Any, where: str = "ProductFootprint") -> ProductFootprint:
    """A ProductFootprint from parsed JSON.

    Raises
    ------
    PactInvalid
        Naming each field that does not conform, what was found and what PACT v3 expects.
    """
    try:
        return ProductFootprint.model_validate(document)
    except ValidationError as exc:
        raise PactInvalid(
            f"not a PACT v3 ProductFootprint: {problems(exc)}", location=where
        ) from None


def read_event(document: Any) -> Event:
    """One of the four v3 events from a parsed CloudEvents JSON body.

    Raises
    ------
    PactInvalid
        When the body is not an object, its ``type`` is not a v3 event, or a field does not
        conform (e.g. ``data.pfIds[0]`` of a PublishedEvent is not a UUID).
    """
    if not isinstance(document, dict):
        raise PactInvalid(
            f"an event must be a JSON object (CloudEvents structured mode); found "
            f"{type(document).__name__}"
        )
    kind = document.get("type")
    model = EVENT_MODELS.get(str(kind))
    if model is None:
        raise PactInvalid(
            f"event type {kind!r} is not a PACT v3 event; expected one of "
            f"{', '.join(EVENT_MODELS)}",
            field="type",
        )
    try:
        return model.model_validate(document)  # type: ignore[return-value]
    except ValidationError as exc:
        raise PactInvalid(f"invalid {kind}: {problems(exc)}") from None


def dump(document: BaseModel) -> dict[str, Any]:
    """The JSON object of a PACT model: every property that was given, and nothing else (a
    document read with :func:`read_footprint` dumps to the same JSON)."""
    return document.model_dump(mode="json", exclude_unset=True)


#: Significant digits a float keeps when written as a PACT decimal: beyond double precision
#: noise (0.30000000000000004 becomes 0.3), far below any reporting precision.
DECIMAL_DIGITS = 12


def decimal_text(value: float, what: str = "value") -> str:
    """A float as a PACT decimal string: plain notation (the pattern has no exponent),
    ``DECIMAL_DIGITS`` significant digits, no negative zero.

    Raises
    ------
    PactMappingError
        When the value is NaN or infinite.
    """
    if not math.isfinite(value):
        raise PactMappingError(f"{what} is {value}; a PACT decimal must be a finite number")
    rounded = Decimal(f"{value:.{DECIMAL_DIGITS}g}")
    if rounded == 0:
        return "0"
    text = format(rounded, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def decimal_value(text: str, what: str = "value") -> float:
    """A PACT decimal string as a float.

    Raises
    ------
    PactInvalid
        When the text is not a decimal.
    """
    try:
        return float(Decimal(text))
    except (InvalidOperation, TypeError):
        raise PactInvalid(f"{what} is {text!r}; expected a decimal string") from None


def datetime_text(value: dt.datetime) -> str:
    """An aware datetime as PACT writes it: UTC, seconds, ``Z`` (``2026-12-02T09:00:00Z``)."""
    utc = value.astimezone(dt.UTC).replace(microsecond=0)
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


__all__ = [
    "CLOUDEVENTS_MEDIA_TYPE",
    "CLOUDEVENTS_VERSION",
    "ERROR_STATUS",
    "PUBLISHED",
    "REGIONS",
    "REQUEST_CREATED",
    "REQUEST_FULFILLED",
    "REQUEST_REJECTED",
    "SPEC_VERSION",
    "CarbonFootprint",
    "DataModelExtension",
    "DataQualityIndicators",
    "EmissionFactorSource",
    "ErrorBody",
    "Event",
    "ProductFootprint",
    "ProductOrSectorSpecificRule",
    "PublishedEvent",
    "RequestCreatedEvent",
    "RequestCriteria",
    "RequestFulfilledEvent",
    "RequestRejectedEvent",
    "Verification",
    "datetime_text",
    "decimal_text",
    "decimal_value",
    "dump",
    "parse_datetime",
    "read_event",
    "read_footprint",
]
