"""Provider linking: which process supplies each technosphere input, and why.

Every exchange that needs a provider (a product input, an avoided product, a waste output) gets
one :class:`LinkDecision`, linked or not, so that nothing is dropped silently. The rules, in
order (openLCA's "default provider" and "only one provider" linking, plus rules the user picks):

1. a flow whose name starts with ``CUTOFF`` (:attr:`LinkingRules.cutoff_prefix`) is a deliberate
   cut-off of the data set: decision ``cutoff``;
2. an input of an aggregated LCI result is already counted in its elementary flows; it is not
   linked unless :attr:`LinkingRules.link_lci_results` (``lci_result_input``);
3. the provider the data set names (JSON-LD ``defaultProvider``, EcoSpold 2 ``activityLinkId``)
   when the library has it: ``default_provider``;
4. the one process whose reference product is the flow (for waste: whose reference is the
   treated waste): ``single_producer``; with co-products allocated, a process's allocated
   co-product columns count as producers too;
5. several producers: the location the exchange names for its provider (EcoSpold 1,
   ``location_hint``), the first of the user's preferred providers
   (:attr:`LinkingRules.preferred_providers`, ``preferred_provider``), the one producer in the
   consumer's location (:attr:`LinkingRules.prefer_same_location`, ``same_location``); else
   ``ambiguous`` with the candidates listed;
6. no producer: a unique reference producer of a flow of the same name under another id
   (:attr:`LinkingRules.match_names`, ``name_match``); else ``co_product_only`` (the flow is
   only a co-product of some process and co-products are not allocated),
   ``untreated_waste`` or ``no_producer``.

An exchange whose amount cannot be expressed in its flow's reference unit is ``unit`` (for
elementary flows too: it is left out of the biosphere matrix).
Co-product outputs get a decision too: ``co_product_allocated`` (its own column) or
``co_product_ignored`` (the reference product carries the whole process, as the data set
gives no usable allocation factors or the user chose ``ignore``).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Literal

from tanzuji.library.model import Exchange, Library, Process, is_provided

CoProductRule = Literal["ignore", "allocate"]

#: Decisions that give the exchange a provider.
LINKED = frozenset(
    {
        "default_provider",
        "single_producer",
        "location_hint",
        "preferred_provider",
        "same_location",
        "name_match",
    }
)
#: Decisions that leave it out of the matrices, with the reason, in report order.
UNLINKED = (
    "cutoff",
    "ambiguous",
    "no_producer",
    "co_product_only",
    "untreated_waste",
    "lci_result_input",
    "unit",
)
CO_PRODUCT = ("co_product_allocated", "co_product_ignored")


@dataclass(frozen=True)
class LinkingRules:
    """The linking rules a user picks (see the module docstring for their order).

    Attributes
    ----------
    co_products : {"ignore", "allocate"}
        ``allocate``: split a multi-output process into one column per product with its
        allocation factors when they cover every product (else it stays whole, as with
        ``ignore``); ``ignore``: the reference product carries the whole process.
    prefer_same_location : bool
        Among several producers, take the one in the consumer's location when it is unique.
    preferred_providers : tuple of str
        Process ids preferred, in order, among several producers.
    match_names : bool
        Link an input whose flow id has no producer to the unique producer of a flow with the
        same name (case and spaces ignored).
    link_lci_results : bool
        Link the product inputs of aggregated LCI results too (they may double count).
    cutoff_prefix : str
        Flows whose name starts with this (case ignored) are deliberate cut-offs; ``""``: none.
    """

    co_products: CoProductRule = "ignore"
    prefer_same_location: bool = False
    preferred_providers: tuple[str, ...] = ()
    match_names: bool = False
    link_lci_results: bool = False
    cutoff_prefix: str = "CUTOFF"

    def as_dict(self) -> dict[str, object]:
        return {
            "co_products": self.co_products,
            "prefer_same_location": self.prefer_same_location,
            "preferred_providers": list(self.preferred_providers),
            "match_names": self.match_names,
            "link_lci_results": self.link_lci_results,
            "cutoff_prefix": self.cutoff_prefix,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> LinkingRules:
        values = dict(data)
        values["preferred_providers"] = tuple(values.get("preferred_providers") or ())  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Column:
    """One column of the library's technosphere: a process, or one product of a split one.

    ``shares`` maps exchange position to the share of that exchange given to this product;
    ``None`` for a whole process.
    """

    id: str
    process: str
    product: str
    shares: dict[int, float] | None = None


@dataclass(frozen=True)
class LinkDecision:
    """What linking decided for one exchange of one process."""

    process: str
    position: int
    flow: str
    decision: str
    provider: str = ""
    candidates: tuple[str, ...] = ()
    note: str = ""

    @property
    def linked(self) -> bool:
        return self.decision in LINKED


@dataclass
class Linking:
    """The result of :func:`link`: the matrix columns and one decision per exchange."""

    rules: LinkingRules
    columns: list[Column] = field(default_factory=list)
    decisions: list[LinkDecision] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Decisions by kind (``single_producer``: 3590, ``cutoff``: 2402, ...)."""
        return dict(Counter(d.decision for d in self.decisions))

    def provider_of(self) -> dict[tuple[str, int], str]:
        """(process id, exchange position) -> provider column of every linked exchange."""
        return {(d.process, d.position): d.provider for d in self.decisions if d.linked}


