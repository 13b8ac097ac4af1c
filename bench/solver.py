"""One demand in milliseconds: Tanzuji's iterative and LU paths against bw2calc, same run.

The system is ``bench/synthetic.py``'s (20,000 processes, a 3,000-process loop, the one
``bench/engine.py`` times). Each method goes from the built technosphere and biosphere
matrices to the supply array and score of one demand (a single product):

1. ``tanzuji-auto``: ``Calculation`` with ``solver_method = auto`` (the default): acyclic parts
   by substitution, the 3,000-process loop by Jacobi-preconditioned GMRES
   (:mod:`tanzuji.engine.krylov`) with the residual check and LU fall back;
2. ``tanzuji-lu``: the same with ``solver_method = lu`` (block LU: every loop block factorized);
3. ``bw2calc-jacobi-gmres``: bw2calc's ``JacobiGMRESLCA`` (GMRES on the whole matrix, Jacobi
   preconditioner; its defaults, relative residual 1e-8, no warm start between repeats), the
   anchor named in issue 14; timed ``lci_calculation`` + ``lcia_calculation`` after
   ``load_lci_data`` / ``load_lcia_data`` (matrix building excluded on both sides);
4. ``bw2calc-jacobi-gmres-1e-12``: the same asked for a relative residual of 1e-12 (Tanzuji's
   tolerance), so accuracy is compared like for like;
5. ``bw2calc-lu``: bw2calc's default ``LCA`` (SuperLU on the whole matrix here, or
   PARDISO / UMFPACK when installed).

Methods run interleaved (repeat by repeat, demand by demand), so the load of a shared machine
hits all alike. For each: median milliseconds (wall clock, and CPU time of the process, which
a loaded shared machine inflates less), GMRES iterations, the relative residual of the
whole system ``max |A s - f| / max |f|`` and its 2-norm variant, and the relative difference of
the score to Tanzuji's LU path. Results go to ``bench/results/solver-<date>.json``.

Usage::

    .venv/bin/python bench/solver.py             # 20,000 processes, ~1 minute
    .venv/bin/python bench/solver.py --quick     # 2,000 processes, seconds (smoke test)
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import gmres

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic
from _common import bw2calc_solver, cpus, versions
from engine import Bw2calcEngine

from tanzuji.engine.calculate import Calculation
from tanzuji.engine.solver import SolverOptions

RESULTS = Path(__file__).resolve().parent / "results"
#: Issue 14's figures on this machine kind (quoted for context, not measured here).
ISSUE_FIGURES = {
    "gmres_ms": 35.0,
    "gmres_iterations": 21,
    "gmres_residual": 3.5e-14,
    "block_lu_ms": 240.0,
}


def residuals(matrix: sp.csr_matrix, supply: np.ndarray, demand: np.ndarray) -> tuple[float, float]:
    """Relative residual of ``A s = f``: max-norm and 2-norm."""
    r = matrix @ supply - demand
    return (
        float(np.abs(r).max() / np.abs(demand).max()),
        float(np.linalg.norm(r) / np.linalg.norm(demand)),
    )


class Tanzuji:
    def __init__(self, name: str, options: SolverOptions, matrices) -> None:
        self.name, self.options, self.matrices = name, options, matrices

    def run(self, demand: np.ndarray) -> dict[str, Any]:
        cpu_start = time.process_time()
        start = time.perf_counter()
        calculation = Calculation(*self.matrices, solver_options=self.options)
        built, built_cpu = time.perf_counter(), time.process_time()
        supply = calculation.supply_array(demand)
        score = calculation.score(supply)
        done, done_cpu = time.perf_counter(), time.process_time()
        report = calculation.solver.last_report
        return {
            "seconds": done - start,
            "cpu_seconds": done_cpu - cpu_start,
            "structure_seconds": built - start,
            "solve_seconds": done - built,
            "structure_cpu_seconds": built_cpu - cpu_start,
            "solve_cpu_seconds": done_cpu - built_cpu,
            "supply": supply,
            "score": score,
            "iterations": report.iterations,
            "block_residual": report.residual,
            "path": report.method,
            "fallbacks": report.fallbacks,
        }


def counting_gmres() -> tuple[Callable, list[int]]:
    """SciPy's GMRES with a callback counting inner iterations (bw2calc passes its kwargs)."""
    count = [0]

    def solver(matrix, rhs, **kwargs):
        kwargs["callback"] = lambda _: count.__setitem__(0, count[0] + 1)
        kwargs["callback_type"] = "pr_norm"
        return gmres(matrix, rhs, **kwargs)

    return solver, count


