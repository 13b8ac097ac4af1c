"""Certification: applications, model versions, evidence, audit trail, certificates, ledger,
credit serials, signing keys.

Revision ID: 0002_certify
Revises: 0001_factors
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002_certify"
down_revision = "0001_factors"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
Stamp = sa.DateTime(timezone=True)
APPEND_ONLY = ("cert_audit", "cert_ledger_entries")


def _app_fk() -> sa.Column:
    return sa.Column(
        "application_id", sa.String(64), sa.ForeignKey("cert_applications.id"), primary_key=True
    )


def upgrade() -> None:
    op.create_table(
        "cert_applications",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("applicant_id", sa.String(200), nullable=False, index=True),
        sa.Column("product_id", sa.String(200), nullable=False, index=True),
        sa.Column("label_type", sa.String(20), nullable=False),
        sa.Column("state", sa.String(30), nullable=False, index=True),
        sa.Column("certificate_id", sa.String(64), unique=True),
        sa.Column("record", Json, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
    )
    op.create_table(
        "cert_model_versions",
        _app_fk(),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("model_sha256", sa.String(64), nullable=False),
        sa.Column("model_text", sa.Text, nullable=False),
        sa.Column("total_kg_co2e", sa.Float, nullable=False),
        sa.Column("footprint", Json, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
    )
    op.create_table(
        "cert_evidence",
        _app_fk(),
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("added_at", Stamp, nullable=False),
    )
    op.create_table(
        "cert_audit",
        _app_fk(),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("at", Stamp, nullable=False),
        sa.Column("actor_id", sa.String(200), nullable=False),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("organisation_id", sa.String(200), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("from_state", sa.String(30)),
        sa.Column("to_state", sa.String(30)),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_table(
        "cert_certificates",
        sa.Column("certificate_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column(
            "application_id", sa.String(64), sa.ForeignKey("cert_applications.id"), nullable=False
        ),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(40), nullable=False),
        sa.Column("document", Json, nullable=False),
        sa.Column("issued_at", Stamp, nullable=False),
    )
    op.create_table(
        "cert_ledger_entries",
        sa.Column("index", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("certificate_id", sa.String(64), nullable=False, index=True),
        sa.Column("event", sa.String(20), nullable=False),
        sa.Column("leaf_hash", sa.String(64), nullable=False),
        sa.Column("entry", Json, nullable=False),
    )
    op.create_table(
        "cert_tree_heads",
        sa.Column("tree_size", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("root_hash", sa.String(64), nullable=False),
        sa.Column("timestamp", sa.String(40), nullable=False),
        sa.Column("key_id", sa.String(40), nullable=False),
        sa.Column("signature", sa.String(100), nullable=False),
    )
    op.create_table(
        "cert_credit_serials",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "application_id", sa.String(64), sa.ForeignKey("cert_applications.id"), nullable=False
        ),
        sa.Column("registry", sa.String(100), nullable=False),
        sa.Column("serial_prefix", sa.String(200), nullable=False),
        sa.Column("serial_start", sa.BigInteger, nullable=False),
        sa.Column("serial_end", sa.BigInteger, nullable=False),
        sa.Column("vintage", sa.Integer, nullable=False),
        sa.Column("quantity_t_co2e", sa.Float, nullable=False),
        sa.Column("retirement_date", sa.Date, nullable=False),
        sa.UniqueConstraint("registry", "serial_prefix", "serial_start"),
        sa.CheckConstraint("serial_end >= serial_start", name="ck_cert_credit_serial_range"),
    )
    op.create_table(
        "cert_signing_keys",
        sa.Column("key_id", sa.String(40), primary_key=True),
        sa.Column("algorithm", sa.String(20), nullable=False),
        sa.Column("public_key", sa.String(100), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("retired_at", sa.String(40)),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _sqlite_triggers() -> None:
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
    op.execute(
        "CREATE TRIGGER cert_credit_serials_no_overlap BEFORE INSERT ON cert_credit_serials "
        "WHEN EXISTS (SELECT 1 FROM cert_credit_serials c WHERE lower(c.registry) = "
        "lower(NEW.registry) AND lower(c.serial_prefix) = lower(NEW.serial_prefix) "
        "AND c.serial_start <= NEW.serial_end AND NEW.serial_start <= c.serial_end) "
        "BEGIN SELECT RAISE(ABORT, 'credit serial range already used'); END"
    )


def _postgresql_triggers() -> None:
    op.execute(
        "CREATE FUNCTION cert_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION cert_append_only()"
        )
    # The table lock serialises concurrent inserts so two claims cannot race past the check.
    op.execute(
        "CREATE FUNCTION cert_credit_no_overlap() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "LOCK TABLE cert_credit_serials IN SHARE ROW EXCLUSIVE MODE; "
        "IF EXISTS (SELECT 1 FROM cert_credit_serials c WHERE lower(c.registry) = "
        "lower(NEW.registry) AND lower(c.serial_prefix) = lower(NEW.serial_prefix) "
        "AND c.serial_start <= NEW.serial_end AND NEW.serial_start <= c.serial_end) THEN "
        "RAISE EXCEPTION 'credit serial range already used'; END IF; RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER cert_credit_serials_no_overlap BEFORE INSERT ON cert_credit_serials "
        "FOR EACH ROW EXECUTE FUNCTION cert_credit_no_overlap()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP TRIGGER IF EXISTS cert_credit_serials_no_overlap ON cert_credit_serials")
        op.execute("DROP FUNCTION IF EXISTS cert_append_only()")
        op.execute("DROP FUNCTION IF EXISTS cert_credit_no_overlap()")
    for table in (
        "cert_signing_keys",
        "cert_credit_serials",
        "cert_tree_heads",
        "cert_ledger_entries",
        "cert_certificates",
        "cert_audit",
        "cert_evidence",
        "cert_model_versions",
        "cert_applications",
    ):
        op.drop_table(table)
