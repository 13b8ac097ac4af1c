"""The diff between two model versions of an application, for those who may read it
(SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from service_helpers import as_user, service_context
from tanzuji.certify.records import Role
from tanzuji.errors import NotFound
from tanzuji.services import certification, organisations
from tanzuji.services.calculation import ModelInput

KETTLE = """
product:
  id: kettle
  name: {{zh: 电水壶, en: Kettle}}
  functional_unit: {{amount: 1, unit: piece}}
  reference_flow: {{process: make, amount: 1, unit: piece}}
processes:
  - id: make
    name: {{en: Make}}
    life_cycle_stage: production
    reference_product: {{amount: 1, unit: piece}}
    inputs:
      - {{factor: cn-mee.electricity.2022.cn-csg.avg, amount: {kwh}, unit: kWh}}
"""


def kettle(kwh: float) -> ModelInput:
    return ModelInput(name="kettle.yaml", text=KETTLE.format(kwh=kwh))


@pytest.fixture
def ctx(database_url: str, tmp_path: Path):
    ctx = service_context(database_url, tmp_path / "data")
    organisations.add_organisation(
        ctx,
        organisations.OrganisationRequest(id="other", name="Other Co", kind="enterprise"),
    )
    organisations.add_user(
        ctx,
        organisations.UserRequest(
            id="rival", name="Rival", role=Role.applicant, organisation="other"
        ),
    )
    return ctx


def test_version_diff_shows_the_text_and_the_result_change(ctx):
    request = certification.ApplyRequest(
        model=kettle(10), pcr_id="electronics-itu-l1410", release="builtin"
    )
    app_id = certification.apply(as_user(ctx, "applicant"), request).id
    certification.revise(
        as_user(ctx, "applicant"),
        certification.ReviseRequest(application_id=app_id, model=kettle(12), reason="metered"),
    )
    diff = certification.version_diff(as_user(ctx, "applicant"), app_id, 1, 2)
    changed = [line for line in diff.text_diff if line[:1] in "+-" and line[:3] not in "+++---"]
    assert changed == [
        "-      - {factor: cn-mee.electricity.2022.cn-csg.avg, amount: 10, unit: kWh}",
        "+      - {factor: cn-mee.electricity.2022.cn-csg.avg, amount: 12, unit: kWh}",
    ]
    # MEE & NBS 2022 Southern grid average 0.3869 kg CO2/kWh (as in test_store_factors.py):
    # v1 10 kWh -> 3.869, v2 12 kWh -> 4.6428
    assert diff.comparison.a_total == pytest.approx(10 * 0.3869, rel=1e-9)
    assert diff.comparison.b_total == pytest.approx(12 * 0.3869, rel=1e-9)
    with pytest.raises(NotFound, match=r"no model version 3; versions: \[1, 2\]"):
        certification.version_diff(as_user(ctx, "applicant"), app_id, 1, 3)
    with pytest.raises(NotFound, match="no application"):
        certification.version_diff(as_user(ctx, "rival"), app_id, 1, 2)
