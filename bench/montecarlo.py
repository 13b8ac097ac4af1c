"""Monte Carlo iterations per second: Tanzuji against bw2calc on the synthetic ecoinvent system.

The system is ``bench/synthetic.py``'s (the one ``bench/engine.py`` times): 20,000 processes,
~15 inputs each, 3,290 in loops, 2,000 elementary flows; numbers are illustrative, not data.
Every technosphere input and every biosphere entry gets a lognormal uncertainty with a
geometric standard deviation ``exp(sigma)``, ``sigma`` uniform in ``--sigma`` (0.05 .. 0.5 by
default, fixed seed); reference outputs (the diagonal) are certain, as in ecoinvent. Both
engines run in the same process, on the same matrices, interleaved in rounds so that the load
of the shared machine hits both alike. Two demands (see :func:`demands`): one product, and
one unit of every final product (reaching nearly the whole system: Tanzuji's hard case).

1. Tanzuji :class:`~tanzuji.engine.montecarlo.MonteCarlo` (mean factorization reused; stage-wise
   solve, refinement in loop blocks), ``--iterations`` iterations per demand;
2. bw2calc 3.x Monte Carlo, ``LCA(use_distributions=True)`` + ``next(lca)`` (bw2calc 3 has no
   separate ``MonteCarloLCA`` class; this is what replaced it): a fresh sample of every matrix
   and a fresh SuperLU solve per iteration (PARDISO / UMFPACK when installed),
   ``--bw-iterations`` iterations per demand;
3. Tanzuji :class:`~tanzuji.engine.partitioned.PartitionedMonteCarlo` (``--partitioned``, the
   default): the core loop (energy, transport, basic materials: ``bench/synthetic.py``'s 3,000
   core processes) is the background, solved once at its mean; only the tiered rest is
   resampled, ``--iterations`` iterations per demand, and its error against the full
   resampling of 1. is measured (mean, sd, percentiles);
4. accuracy, two ways:

   * the mean and 95 % interval of both runs; bw2calc's few iterations give a noisy interval,
     so the bw2calc sample is also placed in Tanzuji's distribution (share inside Tanzuji's
     95 % interval, two-sample Kolmogorov-Smirnov test) and Tanzuji is run with bw2calc's
     small count too, comparing means within standard errors;
   * exact: bw2calc fed the *same* sampled matrices Tanzuji drew (``use_arrays``), scores
     compared iteration by iteration.

Results go to ``bench/results/montecarlo-<date>.json`` (``-quick`` in the name for quick runs).

Usage::

    .venv/bin/python bench/montecarlo.py            # full size, 10,000 iterations, ~10 minutes
    .venv/bin/python bench/montecarlo.py --quick    # 2,000 processes, seconds (smoke test)
"""

from __future__ import annotations

import argparse
import dataclasses
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
from _common import bw2calc_solver, cpus, versions

from tanzuji import settings
from tanzuji.context import monte_carlo_options
from tanzuji.engine.montecarlo import MonteCarlo, statistics
from tanzuji.engine.partitioned import PartitionedMonteCarlo
from tanzuji.engine.system import Activity, ExchangeRecord, FlowKey, ProductSystem, Triplets

#: Monte Carlo options from the settings (TANZUJI_MC_* / tanzuji.toml), read once, as an edge.
MC_OPTIONS = monte_carlo_options(settings.load())

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
                uncertain.tolist(),
                cols[uncertain].tolist(),
                values[uncertain].tolist(),
                gsd,
                strict=True,
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
        demand[-1] = 1.0  # replaced per benchmark case (see ``demands``)
        return ProductSystem(activities, flows, tech, bio, demand, records)


