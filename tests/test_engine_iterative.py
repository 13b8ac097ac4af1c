"""The iterative path of the technosphere solver (Jacobi-preconditioned GMRES on loop blocks).

Expected numbers: hand arithmetic written out in each test, LU on the same matrix (the
differential test every fast path gets, style.md), and bw2calc 3.x (``LCA`` and
``JacobiGMRESLCA``) on the same triplets. Results must equal LU within ``RTOL`` (the GMRES
tolerance is 1e-12 on the block's relative residual; these well-conditioned systems keep the
forward error at that order).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

with warnings.catch_warnings():  # bw2calc warns that no fast solver (pypardiso) is installed
    warnings.simplefilter("ignore")
    import bw2calc
import bw_processing as bwp

from tanzuji import settings
from tanzuji.context import solver_options
from tanzuji.engine import krylov
from tanzuji.engine.calculate import Calculation
from tanzuji.engine.solver import SolverOptions, TechnosphereSolver
from tanzuji.errors import SingularTechnosphere

RTOL = 1e-10
ITERATIVE = SolverOptions(method="iterative")


def productive_system(n: int, loop: int, seed: int) -> sp.csr_matrix:
    """A random productive technosphere: processes ``0..loop-1`` form one loop (each buys from
    the next, the last from the first, plus random inputs among them), the rest is acyclic
    (buys from lower indices); inputs per unit made sum to at most 0.8, units spread over
    three decades (as bench/synthetic.py)."""
    rng = np.random.default_rng(seed)
    rows, cols = [], []
    for j in range(n):
        if j < loop:
            suppliers = set(rng.choice(loop, size=min(loop, 6), replace=False).tolist())
            suppliers.add((j + 1) % loop)
        else:
            suppliers = set(rng.choice(j, size=min(j, 8), replace=False).tolist())
        suppliers.discard(j)
        rows += sorted(suppliers)
        cols += [j] * len(suppliers)
    rows, cols = np.array(rows), np.array(cols)
    amounts = rng.lognormal(0.0, 1.0, rows.size)
    total = np.bincount(cols, weights=amounts, minlength=n)
    amounts *= (rng.uniform(0.1, 0.8, n) / total)[cols]
    unit = 10.0 ** rng.uniform(-1.5, 1.5, n)
    amounts *= unit[rows] / unit[cols]
    diag = np.arange(n)
    return sp.csr_matrix(
        (
            np.concatenate([np.ones(n), -amounts]),
            (np.concatenate([diag, rows]), np.concatenate([diag, cols])),
        ),
        shape=(n, n),
    )


def test_two_process_loop_by_hand():
    """Coal mine (column 0) needs 0.1 kWh per kg of coal; power plant (column 1) needs 0.5 kg
    of coal per kWh. For 1 kWh: s_e = 1 + 0.1 s_c and s_c = 0.5 s_e, so s_e = 1 / (1 - 0.05)
    and s_c = 0.5 / 0.95."""
    a = sp.csr_matrix(np.array([[1.0, -0.5], [-0.1, 1.0]]))
    solver = TechnosphereSolver(a, ["coal mine", "power plant"], options=ITERATIVE)
    supply = solver.solve(np.array([0.0, 1.0]))
    np.testing.assert_allclose(supply, [0.5 / 0.95, 1 / 0.95], rtol=1e-12)
    assert solver.last_report.method == "iterative"
    assert solver.last_report.fallbacks == 0
    assert 0 < solver.last_report.iterations <= 2  # GMRES is exact after n steps
    assert solver.last_report.residual <= 1e-12


def test_acyclic_system_is_substitution_only():
    """Steel (column 0) for a bicycle (column 1): 15 kg per bicycle; no loop, no GMRES."""
    a = sp.csr_matrix(np.array([[1.0, -15.0], [0.0, 1.0]]))
    solver = TechnosphereSolver(a, options=ITERATIVE)
    np.testing.assert_allclose(solver.solve(np.array([0.0, 2.0])), [30.0, 2.0], rtol=1e-15)
    assert solver.last_report.method == "substitution"


def test_loop_between_acyclic_parts_equals_lu():
    """A 600-process loop under 1,400 acyclic processes: ``auto`` takes GMRES for one demand
    (block >= iterative_min_block = 500) and gives LU's supply within RTOL."""
    a = productive_system(2000, 600, seed=3)
    demand = np.zeros(2000)
    demand[[1999, 1500, 700]] = [1.0, 2.5, 0.3]
    lu = TechnosphereSolver(a, options=SolverOptions(method="lu"))
    auto = TechnosphereSolver(a)
    expected = lu.solve(demand)
    found = auto.solve(demand)
    assert lu.last_report.method == "lu"
    assert auto.last_report.method == "iterative" and auto.last_report.fallbacks == 0
    assert auto.last_report.residual <= 1e-12
    np.testing.assert_allclose(found, expected, rtol=RTOL, atol=0)


