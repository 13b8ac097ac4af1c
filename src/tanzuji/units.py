"""Quantities and unit conversion (pint), with the units the carbon-footprint field uses.

Convert once, at the boundary: model loading and factor linking call :func:`conversion_factor`
so that the engine only ever sees plain numbers in the factor's or process's own unit.

Currencies (CNY, USD, HKD) are each their own dimension: spend-based factors need an exchange
rate with a date and a source, so Tanzuji never converts between currencies silently.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pint

from tanzuji.errors import UnitMismatch, UnknownUnit

_EXTRA_DEFINITIONS = """
piece = [count] = pc = pcs = pieces
item = piece = items
unit = piece = units
pair = 2 * piece
dozen_pieces = 12 * piece
tkm = tonne * kilometer = t_km
pkm = [passenger_distance] = passenger_km
CNY = [currency_cny] = RMB = yuan
USD = [currency_usd]
HKD = [currency_hkd]
EUR = [currency_eur]
"""

#: The unit registry shared by the whole project.
ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
for _line in _EXTRA_DEFINITIONS.strip().splitlines():
    ureg.define(_line.strip())

_POWER = re.compile(r"(?<=[A-Za-z])([23])(?![\d.])")
_ALIASES = {
    "t*km": "tkm",
    "t km": "tkm",
    "tonne*km": "tkm",
    "kwh": "kWh",
    "mwh": "MWh",
    "gwh": "GWh",
    "kgco2e": "kg",
    "nm3": "m**3",
    "Nm3": "m**3",
    "l": "L",
    "liter": "L",
    "litre": "L",
    "m³": "m**3",
    "m²": "m**2",
    "件": "piece",
    "个": "piece",
    "台": "piece",
    "吨": "t",
    "千克": "kg",
    "公斤": "kg",
    "度": "kWh",
    "千瓦时": "kWh",
    "元": "CNY",
}


def normalise(text: str) -> str:
    """Return a pint-parsable spelling of a unit string as users write it (``m3``, ``t*km``)."""
    stripped = text.strip()
    if stripped in _ALIASES:
        return _ALIASES[stripped]
    if stripped.lower() in _ALIASES:
        return _ALIASES[stripped.lower()]
    return _POWER.sub(r"**\1", stripped)


@lru_cache(maxsize=4096)
def parse_unit(text: str) -> pint.Unit:
    """Parse a unit string; raises :class:`UnknownUnit` naming it."""
    try:
        return ureg.Unit(normalise(text))
    except (
        pint.errors.UndefinedUnitError,
        pint.errors.DefinitionSyntaxError,
        ValueError,
        AttributeError,
        TypeError,
    ) as exc:
        raise UnknownUnit(
            f"unknown unit {text!r}; expected a unit such as kg, t, kWh, MJ, m3, L, km, tkm, "
            "piece, CNY"
        ) from exc


@lru_cache(maxsize=16384)
def _factor(from_unit: str, to_unit: str) -> float | None:
    source, target = parse_unit(from_unit), parse_unit(to_unit)
    if source.dimensionality != target.dimensionality:
        return None
    return float(ureg.Quantity(1.0, source).to(target).magnitude)


def conversion_factor(from_unit: str, to_unit: str, *, where: str | None = None) -> float:
    """Multiplier that turns an amount in ``from_unit`` into ``to_unit``.

    Raises
    ------
    UnitMismatch
        When the units have different dimensions; the message names both units and ``where``
        they met (e.g. ``process 'cell' exchange 3``).
    """
    factor = _factor(from_unit, to_unit)
    if factor is None:
        raise UnitMismatch(
            f"cannot convert {from_unit!r} ({dimension(from_unit)}) to {to_unit!r} "
            f"({dimension(to_unit)}); use an amount in a unit of the same dimension or a "
            "factor per that unit",
            location=where,
            found=from_unit,
            expected=to_unit,
        )
    return factor


def convert(amount: float, from_unit: str, to_unit: str, *, where: str | None = None) -> float:
    """Convert ``amount`` from ``from_unit`` to ``to_unit`` (see :func:`conversion_factor`)."""
    return amount * conversion_factor(from_unit, to_unit, where=where)


def convertible(from_unit: str, to_unit: str) -> bool:
    """True when both units parse and share a dimension."""
    try:
        return _factor(from_unit, to_unit) is not None
    except UnknownUnit:
        return False


def dimension(unit: str) -> str:
    """A readable name of a unit's dimension, e.g. ``[mass]`` or ``[length] * [mass]``."""
    dims = parse_unit(unit).dimensionality
    return str(dims) if dims else "dimensionless"