def uncertain_system(
    system: synthetic.SyntheticSystem,
    sigma_low: float,
    sigma_high: float,
    seed: int,
    core_sigma: tuple[float, float] | None = None,
) -> UncertainSystem:
    """Draw a sigma for every off-diagonal technosphere entry and every biosphere entry;
    entries of the core processes from ``core_sigma`` when given (else the same range)."""
    rng = np.random.default_rng(seed)
    tech_sigma = rng.uniform(sigma_low, sigma_high, size=system.tech_values.size)
    tech_sigma[system.tech_rows == system.tech_cols] = 0.0
    bio_sigma = rng.uniform(sigma_low, sigma_high, size=system.bio_values.size)
    if core_sigma is not None:
        lo, hi = core_sigma
        core_tech = (system.tech_cols < system.n_core) & (system.tech_rows != system.tech_cols)
        tech_sigma[core_tech] = rng.uniform(lo, hi, size=int(core_tech.sum()))
        core_bio = system.bio_cols < system.n_core
        bio_sigma[core_bio] = rng.uniform(lo, hi, size=int(core_bio.sum()))
    return UncertainSystem(system, tech_sigma, bio_sigma)


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
        (
            "biosphere_matrix",
            s.bio_rows + FLOW_ID_OFFSET,
            s.bio_cols + 1,
            s.bio_values,
            us.bio_sigma,
        ),
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

    def __init__(
        self, dp: Any, demand: dict[int, float], seed: int | None, *, arrays: bool = False
    ) -> None:
        import bw2calc

        self.lca = bw2calc.LCA(
            demand,
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
        "mean_difference_in_standard_errors": mean_difference / math.hypot(_se(tz), _se(bw)),
        "same_count_mean_difference_in_standard_errors": small_difference
        / math.hypot(_se(tz_small), _se(bw)),
        "bw2calc_share_inside_tanzuji_95_interval": float(((bw >= low) & (bw <= high)).mean()),
        "ks_two_sample_statistic": float(ks.statistic),
        "ks_two_sample_p_value": float(ks.pvalue),
    }


