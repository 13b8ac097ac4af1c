"""Partitioned Monte Carlo (background solved once at its mean, foreground resampled).

Expected numbers: the partition rule worked by hand; the full Monte Carlo of
:mod:`tanzuji.engine.montecarlo` on the same system with the same seed (a differential test:
with a certain background both must give the same runs, to rounding); and, with an uncertain
background, the error of leaving its uncertainty out, against full resampling, within the
tolerances stated in each test (the figure measured on the 20,000-process system is in
docs/engine.md, from bench/montecarlo.py).
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import library_toy as toy
from service_helpers import import_package, plain_context, service_context
from tanzuji.cli import main
from tanzuji.engine.calculate import Calculation
from tanzuji.engine.montecarlo import MonteCarlo
from tanzuji.engine.partitioned import PartitionedMonteCarlo, partition
from tanzuji.engine.system import Activity, ExchangeRecord, FlowKey, ProductSystem, Triplets
from tanzuji.library.shipped import About
from tanzuji.services import calculation
from tanzuji.store import db

N, BACKGROUND, LOOP = 400, 300, 120
ABOUT = About(title="Toy library", publisher="Tanzuji tests", licence="CC0-1.0", notice="toy")


def uncertain_system(background_sigma: float, foreground_sigma: float, seed: int = 1):
    """A productive system of ``N`` processes: ``0..LOOP-1`` one loop, the rest acyclic (each
    buys from lower indices, so processes ``< BACKGROUND`` never buy from the foreground);
    every input and emission lognormal with ``sigma`` by side; one demand on the last
    process. Returns the system, its characterization and the background mask."""
    rng = np.random.default_rng(seed)
    rows, cols = [], []
    for j in range(N):
        if j < LOOP:
            suppliers = set(rng.choice(LOOP, size=5, replace=False).tolist()) | {(j + 1) % LOOP}
        else:
            suppliers = set(rng.choice(j, size=min(j, 6), replace=False).tolist())
        suppliers.discard(j)
        rows += sorted(suppliers)
        cols += [j] * len(suppliers)
    rows, cols = np.array(rows), np.array(cols)
    amounts = rng.lognormal(0.0, 1.0, rows.size)
    amounts *= (rng.uniform(0.1, 0.7, N) / np.bincount(cols, amounts, minlength=N))[cols]
    records: list[ExchangeRecord] = []

    def sigma(col: int) -> float:
        return background_sigma if col < BACKGROUND else foreground_sigma

    def record(col: int, kind: str, amount: float) -> int:
        if sigma(col) == 0:
            return -1
        records.append(
            ExchangeRecord(
                f"p{col}:{kind}[{len(records)}]",
                f"p{col}",
                kind,
                {"distribution": "lognormal", "gsd": float(np.exp(sigma(col)))},
                amount=amount,
            )
        )
        return len(records) - 1

    tech = Triplets()
    for j in range(N):
        tech.add(j, j, 1.0)
    for r, c, v in zip(rows.tolist(), cols.tolist(), amounts.tolist(), strict=True):
        tech.add(r, c, -v, record(c, "input", -v))
    bio = Triplets()
    for j in range(N):
        for flow in (0, 1):
            value = float(rng.lognormal(-1.0, 1.0))
            bio.add(flow, j, value, record(j, "emission", value))
    activities = [
        Activity(f"p{j}", f"p{j}", f"p{j}", ("raw", "production")[j >= BACKGROUND], "process", "kg")
        for j in range(N)
    ]
    demand = np.zeros(N)
    demand[-1] = 1.0
    system = ProductSystem(
        activities, [FlowKey("CO2", "fossil"), FlowKey("CH4", "fossil")], tech, bio, demand, records
    )
    background = np.arange(N) < BACKGROUND
    return system, np.array([1.0, 29.8]), background


def test_partition_by_hand():
    """Four processes; asked background {1, 2, 3}. Process 0 (foreground) buys from 1;
    process 3 buys from 0 (a background process buying a foreground product), so 3 moves to
    the foreground; 2 supplies 1 only. Interface: the background products the foreground
    buys directly: 1."""
    a = sp.csr_matrix(
        np.array(
            [
                [1.0, 0.0, 0.0, -0.5],  # product 0: bought by process 3
                [-2.0, 1.0, 0.0, 0.0],  # product 1: bought by process 0
                [0.0, -0.3, 1.0, 0.0],  # product 2: bought by process 1
                [0.0, 0.0, 0.0, 1.0],
            ]
        )
    )
    split = partition(a, np.array([False, True, True, True]), np.array([1.0, 0, 0, 0]))
    assert split.foreground.tolist() == [0, 3]
    assert split.background.tolist() == [1, 2]
    assert split.promoted.tolist() == [3]
    assert split.interface.tolist() == [1]
    # A demanded background process is foreground too: all asked as background, process 3
    # demanded; nobody buys product 3, and 3 buys product 0 (the interface).
    split = partition(a, np.array([True, True, True, True]), np.array([0, 0, 0, 1.0]))
    assert split.foreground.tolist() == [3] and split.promoted.tolist() == [3]
    assert split.interface.tolist() == [0]


def test_the_reduced_system_has_the_full_score():
    """The foreground system with background purchases valued at the mean intensities has the
    full system's deterministic score (Heijungs & Suh ch. 2, see the module docstring)."""
    system, c, background = uncertain_system(0.2, 0.2)
    full = Calculation(system.technosphere_matrix, system.biosphere_matrix, c)
    expected = full.score(full.supply_array(system.demand))
    engine = PartitionedMonteCarlo(system, background=background, characterization=c)
    assert engine.split.foreground.size == N - BACKGROUND
    fg = engine.foreground
    reduced = Calculation(fg.technosphere_matrix, fg.biosphere_matrix, engine.characterization)
    found = reduced.score(reduced.supply_array(fg.demand))
    assert found == pytest.approx(expected, rel=1e-12)


