"""Data quality: pedigree uncertainty, the EU PEF data quality rating, PACT indicators.

Three layers, as elsewhere: pure functions on scores (:func:`pedigree_sigma`, :func:`dqr`,
:func:`degrade_for_match` ...), the tables they read (``data/pedigree_ecoinvent.csv``, each row
with its source) and :func:`assess`, which rates a computed footprint from the exchanges that
make it up. The rules are written out in ``docs/quality.md``.

References
----------
[1] B. P. Weidema et al., "Overview and methodology. Data quality guideline for the ecoinvent
    database version 3", ecoinvent report 1 (v3), 2013, p. 77 (additional variances) and the
    basic uncertainty table; combination sigma^2 = basic + sum of additional variances.
[2] Commission Recommendation (EU) 2021/2279 (PEF), Annex I 4.6.5: DQR = (TeR + GeR + TiR + P)/4
    and the levels excellent <= 1.5 < very good <= 2.0 < good <= 3.0 < fair <= 4.0 < poor.
[3] PACT Technical Specifications v2.3 / v3.0, ``DataQualityIndicators``: technologicalDQR,
    temporalDQR, geographicalDQR ... each a weighted average between 1 and 3 of the inputs
    above 5 % of the PCF; ``primaryDataShare`` in percent.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
from pydantic import BaseModel, Field

from tanzuji.engine.system import ExchangeRecord, FlowKey, ProductSystem
from tanzuji.errors import DataQualityError

#: Order of the five pedigree indicators in every score tuple (as in ExchangeRecord.pedigree).
INDICATORS = ("reliability", "completeness", "temporal", "geographical", "technological")

#: Scores assumed for an exchange without a pedigree: 5 is the ecoinvent wording for
#: "unknown" (temporal, geographical) and "non-qualified estimate" (reliability) [1].
UNKNOWN_SCORES: tuple[float, ...] = (5.0, 5.0, 5.0, 5.0, 5.0)

#: PEF levels [2]: (upper bound inclusive, level).
DQR_LEVELS: tuple[tuple[float, str], ...] = (
    (1.5, "excellent"),
    (2.0, "very good"),
    (3.0, "good"),
    (4.0, "fair"),
    (math.inf, "poor"),
)
DQR_LEVELS_ZH = {
    "excellent": "优秀",
    "very good": "很好",
    "good": "良好",
    "fair": "一般",
    "poor": "差",
}

#: Share of the total whose processes are rated (docs/quality.md, rule R1).
DQR_COVERAGE = 0.90
#: z of the two-sided 95 % interval of a normal distribution.
Z95 = 1.959963984540054


@dataclass(frozen=True)
class QualityTables:
    """Additional variances per indicator and score, basic variances per flow type [1]."""

    additional: dict[str, tuple[float, ...]]
    basic: dict[str, float]


@lru_cache(maxsize=1)
def tables() -> QualityTables:
    """Read ``data/pedigree_ecoinvent.csv`` (ecoinvent v3 values, cited per row)."""
    text = resources.files("tanzuji").joinpath("data/pedigree_ecoinvent.csv").read_text("utf-8")
    additional: dict[str, list[float]] = defaultdict(lambda: [0.0] * 5)
    basic: dict[str, float] = {}
    for row in csv.DictReader(text.splitlines()):
        if row["table"] == "pedigree":
            additional[row["key"]][int(row["score"]) - 1] = float(row["variance_ln"])
        else:
            basic[row["key"]] = float(row["variance_ln"])
    return QualityTables({k: tuple(v) for k, v in additional.items()}, basic)


def _check_scores(scores: Sequence[float]) -> None:
    if len(scores) != 5 or any(not (1 <= s <= 5) for s in scores):
        raise DataQualityError(
            f"pedigree scores {tuple(scores)} are invalid; expected five scores 1 (best) .. 5 "
            f"(worst) in the order {', '.join(INDICATORS)}"
        )


def additional_variance(indicator: str, score: float) -> float:
    """Additional variance of ln-data for one indicator score [1] (p. 77).

    A fractional score (from :func:`degrade_for_match`) interpolates linearly between the
    variances of the neighbouring integer scores.
    """
    values = tables().additional[indicator]
    low = math.floor(score)
    if low >= 5:
        return values[4]
    frac = score - low
    return values[low - 1] + frac * (values[low] - values[low - 1])


def basic_variance(flow_type: str) -> float:
    """Basic variance of ln-data of a flow type [1]; keys in ``data/pedigree_ecoinvent.csv``."""
    basic = tables().basic
    if flow_type not in basic:
        raise DataQualityError(
            f"unknown flow type {flow_type!r} for the basic uncertainty; known: "
            + ", ".join(sorted(basic))
        )
    return basic[flow_type]


def pedigree_sigma(scores: Sequence[float], flow_type: str) -> float:
    """Standard deviation of ln(amount): sigma^2 = basic + sum of additional variances [1]."""
    _check_scores(scores)
    variance = basic_variance(flow_type) + sum(
        additional_variance(name, s) for name, s in zip(INDICATORS, scores, strict=True)
    )
    return math.sqrt(variance)


@dataclass(frozen=True)
class Lognormal:
    """A lognormal distribution given by its median and sigma = SD of ln(x).

    ``gsd`` = exp(sigma) is the geometric standard deviation; ecoinvent reports the squared
    GSD ``gsd2`` = exp(2 sigma) ("SD95") because median ÷/× GSD^2 spans about 95 % (2 sigma
    instead of 1.96 sigma). :meth:`interval95` uses the exact 1.96.
    """

    median: float
    sigma: float

    @property
    def gsd(self) -> float:
        return math.exp(self.sigma)

    @property
    def gsd2(self) -> float:
        return math.exp(2 * self.sigma)

    def interval95(self) -> tuple[float, float]:
        """2.5 and 97.5 percentiles: median · exp(∓1.96 sigma) (sign kept for negatives)."""
        a = self.median * math.exp(-Z95 * self.sigma)
        b = self.median * math.exp(Z95 * self.sigma)
        return (min(a, b), max(a, b))


def pedigree_lognormal(median: float, scores: Sequence[float], flow_type: str) -> Lognormal:
    """The lognormal of an amount from its pedigree scores and flow type [1]."""
    return Lognormal(median, pedigree_sigma(scores, flow_type))


def flow_type(record: ExchangeRecord, flow: FlowKey | None = None, unit: str = "") -> str:
    """Basic-uncertainty flow type of an exchange (rule R4 in docs/quality.md).

    Inputs are "demand" (transport if the unit is a tonne-kilometre); CO2 is ``air_co2``; CH4 and
    N2O of biogenic origin count as agricultural, otherwise as combustion; other gases take the
    "other inorganic, process" row, the closest row the table has for industrial gases.
    """
    if record.kind == "input":
        compact = unit.replace(" ", "").replace("*", "").replace("·", "").lower()
        return (
            "demand_transport"
            if compact in ("tkm", "t.km", "tonnekm")
            else ("demand_energy_materials")
        )
    if flow is None:
        return "air_co2"
    agricultural = flow.origin in ("biogenic", "land_management", "land_use_change")
    if flow.gas == "CO2":
        return "air_co2"
    if flow.gas == "CH4":
        return "air_ch4_agricultural" if agricultural else "air_ch4_combustion"
    if flow.gas == "N2O":
        return "air_n2o_agricultural" if agricultural else "air_n2o_combustion"
    return "air_inorganic_other_process"


# -- EU PEF and PACT ratings ------------------------------------------------------------------
def dqr(ter: float, ger: float, tir: float, p: float) -> float:
    """EU PEF data quality rating DQR = (TeR + GeR + TiR + P) / 4 [2]."""
    for name, value in (("TeR", ter), ("GeR", ger), ("TiR", tir), ("P", p)):
        if not 1 <= value <= 5:
            raise DataQualityError(f"{name} = {value:g} is outside the PEF scale 1 .. 5")
    return (ter + ger + tir + p) / 4


def dqr_level(value: float) -> str:
    """PEF quality level of a DQR [2]: excellent <= 1.5 < very good <= 2.0 < good <= 3.0 ..."""
    for bound, level in DQR_LEVELS:
        if value <= bound:
            return level
    return "poor"  # pragma: no cover - math.inf bound always matches


def pef_ratings(scores: Sequence[float]) -> dict[str, float]:
    """Map pedigree scores to PEF criteria (rule R2 in docs/quality.md).

    Both scales run 1 (best) .. 5 (worst), so scores carry over one to one: TeR = technological,
    GeR = geographical, TiR = temporal, and P (precision) = reliability, the pedigree indicator
    about how the number was obtained (measured, verified, estimated). Completeness has no PEF
    EF 3.x criterion and only enters the uncertainty.
    """
    _check_scores(scores)
    rel, _, tem, geo, tec = scores
    return {"TeR": float(tec), "GeR": float(geo), "TiR": float(tem), "P": float(rel)}


def pact_dqr(score: float) -> float:
    """A 1..5 score on PACT's 1..3 DQR scale: 1 + (score - 1) / 2 (rule R3, linear)."""
    return 1.0 + (score - 1.0) / 2.0


