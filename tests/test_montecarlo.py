"""Monte Carlo: reused factorization vs fresh factorization, seeds, distributions, CLI, bench.

Provenance: the reference for every fast path is an independent path on the same samples
(a fresh factorization per iteration; bw2calc on the same sampled matrices in
tests/test_bench_montecarlo.py); distribution moments are the textbook formulas with
tolerances of ~5 standard errors of the sample mean.
"""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tanzuji.cli import app
from tanzuji.engine.montecarlo import MonteCarlo, UncertainInput, sample_factors
from tanzuji.engine.sensitivity import contributions
from tanzuji.errors import UncertaintySpecError
from tanzuji.model.compile import compile_model
from tanzuji.model.files import load_model

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def engine():
    compiled = compile_model(load_model(DATA / "widget_uncertain.yaml"))
    return MonteCarlo(compiled.system, "AR6")


def test_reused_factorization_matches_fresh_factorization(engine):
    result = engine.run(300, seed=11)
    assert max(result.refinement_steps) > 1  # the loop steel <-> power really is perturbed
    fresh = engine.run_fresh(result.factors)
    np.testing.assert_allclose(result.scores, fresh, rtol=1e-10)


def test_fallback_to_fresh_factorization(engine, monkeypatch):
    reference = engine.run(20, seed=5).scores
    monkeypatch.setattr(engine, "options", replace(engine.options, max_refinements=0))
    result = engine.run(20, seed=5)
    assert result.fallbacks == 20
    np.testing.assert_allclose(result.scores, reference, rtol=1e-10)


def test_fixed_seed_reproduces_and_other_seed_differs(engine):
    a, b, c = engine.run(50, seed=3), engine.run(50, seed=3), engine.run(50, seed=4)
    np.testing.assert_array_equal(a.scores, b.scores)
    assert not np.allclose(a.scores, c.scores)


def test_stages_add_up_to_total(engine):
    result = engine.run(100, seed=2)
    np.testing.assert_allclose(result.stage_scores.sum(axis=0), result.scores, rtol=1e-12)
    summary = result.summary()
    assert set(summary["by_stage"]) == {"production", "raw_materials"}
    total = summary["total"]
    assert total["p2_5"] < total["median"] < total["p97_5"]


def test_biosphere_only_needs_no_solve(tmp_path):
    text = (DATA / "widget_uncertain.yaml").read_text()
    # drop the technosphere uncertainties: keep only emission specs and pedigrees
    lines = [
        line
        for line in text.splitlines()
        if "distribution: triangular" not in line
        and "gsd: 1.2}" not in line
        and "gsd: 1.5}" not in line
        and "distribution: normal" not in line
        and "temporal: 2, geographical: 1" not in line  # pedigree of the grid input
    ]
    path = tmp_path / "bio_only.yaml"
    path.write_text("\n".join(lines))
    compiled = compile_model(load_model(path))
    mc = MonteCarlo(compiled.system, "AR6")
    assert not mc.technosphere_uncertain
    result = mc.run(40, seed=1)
    assert set(result.refinement_steps) == {0}
    np.testing.assert_allclose(result.scores, mc.run_fresh(result.factors), rtol=1e-12)


def test_distribution_moments():
    inputs = [
        UncertainInput(0, "lognormal", (0.1,), "a", "p"),
        UncertainInput(1, "normal", (0.1,), "b", "p"),
        UncertainInput(2, "uniform", (0.5, 1.5), "c", "p"),
        UncertainInput(3, "triangular", (0.9, 1.0, 1.2), "d", "p"),
    ]
    n = 200_000
    f = sample_factors(inputs, n, np.random.default_rng(0))
    assert np.median(f[0]) == pytest.approx(1.0, abs=5 * 0.1 * 1.25 / np.sqrt(n))
    assert np.log(f[0]).std() == pytest.approx(0.1, rel=0.01)
    assert f[1].mean() == pytest.approx(1.0, abs=5 * 0.1 / np.sqrt(n))
    assert f[2].min() >= 0.5 and f[2].max() <= 1.5
    assert f[2].mean() == pytest.approx(1.0, abs=5 * (1 / np.sqrt(12)) / np.sqrt(n))
    # triangular mean (a + c + b) / 3 = 3.1 / 3
    assert f[3].mean() == pytest.approx(3.1 / 3, abs=0.001)
    assert f[3].min() >= 0.9 and f[3].max() <= 1.2


def test_bad_spec_names_the_exchange(tmp_path):
    text = (DATA / "widget_uncertain.yaml").read_text().replace("minimum: 1.8, ", "")
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    compiled = compile_model(load_model(path))
    with pytest.raises(UncertaintySpecError, match=r"bad.yaml:14 .*needs 'minimum'"):
        MonteCarlo(compiled.system, "AR6")


def test_sensitivity_ranks_the_dominant_input(engine):
    result = engine.run(2000, seed=8)
    top = contributions(result, top=10)
    assert len(top) == len(engine.inputs)
    assert sum(c.variance_share for c in top) == pytest.approx(1.0)
    # steel CO2 (1800 kg/t, pedigree sigma 0.21) carries ~45 % of the mean total
    assert top[0].location.endswith("processes[1].emissions[0]")
    assert ":" in top[0].location


def test_cli_mc_json_is_reproducible():
    runner = CliRunner()
    args = ["calc", str(DATA / "widget_uncertain.yaml"), "--mc", "200", "--seed", "9", "--json"]
    first = runner.invoke(app, args)
    second = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert json.loads(first.output) == json.loads(second.output)
    block = json.loads(first.output)["uncertainty"]
    assert block["iterations"] == 200 and block["seed"] == 9
    assert set(block["total"]) == {"mean", "median", "sd", "p2_5", "p97_5"}
    assert len(block["top_contributors"]) == 8


def test_cli_mc_table():
    result = CliRunner().invoke(
        app, ["calc", str(DATA / "widget_uncertain.yaml"), "--mc", "100"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "97.5 %" in result.output
    assert "top contributors to uncertainty" in result.output
