"""Monte Carlo on bench/synthetic.py's system: bench smoke test and engine paths at scale.

Provenance: every expectation is an independent computation on the same samples — bw2calc
3.x fed the matrices Tanzuji sampled (``bench/montecarlo.py --quick``), or a fresh
factorization of each sampled technosphere (:meth:`MonteCarlo.run_fresh`). Nothing about
timing is asserted (that is the benchmark's job).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from tanzuji.engine.montecarlo import SMALL_BLOCK_MAX, MonteCarlo, MonteCarloOptions

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))
try:
    import montecarlo as bench  # bench/montecarlo.py
    import synthetic  # bench/synthetic.py
finally:
    sys.path.pop(0)


def test_quick_bench_agrees_with_bw2calc_on_the_same_samples(tmp_path):
    output = tmp_path / "mc.json"
    report = bench.main(
        ["--quick", "--iterations", "64", "--bw-iterations", "4", "--output", str(output)]
    )
    assert json.loads(output.read_text()) == json.loads(json.dumps(report))
    assert set(report["demands"]) == {"one_product", "all_final_products"}
    for case in report["demands"].values():
        assert case["same_samples"]["iterations"] == 3
        assert case["same_samples"]["max_relative_difference"] < 1e-9
        assert case["tanzuji"]["fresh_factorizations"] == 0
        assert case["tanzuji"]["iterations"] == 64 and case["bw2calc"]["iterations"] == 4
        part = case["tanzuji_partitioned"]
        assert part["iterations"] == 64 and part["background_processes"] == 300  # the core
        assert set(part["error_vs_full"]) == {"mean", "median", "sd", "p2_5", "p97_5"}
    whole = report["demands"]["all_final_products"]
    assert whole["processes_reached"] > report["demands"]["one_product"]["processes_reached"]


@pytest.fixture(scope="module")
def uncertain():
    system = synthetic.build(n_processes=600, n_flows=60, seed=7)
    us = bench.uncertain_system(system, 0.05, 0.5, seed=8)
    return us, us.product_system(), bench.demands(system)


def _engine(uncertain, demand: str) -> MonteCarlo:
    us, system, demands = uncertain
    return MonteCarlo(
        dataclasses.replace(system, demand=demands[demand]),
        characterization=us.synthetic.characterization,
    )


@pytest.mark.parametrize("demand", ["one_product", "all_final_products"])
def test_stagewise_solve_matches_fresh_factorization(uncertain, demand):
    mc = _engine(uncertain, demand)
    # the core loop is a large block (single-precision preconditioner), small loops exist too
    assert mc.solver.describe()["largest_loop"] > SMALL_BLOCK_MAX
    result = mc.run(40, seed=3, batch_size=16)
    assert result.fallbacks == 0 and max(result.refinement_steps) > 1
    np.testing.assert_allclose(result.scores, mc.run_fresh(result.factors), rtol=1e-10)
    np.testing.assert_allclose(result.stage_scores.sum(axis=0), result.scores, rtol=1e-12)


def test_scores_do_not_depend_on_keeping_the_factors(uncertain):
    mc = _engine(uncertain, "one_product")
    assert 0 < mc.active.size < len(mc.inputs)  # unreached processes, uncharacterized flows
    kept = mc.run(30, seed=4, batch_size=8)
    np.testing.assert_array_equal(
        kept.scores, mc.run(30, seed=4, batch_size=8, keep_factors=False).scores
    )
    assert kept.factors.shape == (len(mc.inputs), 30)
    # inputs that cannot change the score were drawn too (for sensitivity): not all ones
    assert np.all(kept.factors[mc.inactive].std(axis=1) > 0)


def test_sparse_mean_blocks_double_precision_and_uncertain_diagonal(uncertain):
    us, _, demands = uncertain
    sigma = us.tech_sigma.copy()
    diagonal = us.synthetic.tech_rows == us.synthetic.tech_cols
    sigma[diagonal] = 0.02  # reference outputs uncertain too: the division path samples them
    varied = dataclasses.replace(us, tech_sigma=sigma).product_system()
    mc = MonteCarlo(
        dataclasses.replace(varied, demand=demands["all_final_products"]),
        characterization=us.synthetic.characterization,
        # core loop: sparse LU, applied in double precision
        options=MonteCarloOptions(dense_block_max=32, single_precision=False),
    )
    assert any(s.diagonal is not None for s in mc.stages)
    assert any(b.sparse is not None for b in mc.solver.structure.loop_blocks)
    result = mc.run(24, seed=5, batch_size=12)
    assert result.fallbacks == 0
    np.testing.assert_allclose(result.scores, mc.run_fresh(result.factors), rtol=1e-10)