def test_certain_background_gives_the_full_runs():
    """With no uncertainty in the background, the partitioned runs are the full runs: the
    same inputs are drawn in the same order from the same seed (rtol 1e-9: the full run's
    loop refinement stops at mc_tolerance 1e-12)."""
    system, c, background = uncertain_system(0.0, 0.3)
    full = MonteCarlo(system, characterization=c).run(300, seed=7)
    part = PartitionedMonteCarlo(system, background=background, characterization=c).run(300, seed=7)
    assert part.partitioned and not full.partitioned
    np.testing.assert_allclose(part.scores, full.scores, rtol=1e-9)
    np.testing.assert_allclose(part.stage_scores.sum(axis=0), full.scores, rtol=1e-9)
    # Same inputs list (the full system's), so sensitivity names the same exchanges.
    assert [u.record for u in part.inputs] == [u.record for u in full.inputs]


def test_promoted_processes_keep_the_runs_exact():
    """Asking for a background that buys from the foreground (the first foreground process
    buying another foreground product, counted as background) still gives the full runs: it
    is promoted."""
    system, c, background = uncertain_system(0.0, 0.3)
    a = system.technosphere_matrix.tocoo()
    buyers = a.col[(a.row >= BACKGROUND) & (a.col > a.row)]
    moved = int(buyers.min())
    background = background.copy()
    background[moved] = True
    engine = PartitionedMonteCarlo(system, background=background, characterization=c)
    assert engine.split.promoted.tolist() == [moved]
    full = MonteCarlo(system, characterization=c).run(200, seed=3)
    np.testing.assert_allclose(engine.run(200, seed=3).scores, full.scores, rtol=1e-9)


