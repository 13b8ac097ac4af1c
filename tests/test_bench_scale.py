"""Smoke tests of the scale benchmarks (``bench/batch.py`` and ``bench/recheck.py``, --quick):
they run and their numbers agree; nothing about timing is asserted."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _bench(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_batch_benchmark_agrees_with_numpy_and_bw2calc(tmp_path: Path):
    results = _bench("batch").main(["--quick", "--no-save", "--workdir", str(tmp_path / "w")])
    assert results["end_to_end"]["variants"] == 200_000
    assert results["end_to_end"]["rows"] == 2_000_000
    assert results["checks"]["first_results_vs_numpy_max_rel"] < 1e-12
    assert results["bw2calc"]["variants"] == 100
    # bw2calc solves each demand on its own: the same scores to solver precision.
    assert results["bw2calc"]["max_relative_difference"] < 1e-9
    assert results["kernel"]["1t"]["gb_s"] > 0 and results["bandwidth"]["reference_gb_s"] > 0


def test_quick_recheck_benchmark_groups_by_model():
    results = _bench("recheck").main(["--quick", "--no-save"])
    grouped = results["grouped"]
    assert (grouped["checked"], grouped["models"], grouped["affected"]) == (200, 4, 200)
    # By hand, model k: (10 + k) kWh x 0.3869 -> 0.4 and k kg x 1.0: k = 3 moves
    # 13 x 0.0131 / (13 x 0.3869 + 3) = 2.12 % > 2 %: all four models, 200 certificates.
    assert grouped["moved"] == 200
    assert results["one_by_one"]["affected_in_sample"] == results["one_by_one"]["sample"]
