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


def causal_shares(products: Sequence[str], factors: dict[str, float]) -> np.ndarray:
    """Causal allocation factors of one exchange, ordered like ``products``.

    In causal (per-exchange) allocation each input or emission of a multi-output process has
    its own factors, from a physical relationship to the products (ISO 14044:2006 4.3.4.2
    step 2; openLCA's causal allocation factors). They must name every product, lie in [0, 1]
    and sum to 1 within :data:`SHARES_TOLERANCE`.

    Parameters
    ----------
    products : sequence of str
        Product keys of the process, reference product first.
    factors : dict of str to float
        The factor of each product key.

    Raises
    ------
    AllocationError
        On a missing or unknown product key, a factor outside [0, 1] or a sum other than 1.
    """
    unknown = sorted(set(factors) - set(products))
    missing = [p for p in products if p not in factors]
    if unknown or missing:
        raise AllocationError(
            f"causal allocation factors name {sorted(factors)}; expected exactly the products "
            f"{list(products)} (missing {missing or 'none'}, unknown {unknown or 'none'})"
        )
    values = np.array([factors[p] for p in products], dtype=np.float64)
    if not np.all(np.isfinite(values)) or np.any(values < 0) or np.any(values > 1):
        raise AllocationError(
            f"causal allocation factors {values.tolist()} must each lie between 0 and 1"
        )
    total = values.sum()
    if abs(total - 1.0) > SHARES_TOLERANCE:
        raise AllocationError(
            f"causal allocation factors {values.tolist()} sum to {total:.12g}; they must sum to 1"
        )
    return values