def test_intensities_and_many_demands_use_lu_and_then_single_demands_too():
    a = productive_system(1200, 550, seed=5)
    solver = TechnosphereSolver(a)
    reference = TechnosphereSolver(a, options=SolverOptions(method="lu"))
    demands = np.zeros((1200, 3))
    demands[[1199, 900, 10], [0, 1, 2]] = 1.0
    np.testing.assert_allclose(solver.solve(demands), reference.solve(demands), rtol=RTOL)
    assert solver.last_report.method == "lu"  # many demands: the factors pay off
    # The loop block now has its factors: a single demand uses them.
    np.testing.assert_allclose(
        solver.solve(demands[:, 0]), reference.solve(demands[:, 0]), rtol=RTOL
    )
    assert solver.last_report.method == "lu"
    rhs = np.linspace(0.0, 1.0, 1200)
    np.testing.assert_allclose(
        TechnosphereSolver(a).solve_transposed(rhs), reference.solve_transposed(rhs), rtol=RTOL
    )


def test_repeated_single_demands_end_in_a_factorization():
    """After ``iterative_max_solves`` GMRES solves the block is factorized (amortized)."""
    a = productive_system(800, 600, seed=7)
    solver = TechnosphereSolver(a, options=SolverOptions(iterative_max_solves=2))
    demand = np.zeros(800)
    demand[-1] = 1.0
    methods = []
    for _ in range(3):
        solver.solve(demand)
        methods.append(solver.last_report.method)
    assert methods == ["iterative", "iterative", "lu"]


def test_slow_convergence_falls_back_to_lu_with_the_exact_answer():
    """A ring of 300 processes, each buying a = 0.9999 units of the next one's product: the
    Jacobi-preconditioned matrix I - aP has its eigenvalues on a circle of radius a around 1,
    so GMRES needs ~300 iterations; with 20 allowed it stops early and LU takes over.

    By hand, for one unit of product 0: s_{k+1} = a s_k and s_0 = 1 + a s_{n-1}, so
    s_k = a^k / (1 - a^n)."""
    n, a_ = 300, 0.9999
    ring = sp.csr_matrix(
        (
            np.concatenate([np.ones(n), np.full(n, -a_)]),
            (
                np.concatenate([np.arange(n), (np.arange(n) + 1) % n]),
                np.concatenate([np.arange(n), np.arange(n)]),
            ),
        ),
        shape=(n, n),
    )
    options = SolverOptions(method="iterative", iterative_max_iterations=20)
    solver = TechnosphereSolver(ring, options=options)
    demand = np.zeros(n)
    demand[0] = 1.0
    supply = solver.solve(demand)
    assert solver.last_report.fallbacks == 1 and solver.last_report.method == "lu"
    expected = a_ ** np.arange(n) / (1 - a_**n)
    np.testing.assert_allclose(supply, expected, rtol=1e-9)


def test_a_singular_loop_is_reported_by_the_lu_fall_back():
    """Two processes each needing exactly one unit of the other per unit made: singular."""
    a = sp.csr_matrix(np.array([[1.0, -1.0], [-1.0, 1.0]]))
    solver = TechnosphereSolver(a, ["shop", "farm"], options=ITERATIVE)
    with pytest.raises(SingularTechnosphere, match=r"loop of 2 processes 'shop', 'farm'"):
        solver.solve(np.array([1.0, 0.0]))


