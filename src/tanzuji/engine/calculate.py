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
from tanzuji.engine import overflow
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
    flow_labels : sequence of str, optional
        Flow names for error messages.
    locate : callable, optional
        ``(matrix, row, col) -> exchange locations`` for error messages
        (:meth:`tanzuji.engine.system.ProductSystem.locations`).
    solver_options : SolverOptions, optional
        Passed to the :class:`TechnosphereSolver`.

    Raises
    ------
    NumericOverflow
        When an intermediate value (here: the direct kg CO2e per operation; later supply,
        intensities, inventory, contributions) leaves the float range (see
        :mod:`tanzuji.engine.overflow`).
    """

    def __init__(
        self,
        technosphere_matrix: sp.spmatrix,
        biosphere_matrix: sp.spmatrix,
        characterization: np.ndarray,
        labels: Sequence[str] | None = None,
        flow_labels: Sequence[str] | None = None,
        locate: overflow.Locator | None = None,
        solver_options: SolverOptions | None = None,
    ) -> None:
        self.technosphere_matrix = sp.csr_matrix(technosphere_matrix)
        self.biosphere_matrix = sp.csr_matrix(biosphere_matrix)
        self.characterization = np.asarray(characterization, dtype=np.float64)
        self.labels = list(labels) if labels is not None else None
        self.flow_labels = list(flow_labels) if flow_labels is not None else None
        self.locate = locate
        self.solver = TechnosphereSolver(self.technosphere_matrix, labels, options=solver_options)
        self.solver.locate = locate
        # c . B, the direct score of one unit of each activity's operation (kg CO2e).
        self.direct_per_operation = np.asarray(
            self.biosphere_matrix.T @ self.characterization
        ).ravel()
        self._refuse_biosphere(self.direct_per_operation, "direct kg CO2e per operation")
        self._intensities: np.ndarray | None = None

    @classmethod
    def from_system(
        cls,
        system: ProductSystem,
        gwp_set: str | None = None,
        solver_options: SolverOptions | None = None,
    ) -> Calculation:
        return cls(
            system.technosphere_matrix,
            system.biosphere_matrix,
            characterization_vector(system.flows, gwp_set),
            [a.id for a in system.activities],
            [f.label() for f in system.flows],
            system.locations,
            solver_options=solver_options,
        )

    def _refuse_biosphere(
        self, values: np.ndarray, quantity: str, supply: np.ndarray | None = None
    ) -> None:
        """Refuse a non-finite value per activity computed from its biosphere column: the
        terms are the column's entries times GWP100 (times the activity's supply if given)."""

        def terms(j: int) -> list[overflow.Term]:
            scale = 1.0 if supply is None else supply[j]
            times = overflow.quietly(lambda: self.characterization * scale)
            meaning = self._flow_meaning if supply is None else self._flow_and_supply(j)
            return overflow.line_terms(self.biosphere_matrix, j, "col", times, "biosphere", meaning)

        overflow.refuse_nonfinite(values, quantity, self.labels, terms, self.locate)

    def _flow_meaning(self, k: int) -> str:
        name = self.flow_labels[k] if self.flow_labels is not None else f"flow #{k}"
        return f"GWP100 of {name}"

    def _flow_and_supply(self, j: int):
        return lambda k: f"{self._flow_meaning(k)} times {self._operations(j)}"

    def supply_array(self, demand: np.ndarray) -> np.ndarray:
        """Operations of each activity needed for ``demand`` (``s`` in ``A s = f``)."""
        return self.solver.solve(demand)

    def inventory(self, supply: np.ndarray) -> np.ndarray:
        """Mass of each flow (kg), ``g = B s``."""
        inventory = overflow.quietly(lambda: self.biosphere_matrix @ supply)
        overflow.refuse_nonfinite(
            inventory,
            "inventory (kg)",
            self.flow_labels,
            lambda k: overflow.line_terms(
                self.biosphere_matrix, k, "row", supply, "biosphere", self._operations
            ),
            self.locate,
        )
        return inventory

    def _operations(self, j: int) -> str:
        return f"operations of {self.labels[j] if self.labels is not None else j!r}"

    def score(self, supply: np.ndarray) -> float:
        """Total kg CO2e for a supply array."""
        score = float(overflow.quietly(lambda: self.direct_per_operation @ supply))
        if not np.isfinite(score):  # name the activity or the two largest parts
            self.total(self.direct_contributions(supply))
        return score

    def total(self, contributions: np.ndarray) -> float:
        """The sum of per-activity kg CO2e, refused if it leaves the float range."""
        total = float(overflow.quietly(contributions.sum))
        overflow.refuse_nonfinite_total(total, contributions, "total kg CO2e", self.labels)
        return total

    def direct_contributions(self, supply: np.ndarray) -> np.ndarray:
        """kg CO2e emitted directly by each activity, ``c B diag(s)``."""
        direct = overflow.quietly(lambda: self.direct_per_operation * supply)
        self._refuse_biosphere(direct, "direct kg CO2e", supply)
        return direct

    def intensities(self) -> np.ndarray:
        """Cradle-to-gate kg CO2e per unit of each activity's product: ``A^T lambda = B^T c``."""
        if self._intensities is None:
            self._intensities = self.solver.solve_transposed(self.direct_per_operation)
        return self._intensities

    def loop_factors(self) -> np.ndarray:
        """openLCA's loop factor of each activity, ``lf_j = 1 / (A[j, j] INV[j, j])``.

        The fraction of an activity's total requirement (gross output ``A[j, j] s_j``) that is
        not product circulating in a loop: 1 outside loops, below 1 inside. Where
        ``A[j, j] INV[j, j]`` is 0 (not in a productive system) the factor is 1, as in openLCA's
        ``InversionResult``.

        References
        ----------
        olca-modules ``ResultProvider.loopFactorOf`` / ``totalFactorOf`` (olca-core,
        ``org.openlca.core.results.providers``).
        """
        product = self.technosphere_matrix.diagonal() * self.solver.inverse_diagonal()
        safe = np.where(product == 0, 1.0, product)
        return 1.0 / safe

    def upstream(self, supply: np.ndarray) -> np.ndarray:
        """Cradle-to-gate kg CO2e of each activity's product in the system, loops counted once.

        ``lambda_j * A[j, j] s_j * lf_j``: the intensity times the total requirement times the
        loop factor (openLCA's "total result" of a process, ``M[:, j] tf[j]``). Without the loop
        factor a process in a loop would count the product flowing around the loop again on
        every pass: in openLCA's self-loop test the reference process would show 24 kg where
        the whole system emits 12.
        """
        total_requirements = self.technosphere_matrix.diagonal() * supply
        upstream = overflow.quietly(
            lambda: self.intensities() * total_requirements * self.loop_factors()
        )
        overflow.refuse_nonfinite(
            upstream,
            "upstream kg CO2e",
            self.labels,
            lambda j: [
                overflow.Term(
                    "technosphere",
                    j,
                    j,
                    total_requirements[j],
                    self.intensities()[j],
                    "its intensity, kg CO2e per unit",
                )
            ],
            self.locate,
        )
        return upstream

    def scores(self, demands: sp.spmatrix | np.ndarray) -> np.ndarray:
        """kg CO2e of many demand vectors (columns of an (n, k) matrix): ``F^T lambda``."""
        return np.asarray(demands.T @ self.intensities()).ravel()
