"""Data quality: pedigree lognormal, PEF DQR, PACT indicators, match degradation.

Expected numbers are worked by hand from the ecoinvent v3 variances in
src/tanzuji/data/pedigree_ecoinvent.csv (Weidema et al. 2013, p. 77) and the PEF levels of
Recommendation (EU) 2021/2279 Annex I 4.6.5 (as in /work/shared/reference/standards.md 3b).
"""

import math
from pathlib import Path

import numpy as np
import pytest

from tanzuji import quality
from tanzuji.errors import DataQualityError
from tanzuji.footprint import calculate
from tanzuji.model.files import load_model

DATA = Path(__file__).parent / "data"


def test_pedigree_sigma_by_hand():
    # basic (demand) 0.0006 + reliability 2: 0.0006 + completeness 2: 0.0001 + temporal 3:
    # 0.002 + geographical 2: 0.000025 + technological 2: 0.0006 = 0.003925
    sigma = quality.pedigree_sigma((2, 2, 3, 2, 2), "demand_energy_materials")
    assert sigma == pytest.approx(math.sqrt(0.003925), rel=1e-12)


def test_all_ones_leave_only_the_basic_variance():
    # transport basic variance 0.12 = (ln 2 / 2)^2 rounded (ecoinvent v3 basic table)
    assert quality.pedigree_sigma((1, 1, 1, 1, 1), "demand_transport") == pytest.approx(
        math.sqrt(0.12)
    )


def test_lognormal_gsd_and_interval():
    dist = quality.Lognormal(median=10.0, sigma=math.log(1.2))
    assert dist.gsd == pytest.approx(1.2)
    assert dist.gsd2 == pytest.approx(1.44)
    low, high = dist.interval95()
    assert low == pytest.approx(10 * 1.2**-1.959963984540054)
    assert high == pytest.approx(10 * 1.2**1.959963984540054)


def test_fractional_score_interpolates_variance():
    # halfway between technological 2 (0.0006) and 3 (0.008)
    assert quality.additional_variance("technological", 2.5) == pytest.approx(0.0043)


@pytest.mark.parametrize(
    ("ratings", "value", "level"),
    [
        ((1, 1, 2, 2), 1.5, "excellent"),
        ((1, 2, 3, 2), 2.0, "very good"),
        ((3, 3, 3, 3), 3.0, "good"),
        ((4, 4, 4, 4), 4.0, "fair"),
        ((5, 4, 4, 4), 4.25, "poor"),
    ],
)
def test_pef_dqr_and_levels(ratings, value, level):
    assert quality.dqr(*ratings) == pytest.approx(value)
    assert quality.dqr_level(quality.dqr(*ratings)) == level


def test_dqr_rejects_scores_outside_scale():
    with pytest.raises(DataQualityError, match="TiR = 6 is outside the PEF scale"):
        quality.dqr(1, 1, 6, 1)


def test_pef_mapping_and_pact_scale():
    ratings = quality.pef_ratings((2, 4, 3, 1, 5))
    assert ratings == {"TeR": 5.0, "GeR": 1.0, "TiR": 3.0, "P": 2.0}
    assert quality.pact_dqr(1) == 1.0
    assert quality.pact_dqr(5) == 3.0


def test_text_match_degrades_technology_and_geography():
    assert quality.degrade_for_match((1, 1, 1, 1, 1), 1.0) == (1, 1, 1, 1, 1)
    # s' = s + (5 - s)(1 - c): 1 + 4 * 0.5 = 3 and 3 + 2 * 0.5 = 4
    assert quality.degrade_for_match((2, 2, 2, 1, 3), 0.5) == (2, 2, 2, 3.0, 4.0)
    with pytest.raises(DataQualityError, match=r"confidence 1\.5 is outside"):
        quality.degrade_for_match((1, 1, 1, 1, 1), 1.5)


def test_rating_covers_ninety_percent_weighted_by_contribution():
    items = [
        quality.ContributionItem("a", 60.0, (1, 1, 1, 1, 1), True),
        quality.ContributionItem("b", 35.0, (3, 3, 3, 3, 3), False),
        quality.ContributionItem("c", 5.0, (5, 5, 5, 5, 5), False),
    ]
    dq = quality.rate(items)
    # a (60 %) alone is below 90 %; a + b = 95 %; c is left out.
    assert dq.processes_rated == ["a", "b"]
    assert dq.dqr == pytest.approx((60 * 1 + 35 * 3) / 95)
    assert dq.level == "very good"
    assert dq.primary_data_share == pytest.approx(60.0)
    assert dq.coverage == pytest.approx(0.95)
    assert dq.pact_dqi["technologicalDQR"] == pytest.approx(1 + (165 / 95 - 1) / 2)


def test_zero_footprint_cannot_be_rated():
    with pytest.raises(DataQualityError, match="footprint is zero"):
        quality.rate([quality.ContributionItem("a", 0.0, (1, 1, 1, 1, 1), True)])


def test_footprint_carries_its_rating():
    footprint = calculate(load_model(DATA / "widget_uncertain.yaml"))
    dq = footprint.data_quality
    assert dq is not None
    # grid via assembly: 10 kWh * 0.5 = 5 kg CO2e, worst of input (1,1,2,1,1) and factor
    # (2,2,3,2,2) pedigree = (2,2,3,2,2); it is the largest item, so assembly is rated first.
    assert dq.processes_rated[0] == "assembly"
    assert 1.0 <= dq.dqr <= 5.0
    assert dq.primary_data_share == pytest.approx(100.0)  # every item is flagged primary


def test_unknown_flow_type_is_named():
    with pytest.raises(DataQualityError, match="unknown flow type 'water'"):
        quality.basic_variance("water")


def test_widget_without_pedigree_counts_as_unknown():
    footprint = calculate(load_model(DATA / "widget.yaml"))
    assert footprint.data_quality.dqr == pytest.approx(5.0)
    assert footprint.data_quality.level == "poor"
    assert np.isfinite(footprint.total_kg_co2e)
