"""Shared cast and helpers of the certification tests (not a test module)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tanzuji.certify import workflow as wf
from tanzuji.certify.records import Actor, Application, LabelType, Organisation, Role

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
WIDGET = Path(__file__).parent / "data" / "widget.yaml"
# widget.yaml by hand (AR6 GWP100 CH4 fossil 29.8, IPCC AR6 WG1 Table 7.15):
#   steel 2 kg: (500 kWh/t * 0.5 kg/kWh + 1800 kg/t) * 0.002 t = 4.1 kg CO2e
#   assembly: 10 kWh * 0.5 + 0.001 kg CH4 * 29.8 = 5.0298 kg CO2e; total 9.1298
WIDGET_KG_CO2E = 4.1 + 5.0298

ACME = Organisation(id="acme", name="Acme 电子", kind="enterprise")
OTHER = Organisation(id="other", name="Other 公司", kind="enterprise")
BODY = Organisation(id="smq", name="SMQ 认证", kind="certification_body", accredited=True)
ROGUE = Organisation(id="rogue", name="Unaccredited body", kind="certification_body")
BODY2 = Organisation(id="body2", name="Second body", kind="certification_body", accredited=True)
PLATFORM = Organisation(id="platform", name="Platform", kind="platform")

ALICE = Actor(id="alice", name="Alice", role=Role.applicant, organisation=ACME)
MALLORY = Actor(id="mallory", name="Mallory", role=Role.applicant, organisation=OTHER)
VIC = Actor(id="vic", name="Vic", role=Role.verifier, organisation=BODY)
VERA = Actor(id="vera", name="Vera", role=Role.verifier, organisation=BODY)
ROGER = Actor(id="roger", name="Roger", role=Role.verifier, organisation=ROGUE)
DORA = Actor(id="dora", name="Dora", role=Role.decision_maker, organisation=BODY)
DAN = Actor(id="dan", name="Dan", role=Role.decision_maker, organisation=BODY2)
ADMIN = Actor(id="admin", name="Admin", role=Role.administrator, organisation=PLATFORM)
PUBLIC = Actor(
    id="anyone",
    name="Anyone",
    role=Role.public,
    organisation=Organisation(id="public", name="public", kind="public"),
)


def model_version(text: str | None = None, version: int = 1, now: dt.datetime = NOW):
    return wf.compute_model_version(
        text or WIDGET.read_text("utf-8"), version=version, reason="test", actor=ALICE, now=now
    )


def draft(label: LabelType = LabelType.disclosure, app_id: str = "APP-1", **kwargs) -> Application:
    return wf.new_application(
        app_id,
        ALICE,
        model_version(),
        pcr_id="PCR-widget",
        pcr_version="1.0",
        factor_release="R1",
        label_type=label,
        now=NOW,
        **kwargs,
    )


def to_decision(application: Application, now: dt.datetime = NOW) -> Application:
    a = wf.submit(application, ALICE, now)
    a = wf.start_review(a, VIC, now)
    a = wf.record_pcr_check(a, VIC, [], now)
    a = wf.accept_documents(a, VIC, now)
    return wf.sign_off(a, VIC, now)


def issued(
    label: LabelType = LabelType.disclosure,
    app_id: str = "APP-1",
    cert_id: str = "CERT-1",
    now: dt.datetime = NOW,
    context: wf.LabelContext | None = None,
    **kwargs,
) -> Application:
    a = to_decision(draft(label, app_id, **kwargs), now)
    a = wf.decide(a, DORA, True, "conforms", now, context or wf.LabelContext())
    return wf.issue(a, ADMIN, cert_id, now)
