"""Smoke test of the engine benchmark (``bench/engine.py --quick``): it runs and agrees.

Asserts nothing about timing (that is the benchmark's job, not the test suite's); it keeps
the benchmark code from rotting and checks that both engines computed the same numbers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "engine.py"


def test_quick_benchmark_runs_and_engines_agree(tmp_path):
    output = tmp_path / "engine.json"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(output.read_text())
    assert set(results["steps"]) == {
        "a_build",
        "b_factorize_solve",
        "c_many_demands",
        "d_intensities",
    }
    for engines in results["steps"].values():
        assert set(engines) == {"tanzuji", "bw2calc"}
        assert all(len(e["times_s"]) == results["repeats"] for e in engines.values())
    assert results["system"]["processes"] == 2000
    assert results["system"]["processes_in_loops"] > 0
    assert results["bw2calc_solver"] in {"superlu", "umfpack", "pypardiso"}
    # Same data, same answers (bw2calc is the independent reference).
    assert max(results["checks"].values()) < 1e-9
    assert "b_factorize_solve" in done.stdout
