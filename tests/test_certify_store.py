"""Certification records in SQLite and PostgreSQL: round trip, append-only, serial uniqueness."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from certify_people import ADMIN, ALICE, DORA, NOW, VIC, draft, issued
from tanzuji.certify import workflow as wf
from tanzuji.certify.certificate import KeyStore
from tanzuji.certify.records import State
from tanzuji.errors import CreditSerialReused, NotFound
from tanzuji.store.certify import CertificationStore
from tanzuji.store.db import current_revision, engine_for, upgrade
from test_certify_neutrality import at_decision, block, claim


@pytest.fixture
def store(database_url):
    engine = engine_for(database_url)
    upgrade(engine)
    yield CertificationStore(engine)
    engine.dispose()


def test_migration_0002_follows_0001(store):
    from alembic.script import ScriptDirectory

    from tanzuji.store.db import alembic_config, head_revision

    script = ScriptDirectory.from_config(alembic_config()).get_revision("0002_certify")
    assert script.down_revision == "0001_factors"
    assert current_revision(store.engine) == head_revision()  # later revisions follow it


def test_application_round_trip_with_audit_models_and_evidence(store):
    a = wf.add_evidence(draft(), ALICE, "meter.csv", b"kWh\n10\n", NOW)
    store.save(a, {a.evidence[0].sha256: b"kWh\n10\n"})
    a = wf.submit(a, ALICE, NOW)
    store.save(a)
    loaded = store.load("APP-1")
    assert loaded == a
    assert store.evidence_content("APP-1", a.evidence[0].sha256) == b"kWh\n10\n"
    with store.engine.connect() as c:
        rows = c.execute(text("SELECT seq, action FROM cert_audit ORDER BY seq")).all()
        versions = c.execute(text("SELECT version, total_kg_co2e FROM cert_model_versions")).all()
    assert [tuple(r) for r in rows] == [(0, "apply"), (1, "add_evidence"), (2, "submit")]
    assert versions[0][0] == 1 and versions[0][1] == pytest.approx(9.1298, rel=1e-12)


def test_audit_trail_and_ledger_are_append_only_in_the_database(store, tmp_path):
    application = issued()
    store.save(application)
    key = KeyStore(tmp_path / "keys").active(NOW)
    store.publish(application, "issued", key, NOW, "https://x")
    for statement in (
        "UPDATE cert_audit SET reason = 'nothing happened'",
        "DELETE FROM cert_audit",
        "UPDATE cert_ledger_entries SET event = 'revoked'",
        "DELETE FROM cert_ledger_entries",
    ):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as c:
            c.execute(text(statement))
    assert store.ledger().size == 1
    assert store.tree_head().tree_size == 1
    doc = store.certificate_document("CERT-1")
    assert doc["certificate"]["certificate_id"] == "CERT-1" and doc["qr"].startswith("https://x/")


def test_database_refuses_overlapping_credit_serials(store):
    first = wf.decide(at_decision(claim(block(1, 10)), "APP-A"), DORA, True, "ok", NOW)
    store.save(first)
    assert [u.block.serial_end for u in store.used_serials()] == [10]
    # The workflow check is bypassed on purpose (empty context): the database still refuses.
    second = wf.decide(at_decision(claim(block(8, 20)), "APP-B"), DORA, True, "ok", NOW)
    with pytest.raises(CreditSerialReused, match="database refused the credit serials"):
        store.save(second)
    with pytest.raises(NotFound):  # the whole save was rolled back
        store.load("APP-B")


def test_certificate_ids_and_lookup(store):
    a = issued(cert_id=store.next_certificate_id(2026))
    assert a.certificate_id == "GBA-CFL-2026-000001"
    store.save(a)
    assert store.by_certificate("GBA-CFL-2026-000001").state is State.issued
    # one counter per kind and year (id_counters): numbers follow on, never repeat
    assert store.next_application_id(2026) == "APP-2026-000001"
    assert store.next_application_id(2026) == "APP-2026-000002"
    assert store.next_application_id(2027) == "APP-2027-000001"
    assert store.next_certificate_id(2026) == "GBA-CFL-2026-000002"
    assert {ADMIN.id, VIC.id} <= {line.actor_id for line in a.audit}
    assert a.valid_until == dt.date(2029, 3, 2)
