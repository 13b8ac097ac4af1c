"""Exchange amounts in the reference unit of their flow (convert once, at the boundary).

An exchange's amount is written in some unit of one of its flow's properties (``0.25 l`` of a
flow whose reference property is mass, ``1 kWh`` of a flow in MJ). Its amount in the flow's
reference unit is

    amount_ref = amount * u / p

where ``u`` is the reference units of the property's unit group in one written unit and ``p``
the amount of that property in one reference unit of the flow (openLCA's
``FlowPropertyFactor.conversionFactor``; 1 for the reference property).

``u`` is taken from :mod:`tanzuji.units` (the project's one declared unit table) when the unit
parses there and has the group's dimension; the unit group's own factor is used otherwise
(currencies, ``Item(s)``, units pint does not know). Unit groups in the wild carry rounded or
wrong factors (USLCI: ``lb av`` 0.45, ``cu ft`` 0.02, ``btu`` 0.00106, ``t*mi`` 1.6 and 1.45),
so where both exist and differ the :mod:`tanzuji.units` factor is used and the exchange's
``unit_note`` says what the group said. Formats without unit groups (EcoSpold, SimaPro)
convert through :mod:`tanzuji.units` alone, to the unit the flow's producer uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from tanzuji import units
from tanzuji.errors import TanzujiError
from tanzuji.library.model import Exchange, Flow, Library

#: openLCA / ILCD unit names whose pint spelling differs (pint would read ``bbl`` as a US dry
#: barrel and ``sh tn`` not at all). Right-hand sides are pint unit names.
UNIT_SPELLINGS = {
    "Item(s)": "piece",
    "Items": "piece",
    "p*km": "pkm",
    "t*km": "tkm",
    "sh tn": "short_ton",
    "long tn": "long_ton",
    "lb av": "lb",
    "oz av": "oz",
    "cu ft": "ft**3",
    "btu": "Btu",
    "gal": "gallon",
    "gal (US liq)": "gallon",
    "bbl": "oil_barrel",
}

#: Relative difference below which a unit group's factor and tanzuji.units' agree.
AGREEMENT = 1e-6


@dataclass(frozen=True)
class UnitProblem:
    """An exchange whose amount cannot be expressed in its flow's reference unit."""

    process: str
    position: int
    flow: str
    unit: str
    reason: str


def unit_factor(written: str, reference: str) -> float | None:
    """Reference units in one ``written`` unit by :mod:`tanzuji.units`, else ``None``."""
    if written == reference:
        return 1.0
    source = UNIT_SPELLINGS.get(written, written)
    target = UNIT_SPELLINGS.get(reference, reference)
    try:
        return units.conversion_factor(source, target)
    except TanzujiError:
        return None


def normalise(library: Library) -> list[UnitProblem]:
    """Set ``amount_ref`` and ``unit_note`` of every exchange; return the ones that fail.

    A failing exchange keeps ``amount_ref = None``; linking reports it and leaves it out of
    the matrices.
    """
    _default_reference_units(library)
    problems = []
    for process in library.processes:
        for exchange in process.exchanges:
            flow = library.flows[exchange.flow]
            reason = _convert(exchange, flow, library)
            exchange.unit_note = reason or exchange.unit_note
            if reason:
                problems.append(
                    UnitProblem(process.id, exchange.position, flow.id, exchange.unit, reason)
                )
    return problems


def _default_reference_units(library: Library) -> None:
    """Flows without unit groups: the unit of their producer's reference, else the first seen."""
    for process in library.processes:
        reference = process.reference
        if reference is not None:
            flow = library.flows[reference.flow]
            flow.reference_unit = flow.reference_unit or reference.unit
    for process in library.processes:
        for exchange in process.exchanges:
            flow = library.flows[exchange.flow]
            flow.reference_unit = flow.reference_unit or exchange.unit


def _convert(exchange: Exchange, flow: Flow, library: Library) -> str:
    prop_id = exchange.flow_property or flow.reference_property
    prop = library.flow_properties.get(prop_id)
    group = library.unit_groups.get(prop.unit_group) if prop else None
    if prop is None or group is None:
        factor = unit_factor(exchange.unit, flow.reference_unit)
        if factor is None:
            return (
                f"unit {exchange.unit!r} cannot be converted to the flow's reference unit "
                f"{flow.reference_unit!r} (different dimension or unknown unit)"
            )
        exchange.amount_ref = exchange.amount * factor
        return ""
    factor, note = _group_factor(exchange.unit, group.reference_unit, group.units, group.name)
    if factor is None:
        return note
    per_flow = flow.properties.get(prop_id, 1.0) if flow.properties else 1.0
    reference = flow.properties.get(flow.reference_property, 1.0) if flow.properties else 1.0
    if per_flow == 0:
        return f"the flow holds 0 of property {prop.name!r}; amounts in it cannot be converted"
    exchange.amount_ref = exchange.amount * factor / per_flow * reference
    exchange.unit_note = note
    return ""


def _group_factor(
    written: str, reference: str, group_units: dict[str, float], group_name: str
) -> tuple[float | None, str]:
    """Factor from ``written`` to the group's reference unit, and a note when corrected."""
    declared = group_units.get(written)
    checked = unit_factor(written, reference)
    if declared is None and checked is None:
        return None, (
            f"unit {written!r} is not in unit group {group_name!r} and cannot be converted to "
            f"its reference unit {reference!r}"
        )
    if checked is None:
        return declared, ""
    if declared is not None and abs(checked - declared) > AGREEMENT * abs(checked):
        return checked, (
            f"unit group {group_name!r} gives 1 {written} = {declared:g} {reference}; "
            f"tanzuji.units gives {checked:.10g}, which is used"
        )
    return checked, ""