class Bw2calc:
    def __init__(self, name: str, engine: Bw2calcEngine, kind: str, **options) -> None:
        self.name, self.engine, self.kind, self.options = name, engine, kind, options
        self.bc = engine.bc

    def run(self, demand: np.ndarray) -> dict[str, Any]:
        fu = {int(i) + 1: float(demand[i]) for i in np.flatnonzero(demand)}
        count = None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if self.kind == "lu":
                lca = self.bc.LCA(fu, data_objs=[self.engine.datapackage_obj])
            else:
                solver, count = counting_gmres()
                lca = self.bc.JacobiGMRESLCA(
                    fu,
                    data_objs=[self.engine.datapackage_obj],
                    iter_solver=solver,
                    use_guess=False,
                    **self.options,
                )
            lca.load_lci_data()
            lca.load_lcia_data()
            lca.build_demand_array()
            cpu = time.process_time()
            start = time.perf_counter()
            lca.lci_calculation()
            lca.lcia_calculation()
            seconds = time.perf_counter() - start
            cpu = time.process_time() - cpu
        order = np.array([lca.dicts.activity[j + 1] for j in range(demand.size)])
        out = {
            "seconds": seconds,
            "cpu_seconds": cpu,
            "supply": np.asarray(lca.supply_array)[order],
            "score": float(lca.score),
            "iterations": count[0] if count is not None else 0,
        }
        if self.kind != "lu":
            out["solver_stats"] = dict(lca.solver_stats)
        return out


def demands(system: synthetic.SyntheticSystem, count: int, seed: int) -> list[np.ndarray]:
    """The most downstream product, then ``count - 1`` random products of the tiered rest
    (every one buys from the core loop, directly or through suppliers)."""
    rng = np.random.default_rng(seed)
    rest = np.arange(system.n_core, system.n_processes - 1)
    picks = [system.n_processes - 1, *rng.choice(rest, size=count - 1, replace=False).tolist()]
    out = []
    for p in picks:
        f = np.zeros(system.n_processes)
        f[p] = 1.0
        out.append(f)
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    system = synthetic.build(n_processes=args.processes, n_flows=args.flows, seed=args.seed)
    bw_engine = Bw2calcEngine(system)
    bw_engine.prepare()
    matrices = (
        system.technosphere_matrix(),
        system.biosphere_matrix(),
        np.asarray(system.characterization, dtype=np.float64),
    )
    methods = [
        Tanzuji("tanzuji-auto", SolverOptions(iterative_min_block=args.min_block), matrices),
        Tanzuji("tanzuji-lu", SolverOptions(method="lu"), matrices),
        Bw2calc("bw2calc-jacobi-gmres", bw_engine, "gmres"),
        Bw2calc("bw2calc-jacobi-gmres-1e-12", bw_engine, "gmres", rtol=1e-12),
        Bw2calc("bw2calc-lu", bw_engine, "lu"),
    ]
    cases = demands(system, args.demands, args.seed + 1)
    runs: dict[str, list[dict[str, Any]]] = {m.name: [] for m in methods}
    load = [os.getloadavg()[0]]
    for repeat in range(args.repeats):
        for k, demand in enumerate(cases):
            reference = None
            for method in methods:
                gc.collect()
                found = method.run(demand)
                if method.name == "tanzuji-lu":
                    reference = found
                found["demand"] = k
                found["residual_max"], found["residual_2"] = residuals(
                    matrices[0], found.pop("supply"), demand
                )
                runs[method.name].append(found)
            for method in methods:
                last = runs[method.name][-1]
                last["score_vs_tanzuji_lu"] = abs(last["score"] / reference["score"] - 1)
        load.append(os.getloadavg()[0])
        print(
            f"repeat {repeat + 1}/{args.repeats}: "
            + ", ".join(f"{n} {1e3 * r[-1]['seconds']:.0f} ms" for n, r in runs.items())
            + f" (load {load[-1]:.1f})",
            file=sys.stderr,
            flush=True,
        )
    summary = {}
    base = statistics.median(r["seconds"] for r in runs["tanzuji-auto"])
    for name, rows in runs.items():
        ms = 1e3 * statistics.median(r["seconds"] for r in rows)
        cpu_ms = 1e3 * statistics.median(r["cpu_seconds"] for r in rows)
        entry = {
            "ms_median": ms,
            "cpu_ms_median": cpu_ms,
            "cpu_ratio_to_tanzuji_auto": cpu_ms
            / (1e3 * statistics.median(r["cpu_seconds"] for r in runs["tanzuji-auto"])),
            "ms_all": [1e3 * r["seconds"] for r in rows],
            "ratio_to_tanzuji_auto": ms / (1e3 * base),
            "iterations_median": statistics.median(r["iterations"] for r in rows),
            "residual_max_worst": max(r["residual_max"] for r in rows),
            "residual_2_worst": max(r["residual_2"] for r in rows),
            "score_vs_tanzuji_lu_worst": max(r["score_vs_tanzuji_lu"] for r in rows),
        }
        if name.startswith("tanzuji"):
            entry["structure_ms_median"] = 1e3 * statistics.median(
                r["structure_seconds"] for r in rows
            )
            entry["solve_ms_median"] = 1e3 * statistics.median(r["solve_seconds"] for r in rows)
            for part in ("structure", "solve"):
                entry[f"{part}_cpu_ms_median"] = 1e3 * statistics.median(
                    r[f"{part}_cpu_seconds"] for r in rows
                )
            entry["paths"] = sorted({r["path"] for r in rows})
            entry["fallbacks"] = sum(r["fallbacks"] for r in rows)
            entry["block_residual_worst"] = max(r["block_residual"] for r in rows)
        if "solver_stats" in rows[0]:
            stats: dict[str, int] = {}
            for r in rows:
                for key, value in r["solver_stats"].items():
                    stats[key] = stats.get(key, 0) + value
            entry["solver_stats"] = stats
        summary[name] = entry
    probe = Calculation(*matrices)
    return {
        "date": dt.date.today().isoformat(),
        "command": " ".join(["bench/solver.py", *sys.argv[1:]]),
        "system": {**probe.solver.describe(), "generator": "bench/synthetic.py", "seed": args.seed},
        "demands": args.demands,
        "iterative_min_block": args.min_block,
        "repeats": args.repeats,
        "bw2calc_solver": bw2calc_solver(),
        "methods": summary,
        "issue_14_quoted": ISSUE_FIGURES,
        "load_average_1min": load,
        "versions": versions(),
        "machine": {"platform": platform.platform(), "cpus": cpus()},
    }


