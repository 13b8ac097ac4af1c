"""Co-product allocation shares (ISO 14067:2018 6.4.6.2; GHG Protocol Product Standard 9.3).

Given one property per product (mass in kg, energy in MJ, revenue, or explicit shares), the
share of product k is ``p_k / sum(p)``. Explicit shares must already sum to 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tanzuji.errors import AllocationError

SHARES_TOLERANCE = 1e-9  # explicit shares must sum to 1 within this (floating-point slack)


def shares(method: str | None, properties: Sequence[float]) -> np.ndarray:
    """Allocation share of each product of a multi-output process.

    Parameters
    ----------
    method : {"mass", "energy", "economic", "shares"}
        Allocation basis.
    properties : sequence of float
        Mass (kg), energy (MJ), revenue, or the share itself, one per product, reference
        product first.

    Returns
    -------
    numpy.ndarray
        Shares summing to 1.

    Raises
    ------
    AllocationError
        When a property is negative or not finite, all are zero, or explicit shares do not
        sum to 1.
    """
    values = np.asarray(properties, dtype=np.float64)
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise AllocationError(
            f"allocation by {method} found properties {values.tolist()}; each must be a finite "
            "number >= 0"
        )
    total = values.sum()
    if method == "shares":
        if abs(total - 1.0) > SHARES_TOLERANCE:
            raise AllocationError(
                f"allocation shares {values.tolist()} sum to {total:.12g}; they must sum to 1"
            )
        return values
    if total <= 0:
        raise AllocationError(f"allocation by {method}: every product has 0; nothing to split by")
    return values / total