def test_blocks_with_co_products_are_left_to_lu():
    """A positive off-diagonal entry (a co-product or avoided product inside the loop) is not
    the supply-chain shape GMRES is admitted for in ``auto``."""
    supply_chain = sp.csr_matrix(np.array([[1.0, -0.5], [-0.1, 1.0]]))
    co_product = sp.csr_matrix(np.array([[1.0, 0.2], [-0.1, 1.0]]))
    assert krylov.suits_krylov(supply_chain)
    assert not krylov.suits_krylov(co_product)
    assert not krylov.suits_krylov(sp.csr_matrix(np.array([[0.0, -1.0], [-1.0, 1.0]])))


def test_settings_choose_the_method(tmp_path):
    chosen = solver_options(
        settings.load(environ={"TANZUJI_SOLVER_METHOD": "lu"}, config=tmp_path / "absent.toml")
    )
    assert chosen.method == "lu" and chosen.iterative_min_block == 500
    with pytest.raises(ValueError, match="not one of auto, lu, iterative"):
        TechnosphereSolver(sp.identity(2, format="csr"), options=SolverOptions(method="cg"))


def _bw2calc(
    matrix: sp.csr_matrix, biosphere: sp.csr_matrix, demand: dict[int, float], cls, **options
):
    """A solved bw2calc LCA (``cls``) on float64 triplets (ids: products 1..n, flows from
    100,000, as tests/test_crosscheck_bw2calc.py)."""
    dp = bwp.create_datapackage()

    def indices(rows, cols):
        out = np.empty(len(rows), dtype=bwp.INDICES_DTYPE)
        out["row"], out["col"] = rows, cols
        return out

    t, b = matrix.tocoo(), biosphere.tocoo()
    dp.add_persistent_vector(
        matrix="technosphere_matrix",
        indices_array=indices(t.row + 1, t.col + 1),
        data_array=t.data.astype(np.float64),
        name="technosphere",
    )
    dp.add_persistent_vector(
        matrix="biosphere_matrix",
        indices_array=indices(b.row + 100_000, b.col + 1),
        data_array=b.data.astype(np.float64),
        name="biosphere",
    )
    dp.add_persistent_vector(
        matrix="characterization_matrix",
        indices_array=indices(
            np.arange(biosphere.shape[0]) + 100_000, np.zeros(biosphere.shape[0], dtype=int)
        ),
        data_array=np.ones(biosphere.shape[0]),
        name="gwp",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lca = cls(demand, data_objs=[dp], **options)
        lca.lci()
        lca.lcia()
    return lca


def test_crosscheck_with_bw2calc_lu_and_jacobi_gmres():
    """The iterative path's supply and score against bw2calc's ``LCA`` (SuperLU on the whole
    matrix) and ``JacobiGMRESLCA`` on the same triplets (rtol 1e-9, the cross-check tolerance
    of tests/test_crosscheck_bw2calc.py). ``JacobiGMRESLCA`` stops at a relative residual of
    1e-8 by default (its results then differ by ~2e-7); it is asked for 1e-12, as ours."""
    n = 1500
    a = productive_system(n, 700, seed=11)
    rng = np.random.default_rng(12)
    biosphere = sp.csr_matrix(rng.random((4, n)) * (rng.random((4, n)) < 0.3))
    demand = {n: 1.0, 800: 2.0}
    f = np.zeros(n)
    f[n - 1], f[799] = 1.0, 2.0
    calculation = Calculation(a, biosphere, np.ones(4))
    supply = calculation.supply_array(f)
    assert calculation.solver.last_report.method == "iterative"
    score = calculation.score(supply)
    for cls, options in ((bw2calc.LCA, {}), (bw2calc.JacobiGMRESLCA, {"rtol": 1e-12})):
        lca = _bw2calc(a, biosphere, demand, cls, **options)
        by_col = np.array([lca.dicts.activity[j + 1] for j in range(n)])
        np.testing.assert_allclose(supply, lca.supply_array[by_col], rtol=1e-9, atol=1e-12)
        assert score == pytest.approx(float(lca.score), rel=1e-9)