def link(library: Library, rules: LinkingRules | None = None) -> Linking:
    """Decide the provider of every exchange that needs one (see the module docstring)."""
    rules = rules or LinkingRules()
    result = Linking(rules)
    for process in library.processes:
        columns, notes = _columns(process, library, rules)
        result.columns.extend(columns)
        result.decisions.extend(_co_product_decisions(process, library, columns, notes))
    index = _Index(library, result.columns)
    for process in library.processes:
        for exchange in process.exchanges:
            flow = library.flows[exchange.flow]
            if is_provided(exchange, flow):
                result.decisions.append(index.decide(process, exchange, rules))
            elif exchange.amount_ref is None:  # an elementary flow or product left out
                note = exchange.unit_note or "amount not convertible to the flow's unit"
                result.decisions.append(
                    LinkDecision(process.id, exchange.position, flow.id, "unit", note=note)
                )
    return result


# -- columns and allocation ------------------------------------------------------------------


def columns(library: Library, rules: LinkingRules) -> list[Column]:
    """The technosphere columns of ``library`` under ``rules`` (what :func:`link` makes)."""
    return [c for process in library.processes for c in _columns(process, library, rules)[0]]


def _columns(process: Process, library: Library, rules: LinkingRules) -> tuple[list[Column], str]:
    """The process's columns (reference first) and why co-products were not split, if so."""
    reference = process.reference
    product = reference.flow if reference is not None else ""
    whole = [Column(process.id, process.id, product)]
    co_products = _co_products(process, library)
    if not co_products:
        return whole, ""
    if rules.co_products == "ignore":
        return whole, "co-product rule 'ignore'"
    shares, problem = allocation_shares(process, library)
    if shares is None:
        return whole, problem
    columns = [Column(process.id, process.id, product, shares[product])]
    for exchange in co_products:
        column_id = f"{process.id}#{exchange.flow}"
        columns.append(Column(column_id, process.id, exchange.flow, shares[exchange.flow]))
    return columns, ""


def _co_products(process: Process, library: Library) -> list[Exchange]:
    return [
        e
        for e in process.exchanges
        if not e.is_reference
        and not e.is_input
        and not e.avoided
        and library.flows[e.flow].flow_type == "product"
    ]


def allocation_shares(
    process: Process, library: Library
) -> tuple[dict[str, dict[int, float]] | None, str]:
    """Share of every exchange given to each product, from the process's allocation factors.

    The method is the process's default, else physical, else economic, else causal. Causal
    factors give an exchange's share per product; an exchange without one takes the product's
    physical (else economic) share. Returns ``(None, reason)`` when the factors do not cover
    every product or do not add up to 1 (within 1 %).
    """
    reference = process.reference
    products = [reference.flow] if reference is not None else []
    products += [e.flow for e in _co_products(process, library)]
    by_method: dict[str, dict[str, float]] = defaultdict(dict)
    causal: dict[tuple[str, int], float] = {}
    for factor in process.allocation:
        if factor.method == "causal" and factor.exchange is not None:
            causal[(factor.product, factor.exchange)] = factor.value
        elif factor.method != "causal":
            by_method[factor.method][factor.product] = factor.value
    order = [process.default_allocation, "physical", "economic"]
    method = next((m for m in order if m and set(products) <= set(by_method.get(m, {}))), None)
    if method is None and not causal:
        return None, "no allocation factors for every product"
    product_share = by_method.get(method or "", {})
    if product_share:
        total = sum(product_share[p] for p in products)
        if abs(total - 1.0) > 0.01:
            return None, f"{method} allocation factors add up to {total:g}, expected 1"
    shares: dict[str, dict[int, float]] = {p: {} for p in products}
    for exchange in process.exchanges:
        if exchange.flow in products and not exchange.is_input:
            continue
        for product in products:
            value = causal.get((product, exchange.position), product_share.get(product))
            if value is None:
                return None, (
                    f"no allocation factor of exchange {exchange.position} for product "
                    f"{library.flows[product].name!r}"
                )
            shares[product][exchange.position] = value
    return shares, ""


