"""The matrix calculation: ``A s = f``, ``g = B s``, ``h = c . g`` ([2] in solver.py).

:class:`Calculation` factorizes the technosphere once and answers many questions with it:
supply arrays for any demand, inventories, per-activity contributions, intensities (the
cradle-to-gate footprint per unit of every activity, one transposed solve) and scores for many
demand vectors at once (one sparse product with the intensities).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from tanzuji import gases
from tanzuji.engine.solver import SolverOptions, TechnosphereSolver
from tanzuji.engine.system import FlowKey, ProductSystem


def characterization_vector(flows: Sequence[FlowKey], gwp_set: str | None = None) -> np.ndarray:
    """GWP100 (kg CO2e per kg) of each biosphere flow in ``gwp_set``.

    Biogenic CO2 emissions and removals count with GWP 1 (ISO 14067:2018 6.5.2 / Annex B
    requires them to be included and reported separately); methane takes the fossil or
    non-fossil value by origin.
    """
    return np.array([gases.gwp(f.gas, f.origin, gwp_set) for f in flows], dtype=np.float64)


class Calculation:
    """A factorized product system in one GWP set.

    Parameters
    ----------
    technosphere_matrix : sparse (n, n)
    biosphere_matrix : sparse (m, n)
    characterization : array (m,)
        kg CO2e per kg of each flow.
    labels : sequence of str, optional
        Activity names for error messages.
    solver_options : SolverOptions, optional
        Passed to the :class:`TechnosphereSolver`.
    """

    def __init__(
        self,
        technosphere_matrix: sp.spmatrix,
        biosphere_matrix: sp.spmatrix,
        characterization: np.ndarray,
        labels: Sequence[str] | None = None,
        solver_options: SolverOptions | None = None,
    ) -> None:
        self.technosphere_matrix = sp.csr_matrix(technosphere_matrix)
        self.biosphere_matrix = sp.csr_matrix(biosphere_matrix)
        self.characterization = np.asarray(characterization, dtype=np.float64)
        self.solver = TechnosphereSolver(self.technosphere_matrix, labels, options=solver_options)
        # c . B, the direct score of one unit of each activity's operation (kg CO2e).
        self.direct_per_operation = np.asarray(
            self.biosphere_matrix.T @ self.characterization
        ).ravel()
        self._intensities: np.ndarray | None = None

    @classmethod
    def from_system(
        cls,
        system: ProductSystem,
        gwp_set: str | None = None,
        solver_options: SolverOptions | None = None,
    ) -> Calculation:
        labels = [a.id for a in system.activities]
        return cls(
            system.technosphere_matrix,
            system.biosphere_matrix,
            characterization_vector(system.flows, gwp_set),
            labels,
            solver_options,
        )

    def supply_array(self, demand: np.ndarray) -> np.ndarray:
        """Operations of each activity needed for ``demand`` (``s`` in ``A s = f``)."""
        return self.solver.solve(demand)

    def inventory(self, supply: np.ndarray) -> np.ndarray:
        """Mass of each flow (kg), ``g = B s``."""
        return self.biosphere_matrix @ supply

    def score(self, supply: np.ndarray) -> float:
        """Total kg CO2e for a supply array."""
        return float(self.direct_per_operation @ supply)

    def direct_contributions(self, supply: np.ndarray) -> np.ndarray:
        """kg CO2e emitted directly by each activity, ``c B diag(s)``."""
        return self.direct_per_operation * supply

    def intensities(self) -> np.ndarray:
        """Cradle-to-gate kg CO2e per unit of each activity's product: ``A^T lambda = B^T c``."""
        if self._intensities is None:
            self._intensities = self.solver.solve_transposed(self.direct_per_operation)
        return self._intensities

    def scores(self, demands: sp.spmatrix | np.ndarray) -> np.ndarray:
        """kg CO2e of many demand vectors (columns of an (n, k) matrix): ``F^T lambda``."""
        return np.asarray(demands.T @ self.intensities()).ravel()
