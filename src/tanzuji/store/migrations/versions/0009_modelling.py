"""Electricity certificate serials (GEC 绿证, I-REC) counted by claimed applications.

``cert_instrument_serials`` holds the serial blocks a claimed application's market-based
footprint counts; like ``cert_credit_serials`` (revision 0005) each row also holds its block
in canonical form (``certify.serials``: registry key, prefix, integer range) and a trigger
refuses a block that overlaps one already stored in canonical form, so one certificate backs
one claim even when it is written another way or two processes race (PostgreSQL: the table is
locked inside the trigger).

Revision ID: 0009_modelling
Revises: 0007_platform_core
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_modelling"
down_revision = "0007_platform_core"
branch_labels = None
depends_on = None

OVERLAP = (
    "SELECT 1 FROM cert_instrument_serials c WHERE c.registry_key = NEW.registry_key "
    "AND c.serial_key = NEW.serial_key AND c.number_start <= NEW.number_end "
    "AND NEW.number_start <= c.number_end"
)


def upgrade() -> None:
    op.create_table(
        "cert_instrument_serials",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "application_id", sa.String(64), sa.ForeignKey("cert_applications.id"), nullable=False
        ),
        sa.Column("instrument_type", sa.String(40), nullable=False),
        sa.Column("registry", sa.String(200), nullable=False),
        sa.Column("serial_prefix", sa.String(200), nullable=False),
        sa.Column("serial_start", sa.BigInteger, nullable=False),
        sa.Column("serial_end", sa.BigInteger, nullable=False),
        sa.Column("registry_key", sa.String(100), nullable=False),
        sa.Column("serial_key", sa.String(200), nullable=False),
        sa.Column("number_start", sa.BigInteger, nullable=False),
        sa.Column("number_end", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("registry_key", "serial_key", "number_start"),
        sa.CheckConstraint("number_end >= number_start", name="ck_cert_instrument_serial_range"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION cert_instrument_no_overlap() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN LOCK TABLE cert_instrument_serials IN SHARE ROW EXCLUSIVE MODE; "
            f"IF EXISTS ({OVERLAP}) THEN "
            "RAISE EXCEPTION 'instrument serial range already used'; END IF; RETURN NEW; END $$"
        )
        op.execute(
            "CREATE TRIGGER cert_instrument_serials_no_overlap BEFORE INSERT ON "
            "cert_instrument_serials FOR EACH ROW EXECUTE FUNCTION cert_instrument_no_overlap()"
        )
    else:
        op.execute(
            "CREATE TRIGGER cert_instrument_serials_no_overlap BEFORE INSERT ON "
            f"cert_instrument_serials WHEN EXISTS ({OVERLAP}) "
            "BEGIN SELECT RAISE(ABORT, 'instrument serial range already used'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP TRIGGER IF EXISTS cert_instrument_serials_no_overlap ON cert_instrument_serials"
        )
        op.execute("DROP FUNCTION IF EXISTS cert_instrument_no_overlap()")
    op.drop_table("cert_instrument_serials")
