"""The ListFootprints filters and the validity period (PACT Tech Specs v3.0.3).

Filtering (Action ListFootprints, "Filtering"): each criterion may hold several values, which
are ORed; criteria are ANDed; identifier and status matches are case-insensitive:

* ``productId`` / ``companyId`` / ``classification``: a value among the footprint's
  ``productIds`` / ``companyIds`` / ``productClassifications``;
* ``geography``: the footprint's country, country subdivision or region;
* ``validOn``: start <= validOn <= end; ``validAfter``: start > validAfter;
  ``validBefore``: end < validBefore (components/parameters);
* ``status``: ``Active`` or ``Deprecated`` (another value matches nothing).

The validity period ("Validity Period"): ``validityPeriodStart`` / ``validityPeriodEnd`` when
given, else ``referencePeriodEnd`` and ``referencePeriodEnd`` + 3 years.

The same criteria travel in a RequestCreatedEvent (:meth:`FootprintQuery.of_criteria`). The
store filters with SQL (:mod:`tanzuji.store.pact`); :func:`matches` is the reference the tests
compare it with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from tanzuji.errors import PactInvalid
from tanzuji.exchange.model import ProductFootprint, RequestCriteria, parse_datetime

#: Years a footprint without a validity period is valid after its reference period ends
#: (PACT v3.0.3, "Validity Period").
DEFAULT_VALIDITY_YEARS = 3

#: Query parameters that hold lists (repeat the parameter for several values).
LIST_PARAMETERS = {
    "productid": "product_ids",
    "companyid": "company_ids",
    "geography": "geographies",
    "classification": "classifications",
    "status": "statuses",
}
#: Query parameters that hold one date-time.
TIME_PARAMETERS = {
    "validon": "valid_on",
    "validafter": "valid_after",
    "validbefore": "valid_before",
}
#: Parameter names as the specification spells them, for links.
SPELLING = {
    "product_ids": "productId",
    "company_ids": "companyId",
    "geographies": "geography",
    "classifications": "classification",
    "statuses": "status",
    "valid_on": "validOn",
    "valid_after": "validAfter",
    "valid_before": "validBefore",
}


class FootprintQuery(BaseModel):
    """ListFootprints criteria (empty: no condition)."""

    model_config = ConfigDict(frozen=True)

    product_ids: tuple[str, ...] = ()
    company_ids: tuple[str, ...] = ()
    geographies: tuple[str, ...] = ()
    classifications: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    valid_on: dt.datetime | None = None
    valid_after: dt.datetime | None = None
    valid_before: dt.datetime | None = None

    @classmethod
    def of_parameters(cls, pairs: Iterable[tuple[str, str]]) -> FootprintQuery:
        """The criteria of a query string's ``(name, value)`` pairs (names case-insensitive,
        as the specification's example ``?productId=x&productid=y`` writes them).

        Parameters other than the filters must be handled by the caller first (``limit``,
        ``x-...``).

        Raises
        ------
        PactInvalid
            An unknown parameter, a date-time that does not parse, or one given twice.
        """
        lists: dict[str, list[str]] = {}
        times: dict[str, dt.datetime] = {}
        for name, value in pairs:
            key = name.lower()
            if key in LIST_PARAMETERS:
                lists.setdefault(LIST_PARAMETERS[key], []).append(value)
            elif key in TIME_PARAMETERS:
                field = TIME_PARAMETERS[key]
                if field in times:
                    raise PactInvalid(f"parameter {name} given twice; it takes one date-time")
                times[field] = _time(value, name)
            else:
                raise PactInvalid(
                    f"unknown query parameter {name!r}; ListFootprints filters are "
                    f"{', '.join(SPELLING.values())} and limit"
                )
        return cls(**{k: tuple(v) for k, v in lists.items()}, **times)

    @classmethod
    def of_criteria(cls, criteria: RequestCriteria) -> FootprintQuery:
        """The criteria of a RequestCreatedEvent's ``data``."""
        status = criteria.status
        statuses = (status,) if isinstance(status, str) else tuple(status or ())
        return cls(
            product_ids=tuple(criteria.productId or ()),
            company_ids=tuple(criteria.companyId or ()),
            geographies=tuple(criteria.geography or ()),
            classifications=tuple(criteria.classification or ()),
            statuses=statuses,
            valid_on=_optional_time(criteria.validOn),
            valid_after=_optional_time(criteria.validAfter),
            valid_before=_optional_time(criteria.validBefore),
        )

    def parameters(self) -> list[tuple[str, str]]:
        """The criteria as query parameters (for pagination links)."""
        pairs: list[tuple[str, str]] = []
        for field, name in SPELLING.items():
            value = getattr(self, field)
            if isinstance(value, tuple):
                pairs.extend((name, v) for v in value)
            elif value is not None:
                pairs.append((name, value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")))
        return pairs

    def is_empty(self) -> bool:
        return not self.parameters()


def _time(text: str, name: str) -> dt.datetime:
    try:
        return parse_datetime(text)
    except ValueError as exc:
        raise PactInvalid(f"parameter {name}: {exc}", field=name) from None


def _optional_time(text: str | None) -> dt.datetime | None:
    return parse_datetime(text) if text else None


def add_years(moment: dt.datetime, years: int) -> dt.datetime:
    """``moment`` plus whole calendar years (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def validity_window(footprint: ProductFootprint) -> tuple[dt.datetime, dt.datetime]:
    """Start and end of the footprint's validity period, each from the footprint when given,
    else from ``referencePeriodEnd`` (+ 3 years for the end)."""
    reference_end = parse_datetime(footprint.pcf.referencePeriodEnd)
    start = (
        parse_datetime(footprint.validityPeriodStart)
        if footprint.validityPeriodStart
        else reference_end
    )
    end = (
        parse_datetime(footprint.validityPeriodEnd)
        if footprint.validityPeriodEnd
        else add_years(reference_end, DEFAULT_VALIDITY_YEARS)
    )
    return start, end


def geographies(footprint: ProductFootprint) -> list[str]:
    """The geography values a ``geography`` filter compares with."""
    pcf = footprint.pcf
    return [
        g
        for g in (
            pcf.geographyCountry,
            pcf.geographyCountrySubdivision,
            pcf.geographyRegionOrSubregion,
        )
        if g
    ]


def _any(wanted: Sequence[str], present: Iterable[str]) -> bool:
    if not wanted:
        return True
    have = {p.lower() for p in present}
    return any(w.lower() in have for w in wanted)


def matches(footprint: ProductFootprint, query: FootprintQuery) -> bool:
    """Whether ``footprint`` meets every criterion of ``query`` (the reference semantics)."""
    start, end = validity_window(footprint)
    checks = (
        _any(query.product_ids, footprint.productIds),
        _any(query.company_ids, footprint.companyIds),
        _any(query.classifications, footprint.productClassifications or ()),
        _any(query.geographies, geographies(footprint)),
        _any(query.statuses, [footprint.status]),
        query.valid_on is None or start <= query.valid_on <= end,
        query.valid_after is None or start > query.valid_after,
        query.valid_before is None or end < query.valid_before,
    )
    return all(checks)


def filter_keys(footprint: ProductFootprint) -> Mapping[str, list[str]]:
    """The lower-cased values each list criterion compares with (what the store indexes)."""
    return {
        "product": sorted({v.lower() for v in footprint.productIds}),
        "company": sorted({v.lower() for v in footprint.companyIds}),
        "classification": sorted({v.lower() for v in footprint.productClassifications or ()}),
        "geography": sorted({v.lower() for v in geographies(footprint)}),
    }


__all__ = [
    "DEFAULT_VALIDITY_YEARS",
    "FootprintQuery",
    "add_years",
    "filter_keys",
    "geographies",
    "matches",
    "validity_window",
]