def test_error_against_full_resampling_with_a_small_background_uncertainty():
    """Background sigma 0.05, foreground sigma 0.3, 4,000 iterations each: leaving the
    background out moves the mean by < 1 % and the 2.5 / 97.5 % percentiles by < 5 %
    (measured with these seeds: mean +0.44 %, 2.5 % +0.77 %, 97.5 % +1.37 %, sd -0.47 %; two
    full runs with seeds 11 and 12 differ by 0.35 %, 0.66 %, 1.1 % and 1.4 %: at this
    background uncertainty the error is of the order of the sampling noise). Leaving variance
    out cannot widen the spread beyond that noise (sd ratio <= 1.02)."""
    system, c, background = uncertain_system(0.05, 0.3)
    full = MonteCarlo(system, characterization=c).run(4000, seed=11, keep_factors=False)
    part = PartitionedMonteCarlo(system, background=background, characterization=c).run(
        4000, seed=12, keep_factors=False
    )
    f, p = full.summary()["total"], part.summary()["total"]
    assert abs(p["mean"] / f["mean"] - 1) < 0.01
    assert abs(p["p2_5"] / f["p2_5"] - 1) < 0.05
    assert abs(p["p97_5"] / f["p97_5"] - 1) < 0.05
    assert p["sd"] / f["sd"] <= 1.02


# -- service and command line ------------------------------------------------------------------
MODEL = """
product:
  id: lamp
  name: {en: Lamp}
  functional_unit: {amount: 1, unit: piece}
  reference_flow: {process: assembly, amount: 1, unit: piece}
processes:
  - id: assembly
    name: {en: Assembly}
    life_cycle_stage: production
    reference_product: {amount: 1, unit: piece}
    inputs:
      - process: "library:toy/grid"
        amount: 10
        unit: kWh
        uncertainty: {distribution: lognormal, gsd: 1.2}
      - {process: "library:steel", amount: 2, unit: kg}
"""


def test_service_holds_library_blocks_at_their_mean(database_url: str, tmp_path: Path):
    """The process-library blocks are the background; the model's own exchange (10 kWh, gsd
    1.2) is resampled. The toy library carries no uncertainty, so partitioned and full runs
    are the same runs (rtol 1e-9), and the summary says which method ran."""
    ctx = service_context(database_url, tmp_path / "data")
    import_package(ctx, toy.write(tmp_path / "toy"), "toy", ABOUT)
    model = calculation.ModelInput(name="lamp.yaml", text=MODEL)
    runs = {}
    for partitioned in (False, True):
        request = calculation.CalculationRequest(
            model=model, monte_carlo_iterations=200, monte_carlo_partitioned=partitioned, seed=5
        )
        runs[partitioned] = calculation.calculate(ctx, request).footprint.uncertainty
    assert "partitioned" in runs[True].method and "partitioned" not in runs[False].method
    for key in ("mean", "p2_5", "p97_5", "sd"):
        assert runs[True].total[key] == pytest.approx(runs[False].total[key], rel=1e-9)
    assert runs[True].total["sd"] > 0


def test_calc_command_partitioned(database_url: str, tmp_path: Path, capsys, monkeypatch):
    db.database_for(database_url).upgrade()
    monkeypatch.setenv("TANZUJI_DATABASE_URL", database_url)
    monkeypatch.setenv("TANZUJI_DATA_DIR", str(tmp_path / "data"))
    import_package(
        plain_context(database_url, tmp_path / "data"), toy.write(tmp_path / "toy"), "toy", ABOUT
    )
    model = tmp_path / "lamp.yaml"
    model.write_text(MODEL, encoding="utf-8")
    out = {}
    for flag in ("--partitioned", "--full"):
        monkeypatch.setattr(
            sys, "argv", ["tanzuji", "calc", str(model), "--mc", "100", flag, "--json"]
        )
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        assert code == 0, captured.err
        out[flag] = json.loads(captured.out)["uncertainty"]
    assert "partitioned" in out["--partitioned"]["method"]
    assert out["--partitioned"]["total"]["mean"] == pytest.approx(
        out["--full"]["total"]["mean"], rel=1e-9
    )


def test_setting_mc_partitioned_reaches_the_options(tmp_path: Path):
    from tanzuji import settings
    from tanzuji.context import monte_carlo_options

    loaded = settings.load(
        environ={"TANZUJI_MC_PARTITIONED": "true"}, config=tmp_path / "absent.toml"
    )
    assert monte_carlo_options(loaded).partitioned is True
    assert replace(monte_carlo_options(loaded), partitioned=False).partitioned is False