def _co_product_decisions(
    process: Process, library: Library, columns: list[Column], why: str
) -> list[LinkDecision]:
    split = {c.product: c.id for c in columns[1:]}
    decisions = []
    for exchange in _co_products(process, library):
        if exchange.flow in split:
            decisions.append(
                LinkDecision(
                    process.id,
                    exchange.position,
                    exchange.flow,
                    "co_product_allocated",
                    split[exchange.flow],
                )
            )
        else:
            note = f"{why}: the reference product carries the whole process"
            decisions.append(
                LinkDecision(
                    process.id, exchange.position, exchange.flow, "co_product_ignored", note=note
                )
            )
    return decisions


# -- providers -------------------------------------------------------------------------------


def _name_key(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().lower()


class _Index:
    """Producers of every flow, by id and by name, and the locations of processes."""

    def __init__(self, library: Library, columns: list[Column]) -> None:
        self.library = library
        self.column_ids = {c.id for c in columns}
        self.location = {p.id: p.location for p in library.processes}
        self.producers: dict[str, list[str]] = defaultdict(list)
        self.co_producers: dict[str, list[str]] = defaultdict(list)
        self.by_name: dict[str, set[str]] = defaultdict(set)
        for process in library.processes:
            reference = process.reference
            if reference is not None:
                self.producers[reference.flow].append(process.id)
                self.by_name[_name_key(library.flows[reference.flow].name)].add(process.id)
            for exchange in _co_products(process, library):
                self.co_producers[exchange.flow].append(process.id)
        for column in columns:
            if "#" in column.id:
                self.producers[column.product].append(column.id)

    def decide(self, process: Process, exchange: Exchange, rules: LinkingRules) -> LinkDecision:
        flow = self.library.flows[exchange.flow]

        def decision(kind: str, provider: str = "", candidates=(), note: str = ""):
            return LinkDecision(
                process.id, exchange.position, flow.id, kind, provider, tuple(candidates), note
            )

        if exchange.amount_ref is None:
            return decision("unit", note=exchange.unit_note or "amount not convertible")
        if rules.cutoff_prefix and flow.name.upper().startswith(rules.cutoff_prefix.upper()):
            return decision(
                "cutoff", note=f"flow named {rules.cutoff_prefix!r}: cut off by the data set"
            )
        if process.process_type == "lci_result" and not rules.link_lci_results:
            return decision(
                "lci_result_input",
                note="input of an aggregated LCI result: its upstream is already in its "
                "elementary flows",
            )
        named = exchange.default_provider
        note = ""
        if named:
            if named in self.column_ids and named in self.producers.get(flow.id, []):
                return decision("default_provider", named)
            note = f"named provider {named!r} is not a producer of this flow in the library"
        candidates = list(dict.fromkeys(self.producers.get(flow.id, [])))
        if len(candidates) == 1:
            return decision("single_producer", candidates[0], note=note)
        if candidates:
            return self._choose(process, exchange, candidates, rules, decision)
        if rules.match_names:
            by_name = sorted(self.by_name.get(_name_key(flow.name), set()))
            if len(by_name) == 1:
                return decision("name_match", by_name[0], note=f"same name as {flow.name!r}")
            if by_name:
                return decision("ambiguous", candidates=by_name, note="several producers by name")
        if self.co_producers.get(flow.id):
            return decision(
                "co_product_only",
                candidates=self.co_producers[flow.id],
                note="produced only as a co-product, which is not allocated",
            )
        if flow.flow_type == "waste":
            return decision("untreated_waste", note="no process treats this waste")
        return decision("no_producer", note=note or "no process produces this flow")

    def _choose(self, process, exchange, candidates, rules, decision) -> LinkDecision:
        if exchange.provider_location:
            here = [
                c
                for c in candidates
                if self.location.get(_process_of(c)) == exchange.provider_location
            ]
            if len(here) == 1:
                return decision("location_hint", here[0], candidates)
        for preferred in rules.preferred_providers:
            if preferred in candidates:
                return decision("preferred_provider", preferred, candidates)
        if rules.prefer_same_location:
            same = [c for c in candidates if self.location.get(_process_of(c)) == process.location]
            if len(same) == 1:
                return decision("same_location", same[0], candidates)
        return decision(
            "ambiguous", candidates=candidates, note=f"{len(candidates)} producers; pick a rule"
        )


def _process_of(column_id: str) -> str:
    return column_id.split("#", 1)[0]
