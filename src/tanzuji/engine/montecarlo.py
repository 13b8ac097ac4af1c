"""Monte Carlo over the uncertain exchanges of a product system, without refactorizing.

Every exchange with an ``uncertainty:`` block (lognormal, normal, triangular, uniform) or with
only a pedigree (lognormal from :mod:`tanzuji.quality`) is sampled as a *relative factor*
around its amount; all matrix entries from one exchange (allocation splits, the gases of one
emission factor) share the factor. Iterations are solved in batches, one column per iteration:

* only the processes upstream of the demand are solved, and only the inputs that can change
  the score are drawn from the main generator (technosphere entries of reached processes,
  biosphere entries of characterized flows of reached processes);
* biosphere only uncertain: no solve at all, ``h_i = c B_i s`` with the mean supply array;
* technosphere uncertain: the sampled system is solved stage by stage in the block-triangular
  order of the mean solver (:class:`~tanzuji.engine.solver.TechnosphereSolver`). A stage is
  one level of acyclic processes — solved *exactly* by substitution with the sampled values
  (subtract what earlier stages consume, divide by the reference output) — or the loops of one
  level, solved by iterative refinement preconditioned by the mean factorization ``M`` of the
  loop blocks, ``x_{k+1} = x_k + M^{-1} (r - B_i x_k)``, on all columns at once. Products with
  the sampled entries are one gather-multiply-scatter over the entries since only values
  change. Small loop blocks are preconditioned by their explicit mean inverse (one sparse
  product per stage), large dense ones by their LU in single precision (setting
  ``mc_single_precision``; residuals stay in double precision, so the accuracy is that of
  ``mc_tolerance``: mixed-precision iterative refinement [3]). A column whose relative residual
  in some loop stage does not fall below ``mc_tolerance`` within ``mc_max_refinements`` steps is
  solved by a fresh factorization of its own ``A_i``.

References
----------
[1] J. H. Wilkinson, "Rounding Errors in Algebraic Processes", 1963 (iterative refinement);
    N. J. Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., 2002, ch. 12.
[2] C. Mutel, bw2calc ``MonteCarloLCA`` (bw2calc 3: ``LCA(use_distributions=True)`` and
    ``next()``; the reference implementation it is benchmarked against; it refactorizes per
    iteration).
[3] A. Buttari, J. Dongarra, J. Langou, J. Langou, P. Luszczek, J. Kurzak, "Mixed precision
    iterative refinement techniques for the solution of dense linear systems", IJHPCA 21(4),
    2007.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.sparse import csgraph

from tanzuji import quality
from tanzuji.engine.calculate import characterization_vector
from tanzuji.engine.solver import LoopBlock, SolverStructure, TechnosphereSolver
from tanzuji.engine.system import ProductSystem
from tanzuji.errors import UncertaintySpecError


@dataclass(frozen=True)
class MonteCarloOptions:
    """Numerical options of a Monte Carlo run (settings ``mc_*``; defaults are theirs)."""

    tolerance: float = 1e-12
    max_refinements: int = 40
    dense_block_max: int = 4096
    single_precision: bool = True
    batch_size: int = 64


DISTRIBUTIONS = ("lognormal", "normal", "triangular", "uniform")


@dataclass(frozen=True)
class UncertainInput:
    """One sampled exchange: a distribution of the factor multiplying its amount.

    ``params`` are relative to the amount: lognormal ``(sigma,)`` (median factor 1), normal
    ``(sd,)`` (mean 1), triangular ``(minimum, mode, maximum)``, uniform ``(minimum, maximum)``.
    """

    record: int
    distribution: str
    params: tuple[float, ...]
    location: str
    process: str


def _relative(spec: dict, amount: float, where: str) -> tuple[str, tuple[float, ...]] | None:
    kind = spec["distribution"]
    if kind == "lognormal":
        if spec.get("gsd") is None:
            return None  # filled from the pedigree by the caller
        return kind, (math.log(spec["gsd"]),)
    if amount == 0:
        return None  # a zero amount times any factor stays zero
    if kind == "normal":
        if spec.get("sd") is None:
            raise UncertaintySpecError(
                "a normal distribution needs 'sd' (standard deviation, in the exchange's unit)",
                location=where,
            )
        return kind, (spec["sd"] / abs(amount),)
    lo, hi = spec.get("minimum"), spec.get("maximum")
    if lo is None or hi is None or not lo <= amount <= hi or lo == hi:
        raise UncertaintySpecError(
            f"a {kind} distribution needs 'minimum' <= amount <= 'maximum' with minimum < "
            f"maximum; found minimum={lo}, amount={amount:g}, maximum={hi}",
            location=where,
        )
    if kind == "uniform":
        return kind, (lo / amount, hi / amount)
    mode = spec.get("mode", None)
    mode = amount if mode is None else mode
    if not lo <= mode <= hi:
        raise UncertaintySpecError(
            f"triangular 'mode' {mode:g} lies outside minimum {lo:g} .. maximum {hi:g}",
            location=where,
        )
    low, peak, high = sorted((lo / amount, mode / amount, hi / amount))
    return kind, (low, peak, high)


def uncertain_inputs(system: ProductSystem) -> list[UncertainInput]:
    """The exchanges of ``system`` that carry a distribution, explicit or from a pedigree."""
    flow_of_record: dict[int, int] = {}
    for row, src in zip(system.biosphere.rows, system.biosphere.sources, strict=True):
        flow_of_record.setdefault(src, row)
    inputs = []
    for index, record in enumerate(system.exchanges):
        amount = record.amount if record.amount is not None else 1.0
        chosen = None
        if record.uncertainty is not None:
            chosen = _relative(record.uncertainty, amount, record.location)
        if (
            chosen is None
            and record.pedigree is not None
            and (record.uncertainty is None or record.uncertainty["distribution"] == "lognormal")
        ):
            flow = system.flows[flow_of_record[index]] if index in flow_of_record else None
            kind = quality.flow_type(record, flow, record.unit or "")
            chosen = ("lognormal", (quality.pedigree_sigma(record.pedigree, kind),))
        if chosen is not None and not (chosen[0] == "lognormal" and chosen[1][0] == 0):
            inputs.append(
                UncertainInput(index, chosen[0], chosen[1], record.location, record.process)
            )
    return inputs


def distribution_groups(
    inputs: Sequence[UncertainInput],
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(distribution, indices, parameter array) for each distribution present in ``inputs``."""
    groups = []
    for kind in DISTRIBUTIONS:
        idx = np.array([i for i, u in enumerate(inputs) if u.distribution == kind], dtype=int)
        if idx.size:
            groups.append((kind, idx, np.array([inputs[i].params for i in idx])))
    return groups


