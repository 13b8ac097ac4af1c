"""The audit trail of administrative changes: ``audit_events``, append-only.

The table of :mod:`tanzuji.store.audit_tables` (see there for what each column holds), its
indexes, and triggers that refuse any UPDATE or DELETE of its rows (SQLite and PostgreSQL).

Revision ID: 0013_audit
Revises: 0012_batch_results
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_audit"
down_revision = "0012_batch_results"
branch_labels = None
depends_on = None

Stamp = sa.DateTime(timezone=True)

#: The one message both back ends give when a row of the trail is updated or deleted.
APPEND_ONLY = "audit_events is append-only: its rows are never updated or deleted"


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", Stamp, nullable=False),
        sa.Column("actor_id", sa.String(64)),
        sa.Column("actor_organisation_id", sa.String(64)),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject_kind", sa.String(30), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("before", sa.JSON),
        sa.Column("after", sa.JSON),
        sa.Column("reason", sa.Text),
    )
    op.create_index("ix_audit_events_at_id", "audit_events", ["at", "id"])
    op.create_index("ix_audit_events_subject", "audit_events", ["subject_kind", "subject_id", "at"])
    op.create_index("ix_audit_events_actor", "audit_events", ["actor_id", "at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END; $$"
        )
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{event.lower()} BEFORE {event} ON audit_events "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )


def downgrade() -> None:
    op.drop_table("audit_events")  # its triggers go with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
