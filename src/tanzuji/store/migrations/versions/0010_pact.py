"""PACT exchange: credentials, shares, published footprints, tasks, outbox, received footprints.

The tables of :mod:`tanzuji.store.pact_tables` (see there for what each holds).

Revision ID: 0010_pact
Revises: 0007_platform_core
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_pact"
down_revision = "0009_modelling"
branch_labels = None
depends_on = None

Stamp = sa.DateTime(timezone=True)


def _organisation(name: str, *, nullable: bool = False, primary_key: bool = False) -> sa.Column:
    return sa.Column(
        name,
        sa.String(64),
        sa.ForeignKey("organisations.id"),
        nullable=nullable,
        primary_key=primary_key,
    )


def upgrade() -> None:
    op.create_table(
        "pact_clients",
        sa.Column("client_id", sa.String(64), primary_key=True),
        _organisation("owner_id"),
        _organisation("partner_id"),
        sa.Column("label", sa.String(300), nullable=False),
        sa.Column("secret_hash", sa.String(255), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("created_by", sa.String(64)),
        sa.Column("revoked_at", Stamp),
    )
    op.create_index("ix_pact_clients_owner_id", "pact_clients", ["owner_id"])
    op.create_table(
        "pact_profiles",
        _organisation("organisation_id", primary_key=True),
        sa.Column("company_ids", sa.Text, nullable=False),
        sa.Column("product_domain", sa.String(255), nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
    )
    op.create_table(
        "pact_shares",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _organisation("owner_id"),
        _organisation("partner_id", nullable=True),
        sa.Column("product_key", sa.String(200)),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("created_by", sa.String(100)),
    )
    op.create_index("ix_pact_shares_owner_id", "pact_shares", ["owner_id"])
    op.create_table(
        "pact_footprints",
        sa.Column("id", sa.String(36), primary_key=True),
        _organisation("owner_id"),
        sa.Column("product_key", sa.String(200), nullable=False),
        sa.Column("application_id", sa.String(64)),
        sa.Column("certificate_id", sa.String(64)),
        sa.Column("certificate_version", sa.Integer),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("withdrawn_at", Stamp),
        sa.Column("withdrawn_reason", sa.Text),
        sa.Column("superseded_by", sa.String(36)),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("valid_start_ms", sa.BigInteger, nullable=False),
        sa.Column("valid_end_ms", sa.BigInteger, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_pact_footprints_owner_created", "pact_footprints", ["owner_id", "created_ms", "id"]
    )
    op.create_index("ix_pact_footprints_certificate", "pact_footprints", ["certificate_id"])
    op.create_table(
        "pact_footprint_keys",
        sa.Column(
            "footprint_id", sa.String(36), sa.ForeignKey("pact_footprints.id"), primary_key=True
        ),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("value", sa.String(500), primary_key=True),
    )
    op.create_index("ix_pact_footprint_keys_value", "pact_footprint_keys", ["kind", "value"])
    op.create_table(
        "pact_tasks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _organisation("owner_id"),
        _organisation("partner_id"),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("request_event_id", sa.String(300), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("criteria", sa.Text, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("received_at", Stamp, nullable=False),
        sa.Column("decided_at", Stamp),
        sa.Column("decided_by", sa.String(100)),
        sa.Column("footprint_ids", sa.Text),
        sa.Column("error_code", sa.String(30)),
        sa.Column("error_message", sa.Text),
        sa.UniqueConstraint("partner_id", "source", "request_event_id", name="uq_pact_tasks_event"),
    )
    op.create_index("ix_pact_tasks_owner_id", "pact_tasks", ["owner_id"])
    op.create_table(
        "pact_outbox",
        sa.Column("id", sa.String(36), primary_key=True),
        _organisation("organisation_id"),
        _organisation("partner_id", nullable=True),
        sa.Column("target_url", sa.String(500), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", Stamp, nullable=False),
        sa.Column("last_status", sa.Integer),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("delivered_at", Stamp),
        sa.Column("task_id", sa.Integer),
    )
    op.create_index("ix_pact_outbox_due", "pact_outbox", ["state", "next_attempt_at"])
    op.create_table(
        "pact_remotes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _organisation("organisation_id"),
        _organisation("partner_id"),
        sa.Column("base_url", sa.String(500), nullable=False),
        sa.Column("auth_base_url", sa.String(500)),
        sa.Column("client_id", sa.String(200), nullable=False),
        sa.Column("secret_sealed", sa.Text, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("revoked_at", Stamp),
        sa.UniqueConstraint("organisation_id", "base_url", name="uq_pact_remotes_url"),
    )
    op.create_table(
        "pact_requests",
        sa.Column("id", sa.String(36), primary_key=True),
        _organisation("organisation_id"),
        sa.Column("remote_id", sa.Integer, sa.ForeignKey("pact_remotes.id"), nullable=False),
        sa.Column("criteria", sa.Text, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("answered_at", Stamp),
        sa.Column("answer", sa.Text),
    )
    op.create_index("ix_pact_requests_organisation_id", "pact_requests", ["organisation_id"])
    op.create_table(
        "pact_received",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _organisation("organisation_id", nullable=True),
        sa.Column("host", sa.String(500), nullable=False),
        sa.Column("footprint_id", sa.String(64), nullable=False),
        sa.Column("supplier", sa.String(300), nullable=False),
        sa.Column("product_ids", sa.Text, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("preceding", sa.Text),
        sa.Column("verification", sa.Text, nullable=False),
        sa.Column("factor_id", sa.String(200), nullable=False),
        sa.Column("factor_version", sa.Integer, nullable=False),
        sa.Column("received_at", Stamp, nullable=False),
        sa.Column("via", sa.String(20), nullable=False),
        sa.UniqueConstraint("host", "footprint_id", name="uq_pact_received_pf"),
    )
    op.create_index("ix_pact_received_factor_id", "pact_received", ["factor_id"])
    op.create_table(
        "pact_inbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _organisation("organisation_id"),
        _organisation("partner_id"),
        sa.Column("event_id", sa.String(300), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("received_at", Stamp, nullable=False),
        sa.Column("handled", sa.Boolean, nullable=False),
        sa.Column("note", sa.Text),
        sa.UniqueConstraint("partner_id", "source", "event_id", name="uq_pact_inbox_event"),
    )


def downgrade() -> None:
    op.drop_table("pact_inbox")
    op.drop_index("ix_pact_received_factor_id", "pact_received")
    op.drop_table("pact_received")
    op.drop_index("ix_pact_requests_organisation_id", "pact_requests")
    op.drop_table("pact_requests")
    op.drop_table("pact_remotes")
    op.drop_index("ix_pact_outbox_due", "pact_outbox")
    op.drop_table("pact_outbox")
    op.drop_index("ix_pact_tasks_owner_id", "pact_tasks")
    op.drop_table("pact_tasks")
    op.drop_index("ix_pact_footprint_keys_value", "pact_footprint_keys")
    op.drop_table("pact_footprint_keys")
    op.drop_index("ix_pact_footprints_certificate", "pact_footprints")
    op.drop_index("ix_pact_footprints_owner_created", "pact_footprints")
    op.drop_table("pact_footprints")
    op.drop_index("ix_pact_shares_owner_id", "pact_shares")
    op.drop_table("pact_shares")
    op.drop_table("pact_profiles")
    op.drop_index("ix_pact_clients_owner_id", "pact_clients")
    op.drop_table("pact_clients")