def degrade_for_match(scores: Sequence[float], confidence: float) -> tuple[float, ...]:
    """Scores of an exchange whose factor was chosen by text matching (rule R5).

    The technological and geographical scores move towards 5 (worst) by the share of doubt:
    ``s' = s + (5 - s) (1 - confidence)``. A certain match (confidence 1) changes nothing; a
    match of confidence 0 says nothing about the technology or the place.
    """
    if not 0 <= confidence <= 1:
        raise DataQualityError(f"match confidence {confidence:g} is outside 0 .. 1")
    _check_scores(scores)
    doubt = 1.0 - confidence
    out = [float(s) for s in scores]
    for i in (INDICATORS.index("geographical"), INDICATORS.index("technological")):
        out[i] = out[i] + (5.0 - out[i]) * doubt
    return tuple(out)


# -- rating a footprint -----------------------------------------------------------------------
class DataQuality(BaseModel):
    """The data quality of a footprint (rules in docs/quality.md)."""

    dqr: float = Field(description="EU PEF DQR of the processes covering >= 90 % of the total")
    level: str
    level_zh: str
    ter: float
    ger: float
    tir: float
    p: float
    pact_dqi: dict[str, float] = Field(
        description="PACT technologicalDQR, geographicalDQR, temporalDQR (1..3)"
    )
    primary_data_share: float = Field(description="percent of the total from primary data")
    coverage: float = Field(description="share of |total| covered by the rated processes")
    processes_rated: list[str]