# -- the run ------------------------------------------------------------------------------------
def demands(system: synthetic.SyntheticSystem) -> dict[str, np.ndarray]:
    """Two functional units: one product (the most downstream process; its supply chain is
    the core plus a few dozen processes, ~3,000 of 20,000) and one unit of every final
    product (processes nobody consumes), which reaches almost the whole system. bw2calc's work
    per iteration does not depend on the demand (it samples and factorizes everything);
    Tanzuji solves only what the demand reaches, so the second is its harder case."""
    one = np.zeros(system.n_processes)
    one[system.n_processes - 1] = 1.0
    inputs = system.tech_rows != system.tech_cols
    consumed = np.zeros(system.n_processes, dtype=bool)
    consumed[system.tech_rows[inputs]] = True
    return {"one_product": one, "all_final_products": (~consumed).astype(np.float64)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    clock = time.perf_counter
    start = clock()
    system = synthetic.build(n_processes=args.processes, n_flows=args.flows, seed=args.seed)
    us = uncertain_system(
        system, args.sigma[0], args.sigma[1], args.seed + 1, core_sigma=args.core_sigma
    )
    base = us.product_system()
    seconds: dict[str, float] = {"generate": clock() - start}
    rounds = max(1, args.rounds)
    tz_per_round = -(-args.full_iterations // rounds)
    part_per_round = -(-args.iterations // rounds)
    bw_per_round = -(-args.bw_iterations // rounds) if args.bw_iterations else 0
    dp = bw2calc_datapackage(us) if bw_per_round else None

    cases: dict[str, dict[str, Any]] = {}
    solver = None
    chosen = {k: v for k, v in demands(system).items() if k in args.demand}
    for k, (name, demand) in enumerate(chosen.items()):
        case: dict[str, Any] = {"demand": demand, "scores": [], "seconds": [], "steps": []}
        start = clock()
        case["mc"] = MonteCarlo(
            dataclasses.replace(base, demand=demand),
            characterization=system.characterization,
            solver=solver,
            options=MC_OPTIONS,
        )
        solver = case["mc"].solver  # the mean factorization does not depend on the demand
        seconds[f"tanzuji_setup_{name}"] = clock() - start
        if args.partitioned:
            start = clock()
            case["part"] = PartitionedMonteCarlo(
                dataclasses.replace(base, demand=demand),
                background=np.arange(system.n_processes) < system.n_core,
                characterization=system.characterization,
                solver=solver,
                options=MC_OPTIONS,
            )
            case["part_scores"], case["part_seconds"] = [], []
            seconds[f"tanzuji_partitioned_setup_{name}"] = clock() - start
        case["fallbacks"] = 0
        if dp is not None:
            start = clock()
            bw_demand = {int(i) + 1: float(demand[i]) for i in np.flatnonzero(demand)}
            case["bw"] = Bw2calcMonteCarlo(dp, bw_demand, args.seed + 2 + k)
            case["bw_demand"] = bw_demand
            case["bw_scores"], case["bw_seconds"] = [], []
            seconds[f"bw2calc_setup_{name}"] = clock() - start
        cases[name] = case
    print(f"setup {seconds}", file=sys.stderr, flush=True)

    # Interleaved rounds; Tanzuji seeds seed+10+round, bw2calc's streams continue.
    load = [os.getloadavg()[0]]
    for r in range(rounds):
        for name, case in cases.items():
            gc.collect()
            start = clock()
            result = case["mc"].run(tz_per_round, seed=args.seed + 10 + r, keep_factors=False)
            case["seconds"].append(clock() - start)
            case["scores"].append(result.scores)
            case["steps"].extend(result.refinement_steps)
            case["fallbacks"] += result.fallbacks
            line = (
                f"round {r + 1}/{rounds} {name}: tanzuji {tz_per_round / case['seconds'][-1]:.1f}"
            )
            if "part" in case:
                gc.collect()
                start = clock()
                part = case["part"].run(part_per_round, seed=args.seed + 20 + r, keep_factors=False)
                case["part_seconds"].append(clock() - start)
                case["part_scores"].append(part.scores)
                line += f", partitioned {part_per_round / case['part_seconds'][-1]:.1f}"
            if "bw" in case:
                gc.collect()
                scores, times = case["bw"].iterate(bw_per_round)
                case["bw_scores"].extend(scores)
                case["bw_seconds"].extend(times)
                line += f", bw2calc {len(times) / sum(times):.3f}"
            load.append(os.getloadavg()[0])
            print(line + f" it/s (load {load[-1]:.1f})", file=sys.stderr, flush=True)

    report: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "command": " ".join(["bench/montecarlo.py", *(sys.argv[1:] if argv_is_cli() else [])]),
        "system": {
            **solver.describe(),
            "flows": system.n_flows,
            "technosphere_entries": int(system.tech_values.size),
            "biosphere_entries": int(system.bio_values.size),
            "uncertain_entries": len(next(iter(cases.values()))["mc"].inputs),
            "sigma_range": list(args.sigma),
            "core_sigma_range": list(args.core_sigma) if args.core_sigma else list(args.sigma),
            "generator": "bench/synthetic.py",
            "seed": args.seed,
        },
        "settings": {f"mc_{k}": v for k, v in dataclasses.asdict(MC_OPTIONS).items()},
        "seconds": seconds,
        "rounds": rounds,
        "load_average_1min": load,
        "demands": {},
    }
    for name, case in cases.items():
        report["demands"][name] = summarize_case(name, case, us, args)
    report["versions"] = versions()
    report["machine"] = {"platform": platform.platform(), "cpus": cpus()}
    ratios = [c["ratio"] for c in report["demands"].values() if "ratio" in c]
    if ratios:
        report["target"] = {
            "ratio": TARGET_RATIO,
            "lowest_ratio": min(ratios),
            "met": min(ratios) >= TARGET_RATIO,
            "issue_quoted_bw2calc_superlu_rate": ISSUE_BW2CALC_SUPERLU_RATE,
        }
    return report


def argv_is_cli() -> bool:
    return Path(sys.argv[0]).name == "montecarlo.py"


def summarize_case(name: str, case: dict[str, Any], us: UncertainSystem, args) -> dict[str, Any]:
    """Rates, statistics and agreement checks of one demand."""
    mc: MonteCarlo = case["mc"]
    tz = np.concatenate(case["scores"])
    tz_rate = tz.size / sum(case["seconds"])
    out: dict[str, Any] = {
        "demand_processes": int(np.count_nonzero(case["demand"])),
        "processes_reached": int(mc.order.size),
        "inputs_sampled": int(mc.active.size),
        "tanzuji": {
            "iterations": int(tz.size),
            "seconds": sum(case["seconds"]),
            "seconds_per_round": case["seconds"],
            "iterations_per_s": tz_rate,
            "refinement_steps_mean": float(np.mean(case["steps"])),
            "refinement_steps_max": int(max(case["steps"])),
            "fresh_factorizations": case["fallbacks"],
            "stats": statistics(tz),
            "se_mean": _se(tz),
        },
    }
    if "part" in case:
        out["tanzuji_partitioned"] = partitioned_summary(case, tz)
    if "bw" not in case:
        return out
    bw_arr = np.array(case["bw_scores"])
    bw_rate = bw_arr.size / sum(case["bw_seconds"])
    # Tanzuji with bw2calc's small count: is its mean as close as the sampling noise says?
    small = mc.run(bw_arr.size, seed=args.seed + 5, keep_factors=False).scores
    out["bw2calc"] = {
        "solver": bw2calc_solver(),
        "iterations": int(bw_arr.size),
        "seconds": sum(case["bw_seconds"]),
        "seconds_per_iteration": case["bw_seconds"],
        "iterations_per_s": bw_rate,
        "stats": statistics(bw_arr),
        "se_mean": _se(bw_arr),
    }
    out["tanzuji_same_count"] = {
        "iterations": int(small.size),
        "stats": statistics(small),
        "se_mean": _se(small),
    }
    out["ratio"] = tz_rate / bw_rate
    if "part" in case:
        out["tanzuji_partitioned"]["ratio_to_bw2calc"] = (
            out["tanzuji_partitioned"]["iterations_per_s"] / bw_rate
        )
    out["distribution_agreement"] = compare(tz, small, bw_arr)
    del case["bw"]
    gc.collect()
    # Exact: bw2calc on the matrices Tanzuji sampled, iteration by iteration.
    same = mc.run(args.same, seed=args.seed + 6, keep_factors=True)
    dp_same = bw2calc_datapackage(us, sampled_values(mc, same.factors))
    # No seed: a sequential package is then read column by column (matrix_utils uses a
    # random column indexer when a seed is given). Loading reads column 0.
    bw_same = Bw2calcMonteCarlo(dp_same, case["bw_demand"], None, arrays=True)
    bw_same_scores = np.array([bw_same.first] + bw_same.iterate(args.same - 1)[0])
    out["same_samples"] = {
        "iterations": args.same,
        "tanzuji": same.scores.tolist(),
        "bw2calc": bw_same_scores.tolist(),
        "max_relative_difference": float(
            np.max(np.abs(same.scores - bw_same_scores) / np.abs(bw_same_scores))
        ),
    }
    return out


def partitioned_summary(case: dict[str, Any], full: np.ndarray) -> dict[str, Any]:
    """Rate of the partitioned run and its error against full resampling (the background's
    uncertainty left out): relative differences of mean, sd and percentiles, and the mean's
    difference in standard errors (what sampling noise alone would give: about 1)."""
    engine: PartitionedMonteCarlo = case["part"]
    scores = np.concatenate(case["part_scores"])
    stats, reference = statistics(scores), statistics(full)
    return {
        "background_processes": int(engine.split.background.size),
        "foreground_processes": int(engine.split.foreground.size),
        "interface_products": int(engine.split.interface.size),
        "processes_reached": int(engine.monte_carlo.order.size),
        "inputs_sampled": int(engine.monte_carlo.active.size),
        "iterations": int(scores.size),
        "seconds": sum(case["part_seconds"]),
        "iterations_per_s": scores.size / sum(case["part_seconds"]),
        "speedup_over_full": (scores.size / sum(case["part_seconds"]))
        / (full.size / sum(case["seconds"])),
        "stats": stats,
        "se_mean": _se(scores),
        "error_vs_full": {
            key: stats[key] / reference[key] - 1.0
            for key in ("mean", "median", "sd", "p2_5", "p97_5")
        },
        "mean_difference_in_standard_errors": (stats["mean"] - reference["mean"])
        / math.hypot(_se(scores), _se(full)),
    }


def print_table(report: dict[str, Any]) -> None:
    print(f"system: {report['system']}")
    for name, case in report["demands"].items():
        tz, bw = case["tanzuji"], case.get("bw2calc")
        print(
            f"\n{name}: {case['demand_processes']} demanded, {case['processes_reached']} "
            f"processes reached, {case['inputs_sampled']} inputs sampled"
        )
        header = f"{'':<24}{'tanzuji':>12}" + (f"{'bw2calc':>12}{'tanzuji n=bw':>14}" if bw else "")
        print(header)
        print("-" * len(header))
        small = case.get("tanzuji_same_count")
        print(
            f"{'iterations':<24}{tz['iterations']:>12d}"
            + (f"{bw['iterations']:>12d}{small['iterations']:>14d}" if bw else "")
        )
        print(
            f"{'iterations/s':<24}{tz['iterations_per_s']:>12.3f}"
            + (f"{bw['iterations_per_s']:>12.3f}" if bw else "")
        )
        for label, key in (("mean", "mean"), ("2.5 %", "p2_5"), ("97.5 %", "p97_5"), ("sd", "sd")):
            print(
                f"{label:<24}{tz['stats'][key]:>12.5g}"
                + (f"{bw['stats'][key]:>12.5g}{small['stats'][key]:>14.5g}" if bw else "")
            )
        print(
            f"{'se of mean':<24}{tz['se_mean']:>12.3g}"
            + (f"{bw['se_mean']:>12.3g}{small['se_mean']:>14.3g}" if bw else "")
        )
        part = case.get("tanzuji_partitioned")
        if part:
            print(
                f"partitioned: {part['foreground_processes']} foreground / "
                f"{part['background_processes']} background processes, "
                f"{part['processes_reached']} solved per iteration, "
                f"{part['iterations_per_s']:.1f} it/s ({part['speedup_over_full']:.1f}x full"
                + (
                    f", {part['ratio_to_bw2calc']:.0f}x bw2calc"
                    if "ratio_to_bw2calc" in part
                    else ""
                )
                + ")"
            )
            print(
                "partitioned error vs full:",
                {k: f"{v:+.2%}" for k, v in part["error_vs_full"].items()},
                f"mean difference {part['mean_difference_in_standard_errors']:+.1f} se",
            )
        if bw:
            print(f"ratio tanzuji / bw2calc ({bw['solver']}): {case['ratio']:.1f}x")
            print("agreement:", {k: round(v, 4) for k, v in case["distribution_agreement"].items()})
            print(
                f"same samples, max relative difference: "
                f"{case['same_samples']['max_relative_difference']:.1e}"
            )
    if "target" in report:
        t = report["target"]
        print(
            f"\ntarget >= {t['ratio']:.0f}x in every case: lowest {t['lowest_ratio']:.1f}x, "
            + ("met" if t["met"] else "NOT MET")
        )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 processes, few iterations")
    parser.add_argument("--processes", type=int, default=20_000)
    parser.add_argument("--flows", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=20_000, help="seed of bench/synthetic.py")
    parser.add_argument("--sigma", type=float, nargs=2, default=(0.05, 0.5), metavar=("LO", "HI"))
    parser.add_argument(
        "--core-sigma",
        type=float,
        nargs=2,
        default=None,
        metavar=("LO", "HI"),
        help="sigma range of the core (background) processes' entries (default: --sigma)",
    )
    parser.add_argument(
        "--iterations", type=int, default=None, help="Tanzuji, per demand (default 10000)"
    )
    parser.add_argument(
        "--demand",
        action="append",
        choices=("one_product", "all_final_products"),
        help="demand(s) to run (repeatable; default both)",
    )
    parser.add_argument(
        "--full-iterations",
        type=int,
        default=None,
        help="Tanzuji full resampling, per demand (default: --iterations); the partitioned "
        "run always does --iterations",
    )
    parser.add_argument(
        "--partitioned",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run the partitioned Monte Carlo (background: the core loop)",
    )
    parser.add_argument(
        "--bw-iterations", type=int, default=None, help="bw2calc, per demand (default 24; 0: skip)"
    )
    parser.add_argument("--same", type=int, default=None, help="same-sample check (default 4)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 4)")
    parser.add_argument("--output", type=Path, help="JSON file (default bench/results/...)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    defaults = (200, 4, 3, 2) if args.quick else (10_000, 24, 4, 4)
    if args.quick:
        args.processes, args.flows = 2_000, 200
    for name, value in zip(
        ("iterations", "bw_iterations", "same", "rounds"), defaults, strict=True
    ):
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.demand = args.demand or ["one_product", "all_final_products"]
    if args.full_iterations is None:
        args.full_iterations = args.iterations
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
