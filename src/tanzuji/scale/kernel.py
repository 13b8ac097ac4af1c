"""The scoring kernel: footprints of a chunk of variants in one pass over its rows.

A chunk of variants is a CSR matrix ``F`` (rows: variants, columns: activities; the
long-format rows in order), so its footprints are ``F lambda`` — one sparse matrix-vector
product: per row, a gather from the intensities (small enough to stay in cache), a multiply
and an add. Memory traffic is the input itself (4-byte activity index and 8-byte amount per
row, one 8-byte offset and one 8-byte score per variant), so the kernel is bound by memory
bandwidth; ``bench/batch.py`` measures how close it comes. The rows are split between
``threads`` threads by variant (both kernels below run without the GIL); each variant's sum
runs over its rows in input order whatever the split, so the result does not depend on the
number of threads or on the chunking.

Two implementations give the same bits: the C kernel ``_scorekernel.c`` (built by
``pip install`` where a C compiler exists; called through ctypes, straight on the arrays) and
SciPy's CSR matrix-vector product (the fall back, and the path for footprints by gas), which
first wraps each part as a ``csr_array``. :data:`COMPILED` says which one scores totals.
"""

from __future__ import annotations

import ctypes
import importlib.util
import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

#: Below this many rows a chunk is scored in the calling thread (thread hand-off costs more).
MIN_ROWS_PER_THREAD = 200_000


def _compiled() -> Callable[..., int] | None:
    """``tz_score`` of the built C kernel, or None when it was not built."""
    spec = importlib.util.find_spec("tanzuji.scale._scorekernel")
    if spec is None or not spec.origin:
        return None
    try:
        function = ctypes.CDLL(spec.origin).tz_score
    except (OSError, AttributeError):
        return None
    pointer = ctypes.c_void_p
    # lo, hi, indptr, inputs, amounts, x, n, out
    function.argtypes = [ctypes.c_int64, ctypes.c_int64, *([pointer] * 4), ctypes.c_int64, pointer]
    function.restype = ctypes.c_int64
    return function


_TZ_SCORE = _compiled()

#: Whether totals are scored by the C kernel (else by SciPy).
COMPILED = _TZ_SCORE is not None


def _scipy_part(
    indptr: np.ndarray, inputs: np.ndarray, amounts: np.ndarray, lo: int, hi: int, n: int
) -> sp.csr_array:
    a, b = int(indptr[lo]), int(indptr[hi])
    small = b - a < np.iinfo(np.int32).max and n < np.iinfo(np.int32).max
    dtype = np.int32 if small else np.int64
    offsets = (indptr[lo : hi + 1] - a).astype(dtype)
    return sp.csr_array(
        (amounts[a:b], inputs[a:b].astype(dtype, copy=False), offsets),
        shape=(hi - lo, n),
        copy=False,
    )


def score(
    indptr: np.ndarray,
    inputs: np.ndarray,
    amounts: np.ndarray,
    intensities: np.ndarray,
    *,
    executor: ThreadPoolExecutor | None = None,
    threads: int = 1,
    compiled: bool = True,
) -> np.ndarray:
    """kg CO2e of each variant: ``sum(amounts[r] * intensities[inputs[r]])`` over its rows.

    Parameters
    ----------
    indptr : array of int, shape (variants + 1,)
    inputs : array of int32, shape (rows,)
        Activity index of each row.
    amounts : array of float64, shape (rows,)
    intensities : array of float64, shape (activities,) or (activities, k)
        kg CO2e per unit of each activity (``k`` columns: one per gas).
    executor, threads
        Score ``threads`` parts of the chunk on ``executor`` (default: in this thread).
    compiled : bool
        Use the C kernel when it was built (False: SciPy, e.g. to compare the two).

    Returns
    -------
    numpy.ndarray, shape (variants,) or (variants, k)
    """
    n_variants = indptr.size - 1
    n = intensities.shape[0]
    parts = max(1, min(threads, amounts.size // MIN_ROWS_PER_THREAD))
    compiled = compiled and _TZ_SCORE is not None and intensities.ndim == 1
    if compiled:
        indptr = np.ascontiguousarray(indptr, dtype=np.int64)
        inputs = np.ascontiguousarray(inputs, dtype=np.int32)
        amounts = np.ascontiguousarray(amounts, dtype=np.float64)
        intensities = np.ascontiguousarray(intensities, dtype=np.float64)
    if executor is None or parts == 1:
        if compiled:
            out = np.empty(n_variants)
            _c_part(indptr, inputs, amounts, intensities, out, 0, n_variants)
            return out
        return _scipy_part(indptr, inputs, amounts, 0, n_variants, n) @ intensities
    # Split by variants, about the same number of rows per part.
    targets = np.linspace(0, amounts.size, parts + 1)[1:-1]
    cuts = np.concatenate(([0], np.searchsorted(indptr, targets), [n_variants]))
    cuts = np.unique(cuts)
    out = np.empty((n_variants, *intensities.shape[1:]))

    def run(lo: int, hi: int) -> None:
        if compiled:
            _c_part(indptr, inputs, amounts, intensities, out, lo, hi)
        else:
            out[lo:hi] = _scipy_part(indptr, inputs, amounts, lo, hi, n) @ intensities

    futures = [executor.submit(run, int(lo), int(hi)) for lo, hi in itertools.pairwise(cuts)]
    for future in futures:
        future.result()
    return out


def _c_part(
    indptr: np.ndarray,
    inputs: np.ndarray,
    amounts: np.ndarray,
    intensities: np.ndarray,
    out: np.ndarray,
    lo: int,
    hi: int,
) -> None:
    """Variants ``lo:hi`` by the C kernel, into ``out[lo:hi]`` (contiguous arrays of the
    kernel's types).

    Raises
    ------
    IndexError
        When a row's activity index is outside ``intensities`` (as SciPy would).
    """
    assert _TZ_SCORE is not None
    if lo == hi:
        return
    bounds = indptr[lo : hi + 1]
    if bounds[0] < 0 or bounds[-1] > min(amounts.size, inputs.size) or (np.diff(bounds) < 0).any():
        raise IndexError(f"indptr is not ascending within the {amounts.size} rows")
    bad = _TZ_SCORE(
        lo,
        hi,
        indptr.ctypes.data,
        inputs.ctypes.data,
        amounts.ctypes.data,
        intensities.ctypes.data,
        intensities.size,
        out.ctypes.data,
    )
    if bad >= 0:
        raise IndexError(
            f"row {bad} names activity index {int(inputs[bad])}, outside 0..{intensities.size - 1}"
        )


__all__ = ["COMPILED", "MIN_ROWS_PER_THREAD", "score"]
