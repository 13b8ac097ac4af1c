"""Smoke test of the solver benchmark (``bench/solver.py --quick``): it runs and agrees.

Asserts nothing about timing (that is the benchmark's job); it keeps the benchmark from
rotting and checks that every method solved the same system: Tanzuji's iterative and LU paths
against bw2calc's ``LCA`` and ``JacobiGMRESLCA`` on the same triplets.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "solver.py"


def test_quick_solver_benchmark_runs_and_methods_agree(tmp_path):
    output = tmp_path / "solver.json"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(output.read_text())
    methods = report["methods"]
    assert set(methods) == {
        "tanzuji-auto",
        "tanzuji-lu",
        "bw2calc-jacobi-gmres",
        "bw2calc-jacobi-gmres-1e-12",
        "bw2calc-lu",
    }
    auto = methods["tanzuji-auto"]
    assert auto["paths"] == ["iterative"] and auto["fallbacks"] == 0
    assert methods["tanzuji-lu"]["paths"] == ["lu"]
    assert all(len(m["ms_all"]) == report["demands"] * report["repeats"] for m in methods.values())
    # Same system, same answers: residuals of the whole system and scores against LU.
    assert auto["residual_max_worst"] < 1e-11 and auto["score_vs_tanzuji_lu_worst"] < 1e-10
    assert methods["bw2calc-lu"]["score_vs_tanzuji_lu_worst"] < 1e-10
    # bw2calc's GMRES stops at a relative 2-norm residual of 1e-8 by default.
    assert methods["bw2calc-jacobi-gmres"]["residual_2_worst"] < 1e-7
    assert methods["bw2calc-jacobi-gmres-1e-12"]["score_vs_tanzuji_lu_worst"] < 1e-9