def print_table(report: dict[str, Any]) -> None:
    print(f"system: {report['system']}")
    print(
        f"{report['demands']} demands x {report['repeats']} repeats; bw2calc solver "
        f"{report['bw2calc_solver']}"
    )
    header = (
        f"{'method':<28}{'ms':>9}{'x auto':>8}{'cpu ms':>9}{'x auto':>8}{'iter':>6}"
        f"{'resid max':>11}{'resid 2':>10}{'score diff':>11}"
    )
    print(header)
    print("-" * len(header))
    for name, m in report["methods"].items():
        print(
            f"{name:<28}{m['ms_median']:>9.1f}{m['ratio_to_tanzuji_auto']:>8.2f}"
            f"{m['cpu_ms_median']:>9.1f}{m['cpu_ratio_to_tanzuji_auto']:>8.2f}"
            f"{m['iterations_median']:>6.0f}{m['residual_max_worst']:>11.1e}"
            f"{m['residual_2_worst']:>10.1e}{m['score_vs_tanzuji_lu_worst']:>11.1e}"
        )
    for name in ("tanzuji-auto", "tanzuji-lu"):
        m = report["methods"][name]
        print(
            f"{name}: structure {m['structure_ms_median']:.1f} ms "
            f"({m['structure_cpu_ms_median']:.1f} CPU) + solve {m['solve_ms_median']:.1f} ms "
            f"({m['solve_cpu_ms_median']:.1f} CPU); paths {m['paths']}, fallbacks {m['fallbacks']}"
        )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 processes, 2 repeats")
    parser.add_argument("--processes", type=int, default=20_000)
    parser.add_argument("--flows", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=20_000, help="seed of bench/synthetic.py")
    parser.add_argument("--demands", type=int, default=3, help="single-product demands")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--min-block",
        type=int,
        default=SolverOptions().iterative_min_block,
        help="solver_iterative_min_block (default: the setting's default)",
    )
    parser.add_argument("--output", type=Path, help="JSON file (default bench/results/...)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    if args.quick:
        args.processes, args.flows, args.repeats, args.demands = 2_000, 200, 2, 2
        args.min_block = 100  # the quick system's core loop has 300 processes
    report = run(args)
    print_table(report)
    output = (
        args.output or RESULTS / f"solver-{report['date']}{'-quick' if args.quick else ''}.json"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results written to {output}")
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
