"""Location-based and market-based electricity (ISO 14067:2018 6.4.9.4; GHG Protocol Scope 2).

An electricity input names its grid-average factor (the *location-based* method). With a
``market:`` block it also lists contractual instruments — China GEC 绿证, I-RECs, PPAs, green
power trading contracts, supplier-specific products — and optionally a residual-mix factor.
The *market-based* method gives the covered electricity the instruments' factors and the rest
the residual mix, or the grid average (with a note) where no residual mix is published.

An instrument counts only when it meets the quality criteria of the GHG Protocol Scope 2
Guidance (2015) Table 7.1, as ISO 14067:2018 6.4.9.4 requires of a supplier-specific product
(standards.md 1b). Tanzuji checks what a model file can show:

1. it conveys an emission rate: a ``factor`` is given (schema);
2. unique claim: a certificate (GEC, I-REC) carries its serials, a contract its id; an
   instrument whose serials (same registry and prefix) or contract id an earlier instrument
   of the same model already counts is not counted again (:func:`claimed_twice`) — except
   period totals (``period_consumption``) shared by inputs of one site, each taking its
   share; that no serial is claimed by two applications is checked at certification;
3. tracked and cancelled: a certificate is ``retired`` on the registry;
4. vintage: the generation year lies within the product's reference period;
5. market boundary: the instrument's region is the country of consumption;
6. quantity: the certificates cover the electricity claimed (count x MWh each).

An instrument that fails one is not counted; the result lists it with its reasons.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tanzuji import units
from tanzuji.model.schema import Instrument, Period

#: Instruments that are certificates (a block of serials, cancelled on a registry).
CERTIFICATES = ("gec", "i-rec")


@dataclass
class InstrumentUse:
    """One instrument of an electricity input and what the market-based result made of it.

    ``amount`` is the electricity it claims, in the input's unit; ``counted`` that part of
    it used (0 when a criterion failed, less when the instruments exceed the consumption).
    """

    instrument: Instrument
    location: str
    amount: float
    counted: float = 0.0
    reasons: list[str] = field(default_factory=list)

    @property
    def qualifies(self) -> bool:
        return not self.reasons


@dataclass
class ElectricityUse:
    """One electricity input with market data, as the market-based result used it."""

    location: str
    process: str
    amount: float
    unit: str
    grid_factor: str
    instruments: list[InstrumentUse]
    residual_factor: str | None
    residual_amount: float
    notes: list[str] = field(default_factory=list)


def country(code: str | None) -> str | None:
    """The ISO 3166-1 country of a code such as ``CN-GD`` (``CN``); None when not given."""
    if not code:
        return None
    return code.strip().upper().split("-")[0][:2] or None


def criteria_failures(
    instrument: Instrument,
    amount_mwh: float,
    consumption_country: str | None,
    period: Period | None,
) -> list[str]:
    """Reasons an instrument does not meet the quality criteria (empty when it does).

    Parameters
    ----------
    instrument : Instrument
    amount_mwh : float
        Electricity the instrument claims, MWh.
    consumption_country : str or None
        ISO 3166-1 country where the electricity is consumed.
    period : Period or None
        The product's reference period.
    """
    reasons = []
    certificate = instrument.type in CERTIFICATES
    # Scope 2 Guidance Table 7.1 criterion 2 (unique claim)
    if certificate and not instrument.has_serials:
        reasons.append("a certificate needs its serials (serial_start, serial_end)")
    if not certificate and not instrument.contract_id and not instrument.has_serials:
        reasons.append("a contract needs its contract_id")
    # criterion 3 (tracked and redeemed, retired or cancelled)
    if certificate and not instrument.retired:
        reasons.append("the certificates are not retired (cancelled) on the registry")
    reasons += _vintage_failures(instrument, period)
    # criterion 5 (market boundary; ISO 14067:2018 6.4.9.4, RECS: same country)
    region = country(instrument.region)
    if region is None:
        reasons.append("no region: the market boundary cannot be checked")
    elif consumption_country is not None and region != consumption_country:
        reasons.append(
            f"issued in {region}, consumed in {consumption_country}: outside the market boundary"
        )
    if instrument.has_serials:
        count = instrument.serial_end - instrument.serial_start + 1  # type: ignore[operator]
        covered = count * instrument.certificate_mwh
        if covered + 1e-9 < amount_mwh:
            reasons.append(
                f"{count} certificate(s) of {instrument.certificate_mwh:g} MWh cover "
                f"{covered:g} MWh, less than the {amount_mwh:g} MWh claimed"
            )
    return reasons


def _claim_key(instrument: Instrument) -> tuple[str, str]:
    """Registry and prefix (or contract) an instrument's claim is compared within; the full
    canonical comparison of registries and prefixes is certification's
    (:mod:`tanzuji.certify.serials`)."""
    registry = " ".join(instrument.registry.casefold().split())
    if instrument.has_serials:
        return registry, "".join((instrument.serial_prefix or "").upper().split())
    return registry, f"contract:{instrument.contract_id}"


def claimed_twice(instrument: Instrument, counted: list[tuple[Instrument, str]]) -> str | None:
    """Why ``instrument`` repeats a claim of an instrument already counted in the model
    (Scope 2 Guidance Table 7.1 criterion 2, unique claim), or None.

    ``counted`` holds the instruments counted so far with their locations (file:line)."""
    key = _claim_key(instrument)
    for other, location in counted:
        if _claim_key(other) != key:
            continue
        if not instrument.has_serials:
            return f"contract {instrument.contract_id} is already counted at {location}"
        if (
            instrument.serial_start <= other.serial_end  # type: ignore[operator]
            and other.serial_start <= instrument.serial_end  # type: ignore[operator]
        ):
            return (
                f"serials {instrument.label()} overlap {other.label()}, already counted at "
                f"{location}: each certificate counts once"
            )
    return None


def _vintage_failures(instrument: Instrument, period: Period | None) -> list[str]:
    """Scope 2 Guidance Table 7.1 criterion 4: generation close to the consumption period;
    Tanzuji reads it as a vintage year within the reference period's years."""
    if instrument.vintage is None:
        return ["no vintage (year of generation)"]
    if period is None:
        return []
    if not period.start.year <= instrument.vintage <= period.end.year:
        return [
            f"vintage {instrument.vintage} is outside the reference period "
            f"{period.start.isoformat()} to {period.end.isoformat()}"
        ]
    return []


def to_mwh(amount: float, unit: str, where: str) -> float:
    """An electricity amount in MWh (refuses other dimensions with the location)."""
    value = units.convert(amount, unit, "MWh", where=where)
    return value if math.isfinite(value) else math.inf


__all__ = [
    "CERTIFICATES",
    "ElectricityUse",
    "InstrumentUse",
    "claimed_twice",
    "country",
    "criteria_failures",
    "to_mwh",
]
