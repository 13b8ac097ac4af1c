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

from tanzuji.errors import HeatingValueMismatch, UnitMismatch, UnknownUnit

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
ureg: pint.UnitRegistry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
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


#: Heating-value bases of an energy amount of fuel: higher (gross) and lower (net) heating value.
#: IPCC 2006 Vol. 2 Ch. 1 1.4.1.2: default data are on a net calorific value (NCV = LHV) basis;
#: 40 CFR 98 Subpart C and the EPA GHG Emission Factors Hub use higher heating values
#: (HHV = GCV); UK DESNZ publishes both ("Gross CV", "Net CV").
HEATING_VALUE_BASES = ("HHV", "LHV")
_BASIS_WORDS = {
    "hhv": "HHV",
    "gcv": "HHV",
    "gross": "HHV",
    "gross cv": "HHV",
    "higher heating value": "HHV",
    "高位": "HHV",
    "高位热值": "HHV",
    "高位发热量": "HHV",
    "lhv": "LHV",
    "ncv": "LHV",
    "net": "LHV",
    "net cv": "LHV",
    "lower heating value": "LHV",
    "低位": "LHV",
    "低位热值": "LHV",
    "低位发热量": "LHV",
}
_BASIS_SUFFIX = re.compile(r"^(?P<unit>.*?)\s*[(\[（]\s*(?P<basis>[^)\]）]+?)\s*[)\]）]\s*$")


def heating_value_basis(text: str | None) -> str | None:
    """``HHV`` or ``LHV`` for a basis word (HHV, GCV, Gross CV, LHV, NCV, 低位热值 ...).

    Raises
    ------
    UnknownUnit
        ``text`` names no heating-value basis.
    """
    if text is None or not text.strip():
        return None
    found = _BASIS_WORDS.get(" ".join(text.lower().split()))
    if found is None:
        raise UnknownUnit(
            f"unknown heating-value basis {text!r}; expected HHV (= GCV, gross) or LHV (= NCV, net)"
        )
    return found


def split_basis(text: str) -> tuple[str, str | None]:
    """A unit string and the heating-value basis written after it: ``"GJ (NCV)"`` ->
    ``("GJ", "LHV")``; ``"kg"`` -> ``("kg", None)``."""
    match = _BASIS_SUFFIX.match(text.strip())
    if match and " ".join(match["basis"].lower().split()) in _BASIS_WORDS:
        return match["unit"].strip(), _BASIS_WORDS[" ".join(match["basis"].lower().split())]
    return text.strip(), None


def with_basis(unit: str, basis: str | None) -> str:
    """``unit`` with its heating-value basis written after it (``GJ (LHV)``), if any."""
    return f"{unit} ({basis})" if basis else unit


def normalise(text: str) -> str:
    """Return a pint-parsable spelling of a unit string as users write it (``m3``, ``t*km``).

    A heating-value basis written after the unit (``GJ (NCV)``) is dropped here: it is not
    part of the quantity's dimension; :func:`conversion_factor` compares bases.
    """
    stripped = split_basis(text)[0]
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
    source, target = parse_unit(from_unit), parse_unit(to_unit)  # bases dropped by normalise
    if source.dimensionality != target.dimensionality:
        return None
    return float(ureg.Quantity(1.0, source).to(target).magnitude)


def conversion_factor(from_unit: str, to_unit: str, *, where: str | None = None) -> float:
    """Multiplier that turns an amount in ``from_unit`` into ``to_unit``.

    Either unit may carry a heating-value basis (``GJ (LHV)``, ``kWh (Gross CV)``). An energy
    amount on one basis is never converted silently to the other: the ratio of gross to net
    calorific value is a property of the fuel (IPCC 2006 Vol. 2 Ch. 1 1.4.1.2: typically
    about 5 % for oil and coal and 10 % for natural gas), not of the unit.

    Raises
    ------
    UnitMismatch
        When the units have different dimensions; the message names both units and ``where``
        they met (e.g. ``process 'cell' exchange 3``).
    HeatingValueMismatch
        When both units name a heating-value basis and the bases differ.
    """
    from_basis, to_basis = split_basis(from_unit)[1], split_basis(to_unit)[1]
    if from_basis and to_basis and from_basis != to_basis:
        raise HeatingValueMismatch(
            f"cannot convert {from_unit!r} to {to_unit!r}: the amount is on the {from_basis} "
            f"basis ({_BASIS_NAMES[from_basis]}) and the factor on the {to_basis} basis "
            f"({_BASIS_NAMES[to_basis]}); convert the amount with the fuel's own "
            "gross/net calorific value ratio, or use a factor on the same basis",
            location=where,
            found=from_unit,
            expected=to_unit,
        )
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


_BASIS_NAMES = {"HHV": "higher heating value, GCV", "LHV": "lower heating value, NCV"}


def convert(amount: float, from_unit: str, to_unit: str, *, where: str | None = None) -> float:
    """Convert ``amount`` from ``from_unit`` to ``to_unit`` (see :func:`conversion_factor`)."""
    return amount * conversion_factor(from_unit, to_unit, where=where)


def convertible(from_unit: str, to_unit: str) -> bool:
    """True when both units parse, share a dimension and do not name different heating-value
    bases."""
    from_basis, to_basis = split_basis(from_unit)[1], split_basis(to_unit)[1]
    if from_basis and to_basis and from_basis != to_basis:
        return False
    try:
        return _factor(from_unit, to_unit) is not None
    except UnknownUnit:
        return False


def dimension(unit: str) -> str:
    """A readable name of a unit's dimension, e.g. ``[mass]`` or ``[length] * [mass]``."""
    dims = parse_unit(unit).dimensionality
    return str(dims) if dims else "dimensionless"
