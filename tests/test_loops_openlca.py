"""Upstream (cradle-to-gate) results inside loops, against openLCA's published test cases.

openLCA (GreenDelta/olca-modules, olca-core) defines the total result of a process ``j`` in a
system as its intensity times its total requirement times its *loop factor*
``lf_j = 1 / (A_jj INV_jj)`` (``ResultProvider.totalFactorOf``), so that product circulating in
a loop is not counted again on every pass. The expected numbers below are copied from the
openLCA unit tests named in each test (repository snapshot a20094aff697, 2026-07-01), and each
is also worked out by hand in the comments. The last test cross-checks the same quantity with
bw2calc, which solves the intensities and the inverse diagonal independently.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tanzuji.engine import solver as solver_module
from tanzuji.engine.calculate import Calculation
from tanzuji.engine.solver import TechnosphereSolver
from tanzuji.engine.traversal import SankeyInputs, sankey, supply_chain_tree
from tanzuji.footprint import calculate
from tanzuji.model.files import load_model_text
from test_crosscheck_bw2calc import bw2calc_lca, random_system

TOL = 1e-10  # openLCA's tests compare with assertEquals(..., 1e-10)


def per_flow(technosphere, biosphere, demand, flow: int) -> tuple[Calculation, np.ndarray]:
    """A Calculation whose score is one flow of ``biosphere`` (characterization = unit row)."""
    c = np.zeros(len(biosphere))
    c[flow] = 1.0
    calc = Calculation(sp.csr_matrix(technosphere), sp.csr_matrix(biosphere), c, ["p1", "p2"])
    return calc, calc.supply_array(np.asarray(demand, dtype=float))


# -- olca-core/src/test/java/org/openlca/core/math/SelfLoopAnalysisTest.java -------------------
# p1 makes 1 kg p1 from 1 kg p2, takes 1 kg f1 and emits 2 kg f2; p2 makes 1 kg p2 from
# 0.5 kg p1, takes 2 kg f1 and emits 1 kg f2; the system delivers 2 kg p1.
SELF_LOOP_A = [[1.0, -0.5], [-1.0, 1.0]]
SELF_LOOP_B = [[1.0, 2.0], [2.0, 1.0]]  # rows f1, f2 (openLCA shows input flows as positive)


def test_self_loop_analysis_scaling_and_direct():
    # s_1 - 0.5 s_2 = 2, -s_1 + s_2 = 0  =>  s_1 = s_2 = 4 (testScalingVector,
    # testTotalRequirements: 4, 4). Direct = s_j B_ij (testDirectResults): p1 f1 4, f2 8;
    # p2 f1 8, f2 4.
    for flow, expected in ((0, [4, 8]), (1, [8, 4])):
        calc, supply = per_flow(SELF_LOOP_A, SELF_LOOP_B, [2, 0], flow)
        np.testing.assert_allclose(supply, [4, 4], atol=TOL)
        np.testing.assert_allclose(calc.direct_contributions(supply), expected, atol=TOL)


def test_self_loop_analysis_upstream_results():
    # testUpstreamResults: p1 f1 12, p1 f2 12, p2 f1 10, p2 f2 8.
    # INV = A^-1 = [[2, 1], [2, 2]] (det 0.5), so lf = 1 / (1 * 2) = 0.5 for both.
    # f1 intensities M = B_f1 INV = [1*2 + 2*2, 1*1 + 2*2] = [6, 5]:
    #   p1 6 * 4 * 0.5 = 12, p2 5 * 4 * 0.5 = 10 (intensity x gross output would give 24, 20).
    # f2: M = [2*2 + 1*2, 2*1 + 1*2] = [6, 4]: p1 6 * 4 * 0.5 = 12, p2 4 * 4 * 0.5 = 8.
    for flow, expected in ((0, [12, 10]), (1, [12, 8])):
        calc, supply = per_flow(SELF_LOOP_A, SELF_LOOP_B, [2, 0], flow)
        np.testing.assert_allclose(calc.loop_factors(), [0.5, 0.5], atol=TOL)
        np.testing.assert_allclose(calc.upstream(supply), expected, atol=TOL)
        # The reference process's upstream is the whole system's total.
        assert calc.upstream(supply)[0] == pytest.approx(calc.score(supply), abs=TOL)


SELF_LOOP_MODEL = """
product:
  id: p1
  name: p1
  functional_unit: {unit: kg}
  reference_flow: {process: p1, amount: 2}
