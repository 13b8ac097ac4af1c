"""Solving the technosphere ``A s = f`` by block-triangular decomposition.

Real supply chains are mostly acyclic: of ecoinvent's ~20,000 processes a few thousand sit in
loops (electricity <-> coal mining <-> transport ...). Permuting ``A`` by its strongly connected
components (SCCs) in a topological order of the condensation gives a block lower-triangular
matrix (Duff & Reid 1978; Pothen & Fan 1990). Only the diagonal blocks of loops need an LU
factorization; acyclic processes are solved by substitution.

The order is by *level* (Kahn's algorithm on the condensation, consumers first), inside a level
loops before acyclic processes. That cuts the order into few *segments*: the loops of one level
(independent of each other, factorized block by block), and runs of acyclic processes that may
span many levels (one sparse triangular solve each). A solve is one pass over the segments, each
a sparse product with the already known part plus the segment's own solve; the transposed solve
(intensities) is the same pass backwards. Loop blocks are factorized transposed (COLAMD keeps
less fill on ``B^T`` for supply chains, as bw2calc found for whole technosphere matrices).

References
----------
[1] I. S. Duff, J. K. Reid, "An implementation of Tarjan's algorithm for the block
    triangularization of a matrix", ACM TOMS 4(2), 1978.
[2] R. Heijungs, S. Suh, "The Computational Structure of Life Cycle Assessment", 2002, ch. 2
    (A s = f, g = B s, h = C g).
[3] A. Pothen, C.-J. Fan, "Computing the block triangular form of a sparse matrix", ACM TOMS
    16(4), 1990.
[4] A. B. Kahn, "Topological sorting of large networks", Comm. ACM 5(11), 1962.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, overload

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.sparse import csgraph
from scipy.sparse.linalg import splu, spsolve_triangular

from tanzuji.engine import overflow
from tanzuji.errors import SingularTechnosphere

try:  # optional accelerator for large loop blocks; never required
    from scikits.umfpack import splu as _umfpack_splu  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the machine
    _umfpack_splu = None


@dataclass
class LoopBlock:
    """One loop block (SCC of size > 1) with its factorization, in permuted indices.

    ``start:stop`` are positions in :attr:`SolverStructure.order`; ``dense`` is a LAPACK
    ``lu_factor`` result, else ``sparse`` a SuperLU / UMFPACK factorization of the block's
    transpose. :meth:`solve` hides which.
    """

    start: int
    stop: int
    dense: tuple[np.ndarray, np.ndarray] | None  # LAPACK lu_factor result
    sparse: object | None  # SuperLU / UMFPACK object with .solve(b, trans)

    def solve(self, rhs: np.ndarray, transposed: bool) -> np.ndarray:
        if self.dense is not None:
            return scipy.linalg.lu_solve(self.dense, rhs, trans=1 if transposed else 0)
        # The sparse factors are of the block's transpose (see _factor_block): swap.
        return self.sparse.solve(rhs, trans="N" if transposed else "T")  # type: ignore[union-attr]


@dataclass
class _Segment:
    """Positions ``start:stop`` of the permuted order: loop blocks or a run of acyclic ones.

    In the permuted order the matrix is block lower triangular, so the segment's unknowns
    depend only on earlier positions (``before``) and its transpose's only on later ones
    (``after_t``).
    """

    start: int
    stop: int
    before: sp.csr_matrix | None  # rows start:stop, columns < start
    after_t: sp.csr_matrix | None  # rows start:stop of the transpose, columns >= stop
    blocks: list[LoopBlock] | None = None  # loop blocks; else a triangular run of acyclic ones
    lower: sp.csr_matrix | None = None  # the run's lower-triangular diagonal block
    upper_t: sp.csr_matrix | None = None  # its transpose (upper triangular)
    diagonal: np.ndarray | None = None  # set instead of lower/upper_t when the run is diagonal

    def solve(self, rhs: np.ndarray, transposed: bool) -> np.ndarray:
        if self.blocks is not None:
            out = np.empty_like(rhs)
            for block in self.blocks:
                lo, hi = block.start - self.start, block.stop - self.start
                out[lo:hi] = block.solve(rhs[lo:hi], transposed)
            return out
        if self.diagonal is not None:
            return rhs / (self.diagonal if rhs.ndim == 1 else self.diagonal[:, None])
        if transposed:
            return spsolve_triangular(self.upper_t, rhs, lower=False, overwrite_b=False)
        return spsolve_triangular(self.lower, rhs, lower=True, overwrite_b=False)


@dataclass(frozen=True)
class SolverStructure:
    """The block-triangular layout a :class:`TechnosphereSolver` found (read-only arrays).

    For code that solves the same system its own way in the solver's order, such as the
    Monte Carlo stages of :mod:`tanzuji.engine.montecarlo`.

    Attributes
    ----------
    order : numpy.ndarray of int, shape (n,)
        Process indices in solving order: the technosphere matrix permuted by ``order`` (rows
        and columns) is block lower triangular.
    scc : numpy.ndarray of int, shape (n,)
        Strongly connected component of each process, by process index.
    scc_level : numpy.ndarray of int, shape (number of components,)
        Level of each component (Kahn's algorithm on the condensation, consumers first [4]).
    loop_blocks : tuple of LoopBlock
        The factorized loop blocks, in solving order.
    """

    order: np.ndarray
    scc: np.ndarray
    scc_level: np.ndarray
    loop_blocks: tuple[LoopBlock, ...]


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True)
class SolverOptions:
    """Numerical options of the solver (settings ``solver_*`` and ``use_umfpack``; defaults
    are theirs). The edge reads the settings and passes them down; the solver reads nothing."""

    max_residual: float = 1e-8
    dense_block_max: int = 64
    use_umfpack: bool = True


class TechnosphereSolver:
    """Factorize a square technosphere matrix once; solve for many demands.

    Parameters
    ----------
    technosphere_matrix : scipy.sparse matrix, shape (n, n)
        Rows are products, columns processes; ``A[i, i]`` is process ``i``'s reference output.
    labels : sequence of str, optional
        Process names for error messages (``SingularTechnosphere`` names the processes).
    dense_block_max : int, optional
        Overrides ``options.dense_block_max`` (Monte Carlo factorizes once and
        solves often, where a dense LU of a large loop block pays off).
    options : SolverOptions, optional
        Residual limit, dense block size, UMFPACK (default: the settings' defaults).

    Raises
    ------
    SingularTechnosphere
        When a 1x1 block has a zero diagonal, a loop block is singular, or the matrix holds
        NaN or infinity. The message names the processes involved.
    NumericOverflow
        From :meth:`solve` / :meth:`solve_transposed` when a supply or intensity leaves the
        float range; the message names the process and the largest products behind it.
    """

    def __init__(
        self,
        technosphere_matrix: sp.spmatrix,
        labels: Sequence[str] | None = None,
        dense_block_max: int | None = None,
        options: SolverOptions | None = None,
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
        self.options = options or SolverOptions()
        self._dense_block_max = dense_block_max
        self._order = self._structure(matrix)
        self._position = np.empty(self.n, dtype=np.int64)
        self._position[self._order] = np.arange(self.n)
        permuted = matrix[self._order][:, self._order].tocsr()
        permuted.sort_indices()
        self._factorize(permuted)
        self._matrix = matrix
        #: Maps matrix entries to exchange locations in overflow messages (set by Calculation).
        self.locate: overflow.Locator | None = None

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
        # Sort processes by level, then loops before acyclic processes, then SCC: each SCC is
        # contiguous, the loops of one level (independent of each other) form one group, and
        # the acyclic processes of one level join those of the next level in one triangular
        # run. Fewer, larger segments mean fewer Python-level steps per solve.
        single = np.bincount(scc, minlength=n_scc)[scc] == 1
        order = np.lexsort((scc, single, levels[scc]))
        self._scc = scc
        self._scc_level = levels
        return order

    def _factorize(self, permuted: sp.csr_matrix) -> None:
        """Factorize the loop blocks and cut the order into segments (see :class:`_Segment`)."""
        scc_perm = self._scc[self._order]
        scc_bounds = np.flatnonzero(np.diff(scc_perm)) + 1
        scc_starts = np.concatenate(([0], scc_bounds))
        scc_stops = np.concatenate((scc_bounds, [self.n]))
        sizes = scc_stops - scc_starts
        diag = permuted.diagonal()
        self._diagonal = diag
        self._inverse_diagonal: np.ndarray | None = None
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
        dense_max = self._dense_block_max or self.options.dense_block_max
        use_umfpack = self.options.use_umfpack and _umfpack_splu is not None
        transposed = permuted.T.tocsr()
        # Segment boundaries: the loops of one level form one segment; runs of acyclic
        # processes between loop groups another (they may span several levels).
        loops = sizes > 1
        in_loop = np.repeat(loops, sizes)
        level_pos = self._scc_level[scc_perm]
        change = (in_loop[1:] != in_loop[:-1]) | (in_loop[1:] & (level_pos[1:] != level_pos[:-1]))
        cuts = np.concatenate(([0], np.flatnonzero(change) + 1, [self.n]))
        block_starts, block_stops = scc_starts[loops], scc_stops[loops]
        self._segments: list[_Segment] = []
        for start, stop in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
            rows = _row_slice(permuted, start, stop)
            rows_t = _row_slice(transposed, start, stop)
            segment = _Segment(
                start,
                stop,
                before=_column_part(rows, 0, start),
                after_t=_column_part(rows_t, stop, self.n),
            )
            inside = _column_part(rows, start, stop, empty_ok=True)
            if in_loop[start]:
                first, last = np.searchsorted(block_starts, [start, stop])
                segment.blocks = [
                    self._factor_block(
                        inside[lo - start : hi - start, lo - start : hi - start],
                        lo,
                        hi,
                        dense_max,
                        use_umfpack,
                    )
                    for lo, hi in zip(
                        block_starts[first:last].tolist(),
                        block_stops[first:last].tolist(),
                        strict=True,
                    )
                ]
            elif inside.nnz == stop - start:  # only the diagonal: a division
                segment.diagonal = diag[start:stop]
            else:
                segment.lower = inside
                segment.upper_t = _column_part(rows_t, start, stop, empty_ok=True)
            self._segments.append(segment)
        self.n_loop_blocks = int(loops.sum())
        self.n_in_loops = int(sizes[loops].sum())
        self.n_levels = int(self._scc_level.max()) + 1 if self.n else 0
        self.largest_loop = int(sizes.max()) if sizes.size else 0

    def _factor_block(
        self, block: sp.csr_matrix, start: int, stop: int, dense_max: int, use_umfpack: bool
    ) -> LoopBlock:
        procs = self._order[start:stop]
        try:
            if stop - start <= dense_max:
                dense = block.toarray()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
                    lu, piv = scipy.linalg.lu_factor(dense, check_finite=False)
                if np.any(np.abs(np.diag(lu)) <= np.finfo(float).eps * np.abs(dense).max()):
                    raise RuntimeError("exactly singular")
                return LoopBlock(start, stop, (lu, piv), None)
            # Factorize the transpose: SuperLU's COLAMD ordering keeps far less fill on B^T
            # for supply chains (bw2calc issue #176: 8.6x fewer factor nonzeros on ecoinvent;
            # here 0.26 s instead of 1.1 s on the 3,000-process loop of bench/synthetic.py).
            # Threshold pivoting (0.1, UMFPACK's default pivot tolerance) prefers the dominant
            # diagonal and so keeps COLAMD's order; ``_check`` catches an unstable result.
            transposed = block.T.tocsc()
            if use_umfpack:
                return LoopBlock(start, stop, None, _umfpack_splu(transposed))
            return LoopBlock(start, stop, None, splu(transposed, diag_pivot_thresh=0.1))
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
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is named by _check
            for seg in self._segments:  # forward substitution over the block lower triangle
                part = permuted[seg.start : seg.stop]
                if seg.before is not None:
                    part = part - seg.before @ result[: seg.start]
                result[seg.start : seg.stop] = seg.solve(part, transposed=False)
        out = np.empty_like(result)
        out[self._order] = result
        self._check(out, rhs, transposed=False)
        return out

    def solve_transposed(self, rhs: np.ndarray) -> np.ndarray:
        """``x`` with ``A^T x = b`` (e.g. intensities ``A^T lambda = B^T c``)."""
        values = np.asarray(rhs, dtype=np.float64)
        permuted = values[self._order]
        result = np.zeros_like(permuted)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is named by _check
            for seg in reversed(self._segments):  # back substitution over the upper triangle
                part = permuted[seg.start : seg.stop]
                if seg.after_t is not None:
                    part = part - seg.after_t @ result[seg.stop :]
                result[seg.start : seg.stop] = seg.solve(part, transposed=True)
        out = np.empty_like(result)
        out[self._order] = result
        self._check(out, values, transposed=True)
        return out

    def _check(self, solution: np.ndarray, rhs: np.ndarray, transposed: bool) -> None:
        self._refuse_nonfinite(solution, transposed)
        matrix = self._matrix.T if transposed else self._matrix
        residual = matrix @ solution - rhs
        scale = max(float(np.abs(rhs).max(initial=0.0)), float(np.finfo(float).tiny))
        worst = float(np.abs(residual).max(initial=0.0)) / scale
        limit = self.options.max_residual
        if worst > limit:
            rows = np.unique(np.nonzero(np.abs(residual) > limit * scale)[0])
            raise SingularTechnosphere(
                f"technosphere solve is ill-conditioned: relative residual {worst:.2e} exceeds "
                f"{limit:.0e} at processes "
                + _names(rows, self.labels)
                + "; check near-cancelling loops among them",
                processes=_name_list(rows, self.labels),
            )

    def inverse_diagonal(self) -> np.ndarray:
        """The diagonal of the inverse technosphere matrix, ``INV[j, j]`` for every process.

        ``INV[j, j]`` is the supply of process ``j`` needed to deliver one unit of its own
        product; it exceeds ``1 / A[j, j]`` only where ``j`` sits in a loop. The inverse of a
        block triangular matrix has the inverses of the diagonal blocks on its diagonal, so
        acyclic processes need a division and each loop block its own inverse's diagonal,
        solved for unit right-hand sides in chunks of :data:`INVERSE_CHUNK` columns.

        Returns
        -------
        numpy.ndarray, shape (n,)
            By process index; computed once and cached (read-only).
        """
        if self._inverse_diagonal is None:
            permuted = 1.0 / self._diagonal
            for segment in self._segments:
                for block in segment.blocks or ():
                    procs = self._order[block.start : block.stop]
                    matrix = self._matrix[procs][:, procs]
                    permuted[block.start : block.stop] = _block_inverse_diagonal(block, matrix)
            out = np.empty(self.n)
            out[self._order] = permuted
            self._inverse_diagonal = _read_only(out)
        return self._inverse_diagonal

    def _refuse_nonfinite(self, solution: np.ndarray, transposed: bool) -> None:
        """Name the first process (in solving order) whose supply or intensity overflowed.

        Consumers come first in the order, so the supply of the first non-finite process is
        a sum of finite consumers' supplies times its row of ``A``; backwards the same holds
        for intensities and columns (``A^T lambda = d``).
        """
        if transposed:
            quantity, axis, order = "intensity (kg CO2e per unit)", "col", self._order[::-1]
        else:
            quantity, axis, order = "supply (operations)", "row", self._order

        def meaning(k: int) -> str:
            name = self.labels[k] if self.labels is not None else f"#{k}"
            return f"{'kg CO2e per unit of' if transposed else 'operations of'} {name!r}"

        overflow.refuse_nonfinite(
            solution,
            quantity,
            self.labels,
            lambda i: overflow.line_terms(self._matrix, i, axis, solution, "technosphere", meaning),
            self.locate,
            order,
        )

    @property
    def structure(self) -> SolverStructure:
        """The solving order, components, levels and factorized loop blocks (read-only)."""
        return SolverStructure(
            order=_read_only(self._order),
            scc=_read_only(self._scc),
            scc_level=_read_only(self._scc_level),
            loop_blocks=tuple(
                block for segment in self._segments for block in segment.blocks or ()
            ),
        )

    def describe(self) -> dict[str, int]:
        """Structure figures: processes, loop blocks, processes in loops, levels, segments."""
        return {
            "processes": self.n,
            "loop_blocks": self.n_loop_blocks,
            "processes_in_loops": self.n_in_loops,
            "largest_loop": self.largest_loop,
            "levels": self.n_levels,
            "segments": len(self._segments),
        }


#: Loop blocks up to this many processes get the diagonal of their inverse from a dense LAPACK
#: inverse (72 MB and ~2 s for 3,000 processes on 2 cores, twice as fast as solving
#: 3,000 unit vectors with the sparse LU of bench/synthetic.py's core loop); larger blocks
#: solve unit vectors with their sparse factors, :data:`INVERSE_CHUNK` at a time.
INVERSE_DENSE_MAX = 3000
#: Unit right-hand sides solved at once for a larger block (bounds the work array at
#: ``block size x INVERSE_CHUNK`` floats).
INVERSE_CHUNK = 1024


def _block_inverse_diagonal(block: LoopBlock, matrix: sp.spmatrix) -> np.ndarray:
    """``diag(block^-1)`` of one loop block (``matrix`` is the block in process order)."""
    size = block.stop - block.start
    if block.dense is not None:
        return np.diag(scipy.linalg.lu_solve(block.dense, np.identity(size)))
    if size <= INVERSE_DENSE_MAX:
        return np.diag(np.linalg.inv(matrix.toarray()))
    out = np.empty(size)
    for lo in range(0, size, INVERSE_CHUNK):
        hi = min(size, lo + INVERSE_CHUNK)
        unit = np.zeros((size, hi - lo))
        unit[np.arange(lo, hi), np.arange(hi - lo)] = 1.0
        solved = block.solve(unit, transposed=False)
        out[lo:hi] = solved[np.arange(lo, hi), np.arange(hi - lo)]
    return out


def _row_slice(matrix: sp.csr_matrix, start: int, stop: int) -> sp.csr_matrix:
    """Rows ``start:stop`` of a CSR matrix (views of its arrays, no index checks)."""
    lo, hi = int(matrix.indptr[start]), int(matrix.indptr[stop])
    return sp.csr_matrix(
        (matrix.data[lo:hi], matrix.indices[lo:hi], matrix.indptr[start : stop + 1] - lo),
        shape=(stop - start, matrix.shape[1]),
    )


@overload
def _column_part(
    rows: sp.csr_matrix, lo: int, hi: int, empty_ok: Literal[True]
) -> sp.csr_matrix: ...
@overload
def _column_part(
    rows: sp.csr_matrix, lo: int, hi: int, empty_ok: bool = False
) -> sp.csr_matrix | None: ...
def _column_part(
    rows: sp.csr_matrix, lo: int, hi: int, empty_ok: bool = False
) -> sp.csr_matrix | None:
    """Entries of ``rows`` in columns ``lo:hi``, renumbered from 0 (width ``hi - lo``).

    Returns ``None`` when there are none and ``empty_ok`` is false, so solves skip the product.
    """
    keep = (rows.indices >= lo) & (rows.indices < hi)
    if not empty_ok and not keep.any():
        return None
    row_of = np.repeat(np.arange(rows.shape[0]), np.diff(rows.indptr))
    counts = np.bincount(row_of[keep], minlength=rows.shape[0])
    indptr = np.concatenate(([0], np.cumsum(counts)))
    return sp.csr_matrix(
        (rows.data[keep], rows.indices[keep] - lo, indptr), shape=(rows.shape[0], hi - lo)
    )


def _kahn_levels(n_nodes: int, consumer: np.ndarray, supplier: np.ndarray) -> np.ndarray:
    """Longest-path level of each node of a DAG, consumers first (Kahn 1962, vectorized).

    Level 0 holds nodes nobody consumes; a supplier's level is one more than the highest level
    of its consumers.
    """
    # Duplicate edges need no removal: each adds one to the supplier's in-degree and takes one
    # away when its consumer is placed. Group the edges by consumer (stable counting order).
    by_consumer = np.argsort(consumer, kind="stable")
    consumer, supplier = consumer[by_consumer], supplier[by_consumer]
    indptr = np.concatenate(([0], np.cumsum(np.bincount(consumer, minlength=n_nodes))))
    graph = sp.csr_matrix(
        (np.ones(consumer.size, dtype=np.int8), supplier, indptr), shape=(n_nodes, n_nodes)
    )
    indegree = np.bincount(supplier, minlength=n_nodes)
    levels = np.full(n_nodes, -1, dtype=np.int64)
    marker = np.empty(n_nodes, dtype=np.int64)
    frontier = np.flatnonzero(indegree == 0)
    level = 0
    while frontier.size:
        levels[frontier] = level
        starts, stops = graph.indptr[frontier], graph.indptr[frontier + 1]
        counts = stops - starts
        idx = np.repeat(stops - counts.cumsum(), counts) + np.arange(counts.sum())
        targets = graph.indices[idx]
        np.subtract.at(indegree, targets, 1)
        # Suppliers whose last consumer was just placed, each once (no sort: O(edges)).
        ready = targets[indegree[targets] == 0]
        marker[ready] = np.arange(ready.size)
        frontier = ready[marker[ready] == np.arange(ready.size)]
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
