"""An administrator grants and withdraws a certification body's accreditation (SQLite, PG);
without it the body's verifiers cannot take an application."""

from __future__ import annotations

from pathlib import Path

import pytest

from service_helpers import as_user, service_context
from tanzuji.errors import ParticipantError, PermissionDenied
from tanzuji.services import certification, organisations
from tanzuji.services.calculation import ModelInput

KETTLE = """
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
      - {factor: cn-mee.electricity.2022.cn-csg.avg, amount: 10, unit: kWh}
"""


@pytest.fixture
def ctx(database_url: str, tmp_path: Path):
    return service_context(database_url, tmp_path / "data")


def test_withdrawn_accreditation_stops_a_body_until_granted_again(ctx):
    request = certification.ApplyRequest(
        model=ModelInput(name="kettle.yaml", text=KETTLE),
        pcr_id="electronics-itu-l1410",
        release="builtin",
    )
    app_id = certification.apply(as_user(ctx, "applicant"), request).id
    certification.submit(as_user(ctx, "applicant"), app_id)
    with pytest.raises(PermissionDenied, match="only an administrator"):
        organisations.set_accreditation(as_user(ctx, "verifier"), "demo-body", False)
    withdrawn = organisations.set_accreditation(as_user(ctx, "admin"), "demo-body", False)
    assert withdrawn.accredited is False
    start = certification.ReviewRequest(application_id=app_id, action="start")
    with pytest.raises(PermissionDenied, match="accredited certification body"):
        certification.review(as_user(ctx, "verifier"), start)
    organisations.set_accreditation(as_user(ctx, "admin"), "demo-body", True)
    started = certification.review(as_user(ctx, "verifier"), start).application
    assert started.verifier is not None and started.verifier.id == "verifier"


def test_only_a_certification_body_is_accredited(ctx):
    with pytest.raises(ParticipantError, match="is of kind enterprise; only a certification_body"):
        organisations.set_accreditation(as_user(ctx, "admin"), "demo-enterprise", True)
