"""Solving the technosphere ``A s = f`` by block-triangular decomposition.

Real supply chains are mostly acyclic: of ecoinvent's ~20,000 processes a few thousand sit in
loops (electricity <-> coal mining <-> transport ...). Permuting ``A`` by its strongly connected
components (SCCs) gives a block-triangular matrix (Duff & Reid 1978; Pothen & Fan 1990).
Only the diagonal blocks of loops need a factorization; every acyclic process is a 1x1 block
solved by division. Blocks are grouped into *levels* (Kahn's algorithm on the condensation):
all blocks of one level depend only on earlier levels, so a level is one sparse
matrix-vector (or matrix-matrix) product plus the block solves.

References
----------
[1] I. S. Duff, J. K. Reid, "An implementation of Tarjan's algorithm for the block
    triangularization of a matrix", ACM TOMS 4(2), 1978.
[2] R. Heijungs, S. Suh, "The Computational Structure of Life Cycle Assessment", 2002, ch. 2
    (A s = f, g = B s, h = C g).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.sparse import csgraph
from scipy.sparse.linalg import splu

from tanzuji import settings
from tanzuji.errors import SingularTechnosphere

try:  # optional accelerator for large loop blocks; never required
    from scikits.umfpack import splu as _umfpack_splu  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the machine
    _umfpack_splu = None


@dataclass
class _Block:
    """One loop block (SCC of size > 1) with its factorization, in permuted indices."""

    start: int
    stop: int
    dense: tuple[np.ndarray, np.ndarray] | None  # LAPACK lu_factor result
    sparse: object | None  # SuperLU / UMFPACK object with .solve(b, trans)

    def solve(self, rhs: np.ndarray, transposed: bool) -> np.ndarray:
        if self.dense is not None:
            return scipy.linalg.lu_solve(self.dense, rhs, trans=1 if transposed else 0)
        return self.sparse.solve(rhs, trans="T" if transposed else "N")  # type: ignore[union-attr]


@dataclass
class _Level:
    """Processes of one level: positions ``start:stop`` in the permuted order."""

    start: int
    stop: int
    singles: np.ndarray  # offsets (within level) of 1x1 blocks
    singles_diag: np.ndarray  # their diagonal values
    blocks: list[_Block]


class TechnosphereSolver:
    """Factorize a square technosphere matrix once; solve for many demands.

    Parameters
    ----------
    technosphere_matrix : scipy.sparse matrix, shape (n, n)
        Rows are products, columns processes; ``A[i, i]`` is process ``i``'s reference output.
    labels : sequence of str, optional
        Process names for error messages (``SingularTechnosphere`` names the processes).
    dense_block_max : int, optional
        Overrides the setting ``solver_dense_block_max`` (Monte Carlo factorizes once and
        solves often, where a dense LU of a large loop block pays off).

    Raises
    ------
    SingularTechnosphere
        When a 1x1 block has a zero diagonal, a loop block is singular, or the matrix holds
        NaN or infinity. The message names the processes involved.
    """

    def __init__(
        self,
        technosphere_matrix: sp.spmatrix,
        labels: Sequence[str] | None = None,
        dense_block_max: int | None = None,
    ):
        matrix = sp.csr_matrix(technosphere_matrix, dtype=np.float64)
        n_rows, n_cols = matrix.shape
        if n_rows != n_cols:
            raise SingularTechnosphere(
                f"technosphere matrix is not square: {n_cols} processes (columns) and {n_rows} "
                "products (rows); every process needs exactly one reference product — fix the "
                "input data"
            )
        if not np.all(np.isfinite(matrix.data)):
            bad = np.unique(matrix.indices[~np.isfinite(matrix.data)])
            raise SingularTechnosphere(
                "technosphere matrix holds NaN or infinite amounts in processes "
                + _names(bad, labels),
                processes=_name_list(bad, labels),
            )
        matrix.sum_duplicates()
        matrix.eliminate_zeros()
        self.n = n_rows
        self.labels = list(labels) if labels is not None else None
        self._dense_block_max = dense_block_max
        self._order = self._structure(matrix)
        self._position = np.empty(self.n, dtype=np.int64)
        self._position[self._order] = np.arange(self.n)
        permuted = matrix[self._order][:, self._order].tocsr()
        self._split(permuted)
        self._factorize(permuted)
        self._matrix = matrix

    # -- structure ---------------------------------------------------------------------------
    def _structure(self, matrix: sp.csr_matrix) -> np.ndarray:
        """SCC labels and a consumer-first level of each SCC; returns the permutation."""
        n_scc, scc = csgraph.connected_components(matrix, directed=True, connection="strong")
        coo = matrix.tocoo()
        between = scc[coo.row] != scc[coo.col]
        # Edge consumer SCC -> supplier SCC: row i (product) is needed by column j (process).
        supplier = scc[coo.row[between]]
        consumer = scc[coo.col[between]]
        levels = _kahn_levels(n_scc, consumer, supplier)
        # Sort processes by (level, scc) so each SCC is contiguous and levels are in order.
        order = np.lexsort((scc, levels[scc]))
        self._scc = scc
        self._scc_level = levels
        return order

    def _split(self, permuted: sp.csr_matrix) -> None:
        """Split the permuted matrix into block-diagonal part and off-block remainder."""
        scc_perm = self._scc[self._order]
        coo = permuted.tocoo()
        inside = scc_perm[coo.row] == scc_perm[coo.col]
        off = ~inside
        # Off-block entries, rows of one level reference only earlier levels' columns.
        self._off = sp.csr_matrix(
            (coo.data[off], (coo.row[off], coo.col[off])), shape=permuted.shape
        )
        self._off_t = self._off.T.tocsr()
        self._inside = (coo.row[inside], coo.col[inside], coo.data[inside])
        self._scc_perm = scc_perm

    def _factorize(self, permuted: sp.csr_matrix) -> None:
        level_of_pos = self._scc_level[self._scc_perm]
        bounds = np.flatnonzero(np.diff(level_of_pos)) + 1
        starts = np.concatenate(([0], bounds))
        stops = np.concatenate((bounds, [self.n]))
        scc_bounds = np.flatnonzero(np.diff(self._scc_perm)) + 1
        scc_starts = np.concatenate(([0], scc_bounds))
        scc_stops = np.concatenate((scc_bounds, [self.n]))
        sizes = scc_stops - scc_starts
        diag = permuted.diagonal()
        dense_max = self._dense_block_max or int(settings.get("solver_dense_block_max"))
        use_umfpack = bool(settings.get("use_umfpack")) and _umfpack_splu is not None
        loop_blocks: dict[int, _Block] = {}
        for b_start, b_stop in zip(scc_starts[sizes > 1], scc_stops[sizes > 1], strict=True):
            block = permuted[b_start:b_stop, b_start:b_stop]
            loop_blocks[int(b_start)] = self._factor_block(
                block, int(b_start), int(b_stop), dense_max, use_umfpack
            )
        single_pos = scc_starts[sizes == 1]
        zero = single_pos[diag[single_pos] == 0]
        if zero.size:
            procs = self._order[zero]
            raise SingularTechnosphere(
                "technosphere matrix is singular: processes without a reference output (zero "
                "on the diagonal and not in a loop) "
                + _names(procs, self.labels)
                + "; give each process a positive reference amount",
                processes=_name_list(procs, self.labels),
            )
        self._levels_list: list[_Level] = []
        block_starts = np.array(sorted(loop_blocks), dtype=np.int64)
        for start, stop in zip(starts, stops, strict=True):
            singles = single_pos[(single_pos >= start) & (single_pos < stop)]
            in_level = block_starts[(block_starts >= start) & (block_starts < stop)]
            self._levels_list.append(
                _Level(
                    start=int(start),
                    stop=int(stop),
                    singles=singles - start,
                    singles_diag=diag[singles],
                    blocks=[loop_blocks[int(b)] for b in in_level],
                )
            )
        self.n_loop_blocks = len(loop_blocks)
        self.n_in_loops = int(sizes[sizes > 1].sum())
        self.n_levels = len(self._levels_list)
        self.largest_loop = int(sizes.max()) if sizes.size else 0

    def _factor_block(
        self, block: sp.csr_matrix, start: int, stop: int, dense_max: int, use_umfpack: bool
    ) -> _Block:
        procs = self._order[start:stop]
        try:
            if stop - start <= dense_max:
                dense = block.toarray()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
                    lu, piv = scipy.linalg.lu_factor(dense, check_finite=False)
                if np.any(np.abs(np.diag(lu)) <= np.finfo(float).eps * np.abs(dense).max()):
                    raise RuntimeError("exactly singular")
                return _Block(start, stop, (lu, piv), None)
            if use_umfpack:
                return _Block(start, stop, None, _umfpack_splu(block.tocsc()))
            return _Block(start, stop, None, splu(block.tocsc()))
        except (RuntimeError, ValueError, np.linalg.LinAlgError) as exc:
            raise SingularTechnosphere(
                f"technosphere matrix is singular: the loop of {stop - start} processes "
                + _names(procs, self.labels)
                + " has no unique solution (e.g. each process needs as much of the other as it "
                "makes); check the amounts linking these processes",
                processes=_name_list(procs, self.labels),
            ) from exc

    # -- solving -----------------------------------------------------------------------------
    def solve(self, demand: np.ndarray) -> np.ndarray:
        """Supply array ``s`` with ``A s = f``; ``demand`` is shape (n,) or (n, k)."""
        rhs = np.asarray(demand, dtype=np.float64)
        permuted = rhs[self._order]
        result = np.zeros_like(permuted)
        for level in self._levels_list:
            part = permuted[level.start : level.stop] - self._off[level.start : level.stop] @ result
            self._solve_level(level, part, result, transposed=False)
        out = np.empty_like(result)
        out[self._order] = result
        self._check(out, rhs, transposed=False)
        return out

    def solve_transposed(self, rhs: np.ndarray) -> np.ndarray:
        """``x`` with ``A^T x = b`` (e.g. intensities ``A^T lambda = B^T c``)."""
        values = np.asarray(rhs, dtype=np.float64)
        permuted = values[self._order]
        result = np.zeros_like(permuted)
        for level in reversed(self._levels_list):
            part = (
                permuted[level.start : level.stop] - self._off_t[level.start : level.stop] @ result
            )
            self._solve_level(level, part, result, transposed=True)
        out = np.empty_like(result)
        out[self._order] = result
        self._check(out, values, transposed=True)
        return out

    @staticmethod
    def _solve_level(level: _Level, part: np.ndarray, result: np.ndarray, transposed: bool) -> None:
        target = result[level.start : level.stop]
        if level.singles.size:
            if part.ndim == 1:
                target[level.singles] = part[level.singles] / level.singles_diag
            else:
                target[level.singles] = part[level.singles] / level.singles_diag[:, None]
        for block in level.blocks:
            lo, hi = block.start - level.start, block.stop - level.start
            target[lo:hi] = block.solve(part[lo:hi], transposed)

    def _check(self, solution: np.ndarray, rhs: np.ndarray, transposed: bool) -> None:
        if not np.all(np.isfinite(solution)):
            raise SingularTechnosphere(
                "technosphere solve produced NaN or infinity: the system is ill-posed; check "
                "loops whose processes need more of each other than they make"
            )
        matrix = self._matrix.T if transposed else self._matrix
        residual = matrix @ solution - rhs
        scale = max(float(np.abs(rhs).max(initial=0.0)), float(np.finfo(float).tiny))
        worst = float(np.abs(residual).max(initial=0.0)) / scale
        limit = float(settings.get("solver_max_residual"))
        if worst > limit:
            rows = np.unique(np.nonzero(np.abs(residual) > limit * scale)[0])
            raise SingularTechnosphere(
                f"technosphere solve is ill-conditioned: relative residual {worst:.2e} exceeds "
                f"{limit:.0e} at processes "
                + _names(rows, self.labels)
                + "; check near-cancelling loops among them",
                processes=_name_list(rows, self.labels),
            )

    def describe(self) -> dict[str, int]:
        """Structure figures: processes, loop blocks, processes in loops, levels."""
        return {
            "processes": self.n,
            "loop_blocks": self.n_loop_blocks,
            "processes_in_loops": self.n_in_loops,
            "largest_loop": self.largest_loop,
            "levels": self.n_levels,
        }


def _kahn_levels(n_nodes: int, consumer: np.ndarray, supplier: np.ndarray) -> np.ndarray:
    """Longest-path level of each node of a DAG, consumers first (Kahn 1962, vectorized).

    Level 0 holds nodes nobody consumes; a supplier's level is one more than the highest level
    of its consumers.
    """
    if consumer.size:
        edges = np.unique(np.stack([consumer, supplier]), axis=1)
        consumer, supplier = edges[0], edges[1]
    graph = sp.csr_matrix(
        (np.ones(consumer.size, dtype=np.int8), (consumer, supplier)), shape=(n_nodes, n_nodes)
    )
    indegree = np.bincount(supplier, minlength=n_nodes)
    levels = np.full(n_nodes, -1, dtype=np.int64)
    frontier = np.flatnonzero(indegree == 0)
    level = 0
    while frontier.size:
        levels[frontier] = level
        starts, stops = graph.indptr[frontier], graph.indptr[frontier + 1]
        counts = stops - starts
        idx = np.repeat(stops - counts.cumsum(), counts) + np.arange(counts.sum())
        targets = graph.indices[idx]
        indegree -= np.bincount(targets, minlength=n_nodes)
        frontier = np.unique(targets[indegree[targets] == 0])
        level += 1
    if np.any(levels < 0):  # cannot happen for a condensation; guards against misuse
        raise SingularTechnosphere("internal error: the condensation graph has a cycle")
    return levels


def _name_list(indices: np.ndarray, labels: Sequence[str] | None) -> list[str]:
    return [labels[int(i)] if labels is not None else f"#{int(i)}" for i in indices]


def _names(indices: np.ndarray, labels: Sequence[str] | None, limit: int = 8) -> str:
    names = _name_list(np.asarray(indices)[:limit], labels)
    more = len(indices) - limit
    return ", ".join(repr(n) for n in names) + (f" and {more} more" if more > 0 else "")
