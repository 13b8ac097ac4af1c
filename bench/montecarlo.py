"""Monte Carlo iterations per second: Tanzuji against bw2calc on the synthetic ecoinvent system.

The system is ``bench/synthetic.py``'s (the one ``bench/engine.py`` times): 20,000 processes,
~15 inputs each, 3,290 in loops, 2,000 elementary flows; numbers are illustrative, not data.
Every technosphere input and every biosphere entry gets a lognormal uncertainty with a
geometric standard deviation ``exp(sigma)``, ``sigma`` uniform in ``--sigma`` (0.05 .. 0.5 by
default, fixed seed); reference outputs (the diagonal) are certain, as in ecoinvent. Both
engines run in the same process, on the same matrices, interleaved in rounds so that the load
of the shared machine hits both alike:

1. Tanzuji :class:`~tanzuji.engine.montecarlo.MonteCarlo` (mean factorization reused, batched
   iterative refinement), ``--iterations`` iterations;
2. bw2calc 3.x Monte Carlo, ``LCA(use_distributions=True)`` + ``next(lca)`` (bw2calc 3 has no
   separate ``MonteCarloLCA`` class; this is what replaced it): a fresh sample of every matrix
   and a fresh SuperLU solve per iteration (PARDISO / UMFPACK when installed),
   ``--bw-iterations`` iterations;
3. accuracy, three ways:

   * the mean and 95 % interval of both runs; bw2calc's few iterations give a noisy interval,
     so the bw2calc sample is also placed in Tanzuji's distribution (share inside Tanzuji's
     95 % interval, two-sample Kolmogorov-Smirnov test) and Tanzuji is run with bw2calc's
     small count too, comparing means within standard errors;
   * exact: bw2calc fed the *same* sampled matrices Tanzuji drew (``use_arrays``), scores
     compared iteration by iteration.

Results go to ``bench/results/montecarlo-<date>.json`` (``-quick`` in the name for quick runs).

Usage::

    .venv/bin/python bench/montecarlo.py            # full size, ~5-8 minutes
    .venv/bin/python bench/montecarlo.py --quick    # 2,000 processes, seconds (smoke test)
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import platform
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy
import scipy.stats

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic

from tanzuji.engine.montecarlo import MonteCarlo, statistics
from tanzuji.engine.system import Activity, ExchangeRecord, FlowKey, ProductSystem, Triplets

RESULTS = Path(__file__).resolve().parent / "results"
FLOW_ID_OFFSET = 1_000_000  # bw2calc ids of flows, apart from product ids 1..n (as engine.py)
STAGES = ("raw_materials", "production", "distribution", "end_of_life")
# tanzuji issue 4: bw2calc MonteCarloLCA with SuperLU on this machine kind (quoted, for context).
ISSUE_BW2CALC_SUPERLU_RATE = 0.19
TARGET_RATIO = 50.0  # tanzuji issue 4: >= 50x bw2calc with SuperLU in the same run


@dataclass
class UncertainSystem:
    """The synthetic system with a lognormal sigma on every entry (0 where certain)."""

    synthetic: synthetic.SyntheticSystem
    tech_sigma: np.ndarray  # per technosphere entry; 0 on the diagonal
    bio_sigma: np.ndarray  # per biosphere entry
    demand_process: int  # 0-based index of the functional unit's process

    def product_system(self) -> ProductSystem:
        """Tanzuji's :class:`ProductSystem`: one exchange record per uncertain entry."""
        s = self.synthetic
        records: list[ExchangeRecord] = []

        def triplets(rows, cols, values, sigma, kind) -> Triplets:
            sources = np.full(rows.size, -1, dtype=np.int64)
            uncertain = np.flatnonzero(sigma > 0)
            sources[uncertain] = np.arange(len(records), len(records) + uncertain.size)
            gsd = np.exp(sigma[uncertain])
            for k, j, v, g in zip(
                uncertain.tolist(), cols[uncertain].tolist(), values[uncertain].tolist(), gsd
            ):
                records.append(
                    ExchangeRecord(
                        f"p{j}:{kind}[{k}]",
                        f"p{j}",
                        kind,
                        {"distribution": "lognormal", "gsd": float(g)},
                        amount=v,
                    )
                )
            return Triplets(rows.tolist(), cols.tolist(), values.tolist(), sources.tolist())

        tech = triplets(s.tech_rows, s.tech_cols, s.tech_values, self.tech_sigma, "input")
        bio = triplets(s.bio_rows, s.bio_cols, s.bio_values, self.bio_sigma, "emission")
        activities = [
            Activity(f"p{j}", f"p{j}", f"p{j}", STAGES[j % len(STAGES)], "process", "kg")
            for j in range(s.n_processes)
        ]
        flows = [FlowKey(f"gas{f}", "fossil") for f in range(s.n_flows)]
        demand = np.zeros(s.n_processes)
        demand[self.demand_process] = 1.0
        return ProductSystem(activities, flows, tech, bio, demand, records)


