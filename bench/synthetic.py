"""A synthetic product system with the shape of a background database such as ecoinvent.

The shape, not the numbers, is what matters for a sparse solver:

* **size**: 20,000 processes with about 15 technosphere inputs each and about 2,000
  elementary (gas) flows, as ecoinvent 3.x cut-off (21,255 activities; bw2calc issue #176
  quotes 21,255 x 21,255).
* **loops in a realistic share**: tanzuji issue 2 reports 3,298 of 20,000 processes inside
  strongly connected components. Here a *core* of energy, transport and basic-materials
  sectors supplies itself (one large loop); the rest is a tiered, mostly acyclic supply chain
  that buys from the core and from earlier tiers, with a few small loops (a process and its
  waste treatment, two chemicals that use each other).
* **hub suppliers**: inputs are drawn with Zipf-like popularity, so a few markets (electricity,
  transport, heat) are used by thousands of processes, as in real databases; a uniformly random
  graph would have an LU fill-in no real database has.
* **diagonal dominance**: every process makes one unit of its product (diagonal 1) and needs
  less than one unit of product in total per unit made (column sums of the input amounts
  below ``max_input_share``), so ``A`` is a non-singular M-matrix. Products are then given
  random units (a similarity scaling ``U A U^-1`` that keeps the diagonal at 1 and multiplies
  input amounts by ratios of units) so that amounts span orders of magnitude as in real data.

All numbers are illustrative; only the structure imitates a real database.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass
class SyntheticSystem:
    """Triplets of a synthetic system (0-based indices; technosphere values signed)."""

    n_processes: int
    n_flows: int
    tech_rows: np.ndarray
    tech_cols: np.ndarray
    tech_values: np.ndarray
    bio_rows: np.ndarray
    bio_cols: np.ndarray
    bio_values: np.ndarray
    characterization: np.ndarray  # kg CO2e per kg of each flow (illustrative)
    n_core: int
    n_small_loop_processes: int

    def technosphere_matrix(self) -> sp.csr_matrix:
        shape = (self.n_processes, self.n_processes)
        return sp.csr_matrix((self.tech_values, (self.tech_rows, self.tech_cols)), shape=shape)

    def biosphere_matrix(self) -> sp.csr_matrix:
        shape = (self.n_flows, self.n_processes)
        return sp.csr_matrix((self.bio_values, (self.bio_rows, self.bio_cols)), shape=shape)


def _zipf_choice(
    rng: np.random.Generator, candidates: np.ndarray, size: int, exponent: float
) -> np.ndarray:
    """Draw ``size`` distinct candidates, the k-th most popular with weight ``k^-exponent``."""
    size = min(size, candidates.size)
    if size == 0:
        return candidates[:0]
    log_weights = -exponent * np.log(np.arange(1, candidates.size + 1, dtype=np.float64))
    # Gumbel top-k: distinct draws proportional to the weights, without a Python loop.
    keys = log_weights + rng.gumbel(size=candidates.size)
    return candidates[np.argpartition(-keys, size - 1)[:size]]


def build(
    n_processes: int = 20_000,
    hub_exponent: float = 1.4,
    sector_width: int = 5,
    recent_window: int = 0,
    n_flows: int = 2_000,
    mean_inputs: float = 15.0,
    core_share: float = 0.15,
    n_small_loops: int = 100,
    flows_per_process: float = 12.0,
    max_input_share: float = 0.8,
    unit_spread_decades: float = 1.5,
    seed: int = 20_000,
) -> SyntheticSystem:
    """Build a synthetic system; see the module docstring for its shape.

    Parameters
    ----------
    n_processes : int
        Processes (columns = products = rows of the technosphere).
    hub_exponent : float
        Zipf exponent of supplier popularity (higher: fewer, bigger hubs).
    sector_width : int
        A core process also buys from core processes up to this many positions away (its
        sector).
    recent_window : int
        A rest process buys half its upstream inputs among this many most recent processes
        (0: none). Such bands make deep chains and, for general LU, fill-in far beyond real
        databases (SuperLU on ``A^T`` went from 1.5 s to 10-60 s at window 5-20); the
        defaults were chosen so that SuperLU on ``A^T`` takes about as long as on
        ecoinvent 3.9 (1.7 s single-threaded, bw2calc issue #176).
    n_flows : int
        Elementary flows (rows of the biosphere).
    mean_inputs : float
        Mean number of technosphere inputs per process.
    core_share : float
        Share of processes in the self-supplying core (one strongly connected component).
    n_small_loops : int
        Small loops (2 to 4 processes) in the tiered rest.
    flows_per_process : float
        Mean number of elementary flows per process.
    max_input_share : float
        Upper bound of the sum of input amounts per unit of output, before unit scaling (< 1
        keeps ``A`` a non-singular M-matrix).
    unit_spread_decades : float
        Product units are scaled by ``10**u`` with ``u`` uniform in +- this many decades.
    seed : int
        Seed of the random generator (the benchmark is reproducible).
    """
    rng = np.random.default_rng(seed)
    n_core = round(n_processes * core_share)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    core = np.arange(n_core)
    # Core: every process buys from hubs (Zipf over the core, low indices most popular) and
    # from its sector neighbours; process k also buys from k - 1 and hub 0 from the last one,
    # so every core process reaches every other: one strongly connected component.
    for j in range(n_core):
        k = max(1, rng.poisson(mean_inputs))
        hubs = _zipf_choice(rng, core, (2 * k) // 3, hub_exponent)
        sector = np.arange(max(0, j - sector_width), min(n_core, j + sector_width + 1))
        near = rng.choice(sector, size=min(k - hubs.size, sector.size), replace=False)
        chain = np.array([j - 1 if j > 0 else n_core - 1])
        suppliers = np.unique(np.concatenate([hubs, near, chain]))
        suppliers = suppliers[suppliers != j]
        rows.append(suppliers)
        cols.append(np.full(suppliers.size, j))
    # Rest: tiers further and further downstream; a process buys from the core and from
    # earlier (upstream) processes of the rest, never from later ones: acyclic.
    rest = np.arange(n_core, n_processes)
    for j in rest:
        k = max(1, rng.poisson(mean_inputs))
        from_core = _zipf_choice(rng, core, int(rng.binomial(k, 0.5)), hub_exponent)
        upstream = np.arange(n_core, j)
        if upstream.size:
            # Popular upstream suppliers are the oldest (lowest index) and the nearest.
            recent = upstream[-recent_window:] if recent_window else upstream[:0]
            n_up = k - from_core.size
            n_recent = min(n_up - n_up // 2, recent.size)
            picks = np.concatenate(
                [
                    _zipf_choice(rng, upstream, n_up - n_recent, hub_exponent),
                    rng.choice(recent, size=n_recent, replace=False),
                ]
            )
        else:
            picks = upstream
        suppliers = np.unique(np.concatenate([from_core, picks]))
        rows.append(suppliers)
        cols.append(np.full(suppliers.size, j))
    # Small loops in the rest: a group of consecutive processes where each also buys from the
    # next one (process and its waste treatment, two chemicals using each other).
    starts = rng.choice(np.arange(n_core, n_processes - 4), size=n_small_loops, replace=False)
    in_small = np.zeros(n_processes, dtype=bool)
    for start in np.sort(starts):
        size = int(rng.integers(2, 5))
        members = np.arange(start, start + size)
        if in_small[members].any() or members[-1] >= n_processes:
            continue
        in_small[members] = True
        rows.append(members[1:])
        cols.append(members[:-1])
        rows.append(members[:1])
        cols.append(members[-1:])
    rows_all = np.concatenate(rows).astype(np.int64)
    cols_all = np.concatenate(cols).astype(np.int64)
    edges = np.unique(np.stack([rows_all, cols_all]), axis=1)
    rows_all, cols_all = edges[0], edges[1]
    # Amounts: lognormal shares, scaled per column so the inputs sum to a random share below
    # max_input_share of one unit of output (diagonal dominance before unit scaling).
    amounts = rng.lognormal(mean=0.0, sigma=1.5, size=rows_all.size)
    col_sum = np.bincount(cols_all, weights=amounts, minlength=n_processes)
    target = rng.uniform(0.05, max_input_share, size=n_processes)
    amounts *= (target / np.where(col_sum > 0, col_sum, 1.0))[cols_all]
    unit = 10.0 ** rng.uniform(-unit_spread_decades, unit_spread_decades, size=n_processes)
    amounts *= unit[rows_all] / unit[cols_all]
    diag = np.arange(n_processes)
    tech_rows = np.concatenate([diag, rows_all])
    tech_cols = np.concatenate([diag, cols_all])
    tech_values = np.concatenate([np.ones(n_processes), -amounts])
    # Biosphere: Zipf popularity over flows (CO2 and CH4 everywhere, rare flows rarely).
    counts = np.maximum(1, rng.poisson(flows_per_process, size=n_processes))
    flow_ids = np.arange(n_flows)
    bio_rows = np.concatenate([_zipf_choice(rng, flow_ids, int(c), 1.2) for c in counts])
    bio_cols = np.repeat(np.arange(n_processes), np.minimum(counts, n_flows))
    bio_values = rng.lognormal(mean=-3.0, sigma=2.0, size=bio_rows.size) / unit[bio_cols]
    # Characterization: a tenth of the flows are greenhouse gases, with factors spanning
    # 1 (CO2) to 10^4 (fluorinated gases); a few removals (negative flows counted at GWP 1).
    characterization = np.zeros(n_flows)
    ghg = rng.choice(flow_ids, size=max(1, n_flows // 10), replace=False)
    characterization[ghg] = 10.0 ** rng.uniform(0.0, 4.0, size=ghg.size)
    characterization[0] = 1.0
    removals = rng.random(bio_rows.size) < 0.01
    bio_values[removals] *= -1.0
    return SyntheticSystem(
        n_processes=n_processes,
        n_flows=n_flows,
        tech_rows=tech_rows,
        tech_cols=tech_cols,
        tech_values=tech_values,
        bio_rows=bio_rows.astype(np.int64),
        bio_cols=bio_cols.astype(np.int64),
        bio_values=bio_values,
        characterization=characterization,
        n_core=n_core,
        n_small_loop_processes=int(in_small.sum()),
    )
