"""Property tests of the engine (hypothesis): identities that hold for every valid system.

Each property is an identity of linear algebra, so the expected value needs no hand
arithmetic: linearity of ``s = A^-1 f`` (scaling), ``sum_j (c B)_j s_j = c (B s)`` (stage
contributions add up), ``lambda^T f = c B A^-1 f`` with ``A^T lambda = B^T c`` (intensities),
and agreement with numpy's dense LU (differential test of the block-triangular fast path).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tanzuji.engine.calculate import Calculation
from tanzuji.engine.solver import TechnosphereSolver
from tanzuji.footprint import calculate
from tanzuji.model.files import load_model_text

PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
STAGES = ["raw_materials", "production", "distribution", "use", "end_of_life"]


@st.composite
def systems(draw, max_n: int = 40):
    """(technosphere, biosphere, characterization) of a productive system, loops likely.

    ``A = (I - M) D`` with input coefficients ``M >= 0`` whose column sums stay below 0.95,
    so ``A`` is non-singular; ``D`` makes 0.2 to 5 units per operation. Sizes, density and
    the block structure (how many loops) vary with the drawn seed and density.
    """
    n = draw(st.integers(1, max_n))
    density = draw(st.floats(0.0, 0.5))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    mask = rng.random((n, n)) < density
    np.fill_diagonal(mask, False)
    m = np.where(mask, rng.lognormal(-1.0, 1.5, (n, n)), 0.0)
    col_sum = m.sum(axis=0)
    m *= rng.uniform(0.0, 0.95, n) / np.where(col_sum > 0, col_sum, 1.0)
    technosphere = (np.eye(n) - m) * rng.uniform(0.2, 5.0, n)
    n_flows = int(rng.integers(1, 6))
    biosphere = rng.lognormal(0.0, 2.0, (n_flows, n)) * (rng.random((n_flows, n)) < 0.6)
    characterization = rng.uniform(0.0, 300.0, n_flows)
    return sp.csr_matrix(technosphere), sp.csr_matrix(biosphere), characterization


def demand_for(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    demand = np.zeros(n)
    demand[rng.choice(n, size=min(n, 3), replace=False)] = rng.uniform(0.1, 10.0, min(n, 3))
    return demand


@PROPERTY_SETTINGS
@given(systems(), st.floats(1e-3, 1e3), st.integers(0, 1000))
def test_scaling_the_demand_scales_the_result(system, factor, seed):
    calculation = Calculation(*system)
    demand = demand_for(system[0].shape[0], seed)
    supply = calculation.supply_array(demand)
    scaled = calculation.supply_array(factor * demand)
    np.testing.assert_allclose(scaled, factor * supply, rtol=1e-10, atol=1e-12 * factor)
    assert calculation.score(scaled) == pytest.approx(factor * calculation.score(supply), rel=1e-10)


@PROPERTY_SETTINGS
@given(systems(), st.integers(0, 1000), st.integers(0, 1000))
def test_stage_contributions_sum_to_the_total(system, seed, stage_seed):
    calculation = Calculation(*system)
    n = system[0].shape[0]
    supply = calculation.supply_array(demand_for(n, seed))
    stage_of = np.random.default_rng(stage_seed).integers(0, len(STAGES), n)
    direct = calculation.direct_contributions(supply)
    by_stage = np.bincount(stage_of, weights=direct, minlength=len(STAGES))
    # The total through the inventory (c . B s) is a different route to the same number.
    total = float(calculation.characterization @ calculation.inventory(supply))
    assert by_stage.sum() == pytest.approx(total, rel=1e-10, abs=1e-12)
    assert calculation.score(supply) == pytest.approx(total, rel=1e-10, abs=1e-12)


@PROPERTY_SETTINGS
@given(systems(), st.integers(0, 1000))
def test_intensities_dot_demand_equals_the_direct_solve(system, seed):
    calculation = Calculation(*system)
    n = system[0].shape[0]
    demands = np.stack([demand_for(n, seed + k) for k in range(4)], axis=1)
    direct = [calculation.score(calculation.supply_array(demands[:, k])) for k in range(4)]
    np.testing.assert_allclose(calculation.intensities() @ demands, direct, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(
        calculation.scores(sp.csc_matrix(demands)), direct, rtol=1e-9, atol=1e-9
    )


@PROPERTY_SETTINGS
@given(systems(max_n=60), st.integers(0, 1000))
def test_sparse_solver_equals_dense_numpy(system, seed):
    technosphere = system[0]
    dense = technosphere.toarray()
    rhs = np.random.default_rng(seed).normal(size=(dense.shape[0], 3))
    solver = TechnosphereSolver(technosphere)
    expected = np.linalg.solve(dense, rhs)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(solver.solve(rhs), expected, rtol=1e-9, atol=1e-11 * scale)
    np.testing.assert_allclose(
        solver.solve(rhs[:, 0]), expected[:, 0], rtol=1e-9, atol=1e-11 * scale
    )
    expected_t = np.linalg.solve(dense.T, rhs[:, 1])
    np.testing.assert_allclose(
        solver.solve_transposed(rhs[:, 1]),
        expected_t,
        rtol=1e-9,
        atol=1e-11 * np.abs(expected_t).max(),
    )


@PROPERTY_SETTINGS
@given(systems(), st.integers(0, 1000))
def test_relabelling_processes_permutes_the_supply(system, seed):
    # The block structure found depends on the labels' order; the answer must not.
    technosphere = system[0]
    n = technosphere.shape[0]
    perm = np.random.default_rng(seed).permutation(n)
    demand = demand_for(n, seed)
    supply = TechnosphereSolver(technosphere).solve(demand)
    permuted = TechnosphereSolver(technosphere[perm][:, perm]).solve(demand[perm])
    np.testing.assert_allclose(permuted, supply[perm], rtol=1e-10, atol=1e-12)


def model_text(n: int, loop: bool, seed: int) -> str:
    """A chain of ``n`` processes in random stages, optionally closed into a loop."""
    rng = np.random.default_rng(seed)
    processes = []
    for k in range(n):
        inputs = [{"factor": "grid", "amount": float(rng.uniform(0, 5)), "unit": "kWh"}]
        if k + 1 < n:
            inputs.append(
                {"process": f"p{k + 1}", "amount": float(rng.uniform(0.1, 2)), "unit": "kg"}
            )
        elif loop and n > 1:
            inputs.append({"process": "p0", "amount": float(rng.uniform(0.01, 0.2)), "unit": "kg"})
        processes.append(
            {
                "id": f"p{k}",
                "name": {"en": f"P{k}"},
                "life_cycle_stage": STAGES[int(rng.integers(0, len(STAGES)))],
                "reference_product": {"amount": float(rng.uniform(0.5, 2)), "unit": "kg"},
                "inputs": inputs,
                "emissions": [
                    {"gas": "CH4", "amount": float(rng.uniform(0, 3)), "unit": "g"},
                    {"gas": "CO2", "amount": -float(rng.uniform(0, 1)), "origin": "biogenic"},
                ],
            }
        )
    model = {
        "product": {
            "id": "m",
            "name": {"en": "M"},
            "functional_unit": {"amount": 1, "unit": "kg"},
            "reference_flow": {"process": "p0", "amount": 1, "unit": "kg"},
        },
        "processes": processes,
        "factors": [
            {
                "id": "grid",
                "name": {"en": "grid"},
                "unit": "kWh",
                "gases": [{"gas": "CO2", "amount": 0.6}],
                "source": "illustrative test factor",
                "illustrative": True,
            }
        ],
    }
    return yaml.safe_dump(model, sort_keys=False)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 6), st.booleans(), st.integers(0, 1000))
def test_footprint_stages_and_gases_sum_to_the_total(n, loop, seed):
    footprint = calculate(load_model_text(model_text(n, loop, seed), "m.yaml"))
    total = footprint.total_kg_co2e
    assert sum(footprint.by_stage.values()) == pytest.approx(total, rel=1e-10, abs=1e-12)
    assert sum(g.kg_co2e for g in footprint.by_gas) == pytest.approx(total, rel=1e-10, abs=1e-12)
    assert sum(p.direct_kg_co2e for p in footprint.by_process) == pytest.approx(
        total, rel=1e-10, abs=1e-12
    )


def test_structure_of_a_chain_with_two_loops():
    # p0 needs p1, p1 needs p2 (a chain); p2 needs p3 and p5; p3 <-> p4 and p5 <-> p6 are two
    # loops at the same level, so they share one segment; the chain p0..p2 is one triangular run.
    a = np.eye(7)
    for supplier, consumer in [(1, 0), (2, 1), (3, 2), (5, 2), (4, 3), (3, 4), (6, 5), (5, 6)]:
        a[supplier, consumer] = -0.5
    solver = TechnosphereSolver(sp.csr_matrix(a))
    assert solver.describe() == {
        "processes": 7,
        "loop_blocks": 2,
        "processes_in_loops": 4,
        "largest_loop": 2,
        "levels": 4,
        "segments": 2,
    }
    # Demand 1 of p0: s0 = 1, s1 = 0.5, s2 = 0.25; loop p3/p4: s3 - 0.5 s4 = 0.125,
    # s4 = 0.5 s3  =>  s3 = 0.125 / 0.75 = 1/6, s4 = 1/12; p5/p6 the same.
    supply = solver.solve(np.eye(7)[0])
    np.testing.assert_allclose(supply, [1, 0.5, 0.25, 1 / 6, 1 / 12, 1 / 6, 1 / 12], rtol=1e-14)


def test_singular_loop_among_several_is_named():
    from tanzuji.errors import SingularTechnosphere

    a = np.eye(5)
    a[1, 0] = a[3, 0] = -0.5  # p0 needs p1 and p3
    a[2, 1], a[1, 2] = -0.5, -0.5  # p1 <-> p2: fine
    a[4, 3], a[3, 4] = -1.0, -1.0  # p3 <-> p4: each needs all the other makes: singular
    with pytest.raises(SingularTechnosphere, match="'kiln', 'mill'"):
        TechnosphereSolver(sp.csr_matrix(a), ["shop", "farm", "barn", "kiln", "mill"])