@dataclass(frozen=True)
class ContributionItem:
    """kg CO2e traced to one exchange, with the scores and primary flag that rate it."""

    process: str
    kg_co2e: float
    scores: tuple[float, ...]
    primary: bool


def _combine(a: tuple[float, ...] | None, b: tuple[float, ...] | None) -> tuple[float, ...]:
    """Per-indicator worst of two pedigrees; a missing one is ignored; none known = 5s."""
    if a is None and b is None:
        return UNKNOWN_SCORES
    if a is None or b is None:
        return tuple(float(s) for s in (a or b))  # type: ignore[union-attr]
    return tuple(float(max(x, y)) for x, y in zip(a, b, strict=True))


def contribution_items(
    system: ProductSystem, supply: np.ndarray, characterization: np.ndarray
) -> list[ContributionItem]:
    """Trace the total to exchanges (rule R1 in docs/quality.md).

    A process's own emission counts for that process with the emission's pedigree. The
    emissions of an emission-factor column are shared among the inputs that use the factor in
    proportion to the amount each draws; such an item counts for the consuming process with the
    worse of the input's and the factor's pedigree per indicator, and is primary when the input
    (the activity data) is flagged primary.
    """
    records = system.exchanges
    bio = system.biosphere
    b_rows = np.asarray(bio.rows, dtype=np.int64)
    b_cols = np.asarray(bio.cols, dtype=np.int64)
    b_vals = np.asarray(bio.values, dtype=np.float64)
    emitted = characterization[b_rows] * b_vals * supply[b_cols]
    direct = np.bincount(b_cols, weights=emitted, minlength=len(system.activities))
    items: list[ContributionItem] = []
    factor_pedigree: dict[int, tuple[float, ...] | None] = {}
    for e, src in enumerate(bio.sources):
        col = int(b_cols[e])
        record = records[src] if src >= 0 else None
        if system.activities[col].kind == "factor":
            factor_pedigree[col] = record.pedigree if record else None
            continue
        if record is None or emitted[e] == 0:
            continue
        items.append(
            ContributionItem(
                record.process, float(emitted[e]), _combine(record.pedigree, None), record.primary
            )
        )
    tech = system.technosphere
    for row, col, value, src in zip(tech.rows, tech.cols, tech.values, tech.sources, strict=True):
        if src < 0 or row == col or system.activities[row].kind != "factor":
            continue
        produced = supply[row]
        if produced == 0:
            continue
        share = -value * supply[col] / produced
        record = records[src]
        items.append(
            ContributionItem(
                record.process,
                float(share * direct[row]),
                _combine(record.pedigree, factor_pedigree.get(row)),
                record.primary,
            )
        )
    return items


