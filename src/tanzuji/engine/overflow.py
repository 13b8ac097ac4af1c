"""Non-finite intermediate values: refused, naming the matrix entry whose product overflowed.

Amounts enter the engine finite (the model compiler refuses anything else), yet products of
amounts can leave the float range (``|x| > 1.8e308``): 1e300 kg of SF6 times its GWP100, or an
input of 1e200 units along a chain of two processes. NumPy would warn and carry on with
infinity, and scipy's sparse products do not even warn; so the engine checks each intermediate
array it computes (supply, intensities, direct scores, inventory, contributions, totals) and
refuses a non-finite one with :class:`~tanzuji.errors.NumericOverflow`. The message names the
activity, the largest product that went into the value (the matrix entry and what it was
multiplied with) and, when the calculation knows its product system, the exchanges (file:line)
the entry came from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from tanzuji.errors import NumericOverflow

#: Largest finite float64 (IEEE 754 binary64), quoted in messages.
FLOAT_MAX = float(np.finfo(np.float64).max)

#: ``(matrix, row, col) -> exchange locations``; ``matrix`` is "technosphere" or "biosphere".
Locator = Callable[[str, int, int], list[str]]


@dataclass(frozen=True)
class Term:
    """One product ``value * times`` that went into a non-finite value."""

    matrix: str
    row: int
    col: int
    value: float
    times: float
    times_meaning: str

    def text(self, locate: Locator | None) -> str:
        where = locate(self.matrix, self.row, self.col) if locate else []
        origin = f" from {', '.join(where)}" if where else ""
        return (
            f"{self.matrix} entry {self.value:.6g} times {self.times:.6g} "
            f"({self.times_meaning}){origin}"
        )


def line_terms(
    matrix: sp.spmatrix,
    index: int,
    axis: str,
    multiplier: np.ndarray,
    name: str,
    meaning: Callable[[int], str],
) -> list[Term]:
    """The entries of row (``axis="row"``) or column ``index`` times ``multiplier``.

    Largest magnitude first (compared in log space, so products beyond the float range still
    order correctly); ``meaning(k)`` says what ``multiplier[k]`` is.
    """
    line = sp.csr_matrix(matrix)[index] if axis == "row" else sp.csc_matrix(matrix)[:, index].T
    line = sp.csr_matrix(line)
    others, values = line.indices, line.data
    if name == "technosphere":  # the diagonal is the reference output, not a product
        keep = others != index
        others, values = others[keep], values[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        size = np.log(np.abs(values)) + np.log(np.abs(multiplier[others]))
    size = np.where(np.isnan(size), np.inf, size)  # a non-finite multiplier comes first
    terms = []
    for k in np.argsort(-size, kind="stable")[:3]:
        other = int(others[k])
        row, col = (index, other) if axis == "row" else (other, index)
        terms.append(
            Term(name, row, col, float(values[k]), float(multiplier[other]), meaning(other))
        )
    return terms


def refuse_nonfinite(
    values: np.ndarray,
    quantity: str,
    labels: Sequence[str] | None,
    terms_of: Callable[[int], list[Term]],
    locate: Locator | None = None,
    order: np.ndarray | None = None,
) -> None:
    """Raise :class:`NumericOverflow` if ``values`` holds NaN or infinity.

    Parameters
    ----------
    values : array
        The intermediate just computed, by activity (or flow) index.
    quantity : str
        What it is, for the message ("supply", "direct kg CO2e per operation", ...).
    labels : sequence of str, optional
        Names by index.
    terms_of : callable
        The products that went into ``values[i]`` (:func:`line_terms`).
    locate : Locator, optional
        Maps matrix entries to exchange locations (file:line).
    order : array of int, optional
        The order the values were computed in: the first non-finite one is named (later ones
        may only inherit its infinity).
    """
    bad = ~np.isfinite(values)
    if not bad.any():
        return
    candidates = order[bad[order]] if order is not None else np.flatnonzero(bad)
    first = int(candidates[0])
    name = labels[first] if labels is not None else f"#{first}"
    terms = terms_of(first)
    because = "; ".join(t.text(locate) for t in terms) if terms else "no single term"
    raise NumericOverflow(
        f"{quantity} of {name!r} is {values[first]}: not finite, beyond the float range "
        f"(|x| <= {FLOAT_MAX:.4g}): the largest products that went into it are {because}; "
        "check these amounts and their units (e.g. a value meant in g written in t)",
        activity=name,
        quantity=quantity,
        terms=[
            {
                "matrix": t.matrix,
                "value": t.value,
                "times": t.times,
                "meaning": t.times_meaning,
                "exchanges": locate(t.matrix, t.row, t.col) if locate else [],
            }
            for t in terms
        ],
        count=int(bad.sum()),
    )


def refuse_nonfinite_total(total: float, parts: np.ndarray, quantity: str, labels) -> None:
    """Raise if the sum ``total`` of finite ``parts`` left the float range."""
    if np.isfinite(total):
        return
    top = np.argsort(-np.abs(parts), kind="stable")[:2]
    named = ", ".join(
        f"{labels[int(i)] if labels is not None else int(i)!r} {parts[int(i)]:.6g}" for i in top
    )
    raise NumericOverflow(
        f"{quantity} is {total}: not finite, beyond the float range (|x| <= "
        f"{FLOAT_MAX:.4g}): the largest parts are {named}; check their amounts and units",
        quantity=quantity,
    )


def quietly(function: Callable[[], np.ndarray]) -> np.ndarray:
    """Run an array computation without NumPy's overflow warnings (the result is checked)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return function()
