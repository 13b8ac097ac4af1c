"""The technosphere and biosphere matrices of a linked library, and their solution.

Column ``j`` is one :class:`~tanzuji.library.linking.Column` (a process, or one allocated
product of it). With ``a_e`` an exchange's amount in its flow's reference unit, ``σ_e`` its
sign (:func:`~tanzuji.library.model.technosphere_sign`) and ``s_je`` the share of it given to
column ``j`` (1 for a whole process):

* ``A[j, j] = a_ref`` — the amount of the column's product (a treated waste for a treatment);
* ``A[p, j] += σ_e a_e s_je`` for every exchange linked to provider column ``p``;
* ``B[k, j] += ±a_e m_e s_je`` for every greenhouse-gas elementary exchange, ``k`` the row of
  its (gas, origin), ``m_e`` kg per reference unit, ``+`` for outputs, ``-`` for inputs (CO2
  taken from air), a negative entry in the removal row of its gas.

Unlinked exchanges (cut-offs and the rest, see :mod:`tanzuji.library.linking`) and non-GHG
elementary flows are not in the matrices. The engine solves them (:mod:`tanzuji.library.solve`:
``A^T λ = B^T c``, Heijungs & Suh 2002 ch. 2, the cradle-to-gate kg CO2e per reference unit of
every column; ``A^T Λ = B^T`` the cradle-to-gate kg of every gas). This module only builds
arrays, as the model compiler does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import scipy.sparse as sp

from tanzuji.engine.system import FlowKey, Triplets
from tanzuji.errors import LibraryError
from tanzuji.library.elementary import GasMapping
from tanzuji.library.linking import Column, Linking
from tanzuji.library.model import Library, Process, technosphere_sign


@dataclass
class LibrarySystem:
    """The library as arrays: columns with labels, GHG flow rows, matrix triplets."""

    columns: list[Column]
    names: list[str]
    units: list[str]
    locations: list[str]
    flows: list[FlowKey]
    technosphere: Triplets = field(default_factory=Triplets)
    biosphere: Triplets = field(default_factory=Triplets)

    @property
    def size(self) -> int:
        return len(self.columns)

    @property
    def technosphere_matrix(self) -> sp.csr_matrix:
        return self.technosphere.matrix((self.size, self.size))

    @property
    def biosphere_matrix(self) -> sp.csr_matrix:
        return self.biosphere.matrix((len(self.flows), self.size))

    def index(self) -> dict[str, int]:
        """Column id -> column number."""
        return {c.id: i for i, c in enumerate(self.columns)}


def build(library: Library, linking: Linking, mappings: dict[str, GasMapping]) -> LibrarySystem:
    """The matrices of ``library`` with ``linking``'s providers and ``mappings``' GHG rows.

    Raises
    ------
    LibraryError
        A process has no quantitative reference, or its reference amount is zero or could not
        be converted to its flow's reference unit (the matrix would be singular).
    """
    processes = {p.id: p for p in library.processes}
    index = {c.id: i for i, c in enumerate(linking.columns)}
    providers = linking.provider_of()
    system = LibrarySystem(
        columns=linking.columns,
        names=[_column_name(c, processes[c.process], library) for c in linking.columns],
        units=[
            library.flows[c.product].reference_unit if c.product else "" for c in linking.columns
        ],
        locations=[processes[c.process].location for c in linking.columns],
        flows=[],
    )
    rows: dict[FlowKey, int] = {}
    problems = []
    for j, column in enumerate(linking.columns):
        process = processes[column.process]
        product = _product_exchange(process, column)
        if product is None or not product.amount_ref:
            problems.append(_reference_problem(process, product))
            continue
        system.technosphere.add(
            j, j, technosphere_sign(product, library.flows[product.flow]) * product.amount_ref
        )
        for exchange in process.exchanges:
            if exchange is product or exchange.amount_ref is None:
                continue
            share = 1.0 if column.shares is None else column.shares.get(exchange.position, 0.0)
            provider = providers.get((process.id, exchange.position))
            flow = library.flows[exchange.flow]
            if provider is not None:
                value = technosphere_sign(exchange, flow) * exchange.amount_ref * share
                system.technosphere.add(index[provider], j, value)
                continue
            mapping = mappings.get(exchange.flow)
            if mapping is None or mapping.kind != "ghg" or not exchange.amount_ref:
                continue
            kg = exchange.amount_ref * mapping.kg_per_unit * share
            kg = -kg if exchange.is_input else kg
            key = FlowKey(mapping.gas or "", mapping.origin, False, kg < 0)
            if key not in rows:
                rows[key] = len(rows)
            system.biosphere.add(rows[key], j, kg)
    if problems:
        raise LibraryError(
            f"{len(problems)} process(es) cannot be columns of the technosphere: "
            + "; ".join(problems[:10])
            + " — fix the reference exchange in the source / 过程缺少可用的参考流",
            problems=problems,
        )
    system.flows = list(rows)
    return system


def _product_exchange(process: Process, column: Column):
    """The exchange of the column's product: the reference, or the co-product output."""
    if "#" not in column.id:
        return process.reference
    return next((e for e in process.exchanges if e.flow == column.product and not e.is_input), None)


def _column_name(column: Column, process: Process, library: Library) -> str:
    if "#" in column.id:
        return f"{process.name} / {library.flows[column.product].name}"
    return process.name


def _reference_problem(process: Process, product) -> str:
    if product is None:
        return f"process {process.name!r} ({process.id}) has no quantitative reference"
    if product.amount_ref is None:
        return (
            f"process {process.name!r} ({process.id}): reference amount {product.amount:g} "
            f"{product.unit} cannot be converted ({product.unit_note or 'unit'})"
        )
    return f"process {process.name!r} ({process.id}): reference amount is 0"
