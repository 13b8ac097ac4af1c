"""Batch footprints in the database: runs and their results.

The tables of :mod:`tanzuji.store.batch_tables` (see there for what each holds).

Revision ID: 0012_batch_results
Revises: 0011_web
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_batch_results"
down_revision = "0011_web"
branch_labels = None
depends_on = None

Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "batch_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("snapshot_key", sa.String(64), nullable=False),
        sa.Column("release", sa.String(200), nullable=False),
        sa.Column("model_hash", sa.String(64), nullable=False),
        sa.Column("gwp_set", sa.String(20), nullable=False),
        sa.Column("by_gas", sa.Boolean, nullable=False),
        sa.Column("gases", sa.JSON, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("variant_type", sa.String(20), nullable=False),
        sa.Column("variants", sa.BigInteger, nullable=False),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("finished_at", Stamp),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_batch_runs_status", "batch_runs", ["status"])
    op.create_index("ix_batch_runs_created_at", "batch_runs", ["created_at"])
    op.create_table(
        "batch_results",
        # No foreign key to batch_runs: a per-row check (a trigger on PostgreSQL) made
        # writing results 3 times slower; see tanzuji.store.batch_tables.
        sa.Column("run_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("variant_id", sa.Text, nullable=False),
        sa.Column("kg_co2e", sa.Float, nullable=False),
        sa.Column("kg_co2e_by_gas", sa.JSON),
    )


def downgrade() -> None:
    op.drop_table("batch_results")
    op.drop_table("batch_runs")