def sample_factors(
    inputs: Sequence[UncertainInput],
    iterations: int,
    rng: np.random.Generator,
    groups: list[tuple[str, np.ndarray, np.ndarray]] | None = None,
) -> np.ndarray:
    """Relative factors, shape (len(inputs), iterations), drawn group by distribution."""
    out = np.empty((len(inputs), iterations))
    _draw(groups if groups is not None else distribution_groups(inputs), out, rng)
    return out


def _draw(groups: list[tuple[str, np.ndarray, np.ndarray]], out: np.ndarray, rng) -> None:
    """Fill rows of ``out`` (inputs x iterations) group by group, in place."""
    iterations = out.shape[1]
    for kind, idx, p in groups:
        contiguous = idx.size and idx[-1] - idx[0] == idx.size - 1
        target = out[idx[0] : idx[-1] + 1] if contiguous else np.empty((idx.size, iterations))
        if kind == "lognormal":
            rng.standard_normal(out=target)
            target *= p[:, :1]
            np.exp(target, out=target)
        elif kind == "normal":
            rng.standard_normal(out=target)
            target *= p[:, :1]
            target += 1.0
        elif kind == "uniform":
            rng.random(out=target)
            target *= p[:, 1:2] - p[:, :1]
            target += p[:, :1]
        else:
            target[:] = _triangular(p[:, 0:1], p[:, 1:2], p[:, 2:3], rng.random(target.shape))
        if not contiguous:
            out[idx] = target


