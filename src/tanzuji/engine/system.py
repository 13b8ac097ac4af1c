"""The product system as arrays: technosphere, biosphere, labels and exchange metadata.

Entries are kept as triplets (row, column, value) with a pointer to the exchange they came from,
so that Monte Carlo can resample each entry and reports can trace a number to its source line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp


class FlowKey(NamedTuple):
    """One row of the biosphere matrix: a gas with its origin, emission or removal."""

    gas: str
    origin: str
    aircraft: bool = False
    removal: bool = False

    def label(self) -> str:
        tags = [self.gas, self.origin]
        if self.aircraft:
            tags.append("aircraft")
        if self.removal:
            tags.append("removal")
        return "|".join(tags)


@dataclass(frozen=True)
class Activity:
    """One column of the technosphere: a process product or an emission factor used in a stage."""

    id: str
    name_en: str
    name_zh: str
    life_cycle_stage: str
    kind: str  # "process" or "factor"
    unit: str
    primary: bool = False


@dataclass
class Triplets:
    """Matrix entries with the index of the exchange each came from."""

    rows: list[int] = field(default_factory=list)
    cols: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)

    def add(self, row: int, col: int, value: float, source: int = -1) -> None:
        self.rows.append(row)
        self.cols.append(col)
        self.values.append(value)
        self.sources.append(source)

    def matrix(self, shape: tuple[int, int]) -> sp.csr_matrix:
        """Sum of the entries as a CSR matrix (duplicates added)."""
        return sp.csr_matrix(
            (
                np.asarray(self.values, dtype=np.float64),
                (np.asarray(self.rows, dtype=np.int64), np.asarray(self.cols, dtype=np.int64)),
            ),
            shape=shape,
        )


@dataclass
class ExchangeRecord:
    """Where a matrix entry came from and what is known of its quality."""

    location: str
    process: str
    kind: str  # "input", "emission", "factor_flow", "reference"
    uncertainty: dict[str, Any] | None = None
    #: 1..5 per indicator; fractional after a text match (quality.degrade_for_match, R5)
    pedigree: tuple[float, ...] | None = None  # the five pedigree scores
    primary: bool = False
    factor_id: str | None = None
    amount: float | None = None  # in ``unit``, as written (uncertainty specs are in this unit)
    unit: str | None = None
    #: For an input whose factor was chosen by text (``match:``): the text, the matcher's
    #: confidence in [0, 1] and its one-line explanation.
    match_text: str | None = None
    match_confidence: float | None = None
    match_explanation: str | None = None


@dataclass
class ProductSystem:
    """Everything the engine needs, as arrays plus labels."""

    activities: list[Activity]
    flows: list[FlowKey]
    technosphere: Triplets
    biosphere: Triplets
    demand: np.ndarray
    exchanges: list[ExchangeRecord] = field(default_factory=list)

    @property
    def technosphere_matrix(self) -> sp.csr_matrix:
        n = len(self.activities)
        return self.technosphere.matrix((n, n))

    @property
    def biosphere_matrix(self) -> sp.csr_matrix:
        return self.biosphere.matrix((len(self.flows), len(self.activities)))

    def locations(self, matrix: str, row: int, col: int) -> list[str]:
        """Where the entry ``(row, col)`` of ``matrix`` ("technosphere" or "biosphere") came
        from: the locations of its exchanges (file:line and path), or the activity's reference
        product for a diagonal entry written by no exchange."""
        triplets = self.technosphere if matrix == "technosphere" else self.biosphere
        found = []
        for r, c, source in zip(triplets.rows, triplets.cols, triplets.sources, strict=True):
            if r != row or c != col:
                continue
            if source >= 0:
                found.append(self.exchanges[source].location)
            else:
                found.append(f"reference product of {self.activities[col].id!r}")
        return list(dict.fromkeys(found))

    def index_of(self, activity_id: str) -> int:
        for i, activity in enumerate(self.activities):
            if activity.id == activity_id:
                return i
        raise KeyError(activity_id)
