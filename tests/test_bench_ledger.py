"""Smoke test of the ledger benchmark (``bench/ledger.py --quick``, SQLite): it runs and writes
its figures. Asserts nothing about timing (that is the benchmark's job)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "ledger.py"


def test_quick_ledger_benchmark_runs(tmp_path):
    output = tmp_path / "ledger.json"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--no-postgres", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(output.read_text())["results"]["sqlite"]
    assert set(figures) == {"frontier@2000", "frontier@500", "whole_log@500", "speedup_at_old_size"}
    assert figures["frontier@2000"]["n"] == 10 and figures["whole_log@500"]["n"] == 3