def _triangular(lo: np.ndarray, mode: np.ndarray, hi: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse CDF of the triangular distribution (vectorized; ``lo < hi``)."""
    width = hi - lo
    cut = (mode - lo) / width
    left = lo + np.sqrt(u * width * (mode - lo))
    right = hi - np.sqrt((1 - u) * width * (hi - mode))
    return np.where(u < cut, left, right)


@dataclass
class MonteCarloResult:
    """Scores of every iteration, overall and per life-cycle stage (kg CO2e per FU)."""

    scores: np.ndarray  # (iterations,)
    stage_names: list[str]
    stage_scores: np.ndarray  # (stages, iterations)
    inputs: list[UncertainInput]
    factors: np.ndarray | None  # (inputs, iterations) when kept for sensitivity
    seed: int
    refinement_steps: list[int] = field(default_factory=list)
    fallbacks: int = 0

    def summary(self) -> dict:
        """mean, median, sd, 2.5 % and 97.5 % percentiles overall and per stage."""
        return {
            "iterations": int(self.scores.size),
            "seed": self.seed,
            "total": statistics(self.scores),
            "by_stage": {
                name: statistics(row)
                for name, row in zip(self.stage_names, self.stage_scores, strict=True)
            },
            "fresh_factorizations": self.fallbacks,
        }


def statistics(values: np.ndarray) -> dict[str, float]:
    """Mean, median, sample standard deviation and the 95 % percentile interval."""
    low, median, high = np.percentile(values, [2.5, 50.0, 97.5])
    return {
        "mean": float(values.mean()),
        "median": float(median),
        "sd": float(values.std(ddof=1)) if values.size > 1 else 0.0,
        "p2_5": float(low),
        "p97_5": float(high),
    }


@dataclass
class _Entries:
    """Technosphere entries of one stage: ``y = R (v_i * x[cols])`` with sampled values ``v_i``.

    ``slot`` indexes the rows of the extended factor array (the last row is all ones, for
    certain entries); ``scatter`` sums the entries of each stage row (CSR, rows x entries).
    """

    cols: np.ndarray
    base: np.ndarray
    slot: np.ndarray
    scatter: sp.csr_matrix

    @classmethod
    def make(cls, rows, cols, base, slot, n_rows: int) -> _Entries:
        by_row = np.argsort(rows, kind="stable")
        rows, cols, base, slot = rows[by_row], cols[by_row], base[by_row], slot[by_row]
        indptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=n_rows))))
        scatter = sp.csr_matrix(
            (np.ones(rows.size), np.arange(rows.size), indptr), shape=(n_rows, rows.size)
        )
        return cls(cols, base, slot, scatter)

    def values(self, factors: np.ndarray) -> np.ndarray:
        """Sampled values, (entries, k), from the extended factors."""
        out = factors[self.slot]
        out *= self.base[:, None]
        return out

    def product(self, values: np.ndarray, x: np.ndarray) -> np.ndarray:
        return self.scatter @ (values * x[self.cols])


# Loop blocks up to this size are preconditioned by their explicit mean inverse (one sparse
# product for all small blocks of a stage instead of a LAPACK call per block). A tuning choice.
SMALL_BLOCK_MAX = 64


@dataclass
class _Stage:
    """Positions ``start:stop`` of the solving order: one level of acyclic processes (solved
    exactly by division) or the loops of one level (refined on the mean factorization)."""

    start: int
    stop: int
    before: _Entries | None  # entries of the stage's rows in earlier columns
    inside: _Entries | None  # loop stages: entries among the stage's own processes
    small_inverse: sp.csr_matrix | None = None  # block diagonal mean inverse, small blocks
    large: list[tuple[int, int, Callable[[np.ndarray], np.ndarray]]] | None = None
    diagonal: _Entries | None = None  # acyclic stages with an uncertain diagonal
    inverse_diagonal: np.ndarray | None = None  # acyclic stages with a certain diagonal

    def mean_solve(self, rhs: np.ndarray) -> np.ndarray:
        """``M^-1 rhs`` with the mean factorization of the stage's loop blocks."""
        if self.small_inverse is not None:
            out = self.small_inverse @ rhs
        else:
            out = np.empty_like(rhs)
        for lo, hi, solve in self.large or ():
            out[lo:hi] = solve(rhs[lo:hi])
        return out


def _block_solver(block: LoopBlock, single: bool) -> Callable[[np.ndarray], np.ndarray]:
    """Solve with one large mean block (dense LU, in single precision if asked; or sparse)."""
    if block.dense is None:
        return lambda rhs: block.solve(rhs, transposed=False)
    if not single:
        lu, piv = block.dense
        return lambda rhs: scipy.linalg.lu_solve((lu, piv), rhs, check_finite=False)
    lu32, piv = block.dense[0].astype(np.float32), block.dense[1]

    def solve(rhs: np.ndarray) -> np.ndarray:
        scale = np.abs(rhs).max(axis=0)  # keep float32 in range whatever the units
        scale[scale == 0] = 1.0
        out = scipy.linalg.lu_solve(
            (lu32, piv), (rhs / scale).astype(np.float32), check_finite=False
        )
        return out.astype(np.float64) * scale

    return solve


def _small_inverse(blocks: list[tuple[int, int, LoopBlock]], size: int) -> sp.csr_matrix | None:
    """Block-diagonal matrix of the explicit inverses of small dense mean blocks."""
    rows, cols, vals = [], [], []
    for lo, hi, block in blocks:
        width = hi - lo
        inverse = scipy.linalg.lu_solve(block.dense, np.eye(width), check_finite=False)
        index = np.arange(lo, hi)
        rows.append(np.repeat(index, width))
        cols.append(np.tile(index, width))
        vals.append(inverse.ravel())
    if not rows:
        return None
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(size, size)
    )


