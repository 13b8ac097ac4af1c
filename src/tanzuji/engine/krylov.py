"""Jacobi-preconditioned GMRES for one loop block of the technosphere, with a residual check.

A productive technosphere matrix is a non-singular M-matrix up to a scaling of units: a
process makes more of its product than the system around it consumes per unit made, so the
Jacobi iteration matrix ``D^-1 (D - B)`` has a spectral radius below one and a Krylov method
preconditioned by the diagonal ``D`` converges in a few dozen iterations on loops of thousands
of processes (issue 14: 21 iterations to a relative residual of 3.5e-14 on a 3,000-process
loop). That is cheaper than a sparse LU of the block when only one right-hand side is needed.

GMRES [1] is applied with SciPy (``scipy.sparse.linalg.gmres``). Its stopping rule is on a
2-norm residual it tracks itself; the answer is accepted only after the residual is recomputed
on the block itself, ``max |B x - r| / max |r|``, the same measure as the solver's own check.
A small residual does not guarantee a small error when the block is ill-conditioned
(bw2calc's ``JacobiGMRESLCA`` documents a 20 % error at a residual of 1e-8 on a recycling
loop of ecoinvent 3.12); :func:`suits_krylov` therefore admits only blocks shaped like a
supply chain (positive diagonal, inputs only), and the tolerance is far tighter than the
solver's acceptance limit.

References
----------
[1] Y. Saad, M. H. Schultz, "GMRES: a generalized minimal residual algorithm for solving
    nonsymmetric linear systems", SIAM J. Sci. Stat. Comput. 7(3), 1986.
[2] Y. Saad, "Iterative Methods for Sparse Linear Systems", 2nd ed., SIAM 2003, ch. 10.2
    (Jacobi preconditioning).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, gmres


@dataclass(frozen=True)
class KrylovResult:
    """The outcome of one preconditioned GMRES solve.

    Attributes
    ----------
    solution : numpy.ndarray
        The last iterate (meaningful only when ``converged``).
    iterations : int
        Inner GMRES iterations (matrix-vector products) done.
    relative_residual : float
        ``max |B x - r| / max |r|`` recomputed on the block (``inf`` when not finite).
    converged : bool
        The recomputed residual is at most the tolerance.
    """

    solution: np.ndarray
    iterations: int
    relative_residual: float
    converged: bool


def suits_krylov(block: sp.csr_matrix) -> bool:
    """Whether a loop block has the supply-chain shape the iterative path is meant for.

    A positive diagonal (reference outputs) and no positive off-diagonal entry (no co-product
    or avoided product feeding another process of the loop): a Z-matrix, which a productive
    system makes a non-singular M-matrix. Other blocks are left to LU.
    """
    diagonal = block.diagonal()
    if diagonal.size == 0 or np.any(diagonal <= 0):
        return False
    coo = block.tocoo()
    off = coo.row != coo.col
    return not np.any(coo.data[off] > 0)


def jacobi_gmres(
    block: sp.csr_matrix,
    rhs: np.ndarray,
    *,
    tolerance: float,
    max_iterations: int,
    restart: int = 50,
) -> KrylovResult:
    """Solve ``block @ x = rhs`` by GMRES preconditioned by the block's diagonal.

    Parameters
    ----------
    block : scipy.sparse.csr_matrix, shape (m, m)
        The loop block (products x processes); its diagonal must be non-zero.
    rhs : numpy.ndarray, shape (m,)
        Right-hand side (demand on the block minus what earlier processes supply).
    tolerance : float
        Largest accepted relative residual ``max |B x - r| / max |r|``, dimensionless.
    max_iterations : int
        Largest number of inner iterations (matrix-vector products).
    restart : int
        Krylov subspace size between restarts (bw2calc's ``JacobiGMRESLCA`` default, 50).

    Returns
    -------
    KrylovResult
        ``converged`` is false when GMRES stopped early or the recomputed residual is above
        ``tolerance``; the caller then solves by LU.
    """
    size = rhs.shape[0]
    scale = float(np.abs(rhs).max(initial=0.0))
    if scale == 0.0:
        return KrylovResult(np.zeros(size), 0, 0.0, True)
    diagonal = block.diagonal()
    if np.any(diagonal == 0):
        return KrylovResult(np.zeros(size), 0, math.inf, False)
    preconditioner = LinearOperator(block.shape, matvec=lambda v: v / diagonal, dtype=np.float64)
    inner = min(restart, size)
    counter = [0]

    def count(_: float) -> None:
        counter[0] += 1

    # GMRES stops on its own 2-norm estimate; ask for a tenth of the tolerance so the max-norm
    # check below usually passes on the first try (||r||_inf <= ||r||_2).
    with np.errstate(all="ignore"):
        solution, _ = gmres(
            block,
            rhs,
            rtol=tolerance / 10.0,
            atol=0.0,
            restart=inner,
            maxiter=max(1, math.ceil(max_iterations / inner)),
            M=preconditioner,
            callback=count,
            callback_type="pr_norm",
        )
        residual = float(np.abs(block @ solution - rhs).max()) / scale
    if not math.isfinite(residual):
        residual = math.inf
    return KrylovResult(solution, counter[0], residual, residual <= tolerance)
