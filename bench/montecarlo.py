"""Monte Carlo iterations per second: Tanzuji against bw2calc on one synthetic system.

The system is ecoinvent-sized and synthetic (numbers are illustrative, not data): 20,000
processes with ~15 inputs each, ~3,300 of them in one loop, ~2,000 gas flows, lognormal
uncertainty (sigma 0.05 .. 0.5) on every input and emission; reference outputs are certain,
as in ecoinvent. Both engines run in the same process on the same matrices:

1. Tanzuji :class:`~tanzuji.engine.montecarlo.MonteCarlo` (mean factorization reused), timed;
2. bw2calc ``LCA(use_distributions=True)`` + ``next(lca)`` (its Monte Carlo; SuperLU unless
   pypardiso is installed), timed;
3. accuracy: bw2calc on the *same* sampled matrices as Tanzuji (``use_arrays``), compared
   iteration by iteration; and mean and 95 % interval of both Monte Carlo runs.

Usage::

    .venv/bin/python bench/montecarlo.py               # full size, ~5 minutes
    .venv/bin/python bench/montecarlo.py --quick       # small system, seconds (smoke test)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings

import numpy as np

from tanzuji.engine.montecarlo import MonteCarlo, statistics
from tanzuji.engine.system import Activity, ExchangeRecord, FlowKey, ProductSystem, Triplets

STAGES = ("raw_materials", "production", "distribution", "end_of_life")


def synthetic_system(
    processes: int = 20_000,
    inputs_per_process: int = 15,
    in_loop: int = 3_300,
    flows: int = 2_000,
    emissions_per_process: int = 4,
    seed: int = 42,
) -> tuple[ProductSystem, np.ndarray]:
    """A synthetic product system and its characterization vector (kg CO2e per kg).

    Acyclic inputs come from processes with a higher index; the loop processes each draw two
    inputs from other loop processes in any order, which makes them one strongly connected
    component. Input amounts sum to ~0.25 per unit of output (a productive economy).
    """
    rng = np.random.default_rng(seed)
    tech, bio = Triplets(), Triplets()
    records: list[ExchangeRecord] = []
    # The loop processes are the last ``in_loop`` indices: acyclic inputs only come from higher
    # indices, so no process outside this range can close a cycle through it.
    loop = np.arange(processes - in_loop, processes)

    def uncertain(kind: str, where: str) -> int:
        sigma = float(rng.uniform(0.05, 0.5))
        records.append(
            ExchangeRecord(
                where,
                where.split(":")[0],
                kind,
                {"distribution": "lognormal", "gsd": float(np.exp(sigma))},
            )
        )
        return len(records) - 1

    for j in range(processes):
        tech.add(j, j, 1.0)
        later = processes - j - 1
        count = min(inputs_per_process, later)
        suppliers = (
            j + 1 + rng.choice(later, size=count, replace=False) if count else np.array([], int)
        )
        for i in suppliers:
            tech.add(
                int(i),
                j,
                -float(rng.uniform(0, 0.5)) / inputs_per_process,
                uncertain("input", f"p{j}:input {i}"),
            )
    for j in loop:
        for i in rng.choice(loop, size=2, replace=False):
            if i != j:
                tech.add(
                    int(i),
                    int(j),
                    -float(rng.uniform(0, 0.05)),
                    uncertain("input", f"p{j}:loop input {i}"),
                )
    for j in range(processes):
        for f in rng.choice(flows, size=emissions_per_process, replace=False):
            bio.add(int(f), j, float(rng.lognormal(-2, 1.5)), uncertain("emission", f"p{j}:f{f}"))
    activities = [
        Activity(f"p{j}", f"p{j}", f"p{j}", STAGES[j % len(STAGES)], "process", "kg")
        for j in range(processes)
    ]
    flow_keys = [FlowKey(f"gas{f}", "fossil") for f in range(flows)]
    demand = np.zeros(processes)
    demand[0] = 1.0
    characterization = rng.choice([1.0, 27.0, 29.8, 273.0, 0.5], size=flows)
    system = ProductSystem(activities, flow_keys, tech, bio, demand, records)
    return system, characterization


def bw2calc_datapackage(system: ProductSystem, c: np.ndarray, arrays: np.ndarray | None = None):
    """The same system as a bw_processing datapackage (lognormal: loc = ln|x|, scale = sigma).

    With ``arrays`` (entries x iterations, technosphere entries then biosphere entries) the
    package holds those sampled values instead of distributions.
    """
    import bw_processing as bwp

    n, m = len(system.activities), len(system.flows)
    flow_offset = n  # ids of flows follow the ids of activities
    dp = bwp.create_datapackage(sequential=True)
    sigma = {}
    for k, r in enumerate(system.exchanges):
        if r.uncertainty:
            sigma[k] = float(np.log(r.uncertainty["gsd"]))
    for label, trip, row_offset in (
        ("technosphere_matrix", system.technosphere, 0),
        ("biosphere_matrix", system.biosphere, flow_offset),
    ):
        rows = np.asarray(trip.rows) + row_offset
        cols = np.asarray(trip.cols)
        values = np.asarray(trip.values)
        indices = np.empty(rows.size, dtype=bwp.INDICES_DTYPE)
        indices["row"], indices["col"] = rows, cols
        flip = values < 0 if label == "technosphere_matrix" else np.zeros(values.size, bool)
        distributions = np.zeros(rows.size, dtype=bwp.UNCERTAINTY_DTYPE)
        scales = np.array([sigma.get(s, 0.0) for s in trip.sources])
        distributions["uncertainty_type"] = np.where(scales > 0, 2, 0)
        distributions["loc"] = np.where(scales > 0, np.log(np.abs(values)), np.abs(values))
        distributions["scale"] = np.where(scales > 0, scales, np.nan)
        distributions["minimum"] = distributions["maximum"] = distributions["shape"] = np.nan
        if arrays is None:
            dp.add_persistent_vector(
                matrix=label,
                indices_array=indices,
                data_array=np.abs(values),
                flip_array=flip,
                distributions_array=distributions,
            )
        else:
            part = arrays[: rows.size] if label == "technosphere_matrix" else arrays[-rows.size :]
            dp.add_persistent_array(
                matrix=label, indices_array=indices, data_array=np.abs(part), flip_array=flip
            )
    cidx = np.empty(m, dtype=bwp.INDICES_DTYPE)
    cidx["row"] = cidx["col"] = np.arange(m) + flow_offset
    dp.add_persistent_vector(matrix="characterization_matrix", indices_array=cidx, data_array=c)
    return dp


def bw2calc_run(dp, demand_id: int, iterations: int, *, arrays: bool) -> tuple[np.ndarray, float]:
    """Scores of ``iterations`` bw2calc Monte Carlo steps and the seconds they took."""
    import bw2calc

    lca = bw2calc.LCA(
        {demand_id: 1.0},
        data_objs=[dp],
        use_distributions=not arrays,
        use_arrays=arrays,
        seed_override=None if arrays else 7,
    )
    lca.lci()
    lca.lcia()
    lca.keep_first_iteration()  # the first sample is already in the matrices; score it
    scores = []
    start = time.perf_counter()
    for _ in range(iterations):
        next(lca)
        scores.append(lca.score)
    return np.array(scores), time.perf_counter() - start


def sampled_values(mc: MonteCarlo, factors: np.ndarray) -> np.ndarray:
    """Matrix entry values of each iteration (technosphere entries, then biosphere entries)."""
    slot = np.full(len(mc.system.exchanges) + 1, -1)
    for k, u in enumerate(mc.inputs):
        slot[u.record] = k
    parts = []
    for trip in (mc.system.technosphere, mc.system.biosphere):
        values = np.asarray(trip.values)[:, None]
        s = slot[np.asarray(trip.sources)]
        f = np.where(s[:, None] >= 0, factors[np.maximum(s, 0)], 1.0)
        parts.append(values * f)
    return np.vstack(parts)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small system, few iterations")
    parser.add_argument("--iterations", type=int, default=None, help="Tanzuji iterations")
    parser.add_argument("--bw-iterations", type=int, default=None, help="bw2calc iterations")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    if args.quick:
        size = {"processes": 400, "in_loop": 60, "flows": 50}
        iterations, bw_iterations, same = args.iterations or 200, args.bw_iterations or 5, 3
    else:
        size = {}
        iterations, bw_iterations, same = args.iterations or 1000, args.bw_iterations or 12, 4
    t0 = time.perf_counter()
    system, c = synthetic_system(**size)
    built = time.perf_counter() - t0
    t0 = time.perf_counter()
    mc = MonteCarlo(system, characterization=c)
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = mc.run(iterations, seed=args.seed, keep_factors=False)
    ours_s = time.perf_counter() - t0
    ours_rate = iterations / ours_s
    print(f"tanzuji: {ours_rate:.2f} iterations/s", file=sys.stderr, flush=True)

    dp = bw2calc_datapackage(system, c)
    bw_scores, bw_s = bw2calc_run(dp, 0, bw_iterations, arrays=False)
    bw_rate = bw_iterations / bw_s
    print(f"bw2calc: {bw_rate:.3f} iterations/s", file=sys.stderr, flush=True)

    # Same samples in both engines: iteration-by-iteration agreement.
    factors = mc.run(same, seed=args.seed + 1, keep_factors=True).factors
    ours_same = mc.run(same, seed=args.seed + 1, keep_factors=False).scores
    dp_same = bw2calc_datapackage(system, c, sampled_values(mc, factors))
    bw_same, _ = bw2calc_run(dp_same, 0, same, arrays=True)
    report = {
        "system": {
            **mc.solver.describe(),
            "flows": len(system.flows),
            "technosphere_entries": len(system.technosphere.values),
            "biosphere_entries": len(system.biosphere.values),
            "uncertain_exchanges": len(mc.inputs),
        },
        "seconds": {"build": built, "tanzuji_setup": setup},
        "tanzuji": {
            "iterations": iterations,
            "seconds": ours_s,
            "iterations_per_s": ours_rate,
            "max_refinement_steps": max(result.refinement_steps),
            "fresh_factorizations": result.fallbacks,
            "stats": statistics(result.scores),
            "se_mean": float(result.scores.std(ddof=1) / np.sqrt(iterations)),
        },
        "bw2calc": {
            "iterations": bw_iterations,
            "seconds": bw_s,
            "iterations_per_s": bw_rate,
            "stats": statistics(bw_scores),
            "se_mean": float(bw_scores.std(ddof=1) / np.sqrt(bw_iterations)),
        },
        "ratio": ours_rate / bw_rate,
        "same_samples": {
            "iterations": same,
            "max_relative_difference": float(np.max(np.abs(ours_same - bw_same) / np.abs(bw_same))),
        },
    }
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