@dataclass(frozen=True)
class _Placed:
    """Technosphere entries of reached processes: positions in the solving order, values and
    rows in the extended factor array."""

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    slots: np.ndarray

    def entries(self, pick: np.ndarray, row_offset: int, col_offset: int, size: int) -> _Entries:
        return _Entries.make(
            self.rows[pick] - row_offset,
            self.cols[pick] - col_offset,
            self.values[pick],
            self.slots[pick],
            size,
        )


def _stage_cuts(structure: SolverStructure, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stage boundaries (positions) where the level changes or loops give way to acyclic
    processes, and whether each position is in a loop."""
    m = order.size
    scc = structure.scc[order]
    sizes = np.bincount(structure.scc, minlength=int(structure.scc.max()) + 1 if order.size else 0)
    in_loop = sizes[scc] > 1
    level = structure.scc_level[scc]
    change = (in_loop[1:] != in_loop[:-1]) | (level[1:] != level[:-1])
    cuts = np.concatenate(([0], np.flatnonzero(change) + 1, [m])) if m else np.zeros(1, int)
    return cuts, in_loop


def _stages(
    structure: SolverStructure,
    order: np.ndarray,
    position: np.ndarray,
    entries: _Placed,
    ones_row: int,
    single: bool,
) -> list[_Stage]:
    """One :class:`_Stage` per cut of the solving order (see :func:`_stage_cuts`)."""
    cuts, in_loop = _stage_cuts(structure, order)
    blocks = {int(position[structure.order[b.start]]): b for b in structure.loop_blocks}
    stage_of = np.repeat(np.arange(cuts.size - 1), np.diff(cuts))
    row_stage = stage_of[entries.rows]
    inside = row_stage == stage_of[entries.cols]
    by_stage = np.argsort(row_stage, kind="stable")
    bounds = np.searchsorted(row_stage[by_stage], np.arange(cuts.size))
    stages = []
    for k, (lo, hi) in enumerate(zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True)):
        sel = by_stage[bounds[k] : bounds[k + 1]]
        pick, own = sel[~inside[sel]], sel[inside[sel]]
        before = entries.entries(pick, lo, 0, hi - lo) if pick.size else None
        if in_loop[lo]:
            stages.append(
                _loop_stage(lo, hi, before, entries.entries(own, lo, lo, hi - lo), blocks, single)
            )
        else:
            stages.append(_acyclic_stage(lo, hi, before, entries, own, ones_row))
    return stages


def _loop_stage(
    lo, hi, before, inner: _Entries, blocks: dict[int, LoopBlock], single: bool
) -> _Stage:
    """The loops of one level: small blocks by their explicit mean inverse, large ones by
    their mean factorization (see :data:`SMALL_BLOCK_MAX`)."""
    stage_blocks = [
        (p - lo, p - lo + blocks[p].stop - blocks[p].start, blocks[p])
        for p in range(lo, hi)
        if p in blocks
    ]
    small = [b for b in stage_blocks if b[2].dense is not None and b[1] - b[0] <= SMALL_BLOCK_MAX]
    large = [
        (b[0], b[1], _block_solver(b[2], single))
        for b in stage_blocks
        if b[2].dense is None or b[1] - b[0] > SMALL_BLOCK_MAX
    ]
    return _Stage(lo, hi, before, inner, _small_inverse(small, hi - lo), large)


def _acyclic_stage(lo, hi, before, entries: _Placed, own: np.ndarray, ones_row: int) -> _Stage:
    """One run of acyclic processes: only the diagonal inside (levels are longest paths)."""
    stage = _Stage(lo, hi, before, None)
    diagonal = np.zeros(hi - lo)
    np.add.at(diagonal, entries.rows[own] - lo, entries.values[own])
    if np.all(entries.slots[own] == ones_row):
        stage.inverse_diagonal = 1.0 / diagonal
    else:
        stage.diagonal = entries.entries(own, lo, lo, hi - lo)
    return stage


class MonteCarlo:
    """Monte Carlo of one product system in one GWP set.

    Parameters
    ----------
    system : ProductSystem
    gwp_set : str, optional
    characterization : array, optional
        kg CO2e per kg of each flow (instead of ``gwp_set``).
    solver : TechnosphereSolver, optional
        The factorization of the mean technosphere, if already made.
    options : MonteCarloOptions, optional
        Tolerances and block sizes (default: the defaults of the ``mc_*`` settings).

    Notes
    -----
    Only the processes upstream of the demand are solved, and only the inputs that can change
    the score are drawn from the main generator (technosphere entries of those processes,
    biosphere entries of characterized flows of those processes); the others are drawn from a
    second generator when the factors are kept (for sensitivity), so scores do not depend on
    ``keep_factors``.
    """

    def __init__(
        self,
        system: ProductSystem,
        gwp_set: str | None = None,
        *,
        characterization: np.ndarray | None = None,
        solver: TechnosphereSolver | None = None,
        options: MonteCarloOptions | None = None,
    ) -> None:
        self.options = options or MonteCarloOptions()
        self.system = system
        self.c = (
            characterization_vector(system.flows, gwp_set)
            if characterization is None
            else np.asarray(characterization, dtype=np.float64)
        )
        n = len(system.activities)
        self.n = n
        self.inputs = uncertain_inputs(system)
        slot = np.full(len(system.exchanges) + 1, -1, dtype=np.int64)
        for k, u in enumerate(self.inputs):
            slot[u.record] = k
        self.technosphere_matrix = system.technosphere_matrix
        self.solver = solver or TechnosphereSolver(
            self.technosphere_matrix,
            [a.id for a in system.activities],
            dense_block_max=self.options.dense_block_max,
        )
        self.demand = np.asarray(system.demand, dtype=np.float64)
        self.mean_supply = self.solver.solve(self.demand)
        # Technosphere entries that vary: value, row, column and which factor drives them.
        t = system.technosphere
        t_src = np.asarray(t.sources, dtype=np.int64)
        t_all_rows = np.asarray(t.rows, dtype=np.int64)
        t_all_cols = np.asarray(t.cols, dtype=np.int64)
        t_all_vals = np.asarray(t.values, dtype=np.float64)
        t_all_slot = slot[t_src] if t_src.size else np.zeros(0, dtype=np.int64)
        keep = t_all_slot >= 0
        self.t_rows = t_all_rows[keep]
        self.t_cols = t_all_cols[keep]
        self.t_vals = t_all_vals[keep]
        self.t_slot = t_all_slot[keep]
        # Direct kg CO2e per operation of each activity: mean + the varying biosphere entries.
        b = system.biosphere
        b_rows = np.asarray(b.rows, dtype=np.int64)
        b_cols = np.asarray(b.cols, dtype=np.int64)
        b_vals = np.asarray(b.values, dtype=np.float64)
        self.direct_per_operation = np.bincount(
            b_cols, weights=self.c[b_rows] * b_vals, minlength=n
        )
        b_slot = slot[np.asarray(b.sources, dtype=np.int64)] if b_rows.size else b_rows
        bk = b_slot >= 0
        weights = self.c[b_rows[bk]] * b_vals[bk]
        self.b_slot = b_slot[bk]
        self.b_gather = sp.csr_matrix(
            (weights, (b_cols[bk], np.arange(weights.size))), shape=(n, weights.size)
        )
        stages = sorted({a.life_cycle_stage for a in system.activities})
        self.stage_names = stages
        stage_of = [stages.index(a.life_cycle_stage) for a in system.activities]
        self.stage_matrix = sp.csr_matrix(
            (np.ones(n), (stage_of, np.arange(n))), shape=(len(stages), n)
        )
        self._plan(t_all_rows, t_all_cols, t_all_vals, t_all_slot, b_cols[bk], weights)

    # -- the solving plan ------------------------------------------------------------------------
    def _plan(self, rows, cols, vals, t_slot, b_cols, b_weights) -> None:
        """Restrict to the processes upstream of the demand; order them as the mean solver
        does (block lower triangular) and cut the order into stages."""
        structure = self.solver.structure
        reached = self._reached(rows, cols)
        self.order = structure.order[reached[structure.order]]
        position = np.full(self.n, -1, dtype=np.int64)
        position[self.order] = np.arange(self.order.size)
        t_in = reached[cols]
        b_in = reached[b_cols] & (b_weights != 0)
        active_slot = self._activate(t_slot[t_in & (t_slot >= 0)], self.b_slot[b_in])
        # Entries among reached processes, in positions; certain ones use the ones row.
        entries = _Placed(
            position[rows[t_in]],
            position[cols[t_in]],
            vals[t_in],
            active_slot[t_slot[t_in]],  # -1 (certain) maps to the last row: ones
        )
        self.technosphere_active = bool(np.any(entries.slots < self.active.size))
        self._plan_biosphere(
            position, b_cols[b_in], b_weights[b_in], active_slot[self.b_slot[b_in]]
        )
        single = self.options.single_precision
        self.stages = _stages(structure, self.order, position, entries, self.active.size, single)

    def _reached(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Processes upstream of the demand (breadth-first from each demanded process)."""
        upstream = sp.csr_matrix(
            (np.ones(rows.size), (cols, rows)), shape=(self.n, self.n)
        )  # consumer -> supplier
        reached = np.zeros(self.n, dtype=bool)
        for start in np.flatnonzero(self.demand):
            if not reached[start]:
                found = csgraph.breadth_first_order(upstream, start, return_predecessors=False)
                reached[found] = True
        return reached

    def _activate(self, technosphere_slots: np.ndarray, biosphere_slots: np.ndarray) -> np.ndarray:
        """Mark the inputs that can change the score (see the class notes); returns each
        input's row in the extended factor array (the ones row for the others)."""
        used = np.zeros(len(self.inputs), dtype=bool)
        used[technosphere_slots] = True
        used[biosphere_slots] = True
        self.active = np.flatnonzero(used)
        self.inactive = np.flatnonzero(~used)
        active_slot = np.full(len(self.inputs) + 1, self.active.size, dtype=np.int64)
        active_slot[self.active] = np.arange(self.active.size)
        self.active_groups = distribution_groups([self.inputs[i] for i in self.active])
        self.inactive_groups = distribution_groups([self.inputs[i] for i in self.inactive])
        return active_slot

    def _plan_biosphere(self, position, cols, weights, slots) -> None:
        """Direct kg CO2e per operation of the reached processes, and its varying entries."""
        m = self.order.size
        self.direct_reached = self.direct_per_operation[self.order]
        self.b_entries = _Entries.make(
            position[cols], np.zeros(cols.size, dtype=np.int64), weights, slots, m
        )
        self.stage_matrix_reached = self.stage_matrix[:, self.order].tocsr()
        self.demand_reached = self.demand[self.order]

    @property
    def technosphere_uncertain(self) -> bool:
        return self.t_rows.size > 0

    # -- one batch -------------------------------------------------------------------------------
    def _direct(self, factors: np.ndarray) -> np.ndarray:
        """c B_i per activity for each column, (n, k)."""
        delta = self.b_gather @ (factors[self.b_slot] - 1.0)
        return self.direct_per_operation[:, None] + delta

    def sample_matrix(self, factors: np.ndarray) -> sp.csr_matrix:
        """The technosphere matrix of one iteration (``factors`` of shape (inputs,))."""
        delta = sp.csr_matrix(
            (self.t_vals * (factors[self.t_slot] - 1.0), (self.t_rows, self.t_cols)),
            shape=(self.n, self.n),
        )
        return (self.technosphere_matrix + delta).tocsr()

    def _extended(self, factors: np.ndarray) -> np.ndarray:
        """Factors of the active inputs plus a row of ones, from factors of all inputs."""
        out = np.ones((self.active.size + 1, factors.shape[1]))
        out[:-1] = factors[self.active]
        return out

    def supply_arrays(self, factors: np.ndarray) -> tuple[np.ndarray, list[int], int]:
        """Supply arrays (n, k) for the columns of ``factors``; refinement steps, fallbacks."""
        reached, steps, failed = self._solve(self._extended(factors))
        supply = np.zeros((self.n, factors.shape[1]))
        supply[self.order] = reached
        for column in np.flatnonzero(failed):
            fresh = TechnosphereSolver(self.sample_matrix(factors[:, column]))
            supply[:, column] = fresh.solve(self.demand)
        return supply, steps.tolist(), int(failed.sum())

    def _solve(self, factors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Supply of the reached processes (solving order), refinement steps and failed columns.

        ``factors`` are the extended active factors. Stage by stage in the block-triangular
        order: subtract what earlier stages consume, then divide (acyclic level) or refine on
        the mean factorization of the loop blocks until the stage's relative residual is below
        ``mc_tolerance``; a column that does not converge is reported as failed.
        """
        k = factors.shape[1]
        steps = np.zeros(k, dtype=np.int64)
        failed = np.zeros(k, dtype=bool)
        if not self.technosphere_active:
            return np.repeat(self.mean_supply[self.order, None], k, axis=1), steps, failed
        tolerance = self.options.tolerance
        max_steps = self.options.max_refinements
        x = np.zeros((self.order.size, k))
        for stage in self.stages:
            rhs = np.repeat(self.demand_reached[stage.start : stage.stop, None], k, axis=1)
            if stage.before is not None:
                rhs -= stage.before.product(stage.before.values(factors), x)
            if stage.inside is None:
                # an acyclic stage carries one of the two (see _acyclic_stage)
                if stage.inverse_diagonal is not None:
                    rhs *= stage.inverse_diagonal[:, None]
                elif stage.diagonal is not None:
                    rhs /= stage.diagonal.scatter @ stage.diagonal.values(factors)
                x[stage.start : stage.stop] = rhs
                continue
            x[stage.start : stage.stop] = self._refine(
                stage, rhs, factors, tolerance, max_steps, steps, failed
            )
        return x, steps, failed

    @staticmethod
    def _refine(stage, rhs, factors, tolerance, max_steps, steps, failed) -> np.ndarray:
        """Iterative refinement of one loop stage, ``x += M^-1 (rhs - B_i x)``, per column."""
        values = stage.inside.values(factors)
        scale = np.maximum(np.abs(rhs).max(axis=0), np.finfo(float).tiny)
        x = stage.mean_solve(rhs)
        out = x
        active = np.arange(rhs.shape[1])
        for step in range(max_steps + 1):
            residual = rhs - stage.inside.product(values, x)
            with np.errstate(invalid="ignore"):
                done = np.abs(residual).max(axis=0) / scale <= tolerance
            if done.any():
                out[:, active[done]] = x[:, done]
                steps[active[done]] = np.maximum(steps[active[done]], step)
                keep = ~done
                active, x, rhs = active[keep], x[:, keep], rhs[:, keep]
                values, scale, residual = values[:, keep], scale[keep], residual[:, keep]
            if not active.size:
                break
            if step == max_steps:
                failed[active] = True
                out[:, active] = x
                break
            x += stage.mean_solve(residual)
        return out

    def run(
        self,
        iterations: int,
        seed: int = 0,
        *,
        keep_factors: bool = True,
        batch_size: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> MonteCarloResult:
        """Sample ``iterations`` systems with a fixed seed and score them.

        Draws come batch by batch from one generator seeded with ``seed``, so a run is
        reproduced exactly by the same seed, iterations and batch size.
        """
        if iterations < 1:
            raise UncertaintySpecError(f"iterations must be >= 1, found {iterations}")
        rng = np.random.default_rng(seed)
        # Inputs that cannot change the score: their own stream, drawn only when kept.
        other = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
        batch = batch_size or self.options.batch_size
        kept = []
        scores = np.empty(iterations)
        stage_scores = np.empty((len(self.stage_names), iterations))
        steps: list[int] = []
        fallbacks = 0
        for start in range(0, iterations, batch):
            k = min(batch, iterations - start)
            factors = np.empty((self.active.size + 1, k))
            _draw(self.active_groups, factors[:-1], rng)
            factors[-1] = 1.0
            full = None
            if keep_factors:
                full = np.empty((len(self.inputs), k))
                full[self.active] = factors[:-1]
                inactive = np.empty((self.inactive.size, k))
                _draw(self.inactive_groups, inactive, other)
                full[self.inactive] = inactive
                kept.append(full)
            supply, used, failed = self._solve(factors)
            b = self.b_entries
            direct = self.direct_reached[:, None] + b.scatter @ (
                b.values(factors) - b.base[:, None]
            )
            direct *= supply
            scores[start : start + k] = direct.sum(axis=0)
            stage_scores[:, start : start + k] = self.stage_matrix_reached @ direct
            for column in np.flatnonzero(failed):  # the exact way, a fresh factorization
                if full is None:
                    column_factors = np.ones(len(self.inputs))
                    column_factors[self.active] = factors[:-1, column]
                else:
                    column_factors = full[:, column]
                fresh = TechnosphereSolver(self.sample_matrix(column_factors))
                contribution = self._direct(column_factors[:, None])[:, 0] * fresh.solve(
                    self.demand
                )
                scores[start + column] = contribution.sum()
                stage_scores[:, start + column] = self.stage_matrix @ contribution
            steps.extend(used.tolist())
            fallbacks += int(failed.sum())
            if progress is not None:
                progress(k)
        return MonteCarloResult(
            scores,
            self.stage_names,
            stage_scores,
            self.inputs,
            np.concatenate(kept, axis=1) if keep_factors else None,
            seed,
            steps,
            fallbacks,
        )

    def run_fresh(self, factors: np.ndarray) -> np.ndarray:
        """Scores by a fresh factorization per column (the reference for differential tests)."""
        out = np.empty(factors.shape[1])
        direct = self._direct(factors)
        for i in range(factors.shape[1]):
            solver = TechnosphereSolver(self.sample_matrix(factors[:, i]))
            out[i] = direct[:, i] @ solver.solve(self.demand)
        return out
