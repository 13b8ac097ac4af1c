"""A linked library solved: its factorized technosphere, cradle-to-gate kg of each gas.

``A^T Λ = B^T`` (one transposed solve per greenhouse-gas row, reusing one factorization)
gives the cradle-to-gate kg of every flow per reference unit of every process; the
characterized intensities are :meth:`~tanzuji.engine.calculate.Calculation.intensities`.
"""

from __future__ import annotations

import numpy as np

from tanzuji.engine.calculate import Calculation, characterization_vector
from tanzuji.library.matrices import LibrarySystem


def library_calculation(system: LibrarySystem, gwp_set: str | None = None) -> Calculation:
    """The factorized library in ``gwp_set`` (labels: column names, for error messages)."""
    labels = [f"{n} ({c.id})" for n, c in zip(system.names, system.columns, strict=True)]
    return Calculation(
        system.technosphere_matrix,
        system.biosphere_matrix,
        characterization_vector(system.flows, gwp_set),
        labels,
    )


def gas_intensities(calc: Calculation) -> np.ndarray:
    """Cradle-to-gate kg of each flow row per reference unit of each column, shape (n, m).

    ``A^T Λ = B^T``: one transposed solve per flow row, reusing ``calc``'s factorization.
    """
    biosphere = calc.biosphere_matrix
    out = np.zeros((calc.technosphere_matrix.shape[0], biosphere.shape[0]))
    for k in range(biosphere.shape[0]):
        out[:, k] = calc.solver.solve_transposed(biosphere.getrow(k).toarray().ravel())
    return out


def scores_by_column(system: LibrarySystem, gwp_set: str | None = None) -> dict[str, float]:
    """Cradle-to-gate kg CO2e per reference unit of every column, by column id."""
    scores = library_calculation(system, gwp_set).intensities()
    return {c.id: float(s) for c, s in zip(system.columns, np.asarray(scores), strict=True)}


__all__ = ["gas_intensities", "library_calculation", "scores_by_column"]
