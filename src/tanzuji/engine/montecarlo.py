"""Monte Carlo over the uncertain exchanges of a product system, without refactorizing.

Every exchange with an ``uncertainty:`` block (lognormal, normal, triangular, uniform) or with
only a pedigree (lognormal from :mod:`tanzuji.quality`) is sampled as a *relative factor*
around its amount; all matrix entries from one exchange (allocation splits, the gases of one
emission factor) share the factor. Iterations are solved in batches, one column per iteration:

* biosphere only uncertain: no solve at all, ``h_i = c B_i s`` with the mean supply array;
* technosphere uncertain: iterative refinement preconditioned by the factorization of the mean
  system ``M`` (block-triangular LU, :class:`~tanzuji.engine.solver.TechnosphereSolver`),
  ``x_{k+1} = x_k + M^{-1} (f - A_i x_k)``, on all columns at once. ``A_i x`` for all
  iterations is one gather-multiply-scatter over the matrix entries since only values change.
  A column whose relative residual does not fall below ``mc_tolerance`` within
  ``mc_max_refinements`` steps is solved by a fresh factorization of its own ``A_i``.

References
----------
[1] J. H. Wilkinson, "Rounding Errors in Algebraic Processes", 1963 (iterative refinement);
    N. J. Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., 2002, ch. 12.
[2] C. Mutel, bw2calc ``MonteCarloLCA`` (the reference implementation it is benchmarked
    against; it refactorizes per iteration).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from tanzuji import quality, settings
from tanzuji.engine.calculate import characterization_vector
from tanzuji.engine.solver import TechnosphereSolver
from tanzuji.engine.system import ProductSystem
from tanzuji.errors import UncertaintySpecError

for _s in (
    settings.Setting(
        "mc_tolerance",
        1e-12,
        "1",
        "Monte Carlo: largest relative residual |A_i s_i - f| / |f| accepted from the "
        "refinement preconditioned by the mean factorization.",
        float,
    ),
    settings.Setting(
        "mc_max_refinements",
        40,
        "1",
        "Monte Carlo: refinement steps before an iteration falls back to a fresh factorization.",
        int,
    ),
    settings.Setting(
        "mc_dense_block_max",
        4096,
        "1",
        "Monte Carlo: loop blocks up to this many processes are factorized densely for the "
        "mean system (one factorization, many solves).",
        int,
    ),
    settings.Setting(
        "mc_batch_size",
        64,
        "1",
        "Monte Carlo: iterations solved together as the columns of one block.",
        int,
    ),
):
    if _s.name not in settings.REGISTRY:
        settings.register(_s)

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
    for kind, idx, p in groups if groups is not None else distribution_groups(inputs):
        shape = (idx.size, iterations)
        if kind == "lognormal":
            out[idx] = np.exp(p[:, :1] * rng.standard_normal(shape))
        elif kind == "normal":
            out[idx] = 1.0 + p[:, :1] * rng.standard_normal(shape)
        elif kind == "uniform":
            out[idx] = p[:, :1] + (p[:, 1:2] - p[:, :1]) * rng.random(shape)
        else:
            out[idx] = _triangular(p[:, 0:1], p[:, 1:2], p[:, 2:3], rng.random(shape))
    return out


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
    """

    def __init__(
        self,
        system: ProductSystem,
        gwp_set: str | None = None,
        *,
        characterization: np.ndarray | None = None,
        solver: TechnosphereSolver | None = None,
    ) -> None:
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
        self.groups = distribution_groups(self.inputs)
        self.solver = solver or TechnosphereSolver(
            self.technosphere_matrix,
            [a.id for a in system.activities],
            dense_block_max=int(settings.get("mc_dense_block_max")),
        )
        self.demand = np.asarray(system.demand, dtype=np.float64)
        self.mean_supply = self.solver.solve(self.demand)
        # Technosphere entries that vary: value, row, column and which factor drives them.
        t = system.technosphere
        t_src = np.asarray(t.sources, dtype=np.int64)
        t_slot = slot[t_src]
        keep = t_slot >= 0
        self.t_rows = np.asarray(t.rows, dtype=np.int64)[keep]
        self.t_cols = np.asarray(t.cols, dtype=np.int64)[keep]
        self.t_vals = np.asarray(t.values, dtype=np.float64)[keep]
        self.t_slot = t_slot[keep]
        self.t_scatter = sp.csr_matrix(
            (np.ones(self.t_rows.size), (self.t_rows, np.arange(self.t_rows.size))),
            shape=(n, self.t_rows.size),
        )
        # Direct kg CO2e per operation of each activity: mean + the varying biosphere entries.
        b = system.biosphere
        b_rows = np.asarray(b.rows, dtype=np.int64)
        b_cols = np.asarray(b.cols, dtype=np.int64)
        b_vals = np.asarray(b.values, dtype=np.float64)
        self.direct_per_operation = np.bincount(
            b_cols, weights=self.c[b_rows] * b_vals, minlength=n
        )
        b_slot = slot[np.asarray(b.sources, dtype=np.int64)]
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

    @property
    def technosphere_uncertain(self) -> bool:
        return self.t_rows.size > 0

    # -- one batch -------------------------------------------------------------------------------
    def _direct(self, factors: np.ndarray) -> np.ndarray:
        """c B_i per activity for each column, (n, k)."""
        delta = self.b_gather @ (factors[self.b_slot] - 1.0)
        return self.direct_per_operation[:, None] + delta

    def _deltas(self, factors: np.ndarray) -> np.ndarray:
        """A_i - A at the varying technosphere entries, (entries, k)."""
        return self.t_vals[:, None] * (factors[self.t_slot] - 1.0)

    def _product(self, x: np.ndarray, deltas: np.ndarray) -> np.ndarray:
        """A_i x_i for every column i at once: mean product plus the varying entries."""
        return self.technosphere_matrix @ x + self.t_scatter @ (deltas * x[self.t_cols])

    def sample_matrix(self, factors: np.ndarray) -> sp.csr_matrix:
        """The technosphere matrix of one iteration (``factors`` of shape (inputs,))."""
        delta = sp.csr_matrix(
            (self.t_vals * (factors[self.t_slot] - 1.0), (self.t_rows, self.t_cols)),
            shape=(self.n, self.n),
        )
        return (self.technosphere_matrix + delta).tocsr()

    def supply_arrays(self, factors: np.ndarray) -> tuple[np.ndarray, list[int], int]:
        """Supply arrays (n, k) for the columns of ``factors``; refinement steps, fallbacks."""
        k = factors.shape[1]
        supply = np.repeat(self.mean_supply[:, None], k, axis=1)
        if not self.technosphere_uncertain:
            return supply, [0] * k, 0
        tolerance = float(settings.get("mc_tolerance"))
        max_steps = int(settings.get("mc_max_refinements"))
        scale = max(float(np.abs(self.demand).max()), np.finfo(float).tiny)
        steps = [max_steps] * k
        active = np.arange(k)
        deltas = self._deltas(factors)
        for step in range(max_steps + 1):
            if active.size < deltas.shape[1]:
                deltas = self._deltas(factors[:, active])
            residual = self.demand[:, None] - self._product(supply[:, active], deltas)
            worst = np.abs(residual).max(axis=0) / scale
            done = worst <= tolerance
            for column in active[done]:
                steps[column] = step
            active, residual = active[~done], residual[:, ~done]
            if not active.size or step == max_steps:
                break
            supply[:, active] += self.solver.solve(residual)
        for column in active:  # not converged: the exact way, a fresh factorization
            fresh = TechnosphereSolver(self.sample_matrix(factors[:, column]))
            supply[:, column] = fresh.solve(self.demand)
        return supply, steps, int(active.size)

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
        batch = batch_size or int(settings.get("mc_batch_size"))
        kept = []
        scores = np.empty(iterations)
        stage_scores = np.empty((len(self.stage_names), iterations))
        steps: list[int] = []
        fallbacks = 0
        for start in range(0, iterations, batch):
            factors = sample_factors(self.inputs, min(batch, iterations - start), rng, self.groups)
            if keep_factors:
                kept.append(factors)
            supply, used, fresh = self.supply_arrays(factors)
            direct = self._direct(factors) * supply
            scores[start : start + factors.shape[1]] = direct.sum(axis=0)
            stage_scores[:, start : start + factors.shape[1]] = self.stage_matrix @ direct
            steps.extend(used)
            fallbacks += fresh
            if progress is not None:
                progress(factors.shape[1])
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