def rate(items: Iterable[ContributionItem], coverage: float = DQR_COVERAGE) -> DataQuality:
    """Data quality of a footprint from its contribution items (rules R1-R3, docs/quality.md).

    Processes are sorted by |kg CO2e|; the smallest leading set reaching ``coverage`` of the sum
    of |kg CO2e| is rated. DQR criteria are the |kg CO2e|-weighted means of the items of those
    processes. The primary data share counts every item (PACT ``primaryDataShare``).
    """
    items = list(items)
    magnitude = sum(abs(i.kg_co2e) for i in items)
    if magnitude == 0:
        raise DataQualityError(
            "the footprint is zero, so no process contributes and no DQR can be weighted"
        )
    by_process: dict[str, float] = defaultdict(float)
    for item in items:
        by_process[item.process] += abs(item.kg_co2e)
    chosen: list[str] = []
    covered = 0.0
    for name, value in sorted(by_process.items(), key=lambda kv: (-kv[1], kv[0])):
        if covered >= coverage * magnitude:
            break
        chosen.append(name)
        covered += value
    rated = [i for i in items if i.process in set(chosen)]
    weights = np.array([abs(i.kg_co2e) for i in rated])
    scores = np.array([i.scores for i in rated])
    # a weighted mean of scores in [1, 5] lies in [1, 5]; clip only floating-point round-off
    mean = np.clip(weights @ scores / weights.sum(), 1.0, 5.0)
    pef = pef_ratings(tuple(mean))
    value = dqr(pef["TeR"], pef["GeR"], pef["TiR"], pef["P"])
    level = dqr_level(value)
    primary = sum(abs(i.kg_co2e) for i in items if i.primary)
    return DataQuality(
        dqr=value,
        level=level,
        level_zh=DQR_LEVELS_ZH[level],
        ter=pef["TeR"],
        ger=pef["GeR"],
        tir=pef["TiR"],
        p=pef["P"],
        pact_dqi={
            "technologicalDQR": pact_dqr(pef["TeR"]),
            "geographicalDQR": pact_dqr(pef["GeR"]),
            "temporalDQR": pact_dqr(pef["TiR"]),
        },
        primary_data_share=100.0 * primary / magnitude,
        coverage=covered / magnitude,
        processes_rated=chosen,
    )


def assess(system: ProductSystem, supply: np.ndarray, characterization: np.ndarray) -> DataQuality:
    """Rate a solved product system (supply array and kg CO2e per kg of each flow)."""
    return rate(contribution_items(system, supply, characterization))
