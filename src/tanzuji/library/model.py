"""The records of a process library: processes, exchanges, flows, flow properties, unit groups.

The shapes follow the openLCA schema (olca-schema), which the other formats map into without
loss for what a footprint needs:

* a **unit group** has a reference unit and, for every unit, the amount of the reference unit
  in one of it (``conversionFactor``: ``kWh`` -> 3.6 in the energy group whose reference is MJ);
* a **flow property** (mass, energy, volume, ...) names its unit group;
* a **flow** has a reference flow property and, for each of its properties, how much of that
  property one reference unit of the flow holds (``FlowPropertyFactor.conversionFactor``);
* an **exchange** is an amount of a flow in a unit of one of the flow's properties; once
  normalised (:mod:`tanzuji.library.quantities`) it also holds the amount in the flow's
  reference unit, which is what the matrices use.

These are plain dataclasses: a library holds tens of thousands of exchanges and is read,
linked and stored in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

FlowType = Literal["product", "waste", "elementary"]
ProcessType = Literal["unit", "lci_result"]
AllocationMethod = Literal["physical", "economic", "causal"]


@dataclass
class UnitGroup:
    """Units of one dimension: ``units`` maps a unit name to the reference units in one of it."""

    id: str
    name: str
    reference_unit: str
    units: dict[str, float] = field(default_factory=dict)


@dataclass
class FlowProperty:
    """A quantity a flow can be measured in (mass, energy, ...), with its unit group."""

    id: str
    name: str
    unit_group: str


@dataclass
class Flow:
    """A product, waste or elementary flow.

    ``properties`` maps a flow-property id to the amount of that property in one reference unit
    of the flow (1 for the reference property). ``category`` is the category path joined by
    ``/``; for elementary flows it is the compartment (``air/low population density``).
    ``reference_unit`` is the reference unit of the reference property's unit group.
    """

    id: str
    name: str
    flow_type: FlowType
    category: str = ""
    reference_property: str = ""
    properties: dict[str, float] = field(default_factory=dict)
    reference_unit: str = ""
    cas: str = ""
    formula: str = ""
    location: str = ""


@dataclass
class Exchange:
    """One input or output of a process, as written, and its amount in reference units.

    ``default_provider`` is the process the data set itself names as provider (JSON-LD
    ``defaultProvider``, EcoSpold 2 ``activityLinkId``); ``provider_location`` the location an
    EcoSpold 1 input names for its provider. ``amount_ref`` (in the flow's reference unit) and
    ``unit_note`` are set by :func:`tanzuji.library.quantities.normalise`.
    """

    position: int
    flow: str
    amount: float
    unit: str
    is_input: bool
    is_reference: bool = False
    avoided: bool = False
    flow_property: str = ""
    formula: str = ""
    default_provider: str = ""
    provider_location: str = ""
    uncertainty: dict[str, Any] | None = None
    description: str = ""
    amount_ref: float | None = None
    unit_note: str = ""


@dataclass
class AllocationFactor:
    """Share of a process's exchanges given to one of its products.

    ``physical``/``economic``: one share per product for every exchange; ``causal``: the share
    of one exchange (``exchange`` is its position) given to the product.
    """

    method: AllocationMethod
    product: str
    value: float
    exchange: int | None = None


@dataclass
class Process:
    """A unit process or an aggregated LCI result with its exchanges."""

    id: str
    name: str
    process_type: ProcessType = "unit"
    location: str = ""
    category: str = ""
    description: str = ""
    year: int | None = None
    licence: str = ""
    source: dict[str, Any] = field(default_factory=dict)
    exchanges: list[Exchange] = field(default_factory=list)
    allocation: list[AllocationFactor] = field(default_factory=list)
    default_allocation: str = ""
    parameters: list[dict[str, Any]] = field(default_factory=list)

    @property
    def reference(self) -> Exchange | None:
        """The quantitative reference (reference product, or treated waste)."""
        return next((e for e in self.exchanges if e.is_reference), None)


@dataclass
class Library:
    """Everything read from one package: processes and the reference data they use."""

    format: str
    processes: list[Process] = field(default_factory=list)
    flows: dict[str, Flow] = field(default_factory=dict)
    flow_properties: dict[str, FlowProperty] = field(default_factory=dict)
    unit_groups: dict[str, UnitGroup] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def process(self, process_id: str) -> Process:
        """The process with id ``process_id`` (``KeyError`` when absent)."""
        for candidate in self.processes:
            if candidate.id == process_id:
                return candidate
        raise KeyError(process_id)

    def counts(self) -> dict[str, int]:
        """Numbers of processes, flows, flow properties, unit groups and exchanges."""
        return {
            "processes": len(self.processes),
            "flows": len(self.flows),
            "flow_properties": len(self.flow_properties),
            "unit_groups": len(self.unit_groups),
            "exchanges": sum(len(p.exchanges) for p in self.processes),
        }


def is_provided(exchange: Exchange, flow: Flow) -> bool:
    """True when the exchange needs a provider: a product input or a waste output.

    Avoided products are outputs that displace production, so they link like inputs.
    """
    if flow.flow_type == "product":
        return (exchange.is_input or exchange.avoided) and not exchange.is_reference
    if flow.flow_type == "waste":
        return not exchange.is_input and not exchange.is_reference
    return False


def technosphere_sign(exchange: Exchange, flow: Flow) -> float:
    """Sign of an exchange in the technosphere matrix (openLCA's convention).

    Product outputs and waste inputs (a treatment's reference) are positive; product inputs and
    waste outputs negative; an avoided product enters as a negative input, i.e. positive.
    """
    if flow.flow_type == "waste":
        return 1.0 if exchange.is_input else -1.0
    if exchange.avoided:
        return 1.0
    return -1.0 if exchange.is_input else 1.0
