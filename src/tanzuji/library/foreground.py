"""Library processes as inputs of a product model: ``process: library:NAME/ID``.

A model input that names a library process gets the library's technosphere and biosphere
blocks added to the product system, so the engine solves foreground and background together:
the input links to the library column of that process, and every library column upstream of
it (its supply-chain closure, found by a breadth-first walk of the library's technosphere) is
added once per life-cycle stage that uses the library, with its entries. Background emissions
thus fall in the stage of the foreground process that uses them, and hotspots name the
background processes (activity ids ``library:NAME:ID``, kind ``library``).

References: ``library:NAME/PROCESS_ID`` (newest version of library ``NAME``) or
``library:PROCESS_ID`` (the one library that holds it); a co-product column of an allocated
process is ``PROCESS_ID#FLOW_ID``. A :class:`LibrarySource` resolves them; the store-backed one
is :class:`tanzuji.store.library.DatabaseLibrarySource`, which a ``Context`` holds.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import scipy.sparse as sp

from tanzuji.engine.system import Activity, ExchangeRecord, FlowKey, Triplets
from tanzuji.library.matrices import LibrarySystem
from tanzuji.library.quantities import UNIT_SPELLINGS

PREFIX = "library:"


@dataclass
class ResolvedLibrary:
    """A solved-ready library version and the column a reference names."""

    name: str
    version: int
    content_hash: str
    system: LibrarySystem
    column: int


class LibrarySource(Protocol):
    """Anything that resolves ``library:...`` references to a library and one of its columns."""

    def resolve(self, ref: str) -> ResolvedLibrary:  # pragma: no cover - protocol
        ...


def split_ref(ref: str) -> tuple[str | None, str]:
    """``library:NAME/ID`` -> (NAME, ID); ``library:ID`` -> (None, ID)."""
    body = ref.removeprefix(PREFIX)
    name, sep, process = body.partition("/")
    return (name, process) if sep else (None, body)


class _Builder(Protocol):
    activities: list[Activity]
    tech: Triplets
    bio: Triplets
    records: list[ExchangeRecord]

    def flow_row(self, key: FlowKey) -> int: ...


@dataclass
class _Block:
    resolved: ResolvedLibrary
    stage: str
    record: int  # the exchange record every biosphere entry of the block traces to
    technosphere: sp.csc_matrix
    biosphere: sp.csc_matrix
    columns: dict[int, int] = field(default_factory=dict)  # library column -> system column


class ForegroundLibrary:
    """Adds library blocks to a product system being compiled (one per library and stage)."""

    def __init__(self, source: LibrarySource) -> None:
        self.source = source
        self.blocks: dict[tuple[str, int, str], _Block] = {}
        self.used: dict[str, str] = {}  # "NAME@VERSION" -> content hash

    def column(self, ref: str, stage: str, builder: _Builder) -> tuple[int, str]:
        """The product-system column of ``ref`` in ``stage`` and its unit (added if new)."""
        resolved = self.source.resolve(ref)
        key = (resolved.name, resolved.version, stage)
        block = self.blocks.get(key)
        if block is None:
            block = self.blocks[key] = self._block(resolved, stage, builder)
            self.used[f"{resolved.name}@{resolved.version}"] = resolved.content_hash
        self._add_closure(block, resolved.column, builder)
        system = resolved.system
        unit = system.units[resolved.column]
        return block.columns[resolved.column], UNIT_SPELLINGS.get(unit, unit)

    @staticmethod
    def _block(resolved: ResolvedLibrary, stage: str, builder: _Builder) -> _Block:
        """A new block; its biosphere entries trace to one record without pedigree, so data
        quality counts them as secondary data of unknown quality (docs/quality.md R1)."""
        builder.records.append(
            ExchangeRecord(
                f"process library {resolved.name} v{resolved.version}",
                f"{PREFIX}{resolved.name}",
                "library_flow",
            )
        )
        system = resolved.system
        return _Block(
            resolved,
            stage,
            len(builder.records) - 1,
            system.technosphere_matrix.tocsc(),
            system.biosphere_matrix.tocsc(),
        )

    def _add_closure(self, block: _Block, start: int, builder: _Builder) -> None:
        system = block.resolved.system
        new = [c for c in upstream(block.technosphere, start) if c not in block.columns]
        for c in new:
            block.columns[c] = len(builder.activities)
            builder.activities.append(self._activity(block, c, builder))
        for c in new:
            col = block.columns[c]
            rows, values = _column(block.technosphere, c)
            for r, v in zip(rows, values, strict=True):
                builder.tech.add(block.columns[int(r)], col, float(v))
            rows, values = _column(block.biosphere, c)
            for r, v in zip(rows, values, strict=True):
                flow = system.flows[int(r)]
                builder.bio.add(builder.flow_row(flow), col, float(v), block.record)

    def _activity(self, block: _Block, c: int, builder: _Builder) -> Activity:
        system = block.resolved.system
        column = system.columns[c]
        activity_id = f"{PREFIX}{block.resolved.name}:{column.id}"
        if any(a.id == activity_id for a in builder.activities):
            activity_id = f"{activity_id}@{block.stage}"
        unit = UNIT_SPELLINGS.get(system.units[c], system.units[c])
        name = f"{system.names[c]} [{block.resolved.name}]"
        return Activity(activity_id, name, name, block.stage, "library", unit)


def upstream(technosphere: sp.csc_matrix, start: int) -> list[int]:
    """Columns reachable from ``start`` through its inputs (breadth-first, ``start`` first)."""
    seen = {start}
    order = [start]
    queue = deque([start])
    while queue:
        c = queue.popleft()
        rows, _ = _column(technosphere, c)
        for r in rows:
            r = int(r)
            if r not in seen:
                seen.add(r)
                order.append(r)
                queue.append(r)
    return order


def _column(matrix: sp.csc_matrix, c: int) -> tuple[np.ndarray, np.ndarray]:
    start, stop = matrix.indptr[c], matrix.indptr[c + 1]
    return matrix.indices[start:stop], matrix.data[start:stop]