processes:
  - id: p1
    name: p1
    life_cycle_stage: production
    reference_product: {unit: kg}
    inputs:
      - {process: p2, amount: 1, unit: kg}
    emissions:
      - {gas: CO2, amount: 1}
  - id: p2
    name: p2
    life_cycle_stage: raw_materials
    reference_product: {unit: kg}
    inputs:
      - {process: p1, amount: 0.5, unit: kg}
    emissions:
      - {gas: CO2, amount: 2}
"""


def test_self_loop_model_reference_process_equals_total():
    # The same system as a product model, f1 written as CO2 (GWP 1): the total is
    # 4 * 1 + 4 * 2 = 12 kg CO2e and the reference process's upstream is 12, not 24 (the
    # wrong result of issue 8: intensity 6 kg/kg x 4 kg gross output).
    fp = calculate(load_model_text(SELF_LOOP_MODEL, "self_loop.yaml"))
    by = {p.id: p for p in fp.by_process}
    assert fp.total_kg_co2e == pytest.approx(12, abs=TOL)
    assert by["p1"].upstream_kg_co2e == pytest.approx(12, abs=TOL)
    assert by["p2"].upstream_kg_co2e == pytest.approx(10, abs=TOL)
    assert (by["p1"].amount, by["p2"].amount) == pytest.approx((4, 4))


# -- olca-core/src/test/java/org/openlca/core/results/providers/ResultProviderTest.java ------
# A = [[1, -0.5], [-1, 1]], demand 0.5 of p1; B = [[1, 2], [-3, -3]] (e1 output, e2 input);
# impact factors i1 = (1, 0), i2 = (0, -1), i3 = (2, -0.5).
PROVIDER_A = [[1.0, -0.5], [-1.0, 1.0]]
PROVIDER_B = [[1.0, 2.0], [-3.0, -3.0]]
IMPACTS = {"i1": [1.0, 0.0], "i2": [0.0, -1.0], "i3": [2.0, -0.5]}


def provider(impact: str) -> tuple[Calculation, np.ndarray]:
    calc = Calculation(
        sp.csr_matrix(PROVIDER_A), sp.csr_matrix(PROVIDER_B), np.array(IMPACTS[impact])
    )
    return calc, calc.supply_array(np.array([0.5, 0.0]))


def test_result_provider_loop_and_total_factors():
    calc, supply = provider("i1")
    np.testing.assert_allclose(supply, [1, 1], atol=TOL)  # testScalingVector
    # testSolutionOfOne: INV[:, 0] = (2, 2), INV[:, 1] = (1, 2) -> diagonal (2, 2).
    np.testing.assert_allclose(calc.solver.inverse_diagonal(), [2, 2], atol=TOL)
    np.testing.assert_allclose(calc.loop_factors(), [0.5, 0.5], atol=TOL)  # testLoopFactorOf
    total_factor = calc.technosphere_matrix.diagonal() * supply * calc.loop_factors()
    np.testing.assert_allclose(total_factor, [0.5, 0.5], atol=TOL)  # testTotalFactorOf


@pytest.mark.parametrize(
    ("impact", "of_one", "totals"),
    [
        # testTotalImpactsOfOne (intensities) and testTotalImpactsOf (upstream), by impact:
        # i1: N = c B INV = (1, 2) INV = (1*2 + 2*2, 1*1 + 2*2) = (6, 5); x 0.5 -> (3, 2.5)
        ("i1", [6, 5], [3, 2.5]),
        # i2: c B = (3, 3); (3*2 + 3*2, 3*1 + 3*2) = (12, 9); x 0.5 -> (6, 4.5)
        ("i2", [12, 9], [6, 4.5]),
        # i3: c B = (2 + 1.5, 4 + 1.5) = (3.5, 5.5); (3.5*2 + 5.5*2, 3.5 + 11) = (18, 14.5)
        ("i3", [18, 14.5], [9, 7.25]),
    ],
)
def test_result_provider_total_impacts(impact, of_one, totals):
    calc, supply = provider(impact)
    np.testing.assert_allclose(calc.intensities(), of_one, atol=TOL)
    np.testing.assert_allclose(calc.upstream(supply), totals, atol=TOL)
    # testTotalImpacts: the system total equals the reference process's upstream.
    assert calc.score(supply) == pytest.approx(totals[0], abs=TOL)


# -- olca-core/src/test/java/org/openlca/core/results/SankeyTest.java, testCycles ------------
SANKEY_A = [[1.0, 0.0, 0.0], [-1.0, 1.0, -0.1], [0.0, -2.0, 1.0]]
SANKEY_B = [[1.0, 2.0, 3.0]]


def test_sankey_cycles_node_totals_and_direct():
    # s = (1, 1.25, 2.5): s_2 - 0.1 s_3 = 1, s_3 = 2 s_2. Direct 1, 2.5, 7.5; total 11.
    # INV diagonal: INV_22 = INV_33 = 1.25 (0.8 x = 1), INV_11 = 1.
    # Intensities: lambda_2 = 2*1.25 + 3*2.5 = 10, lambda_3 = 2*0.125 + 3*1.25 = 4,
    # lambda_1 = 1 + lambda_2 = 11. Node totals (openLCA: 11, 10, 8):
    #   p1 11 * 1 * 1 = 11, p2 10 * 1.25 / 1.25 = 10, p3 4 * 2.5 / 1.25 = 8.
    calc = Calculation(sp.csr_matrix(SANKEY_A), sp.csr_matrix(SANKEY_B), np.array([1.0]))
    supply = calc.supply_array(np.array([1.0, 0.0, 0.0]))
    np.testing.assert_allclose(calc.direct_contributions(supply), [1, 2.5, 7.5], atol=TOL)
    upstream = calc.upstream(supply)
    np.testing.assert_allclose(upstream, [11, 10, 8], atol=TOL)
    np.testing.assert_allclose(upstream / upstream[0], [1, 10 / 11, 8 / 11], atol=TOL)  # shares
    nodes, links = sankey(
        SankeyInputs(
            calc.technosphere_matrix,
            supply,
            calc.intensities(),
            upstream,
            calc.loop_factors(),
            calc.solver.structure.scc,
        ),
        root=0,
        cutoff=0.0,
    )
    assert sorted(nodes) == [0, 1, 2]  # testCycles: nodeCount 3
    values = {(i, j): v for i, j, v in links}
    # Leaving the loop p2/p3 into p1: lambda_2 * 1 kg = 10 (the root's inflow + direct = 11).
    # Inside the loop, scaled by the supplier's loop factor lf = 1/1.25 = 0.8 (as openLCA's
    # Sankey.getLinkShare): p3 -> p2: 0.8 * 4 * (2 * 1.25) = 8; p2 -> p3: 0.8 * 10 * 0.25 = 2.
    assert values == pytest.approx({(1, 0): 10, (2, 1): 8, (1, 2): 2})
    assert upstream[0] == pytest.approx(1 + values[(1, 0)])


# -- olca-core/src/test/java/org/openlca/core/results/ContributionTreeTest.java ---------------
def test_contribution_tree_simple():
    # p1 needs 1 p2 and 1 p3; p2 and p3 emit 0.5 each: root 1.0, children 0.5 and 0.5.
    a = sp.csr_matrix(np.array([[1.0, 0, 0], [-1, 1, 0], [-1, 0, 1]]))
    calc = Calculation(a, sp.csr_matrix(np.array([[0.0, 0.5, 0.5]])), np.array([1.0]))
    root = supply_chain_tree(
        calc.technosphere_matrix, calc.direct_per_operation, calc.intensities(), 0, 1.0, 0.0
    )
    assert root.cumulative == pytest.approx(1.0, abs=1e-16)
    assert [c.cumulative for c in root.children] == pytest.approx([0.5, 0.5], abs=1e-16)


# -- the inverse diagonal: dense and sparse loop blocks, against numpy --------------------------
@pytest.mark.parametrize(
    ("dense_block_max", "inverse_dense_max"),
    [(1000, 3000), (2, 3000), (2, 100)],  # LAPACK factors; dense inverse; sparse solves
)
def test_inverse_diagonal_equals_numpy(monkeypatch, dense_block_max, inverse_dense_max):
    monkeypatch.setattr(solver_module, "INVERSE_DENSE_MAX", inverse_dense_max)
    monkeypatch.setattr(solver_module, "INVERSE_CHUNK", 128)  # several chunks per block
    n = 600
    m = sp.random(n, n, density=0.006, random_state=5, format="csr") * -0.1 + sp.identity(n)
    solver = TechnosphereSolver(m, dense_block_max=dense_block_max)
    assert solver.describe()["largest_loop"] > 300
    expected = np.diag(np.linalg.inv(m.toarray()))
    np.testing.assert_allclose(solver.inverse_diagonal(), expected, rtol=1e-10)


# -- bw2calc: the same quantity from independent solves ----------------------------------------
@pytest.mark.parametrize("seed", range(6))
def test_upstream_equals_bw2calc_intensity_times_loop_corrected_requirement(seed):
    # bw2calc gives, for a demand of 1 unit of j alone, the score lambda_j and the supply of j
    # itself, INV_jj; for the system's demand the supply s_j. openLCA's total result of j is
    # lambda_j * A_jj s_j * lf_j = lambda_j * s_j / INV_jj.
    system = random_system(seed)
    calc = Calculation.from_system(system, "AR6")
    supply = calc.supply_array(system.demand)
    lca = bw2calc_lca(system, calc.characterization)
    column = [lca.dicts.activity[j + 1] for j in range(supply.size)]
    bw_supply = lca.supply_array[column].copy()
    expected = np.empty(supply.size)
    for j in range(supply.size):
        lca.lcia(demand={j + 1: 1.0})
        expected[j] = lca.score * bw_supply[j] / lca.supply_array[column[j]]
    got = calc.upstream(supply)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max())


# -- a literal self-loop: a process that consumes its own product -------------------------------
SELF_INPUT_MODEL = """
product:
  id: power
  name: Power
  functional_unit: {unit: kWh}
  reference_flow: {process: grid}
processes:
  - id: grid
    name: Grid
    life_cycle_stage: production
    reference_product: {unit: kWh}
    inputs:
      - {process: grid, amount: 0.05, unit: kWh}
    emissions:
      - {gas: CO2, amount: 0.5}
"""


def test_process_consuming_its_own_product():
    # The input of its own product nets on the diagonal (A_jj = 1 - 0.05 = 0.95, as openLCA's
    # matrix builder sums it): s = 1 / 0.95 runs, total = 0.5 / 0.95 = 0.526315... kg CO2e.
    # Not a loop block (one process), INV_jj = 1 / A_jj, lf = 1: upstream = total.
    fp = calculate(load_model_text(SELF_INPUT_MODEL, "grid.yaml"))
    (grid,) = fp.by_process
    assert fp.total_kg_co2e == pytest.approx(0.5 / 0.95, rel=1e-12)
    assert grid.upstream_kg_co2e == pytest.approx(0.5 / 0.95, rel=1e-12)
    assert grid.amount == pytest.approx(1.0, rel=1e-12)  # net output: 0.95 x 1/0.95
