"""The scoring kernel: the C kernel and SciPy's CSR product give the same bits.

Expectations: hand arithmetic for a small case; for random cases, SciPy's ``csr_array @ x``
(an independent implementation of the same sums in the same order) compared bit for bit.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp

from tanzuji.scale import kernel


def test_small_case_by_hand():
    # variant 0: 2 * 10 + 0.5 * 4 = 22; variant 1: no rows = 0; variant 2: 3 * 1 = 3
    indptr = np.array([0, 2, 2, 3], dtype=np.int64)
    inputs = np.array([0, 2, 1], dtype=np.int32)
    amounts = np.array([2.0, 0.5, 3.0])
    intensities = np.array([10.0, 1.0, 4.0])
    assert kernel.score(indptr, inputs, amounts, intensities).tolist() == [22.0, 0.0, 3.0]


def test_the_build_has_the_compiled_kernel():
    # the project's own install builds it (setup.py, gcc): a silent fall back would hide a
    # broken build behind SciPy's slower path
    assert kernel.COMPILED


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_compiled_and_scipy_agree_bitwise(threads: int):
    rng = np.random.default_rng(7)
    n, variants = 5_000, 60_000
    lengths = rng.integers(0, 25, variants)
    indptr = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    inputs = rng.integers(0, n, int(indptr[-1])).astype(np.int32)
    amounts = rng.lognormal(0.0, 2.0, inputs.size) * rng.choice([-1.0, 1.0], inputs.size)
    intensities = rng.lognormal(0.0, 3.0, n)
    expected = sp.csr_array((amounts, inputs, indptr), shape=(variants, n)) @ intensities
    with ThreadPoolExecutor(threads) as executor:
        got = kernel.score(indptr, inputs, amounts, intensities, executor=executor, threads=threads)
    assert np.array_equal(got.view(np.int64), expected.view(np.int64))
    # by gas (a 2-D intensities array) goes through SciPy: the same sums per column
    by_gas = np.stack([intensities, 2 * intensities], axis=1)
    both = kernel.score(indptr, inputs, amounts, by_gas)
    assert np.array_equal(both[:, 0], expected)


def test_an_index_outside_the_intensities_is_refused_not_read():
    indptr = np.array([0, 1, 2], dtype=np.int64)
    inputs = np.array([0, 3], dtype=np.int32)
    with pytest.raises(IndexError, match=r"row 1 names activity index 3, outside 0\.\.2"):
        kernel.score(indptr, inputs, np.ones(2), np.ones(3))
    with pytest.raises(IndexError, match="not ascending"):
        kernel.score(np.array([0, 2, 1]), inputs, np.ones(2), np.ones(3))
