"""Time of the issue-11 calculations on the examples: a footprint with credits, both
electricity results (two compiles) and stage groups, and an 11-value parameter sweep.

    .venv/bin/python bench/modelling.py

Medians of 7 (calculate) and 3 (sweep) runs; starter factors from the package (no database).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from tanzuji.factors.starter import StarterFactorSource
from tanzuji.footprint import calculate, sweep
from tanzuji.model.files import load_model

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def median_ms(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    source = StarterFactorSource()
    for name in ("lfp_battery_pack", "pet_bottle"):
        loaded = load_model(EXAMPLES / f"{name}.yaml")
        calculate(loaded, factor_source=source)  # warm the starter index
        ms = median_ms(lambda: calculate(loaded, factor_source=source), 7)  # noqa: B023
        print(f"{name}: calculate {ms:.1f} ms (median of 7)")
    loaded = load_model(EXAMPLES / "pet_bottle.yaml")
    values = [k / 10 for k in range(11)]
    ms = median_ms(lambda: sweep(loaded, "rpet_share", values, factor_source=source), 3)
    print(f"pet_bottle: sweep of 11 values {ms:.1f} ms (median of 3)")


if __name__ == "__main__":
    main()
