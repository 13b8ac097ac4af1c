"""Cradle-to-gate intensities of library processes published as factor records.

One transposed solve of the library (:mod:`tanzuji.library.matrices`) gives, per reference unit
of every column, the kg of each greenhouse gas over the whole supply chain inside the library.
Each column becomes one :class:`~tanzuji.factors.record.FactorRecord`:

* ``gases``: the cradle-to-gate kg of each gas and origin (emissions and removals apart), so a
  footprint can characterise them in any GWP set;
* ``kg_co2e`` and ``gwp_set``: their sum in the GWP set of the derivation;
* ``unit``: the unit the data set writes its reference in (``kWh``), else the flow's reference
  unit; ``boundary`` ``cradle_to_gate``;
* ``source``, ``licence`` and ``comment``: the provenance — library name, version and content
  hash, the linking rules, the engine and GWP set, the exchanges of the process left out
  (cut-offs, unlinked) and the data provider's notice.

What the library cuts off is not in the intensity: a USLCI process whose diesel comes through
a ``CUTOFF`` flow carries no upstream emissions of that diesel. The comment counts the
process's own excluded inputs; the import report lists every one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from tanzuji import __version__, units
from tanzuji.errors import TanzujiError
from tanzuji.factors.importers import Skipped
from tanzuji.factors.importers.inventory import geography_code
from tanzuji.factors.record import FactorRecord, GasAmount, Source
from tanzuji.library.linking import LINKED, Linking
from tanzuji.library.matrices import LibrarySystem
from tanzuji.library.model import Library
from tanzuji.library.quantities import UNIT_SPELLINGS

#: What computed the intensities (recorded in every derived record).
ENGINE = f"tanzuji {__version__} engine (block-triangular TechnosphereSolver, A^T λ = B^T c)"


@dataclass(frozen=True)
class LibraryProvenance:
    """Where the library came from and under which terms (carried into every record)."""

    name: str
    version: int
    content_hash: str
    title: str
    publisher: str
    licence: str
    url: str | None = None
    accessed: dt.date | None = None
    notice: str = ""
    rules: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Derivation:
    """The settings of one derivation run."""

    gwp_set: str
    engine: str = ENGINE
    status: str = "draft"


def factor_id(library_name: str, column_id: str) -> str:
    """Record id of a derived factor: ``lib:<library>:<process id>[/<product flow id>]``."""
    raw = f"lib:{library_name}:{column_id.replace('#', '/')}"
    return re.sub(r"[^A-Za-z0-9_.:\-/]+", "_", raw)[:200]


def derived_records(
    library: Library,
    system: LibrarySystem,
    linking: Linking,
    gas_amounts: np.ndarray,
    scores: np.ndarray,
    provenance: LibraryProvenance,
    derivation: Derivation,
) -> tuple[list[FactorRecord], list[Skipped]]:
    """One record per column of ``system`` (see the module docstring), or why not.

    ``gas_amounts`` (columns x flows) and ``scores`` (columns) are per reference unit.
    """
    processes = {p.id: p for p in library.processes}
    excluded = _excluded_by_process(linking)
    records, skipped = [], []
    for j, column in enumerate(system.columns):
        process = processes[column.process]
        unit, per_unit = _record_unit(process, column, library)
        if unit is None:
            skipped.append(Skipped(column.id, f"reference unit {system.units[j]!r} is not a unit"))
            continue
        gases = [
            GasAmount(gas=key.gas, origin=key.origin, amount_kg=float(gas_amounts[j, k] * per_unit))
            for k, key in enumerate(system.flows)
            if gas_amounts[j, k] != 0.0
        ]
        name = system.names[j]
        try:
            records.append(
                FactorRecord(
                    id=factor_id(provenance.name, column.id),
                    name_en=name,
                    activity=library.flows[column.product].name if column.product else name,
                    unit=unit,
                    kg_co2e=float(scores[j] * per_unit),
                    gases=gases,
                    gwp_set=derivation.gwp_set,
                    boundary="cradle_to_gate",
                    geography=geography_code(process.location),
                    year=process.year,
                    source=_source(provenance, process.name, column.id),
                    licence=_licence(provenance, process.licence),
                    status=derivation.status,
                    comment=_comment(provenance, derivation, excluded.get(process.id, Counter())),
                )
            )
        except (TanzujiError, ValueError) as exc:
            skipped.append(Skipped(column.id, f"not a valid factor record: {exc}"))
    return records, skipped


def _record_unit(process, column, library: Library) -> tuple[str | None, float]:
    """The record's unit and the reference units in one of it."""
    product = process.reference if "#" not in column.id else None
    reference_unit = library.flows[column.product].reference_unit if column.product else ""
    if product is not None and product.amount and product.amount_ref:
        written = UNIT_SPELLINGS.get(product.unit, product.unit)
        if _parses(written):
            return written, product.amount_ref / product.amount
    spelled = UNIT_SPELLINGS.get(reference_unit, reference_unit)
    return (spelled, 1.0) if _parses(spelled) else (None, 1.0)


def _parses(unit: str) -> bool:
    try:
        units.parse_unit(unit)
    except TanzujiError:
        return False
    return bool(unit)


def _excluded_by_process(linking: Linking) -> dict[str, Counter]:
    counts: dict[str, Counter] = {}
    for decision in linking.decisions:
        if decision.decision not in LINKED and not decision.decision.startswith("co_product"):
            counts.setdefault(decision.process, Counter())[decision.decision] += 1
    return counts


def _source(provenance: LibraryProvenance, process_name: str, column_id: str) -> Source:
    return Source(
        publisher=provenance.publisher,
        document=f"{provenance.title}; process {process_name!r} ({column_id})",
        table=(
            f"cradle-to-gate intensity derived from library {provenance.name} "
            f"v{provenance.version} (sha256 {provenance.content_hash[:16]})"
        ),
        url=provenance.url,
        accessed=provenance.accessed,
    )


def _licence(provenance: LibraryProvenance, process_licence: str) -> str:
    text = provenance.licence
    if process_licence:
        text = f"{text}; data set terms: {process_licence}"
    return text[:2000]


def _comment(provenance: LibraryProvenance, derivation: Derivation, excluded: Counter) -> str:
    left_out = ", ".join(f"{n} {k}" for k, n in sorted(excluded.items())) or "none"
    parts = [
        f"Derived by Tanzuji (modified from the source: computed, not published by it): "
        f"cradle-to-gate over library {provenance.name} v{provenance.version} "
        f"(content sha256 {provenance.content_hash})",
        "linking rules " + ", ".join(f"{k}={v}" for k, v in provenance.rules.items()),
        f"{derivation.engine}; kg_co2e in {derivation.gwp_set}, gases are the inventory",
        f"this process's inputs left out: {left_out} (upstream cut-offs: see the link report)",
    ]
    if provenance.notice:
        parts.append(f"notice: {provenance.notice}")
    return " | ".join(parts)[:4000]
