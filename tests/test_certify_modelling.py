"""Certificates carry the declared and sales unit and the credits; electricity certificates
counted in a footprint cannot back two applications (the credits serial guard)."""

from __future__ import annotations

import json

import pytest

from certify_people import ADMIN, ALICE, DORA, NOW, draft, issued, to_decision
from tanzuji.certify import workflow as wf
from tanzuji.certify.certificate import Certificate
from tanzuji.certify.labels import label_text
from tanzuji.errors import CreditSerialReused
from test_electricity_market import MODEL as ELECTRICITY_MODEL
from test_scenarios_units import MODEL as BOTTLE_MODEL

ELECTRICITY = ELECTRICITY_MODEL.replace("RESIDUAL", "          residual_mix: residual")


def with_model(text: str, app_id: str):
    version = wf.compute_model_version(text, version=1, reason="t", actor=ALICE, now=NOW)
    application = draft(app_id=app_id)
    return application.model_copy(update={"model_versions": [version]})


def decided(application, used=()):
    a = to_decision(application)
    return wf.decide(a, DORA, True, "conforms", NOW, wf.LabelContext(used_serials=used))


def test_certificate_and_label_carry_sales_unit():
    application = decided(with_model(BOTTLE_MODEL, "APP-B"))
    certificate = wf.certificate_for(wf.issue(application, ADMIN, "CERT-B", NOW), NOW)
    # per bottle 0.06375 (test_scenarios_units); one case of 24: 24 x 0.06375 = 1.53
    assert certificate.sales_unit["footprint_kg_co2e"] == pytest.approx(1.53, rel=1e-12)
    assert certificate.sales_unit["name_zh"] == "一箱（24 瓶）"
    assert label_text(certificate).other_units == "= 1.53 kg CO2e / 一箱（24 瓶）"


def test_certificate_under_a_pcr_carries_the_declared_unit(tmp_path):
    version = wf.compute_model_version(
        BOTTLE_MODEL, version=1, reason="t", actor=ALICE, now=NOW, pcr="food-pas2050-1"
    )
    footprint = version.footprint
    assert footprint["rules"]["source"].startswith("PCR food-pas2050-1@")
    application = draft(app_id="APP-D").model_copy(update={"model_versions": [version]})
    certificate = wf.certificate_for(wf.issue(decided(application), ADMIN, "CERT-D", NOW), NOW)
    declared = certificate.declared_unit
    assert declared is not None
    assert declared["footprint_kg_co2e"] == pytest.approx(
        footprint["per_declared_unit"]["total_kg_co2e"], rel=1e-12
    )


def test_certificates_without_the_new_fields_keep_their_bytes():
    # A certificate issued before issue 11 has none of the new keys; parsing and
    # re-serialising it must give the same canonical JSON (its signature stays valid).
    application = issued()
    certificate = wf.certificate_for(application, NOW)
    data = certificate.model_dump(mode="json")
    assert not {"declared_unit", "sales_unit", "credits_kg_co2e"} & set(data)
    again = Certificate.model_validate(json.loads(json.dumps(data)))
    assert again.canonical() == certificate.canonical()


def test_an_electricity_certificate_backs_one_claim_only():
    first = decided(with_model(ELECTRICITY, "APP-E1"))
    used = wf.used_serials([first])
    assert [u.block.label() for u in used] == ["China GEC GEC-2024-100-100"]
    second = with_model(ELECTRICITY, "APP-E2")
    with pytest.raises(CreditSerialReused, match="already used by application APP-E1"):
        decided(second, used)
    # the I-REC of the same model was not counted (not retired) and is not claimed
    assert all("IREC" not in u.block.label() for u in used)


def test_overlapping_certificates_within_one_footprint_are_refused():
    doubled = ELECTRICITY.replace(
        "            - {type: i-rec, amount: 0.5, unit: MWh, factor: pv, registry: I-REC,\n"
        '               serial_prefix: "IREC-", serial_start: 1, serial_end: 1,\n'
        "               vintage: 2024, region: CN, retired: false}\n",
        "            - {type: gec, amount: 0.5, unit: MWh, factor: pv, registry: China GEC,\n"
        '               serial_prefix: "GEC-2024-", serial_start: 100, serial_end: 100,\n'
        "               vintage: 2024, region: CN, retired: true}\n",
    )
    assert doubled != ELECTRICITY
    # The calculation counts the serial once (model/electricity.claimed_twice): the second
    # listing covers nothing, so the application claims one block and is decided.
    application = with_model(doubled, "APP-E3")
    footprint = application.model_versions[0].footprint
    first, again = footprint["electricity"]["inputs"][0]["instruments"]
    assert first["counted"] > 0 and again["counted"] == 0 and "overlap" in again["reasons"][0]
    decided(application)
    # A footprint that counts it twice all the same (computed elsewhere or by an older
    # version) is refused at certification, as before.
    again.update(counted=first["counted"], qualifies=True, reasons=[])
    with pytest.raises(CreditSerialReused, match="overlap within the same claim"):
        decided(application)


def test_database_refuses_a_certificate_counted_twice(database_url):
    # SQLite and PostgreSQL: the store keeps counted certificate blocks (revision
    # 0009_modelling) and its trigger refuses an overlap even when the workflow check is
    # bypassed (empty context), as for carbon credits.
    from tanzuji.store.certify import CertificationStore
    from tanzuji.store.db import engine_for, upgrade

    engine = engine_for(database_url)
    upgrade(engine)
    store = CertificationStore(engine)
    try:
        store.save(decided(with_model(ELECTRICITY, "APP-S1")))
        assert [u.block.label() for u in store.used_serials()] == ["China GEC GEC-2024-100-100"]
        with pytest.raises(CreditSerialReused, match="electricity certificate serials"):
            store.save(decided(with_model(ELECTRICITY, "APP-S2")))
    finally:
        engine.dispose()


def test_recheck_recomputes_under_the_rules_the_certificate_records():
    # A footprint certified under rules that declare the location-based electricity result
    # (test_electricity_market: 2000 x 0.5366 = 1073.2; market-based it would be 620). When a
    # factor changes, recheck recomputes under the recorded rules, not the defaults.
    from tanzuji.certify.recheck import recheck
    from tanzuji.factors.starter import StarterFactorSource
    from tanzuji.footprint import calculate
    from tanzuji.model.files import load_model_text
    from tanzuji.model.rules import CalculationRules

    rules = CalculationRules(electricity="location", source="test: location-based declared")
    assert CalculationRules.from_description(rules.describe()) == rules
    assert CalculationRules.from_description(None) == CalculationRules()
    footprint = calculate(load_model_text(ELECTRICITY, "e.yaml"), rules=rules)
    assert footprint.total_kg_co2e == pytest.approx(1073.2, rel=1e-12)
    stored = footprint.model_dump(mode="json")
    stored["inputs"]["factors"][0]["sha256"] = "0" * 64  # as if the release changed it
    version = wf.compute_model_version(ELECTRICITY, version=1, reason="t", actor=ALICE, now=NOW)
    version = version.model_copy(update={"footprint": stored})
    application = draft(app_id="APP-R").model_copy(update={"model_versions": [version]})
    issued_app = wf.issue(decided(application), ADMIN, "CERT-R", NOW)
    (row,) = recheck([issued_app], StarterFactorSource())
    assert row.recomputed_kg_co2e == pytest.approx(1073.2, rel=1e-12)
    assert row.delta_kg_co2e == pytest.approx(0.0, abs=1e-9)
