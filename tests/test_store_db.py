"""The store edge: opening databases, migrations, transactions (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from tanzuji.context import open_database
from tanzuji.errors import DatabaseBehind, StoreUnavailable
from tanzuji.factors.record import FactorRecord
from tanzuji.settings import Settings
from tanzuji.store import db, search
from tanzuji.store.factor_repository import FactorDatabase
from tanzuji.store.factors import Factor

# China Southern Grid 2022 average, 0.3869 kg CO2/kWh: MEE & NBS announcement of 2022
# electricity CO2 factors (2024-12-20), via shared/reference/factors/china_grid_co2_factors_mee.csv
SOUTH_GRID_2022 = {
    "id": "cn-grid-south-2022",
    "name_en": "Electricity, China Southern Grid average, 2022",
    "name_zh": "南方区域电网平均二氧化碳排放因子 2022",
    "unit": "kWh",
    "gases": [{"gas": "CO2", "amount_kg": 0.3869}],
    "geography": "CN-SOUTH-GRID",
    "year": 2022,
    "source": {
        "publisher": "MEE & NBS",
        "document": "关于发布2022年电力二氧化碳排放因子的公告 (2024-12-20)",
    },
    "licence": "PRC official document (Copyright Law Art. 5)",
}


def test_default_database_is_sqlite_file_in_data_dir(tmp_path: Path):
    snapshot = Settings.defaults().replace(data_dir=str(tmp_path / "new" / "dir"))
    assert open_database(snapshot) is None  # nothing is created until a command needs it
    assert not (tmp_path / "new" / "dir").exists()
    database = open_database(snapshot, create=True)
    assert database.backend == "sqlite" and database.embedded
    assert (tmp_path / "new" / "dir" / "tanzuji.db").is_file()
    assert database.revision() == db.head_revision()  # created and upgraded on first use
    assert open_database(snapshot) is database  # one Database per process and URL


def test_a_configured_database_that_is_behind_names_the_upgrade_command(database_url: str):
    snapshot = Settings.defaults().replace(database_url=database_url)
    with pytest.raises(DatabaseBehind, match=r"has no Tanzuji tables yet .*`tanzuji db upgrade`"):
        open_database(snapshot)
    database = db.database_for(database_url)
    database.upgrade("0003_factor_search")
    db.close_all()
    with pytest.raises(DatabaseBehind, match=r"is at revision 0003_factor_search but"):
        open_database(snapshot)
    db.database_for(database_url).upgrade()
    assert open_database(snapshot).revision() == db.head_revision()


def test_database_url_setting_and_driver():
    assert db.database_url("postgresql://postgres@h:5432/x").drivername == "postgresql+psycopg"
    with pytest.raises(StoreUnavailable, match="cannot be parsed"):
        db.database_url("not a url")


def test_unreachable_server_is_one_clear_error():
    # Port 1 on localhost: nothing listens there.
    engine = db.engine_for("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(StoreUnavailable, match=r"cannot open database .*127\.0\.0\.1:1"):
        db.upgrade(engine)


def test_migrations_match_the_tables(database_url: str):
    engine = db.engine_for(database_url)
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision()
    with engine.connect() as connection:
        opts = {"compare_type": True, "include_name": search.include_name}
        context = MigrationContext.configure(connection, opts=opts)
        assert compare_metadata(context, db.load_all_tables()) == []
    engine.dispose()


def test_database_at_initial_revision_upgrades_to_head(database_url: str):
    """A database written by the first release opens, and upgrades, in this one."""
    engine = db.engine_for(database_url)
    db.upgrade(engine, "0001_factors")
    assert db.current_revision(engine) == "0001_factors"
    FactorDatabase(engine).add_records([SOUTH_GRID_2022], "first release")
    db.upgrade(engine)
    db.upgrade(engine)  # idempotent
    assert db.current_revision(engine) == db.head_revision()
    record = FactorDatabase(engine).get("cn-grid-south-2022")
    assert record == FactorRecord.model_validate(
        {**SOUTH_GRID_2022, "created_at": record.created_at}
    )
    engine.dispose()


def test_downgrade_removes_the_factor_tables(database_url: str):
    engine = db.engine_for(database_url)
    db.upgrade(engine)
    config = db.alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert "factor_versions" not in inspect(engine).get_table_names()
    engine.dispose()


def test_session_scope_rolls_back_on_error(database_url: str):
    engine = db.engine_for(database_url)
    db.upgrade(engine)
    with pytest.raises(RuntimeError), db.session_scope(engine) as session:
        session.add(Factor(id="x", created_at=dt.datetime.now(dt.UTC)))
        session.flush()
        raise RuntimeError("boom")
    with db.session_scope(engine) as session:
        assert session.scalars(select(Factor)).all() == []
        assert session.execute(text("select 1")).scalar() == 1
    engine.dispose()


def _insert_application(connection, application) -> None:
    """Write an application and its audit trail as a release before 0007 did (no version)."""
    connection.execute(
        text(
            "INSERT INTO cert_applications (id, applicant_id, product_id, label_type, state, "
            "certificate_id, record, updated_at) VALUES (:id, 'acme', 'widget', "
            "'disclosure', 'issued', :cert, :record, :at)"
        ),
        {
            "id": application.id,
            "cert": application.certificate_id,
            "record": application.model_dump_json(),
            "at": dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
        },
    )
    for line in application.audit:
        connection.execute(
            text(
                "INSERT INTO cert_audit (application_id, seq, at, actor_id, role, "
                "organisation_id, action, from_state, to_state, reason) VALUES "
                "(:a, :seq, :at, :actor, :role, :org, :action, :f, :t, :reason)"
            ),
            {
                "a": application.id,
                "seq": line.seq,
                "at": line.at,
                "actor": line.actor_id,
                "role": line.role.value,
                "org": line.organisation_id,
                "action": line.action,
                "f": line.from_state.value if line.from_state else None,
                "t": line.to_state.value if line.to_state else None,
                "reason": line.reason,
            },
        )


def test_a_database_at_0006_upgrades_to_0007_with_its_applications_and_ledger(
    database_url: str, tmp_path: Path
):
    """A database of the release before 0007 (chain 0001-0003, 0005, 0006) with issued
    certificates in its ledger upgrades in place: ids given before are never given again,
    stored applications get their version, and the ledger stays intact and appendable."""
    from certify_people import DORA, issued
    from tanzuji.certify import workflow as wf
    from tanzuji.certify.keys import FileKeyring
    from tanzuji.certify.verify import verify_certificate
    from tanzuji.store.certify import CertificationStore, publish_in

    database = db.database_for(database_url)
    database.upgrade("0006_process_library")
    keys = FileKeyring(tmp_path / "keys")
    at = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    older = issued(app_id="APP-2026-000007", cert_id="GBA-CFL-2026-000003", now=at)
    other = issued(app_id="APP-2026-000002", cert_id="GBA-CFL-2026-000001", now=at)
    with database.engine.begin() as connection:
        for application in (older, other):
            _insert_application(connection, application)
    published = []
    with db.session_scope(database.engine) as session:  # the 0006 ledger: entries, heads, state
        for application in (older, other):
            key = keys.signing_key(at)
            published.append(publish_in(session, application, "issued", key, at, "https://x/"))
    assert db.current_revision(database.engine) == "0006_process_library"

    database.upgrade()  # through 0007 to the head
    assert db.current_revision(database.engine) == db.head_revision()
    store = CertificationStore(database.engine)
    assert store.next_application_id(2026) == "APP-2026-000008"
    assert store.next_certificate_id(2026) == "GBA-CFL-2026-000004"
    with database.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, version FROM cert_applications")).all()
    versions = {row.id: row.version for row in rows}
    assert versions == {older.id: len(older.audit), other.id: len(other.audit)}
    assert store.load(older.id) == older
    # the ledger written at 0006 audits, proves and takes the next event after the upgrade
    keyring = keys.keyring()
    assert store.audit_ledger(keyring).log_size == 2
    later = at + dt.timedelta(days=1)
    suspended = wf.suspend(older, DORA, later, "surveillance finding")
    store.save(suspended)
    sha = published[0].signed.certificate.sha256()
    store.publish(suspended, "suspended", keys.signing_key(later), later, "https://x/", "f", sha)
    assert [e.index for e in store.ledger().entries] == [0, 1, 2]
    assert store.audit_ledger(keyring).log_size == 3
    bundle = store.status_bundle(older.certificate_id)
    report = verify_certificate(published[0].certificate_file(), keyring, later, bundle)
    assert report.status == "suspended"


def test_a_database_at_0007_upgrades_to_0009_and_guards_electricity_certificates(
    database_url: str,
):
    """Revision 0009_modelling follows 0007_platform_core: a 0007 database with an issued
    application upgrades in place, keeps it, and from then on refuses an electricity
    certificate block counted by two applications (the trigger compares canonical ranges);
    downgrading to 0007 drops the table and upgrading again restores it."""
    from certify_people import issued
    from tanzuji.errors import CreditSerialReused
    from tanzuji.store.certify import CertificationStore
    from test_certify_modelling import ELECTRICITY, decided, with_model

    database = db.database_for(database_url)
    database.upgrade("0007_platform_core")
    older = issued(app_id="APP-2026-000001", cert_id="GBA-CFL-2026-000001")
    with database.engine.begin() as connection:
        _insert_application(connection, older)
        connection.execute(
            text("UPDATE cert_applications SET version = :v WHERE id = :id"),
            {"v": len(older.audit), "id": older.id},
        )
    assert "cert_instrument_serials" not in inspect(database.engine).get_table_names()

    database.upgrade("0009_modelling")
    assert db.current_revision(database.engine) == "0009_modelling"
    store = CertificationStore(database.engine)
    assert store.load(older.id) == older
    assert store.used_serials() == ()  # the issued application counts no certificate
    store.save(decided(with_model(ELECTRICITY, "APP-2026-000002")))
    assert [u.block.label() for u in store.used_serials()] == ["China GEC GEC-2024-100-100"]
    # the same certificate written with its digits in the prefix is the same serial
    moved = ELECTRICITY.replace(
        'serial_prefix: "GEC-2024-", serial_start: 100, serial_end: 100',
        'serial_prefix: "GEC-2024-10", serial_start: 0, serial_end: 0',
    )
    assert moved != ELECTRICITY
    with pytest.raises(CreditSerialReused, match="electricity certificate serials"):
        store.save(decided(with_model(moved, "APP-2026-000003")))

    config = db.alembic_config(database.engine)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007_platform_core")
    assert "cert_instrument_serials" not in inspect(database.engine).get_table_names()
    database.upgrade()
    assert "cert_instrument_serials" in inspect(database.engine).get_table_names()
