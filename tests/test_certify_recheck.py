"""Recheck: certificates affected by a new factor release and their recomputed footprints."""

from __future__ import annotations

import pytest

from certify_people import ADMIN, ALICE, DORA, NOW, to_decision
from tanzuji.certify import workflow as wf
from tanzuji.certify.recheck import recheck
from tanzuji.certify.records import LabelType
from tanzuji.factors.base import FactorData, FactorFlow, MappingSource

# A model whose electricity factor comes from a database release, not from the model.
MODEL = """
product:
  id: kettle
  name: {zh: 电水壶, en: Kettle}
  functional_unit: {amount: 1, unit: piece}
  reference_flow: {process: make, amount: 1, unit: piece}
processes:
  - id: make
    name: {en: Make}
    life_cycle_stage: production
    reference_product: {amount: 1, unit: piece}
    inputs:
      - {factor: grid-south, amount: 20, unit: kWh}
"""


def grid(release: str, kg_co2_per_kwh: float, version: str) -> FactorData:
    # test values chosen for easy arithmetic; the source says so (a factor flagged
    # illustrative or without a source would need a verifier's waiver to be certified)
    return FactorData(
        id="grid-south",
        version=version,
        unit="kWh",
        flows=(FactorFlow("CO2", "fossil", kg_co2_per_kwh),),
        release=release,
        source="test input for easy arithmetic, not a published value",
    )


def certified(source):
    version = wf.compute_model_version(
        MODEL, version=1, reason="t", actor=ALICE, now=NOW, factor_source=source
    )
    a = wf.new_application(
        "APP-K",
        ALICE,
        version,
        pcr_id="PCR-kettle",
        pcr_version="1",
        factor_release="R1",
        label_type=LabelType.disclosure,
        now=NOW,
    )
    a = wf.decide(to_decision(a), DORA, True, "ok", NOW)
    return wf.issue(a, ADMIN, "CERT-K", NOW)


def test_changed_factor_is_found_and_the_footprint_recomputed():
    r1 = MappingSource([grid("R1", 0.5, "1")], origin="release R1")
    r2 = MappingSource([grid("R2", 0.4, "2")], origin="release R2")
    application = certified(r1)
    assert application.current_model.total_kg_co2e == pytest.approx(20 * 0.5)
    (row,) = recheck([application], r2)
    assert row.changed_factors == ["grid-south"]
    assert row.certificate_id == "CERT-K"
    assert row.recomputed_kg_co2e == pytest.approx(20 * 0.4)
    assert row.delta_kg_co2e == pytest.approx(-2.0)
    assert row.delta_percent == pytest.approx(-20.0)


def test_unchanged_release_and_uncertified_applications_are_skipped():
    r1 = MappingSource([grid("R1", 0.5, "1")], origin="release R1")
    application = certified(r1)
    same = MappingSource([grid("R1b", 0.5, "1")], origin="release R1b")
    assert recheck([application], same) == []
    revoked = wf.revoke(application, DORA, NOW, "withdrawn")
    assert recheck([revoked], MappingSource([grid("R2", 0.4, "2")])) == []


def test_a_factor_missing_from_the_release_is_reported_not_skipped():
    application = certified(MappingSource([grid("R1", 0.5, "1")], origin="release R1"))
    (row,) = recheck([application], MappingSource([], origin="release R3"))
    assert row.recomputed_kg_co2e is None and row.delta_percent is None
    assert "unknown factor 'grid-south'" in row.problem
