"""Hand-solvable systems: every expected number is worked out in the comments."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tanzuji.engine.calculate import Calculation
from tanzuji.engine.solver import TechnosphereSolver
from tanzuji.errors import SingularTechnosphere


def test_two_process_loop_by_hand():
    # Process a makes 1 unit of a and needs 0.2 b; process b makes 1 b and needs 0.5 a.
    # Demand 1 a:  s_a - 0.2 s_b = 1,  -0.5 s_a + s_b = 0  =>  s_b = 0.5 s_a,
    # s_a (1 - 0.1) = 1  =>  s_a = 1/0.9 = 1.111..., s_b = 0.555...
    # Emissions: a emits 2 kg CO2, b emits 3 kg CH4-fossil per operation (GWP 29.8):
    # score = 2 * 1/0.9 + 3 * 29.8 * 0.5/0.9 = 2.2222 + 49.6667 = 51.8889
    a = sp.csr_matrix(np.array([[1.0, -0.2], [-0.5, 1.0]]))
    b = sp.csr_matrix(np.array([[2.0, 0.0], [0.0, 3.0]]))
    calc = Calculation(a, b, np.array([1.0, 29.8]), ["a", "b"])
    supply = calc.supply_array(np.array([1.0, 0.0]))
    np.testing.assert_allclose(supply, [1 / 0.9, 0.5 / 0.9], rtol=1e-12)
    assert calc.score(supply) == pytest.approx(2 / 0.9 + 3 * 29.8 * 0.5 / 0.9, rel=1e-12)
    # Intensities: lambda_a = 2 + 0.5 lambda_b, lambda_b = 89.4 + 0.2 lambda_a
    # => lambda_a = (2 + 44.7) / 0.9 = 51.888..., lambda_b = 89.4 + 10.3778 = 99.7778
    np.testing.assert_allclose(calc.intensities(), [46.7 / 0.9, 89.4 + 0.2 * 46.7 / 0.9])


def test_singular_loop_names_processes():
    # a needs 1 b per a, b needs 1 a per b: (1 -1; -1 1) is singular.
    a = sp.csr_matrix(np.array([[1.0, -1.0], [-1.0, 1.0]]))
    with pytest.raises(SingularTechnosphere, match="'coal mine', 'power plant'"):
        TechnosphereSolver(a, ["coal mine", "power plant"])


def test_zero_diagonal_outside_loop():
    a = sp.csr_matrix(np.array([[0.0, 0.0], [-1.0, 1.0]]))
    with pytest.raises(SingularTechnosphere, match="'ghost'"):
        TechnosphereSolver(a, ["ghost", "user"])


def test_not_square():
    with pytest.raises(SingularTechnosphere, match="not square: 3 processes"):
        TechnosphereSolver(sp.csr_matrix(np.ones((2, 3))))


def test_sparse_solver_matches_dense_on_random_loops():
    # Differential test: block-triangular solve vs numpy's dense LU on the same matrix.
    rng = np.random.default_rng(7)
    n = 300
    m = sp.random(n, n, density=0.01, random_state=3, format="csr") * -0.05 + sp.identity(n)
    solver = TechnosphereSolver(m)
    f = rng.random((n, 3))
    np.testing.assert_allclose(solver.solve(f), np.linalg.solve(m.toarray(), f), rtol=1e-10)
    np.testing.assert_allclose(
        solver.solve_transposed(f[:, 0]), np.linalg.solve(m.toarray().T, f[:, 0]), rtol=1e-10
    )
