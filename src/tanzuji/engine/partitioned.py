"""Partitioned Monte Carlo: the background solved once at its mean, the foreground resampled.

A product model is a small *foreground* (the company's processes) on a large *background*
(process-library blocks, databases of the size of ecoinvent). When only the foreground's
uncertainty is wanted, or the background carries none, the background can be solved once: its
cradle-to-gate intensities ``lambda_b`` (kg CO2e per unit of each background product) follow
from one transposed solve of the mean system, and every Monte Carlo iteration solves only the
foreground, whose purchases of background products are valued at ``lambda_b`` (the idea of
bw2calc 2.5's ``PartitionedMonteCarloLCA``: static databases pre-solved into aggregated
biosphere vectors, only the stochastic part resampled).

With processes split into foreground ``F`` and background ``G`` and no background process
buying a foreground product (``A_GF = 0``: the matrix is block lower triangular)::

    A_FF s_F = f_F                                   (foreground, sampled every iteration)
    s_G = A_GG^-1 (f_G - A_GF s_F)                   (background, at its mean)
    h   = c B_F s_F + lambda_G^T (f_G - A_GF s_F),   lambda_G = A_GG^-T B_G^T c

so the score is that of a reduced product system: the foreground processes, and one extra
"flow" per background product the foreground buys, characterized by ``lambda_G`` and carried by
the very exchanges that buy it (their uncertainty, when they have one, is sampled as before).
``lambda_G`` equals the full system's intensities on the background rows because ``A_GF = 0``
(Heijungs & Suh 2002, ch. 2: ``lambda^T = c B A^-1``).

Background processes that buy a foreground product, or that are demanded, are moved to the
foreground (with every process buying from them), so the split always satisfies ``A_GF = 0``.
The result is exact for the foreground's uncertainty; it leaves out the background's, which is
the approximation (measured against full resampling in ``bench/montecarlo.py``; docs/engine.md).
Stage scores put a background purchase in the stage of the foreground process that buys it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from tanzuji.engine.calculate import characterization_vector
from tanzuji.engine.montecarlo import (
    MonteCarlo,
    MonteCarloOptions,
    MonteCarloResult,
    uncertain_inputs,
)
from tanzuji.engine.solver import TechnosphereSolver
from tanzuji.engine.system import FlowKey, ProductSystem, Triplets


@dataclass(frozen=True)
class Partition:
    """Processes of the foreground and background (indices of the full system, sorted).

    Attributes
    ----------
    foreground, background : numpy.ndarray of int
        The split actually used.
    promoted : numpy.ndarray of int
        Processes asked for as background but moved to the foreground (they buy, directly or
        through other background processes, a foreground product, or they are demanded).
    interface : numpy.ndarray of int
        Background processes whose product the foreground buys directly.
    """

    foreground: np.ndarray
    background: np.ndarray
    promoted: np.ndarray
    interface: np.ndarray


def partition(
    technosphere_matrix: sp.spmatrix, background: np.ndarray, demand: np.ndarray
) -> Partition:
    """Split processes so that no background process buys a foreground product.

    Parameters
    ----------
    technosphere_matrix : scipy.sparse matrix, shape (n, n)
    background : numpy.ndarray of bool, shape (n,)
        Processes asked for as background.
    demand : numpy.ndarray, shape (n,)
        The functional unit; demanded processes are foreground.
    """
    coo = sp.coo_matrix(technosphere_matrix)
    n = coo.shape[0]
    asked = np.asarray(background, dtype=bool)
    off = (coo.row != coo.col) & (coo.data != 0)
    # supplier -> consumer, plus a source node n pointing at every seed of the foreground.
    seeds = np.flatnonzero(~asked | (np.asarray(demand) != 0))
    rows = np.concatenate([coo.row[off], np.full(seeds.size, n)])
    cols = np.concatenate([coo.col[off], seeds])
    graph = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n + 1, n + 1))
    reached = csgraph.breadth_first_order(graph, n, directed=True, return_predecessors=False)
    foreground = np.zeros(n, dtype=bool)
    foreground[reached[reached < n]] = True
    buys = off & foreground[coo.col] & ~foreground[coo.row]
    return Partition(
        foreground=np.flatnonzero(foreground),
        background=np.flatnonzero(~foreground),
        promoted=np.flatnonzero(foreground & asked),
        interface=np.unique(coo.row[buys]),
    )


def foreground_system(
    system: ProductSystem, split: Partition, intensities: np.ndarray
) -> tuple[ProductSystem, np.ndarray]:
    """The reduced product system of the foreground and its extra characterization.

    Parameters
    ----------
    system : ProductSystem
    split : Partition
    intensities : numpy.ndarray, shape (n,)
        kg CO2e per unit of each product of the mean system (only the interface is used).

    Returns
    -------
    (ProductSystem, numpy.ndarray)
        The foreground system (same exchange records, so sources and uncertainties carry
        over) with one extra flow per interface product, and the intensities of those flows
        (to append to the characterization of the real flows).
    """
    n = len(system.activities)
    column = np.full(n, -1, dtype=np.int64)
    column[split.foreground] = np.arange(split.foreground.size)
    extra_row = np.full(n, -1, dtype=np.int64)
    extra_row[split.interface] = len(system.flows) + np.arange(split.interface.size)
    t = system.technosphere
    rows, cols = np.asarray(t.rows, dtype=np.int64), np.asarray(t.cols, dtype=np.int64)
    values, sources = np.asarray(t.values, dtype=np.float64), np.asarray(t.sources, np.int64)
    in_fg = column[cols] >= 0
    inside = in_fg & (column[rows] >= 0)
    bought = in_fg & (extra_row[rows] >= 0)
    technosphere = Triplets(
        column[rows[inside]].tolist(),
        column[cols[inside]].tolist(),
        values[inside].tolist(),
        sources[inside].tolist(),
    )
    b = system.biosphere
    b_rows, b_cols = np.asarray(b.rows, dtype=np.int64), np.asarray(b.cols, dtype=np.int64)
    b_keep = column[b_cols] >= 0
    # A purchase is a negative technosphere entry; its burden is +amount x lambda.
    biosphere = Triplets(
        b_rows[b_keep].tolist() + extra_row[rows[bought]].tolist(),
        column[b_cols[b_keep]].tolist() + column[cols[bought]].tolist(),
        np.asarray(b.values, dtype=np.float64)[b_keep].tolist() + (-values[bought]).tolist(),
        np.asarray(b.sources, dtype=np.int64)[b_keep].tolist() + sources[bought].tolist(),
    )
    flows = list(system.flows) + [
        FlowKey(f"background:{system.activities[j].id}", "background") for j in split.interface
    ]
    reduced = ProductSystem(
        [system.activities[j] for j in split.foreground],
        flows,
        technosphere,
        biosphere,
        np.asarray(system.demand, dtype=np.float64)[split.foreground],
        system.exchanges,
    )
    return reduced, np.asarray(intensities, dtype=np.float64)[split.interface]


class PartitionedMonteCarlo:
    """Monte Carlo of the foreground on a background solved once (see the module docstring).

    Parameters
    ----------
    system : ProductSystem
    gwp_set : str, optional
    background : numpy.ndarray of bool, shape (n,)
        Processes to hold at their mean (e.g. process-library blocks).
    characterization : numpy.ndarray, optional
        kg CO2e per kg of each flow (instead of ``gwp_set``).
    solver : TechnosphereSolver, optional
        The factorization of the mean technosphere, if already made.
    options : MonteCarloOptions, optional

    Attributes
    ----------
    split : Partition
    foreground : ProductSystem
        The reduced system every iteration solves.
    monte_carlo : MonteCarlo
        The engine on the reduced system; its ``inputs`` are those of the full system (the
        background's are never drawn into a score).
    """

    def __init__(
        self,
        system: ProductSystem,
        gwp_set: str | None = None,
        *,
        background: np.ndarray,
        characterization: np.ndarray | None = None,
        solver: TechnosphereSolver | None = None,
        options: MonteCarloOptions | None = None,
    ) -> None:
        options = options or MonteCarloOptions()
        c = (
            characterization_vector(system.flows, gwp_set)
            if characterization is None
            else np.asarray(characterization, dtype=np.float64)
        )
        matrix = system.technosphere_matrix
        self.split = partition(matrix, background, system.demand)
        if self.split.interface.size:
            solver = solver or TechnosphereSolver(matrix, [a.id for a in system.activities])
            direct = np.asarray(c @ system.biosphere_matrix).ravel()
            intensities = solver.solve_transposed(direct)  # the background, solved once
        else:
            intensities = np.zeros(len(system.activities))
        self.foreground, extra = foreground_system(system, self.split, intensities)
        self.characterization = np.concatenate([c, extra])
        self.monte_carlo = MonteCarlo(
            self.foreground,
            characterization=self.characterization,
            options=replace(options, partitioned=False),
            inputs=uncertain_inputs(system),
        )

    def run(
        self,
        iterations: int,
        seed: int = 0,
        *,
        keep_factors: bool = True,
        batch_size: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> MonteCarloResult:
        """As :meth:`MonteCarlo.run`, on the foreground (same seeds, same result shape)."""
        result = self.monte_carlo.run(
            iterations, seed, keep_factors=keep_factors, batch_size=batch_size, progress=progress
        )
        result.partitioned = True
        return result