def uncertain_system(
    system: synthetic.SyntheticSystem, sigma_low: float, sigma_high: float, seed: int
) -> UncertainSystem:
    """Draw a sigma for every off-diagonal technosphere entry and every biosphere entry."""
    rng = np.random.default_rng(seed)
    tech_sigma = rng.uniform(sigma_low, sigma_high, size=system.tech_values.size)
    tech_sigma[system.tech_rows == system.tech_cols] = 0.0
    bio_sigma = rng.uniform(sigma_low, sigma_high, size=system.bio_values.size)
    # The functional unit: the most downstream process (last tier; buys from core and rest).
    return UncertainSystem(system, tech_sigma, bio_sigma, system.n_processes - 1)


# -- bw2calc ------------------------------------------------------------------------------------
def _indices(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    import bw_processing as bwp

    out = np.empty(rows.size, dtype=bwp.INDICES_DTYPE)
    out["row"], out["col"] = rows, cols
    return out


def _distributions(values: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """stats_arrays parameters: lognormal (type 2) loc = ln|x|, scale = sigma, negative flag;
    certain entries type 0 (undefined: the value is ``loc``)."""
    import bw_processing as bwp

    out = np.zeros(values.size, dtype=bwp.UNCERTAINTY_DTYPE)
    uncertain = sigma > 0
    out["uncertainty_type"] = np.where(uncertain, 2, 0)
    out["loc"] = np.where(uncertain, np.log(np.abs(values)), values)
    out["scale"] = np.where(uncertain, sigma, np.nan)
    out["shape"] = out["minimum"] = out["maximum"] = np.nan
    out["negative"] = uncertain & (values < 0)
    return out


def bw2calc_datapackage(us: UncertainSystem, arrays: np.ndarray | None = None) -> Any:
    """The system as a bw_processing datapackage, float64 values, signed (no flip array).

    Without ``arrays``: vectors with distributions (for ``use_distributions``). With ``arrays``
    (entries x iterations: technosphere entries, then biosphere entries): those sampled
    values as persistent arrays (for ``use_arrays``).
    """
    import bw_processing as bwp

    s = us.synthetic
    dp = bwp.create_datapackage(sequential=True)
    parts = (
        ("technosphere_matrix", s.tech_rows + 1, s.tech_cols + 1, s.tech_values, us.tech_sigma),
        ("biosphere_matrix", s.bio_rows + FLOW_ID_OFFSET, s.bio_cols + 1, s.bio_values, us.bio_sigma),
    )
    offset = 0
    for matrix, rows, cols, values, sigma in parts:
        if arrays is None:
            dp.add_persistent_vector(
                matrix=matrix,
                indices_array=_indices(rows, cols),
                data_array=values.astype(np.float64),
                distributions_array=_distributions(values, sigma),
                name=matrix.split("_")[0],
            )
        else:
            dp.add_persistent_array(
                matrix=matrix,
                indices_array=_indices(rows, cols),
                data_array=np.ascontiguousarray(arrays[offset : offset + values.size]),
                name=matrix.split("_")[0],
            )
        offset += values.size
    flows = np.arange(s.n_flows)
    dp.add_persistent_vector(
        matrix="characterization_matrix",
        indices_array=_indices(flows + FLOW_ID_OFFSET, np.zeros_like(flows)),
        data_array=s.characterization.astype(np.float64),
        name="gwp100",
    )
    return dp


class Bw2calcMonteCarlo:
    """bw2calc's Monte Carlo: ``LCA(use_distributions=True)``, one ``next()`` per iteration."""

    def __init__(self, dp: Any, demand_id: int, seed: int | None, *, arrays: bool = False) -> None:
        import bw2calc

        self.lca = bw2calc.LCA(
            {demand_id: 1.0},
            data_objs=[dp],
            use_distributions=not arrays,
            use_arrays=arrays,
            seed_override=seed,
        )
        self.lca.lci()
        self.lca.lcia()
        self.first = float(self.lca.score)  # the sample drawn while loading

    def iterate(self, count: int) -> tuple[list[float], list[float]]:
        """Scores and seconds of ``count`` further iterations (new sample + solve each)."""
        scores, seconds = [], []
        for _ in range(count):
            start = time.perf_counter()
            next(self.lca)
            scores.append(float(self.lca.score))
            seconds.append(time.perf_counter() - start)
        return scores, seconds


def bw2calc_solver() -> str:
    import bw2calc

    if bw2calc.PYPARDISO:
        return "pypardiso"
    if bw2calc.UMFPACK:
        return "umfpack"
    return "superlu"


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


# -- comparing ----------------------------------------------------------------------------------
def _se(values: np.ndarray) -> float:
    return float(values.std(ddof=1) / math.sqrt(values.size)) if values.size > 1 else math.nan


def compare(tz: np.ndarray, tz_small: np.ndarray, bw: np.ndarray) -> dict[str, Any]:
    """Agreement of the two Monte Carlo samples (different random numbers, same model)."""
    low, high = np.percentile(tz, [2.5, 97.5])
    ks = scipy.stats.ks_2samp(tz, bw)
    mean_difference = float(tz.mean() - bw.mean())
    small_difference = float(tz_small.mean() - bw.mean())
    return {
        "mean_difference_relative": mean_difference / float(tz.mean()),
        "mean_difference_in_standard_errors": mean_difference
        / math.hypot(_se(tz), _se(bw)),
        "same_count_mean_difference_in_standard_errors": small_difference
        / math.hypot(_se(tz_small), _se(bw)),
        "bw2calc_share_inside_tanzuji_95_interval": float(((bw >= low) & (bw <= high)).mean()),
        "ks_two_sample_statistic": float(ks.statistic),
        "ks_two_sample_p_value": float(ks.pvalue),
    }


# -- the run ------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict[str, Any]:
    clock = time.perf_counter
    start = clock()
    system = synthetic.build(n_processes=args.processes, n_flows=args.flows, seed=args.seed)
    us = uncertain_system(system, args.sigma[0], args.sigma[1], args.seed + 1)
    product_system = us.product_system()
    seconds: dict[str, float] = {"generate": clock() - start}

    start = clock()
    mc = MonteCarlo(product_system, characterization=system.characterization)
    seconds["tanzuji_setup"] = clock() - start
    print(f"tanzuji setup {seconds['tanzuji_setup']:.2f} s", file=sys.stderr, flush=True)
    rounds = max(1, args.rounds)
    tz_per_round = -(-args.iterations // rounds)
    bw_per_round = -(-args.bw_iterations // rounds) if args.bw_iterations else 0

    bw = None
    if bw_per_round:
        start = clock()
        dp = bw2calc_datapackage(us)
        bw = Bw2calcMonteCarlo(dp, us.demand_process + 1, args.seed + 2)
        seconds["bw2calc_setup"] = clock() - start
        print(f"bw2calc setup {seconds['bw2calc_setup']:.2f} s", file=sys.stderr, flush=True)

    # Interleaved rounds: Tanzuji's seeds seed+10+k, bw2calc's stream continues.
    tz_scores, tz_seconds, steps, fallbacks = [], [], [], 0
    bw_scores: list[float] = []
    bw_seconds: list[float] = []
    load = [os.getloadavg()[0]]
    for k in range(rounds):
        gc.collect()
        start = clock()
        result = mc.run(tz_per_round, seed=args.seed + 10 + k, keep_factors=False)
        tz_seconds.append(clock() - start)
        tz_scores.append(result.scores)
        steps.extend(result.refinement_steps)
        fallbacks += result.fallbacks
        print(
            f"round {k + 1}/{rounds}: tanzuji {tz_per_round / tz_seconds[-1]:.1f} it/s",
            file=sys.stderr,
            end="",
            flush=True,
        )
        if bw is not None:
            gc.collect()
            scores, times = bw.iterate(bw_per_round)
            bw_scores.extend(scores)
            bw_seconds.extend(times)
            print(f", bw2calc {len(times) / sum(times):.3f} it/s", file=sys.stderr, end="")
        load.append(os.getloadavg()[0])
        print(f" (load {load[-1]:.1f})", file=sys.stderr, flush=True)
    tz = np.concatenate(tz_scores)
    tz_rate = tz.size / sum(tz_seconds)
    report: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "system": {
            **mc.solver.describe(),
            "flows": system.n_flows,
            "technosphere_entries": int(system.tech_values.size),
            "biosphere_entries": int(system.bio_values.size),
            "uncertain_entries": len(mc.inputs),
            "sigma_range": list(args.sigma),
            "demand_process": us.demand_process,
            "generator": "bench/synthetic.py",
            "seed": args.seed,
        },
        "seconds": seconds,
        "rounds": rounds,
        "load_average_1min": load,
        "tanzuji": {
            "iterations": int(tz.size),
            "seconds": sum(tz_seconds),
            "seconds_per_round": tz_seconds,
            "iterations_per_s": tz_rate,
            "batch_size": mc.batch_size if hasattr(mc, "batch_size") else None,
            "refinement_steps_mean": float(np.mean(steps)),
            "refinement_steps_max": int(max(steps)),
            "fresh_factorizations": fallbacks,
            "stats": statistics(tz),
            "se_mean": _se(tz),
        },
    }
    if bw is not None:
        bw_arr = np.array(bw_scores)
        bw_rate = bw_arr.size / sum(bw_seconds)
        # Tanzuji with bw2calc's small count: is its mean as close as the sampling noise says?
        small = mc.run(bw_arr.size, seed=args.seed + 5, keep_factors=False).scores
        report["bw2calc"] = {
            "solver": bw2calc_solver(),
            "iterations": int(bw_arr.size),
            "seconds": sum(bw_seconds),
            "seconds_per_iteration": bw_seconds,
            "iterations_per_s": bw_rate,
            "stats": statistics(bw_arr),
            "se_mean": _se(bw_arr),
        }
        report["tanzuji_same_count"] = {
            "iterations": int(small.size),
            "stats": statistics(small),
            "se_mean": _se(small),
        }
        report["ratio"] = tz_rate / bw_rate
        report["target"] = {
            "ratio": TARGET_RATIO,
            "met": tz_rate / bw_rate >= TARGET_RATIO,
            "issue_quoted_bw2calc_superlu_rate": ISSUE_BW2CALC_SUPERLU_RATE,
        }
        report["distribution_agreement"] = compare(tz, small, bw_arr)
        del bw
        gc.collect()

        # Exact: bw2calc on the matrices Tanzuji sampled, iteration by iteration.
        same = mc.run(args.same, seed=args.seed + 6, keep_factors=True)
        dp_same = bw2calc_datapackage(us, sampled_values(mc, same.factors))
        # No seed: a sequential package is then read column by column (matrix_utils uses a
        # random column indexer when a seed is given). Loading reads column 0.
        bw_same = Bw2calcMonteCarlo(dp_same, us.demand_process + 1, None, arrays=True)
        bw_same_scores = [bw_same.first] + bw_same.iterate(args.same - 1)[0]
        rel = np.abs(same.scores - np.array(bw_same_scores)) / np.abs(np.array(bw_same_scores))
        report["same_samples"] = {
            "iterations": args.same,
            "tanzuji": same.scores.tolist(),
            "bw2calc": bw_same_scores,
            "max_relative_difference": float(rel.max()),
        }
    report["versions"] = _versions()
    report["machine"] = {"platform": platform.platform(), "cpus": _cpus()}
    return report


def _versions() -> dict[str, str]:
    import tanzuji

    out = {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__}
    out["tanzuji"] = tanzuji.__version__
    try:
        import bw2calc
        import bw_processing

        out["bw2calc"] = bw2calc.__version__
        out["bw_processing"] = bw_processing.__version__
    except ImportError:
        pass
    return out


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def print_table(report: dict[str, Any]) -> None:
    tz, bw = report["tanzuji"], report.get("bw2calc")
    print(f"system: {report['system']}")
    header = f"{'':<26}{'tanzuji':>14}" + (f"{'bw2calc':>14}" if bw else "")
    print(header)
    print("-" * len(header))
    rows = [("iterations", "iterations", "d"), ("iterations/s", "iterations_per_s", ".3f")]
    for label, key, fmt in rows:
        print(f"{label:<26}{tz[key]:>14{fmt}}" + (f"{bw[key]:>14{fmt}}" if bw else ""))
    for label, key in (("mean", "mean"), ("2.5 %", "p2_5"), ("97.5 %", "p97_5"), ("sd", "sd")):
        print(f"{label:<26}{tz['stats'][key]:>14.5g}" + (f"{bw['stats'][key]:>14.5g}" if bw else ""))
    print(f"{'se of mean':<26}{tz['se_mean']:>14.3g}" + (f"{bw['se_mean']:>14.3g}" if bw else ""))
    if bw:
        print(f"\nratio tanzuji / bw2calc ({bw['solver']}): {report['ratio']:.1f}x "
              f"(target {TARGET_RATIO:.0f}x: {'met' if report['target']['met'] else 'NOT MET'})")
        print("distribution agreement:", {
            k: round(v, 4) for k, v in report["distribution_agreement"].items()
        })
        print(f"same samples, max relative difference: "
              f"{report['same_samples']['max_relative_difference']:.1e}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 processes, few iterations")
    parser.add_argument("--processes", type=int, default=20_000)
    parser.add_argument("--flows", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=20_000, help="seed of bench/synthetic.py")
    parser.add_argument("--sigma", type=float, nargs=2, default=(0.05, 0.5), metavar=("LO", "HI"))
    parser.add_argument("--iterations", type=int, default=None, help="Tanzuji (default 1000)")
    parser.add_argument("--bw-iterations", type=int, default=None, help="bw2calc (default 16; 0: skip)")
    parser.add_argument("--same", type=int, default=None, help="same-sample check (default 4)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 4)")
    parser.add_argument("--output", type=Path, help="JSON file (default bench/results/...)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    defaults = (200, 4, 3, 2) if args.quick else (1000, 16, 4, 4)
    if args.quick:
        args.processes, args.flows = 2_000, 200
    for name, value in zip(("iterations", "bw_iterations", "same", "rounds"), defaults, strict=True):
        if getattr(args, name) is None:
            setattr(args, name, value)
    report = run(args)
    print_table(report)
    output = args.output
    if output is None:
        output = RESULTS / f"montecarlo-{report['date']}{'-quick' if args.quick else ''}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results written to {output}")
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
