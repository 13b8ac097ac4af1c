"""Which uncertain exchanges explain the spread of a Monte Carlo result.

The contribution to variance of input ``j`` is its squared Spearman rank correlation with the
score, normalised so the contributions sum to 1 [1]. For a model that is monotonic in each
input and nearly additive (a carbon footprint is a sum of products of amounts) this is close to
the first-order variance share; correlated or strongly interacting inputs make it approximate.

References
----------
[1] A. Saltelli et al., "Global Sensitivity Analysis. The Primer", Wiley 2008, ch. 1.2.5
    (rank regression / squared rank correlation as variance decomposition under monotonicity);
    R. Heijungs, "Sensitivity coefficients for matrix-based LCA", Int J LCA 15, 2010.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, Field
from scipy.stats import rankdata

from tanzuji.engine.montecarlo import MonteCarloResult
from tanzuji.errors import UncertaintySpecError


@dataclass(frozen=True)
class Contribution:
    """One uncertain exchange and its share of the output variance."""

    location: str
    process: str
    distribution: str
    spearman: float
    variance_share: float


def spearman(samples: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Spearman rank correlation of each row of ``samples`` (inputs x iterations) with scores."""
    ranked = rankdata(samples, axis=1)
    ranked -= ranked.mean(axis=1, keepdims=True)
    target = rankdata(scores)
    target -= target.mean()
    norm = np.sqrt((ranked**2).sum(axis=1) * (target**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = ranked @ target / norm
    return np.nan_to_num(rho)


def contributions(result: MonteCarloResult, top: int = 10) -> list[Contribution]:
    """The ``top`` inputs by share of variance (squared Spearman, normalised to sum 1)."""
    if result.factors is None:
        raise UncertaintySpecError(
            "sensitivity needs the sampled inputs; run Monte Carlo with keep_factors=True"
        )
    if result.scores.size < 3:
        raise UncertaintySpecError(
            f"sensitivity needs at least 3 iterations, found {result.scores.size}"
        )
    rho = spearman(result.factors, result.scores)
    squared = rho**2
    total = squared.sum()
    share = squared / total if total > 0 else squared
    order = np.argsort(-squared, kind="stable")[:top]
    return [
        Contribution(
            result.inputs[i].location,
            result.inputs[i].process,
            result.inputs[i].distribution,
            float(rho[i]),
            float(share[i]),
        )
        for i in order
    ]


class UncertaintyContributor(BaseModel):
    location: str
    process: str
    distribution: str
    spearman: float
    variance_share: float


class UncertaintySummary(BaseModel):
    """The uncertainty block of a footprint (kg CO2e per functional unit)."""

    iterations: int
    seed: int
    method: str = Field(
        "Monte Carlo; refinement on the mean factorization; squared Spearman sensitivity"
    )
    total: dict[str, float]
    by_stage: dict[str, dict[str, float]]
    fresh_factorizations: int
    top_contributors: list[UncertaintyContributor]


def summarize(result: MonteCarloResult, top: int = 10) -> UncertaintySummary:
    """Statistics of a run and its ``top`` contributors to variance, ready for a footprint."""
    data = result.summary()
    method = UncertaintySummary.model_fields["method"].default
    if result.partitioned:
        method += "; partitioned: background (process-library blocks) held at its mean"
    return UncertaintySummary(
        method=method,
        iterations=data["iterations"],
        seed=data["seed"],
        total=data["total"],
        by_stage=data["by_stage"],
        fresh_factorizations=data["fresh_factorizations"],
        top_contributors=[UncertaintyContributor(**c.__dict__) for c in contributions(result, top)],
    )
