"""Emission-factor database: factors, immutable versions, status log, releases, import log.

Revision ID: 0001_factors
Revises: (none, the first revision)
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001_factors"
down_revision = None
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "factors",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("created_at", Stamp, nullable=False),
    )
    op.create_table(
        "factor_imports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source_name", sa.Text, nullable=False),
        sa.Column("started_at", Stamp, nullable=False),
        sa.Column("imported", sa.Integer, nullable=False),
        sa.Column("skipped", sa.Integer, nullable=False),
    )
    op.create_table(
        "factor_versions",
        sa.Column("factor_id", sa.String(200), sa.ForeignKey("factors.id"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("name_en", sa.Text, nullable=False),
        sa.Column("name_zh", sa.Text, nullable=False),
        sa.Column("activity", sa.Text, nullable=False),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("kg_co2e", sa.Double, nullable=True),
        sa.Column("gases", Json, nullable=False),
        sa.Column("gwp_set", sa.String(16), nullable=True),
        sa.Column("boundary", sa.String(32), nullable=False),
        sa.Column("geography", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=True),
        sa.Column("valid_from", sa.Date, nullable=True),
        sa.Column("valid_to", sa.Date, nullable=True),
        sa.Column("source", Json, nullable=False),
        sa.Column("licence", sa.Text, nullable=False),
        sa.Column("pedigree", Json, nullable=True),
        sa.Column("uncertainty", Json, nullable=True),
        sa.Column("classification", Json, nullable=False),
        sa.Column("primary_data", sa.Boolean, nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("extra", Json, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("factor_imports.id"), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reviewer", sa.Text, nullable=True),
        sa.Column("reviewed_at", Stamp, nullable=True),
    )
    op.create_index("ix_factor_versions_geography", "factor_versions", ["geography"])
    op.create_index("ix_factor_versions_status", "factor_versions", ["status"])
    op.create_table(
        "factor_status_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("factor_id", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("reviewer", sa.Text, nullable=True),
        sa.Column("changed_at", Stamp, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.ForeignKeyConstraint(
            ["factor_id", "version"], ["factor_versions.factor_id", "factor_versions.version"]
        ),
    )
    op.create_index(
        "ix_factor_status_changes_factor", "factor_status_changes", ["factor_id", "version"]
    )
    op.create_table(
        "factor_releases",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("created_by", sa.Text, nullable=True),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("member_count", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "factor_release_members",
        sa.Column("release_id", sa.Integer, sa.ForeignKey("factor_releases.id"), primary_key=True),
        sa.Column("factor_id", sa.String(200), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.ForeignKeyConstraint(
            ["factor_id", "version"], ["factor_versions.factor_id", "factor_versions.version"]
        ),
    )
    op.create_table(
        "factor_import_entries",
        sa.Column("import_id", sa.Integer, sa.ForeignKey("factor_imports.id"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("factor_id", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "factor_import_entries",
        "factor_release_members",
        "factor_releases",
        "factor_status_changes",
        "factor_versions",
        "factor_imports",
        "factors",
    ):
        op.drop_table(table)
