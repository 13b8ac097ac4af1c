"""Process library: library versions, flows, processes, exchanges with their links,
derivations; reference data (unit groups, flow properties, flows); saved column mappings.

Revision ID: 0006_process_library
Revises: 0003_factor_search
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006_process_library"
down_revision = "0005_ledger_state"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
Stamp = sa.DateTime(timezone=True)


def _text(name: str, length: int | None = None, nullable: bool = False) -> sa.Column:
    kind = sa.String(length) if length else sa.Text
    return sa.Column(name, kind, nullable=nullable)


def _reference_columns() -> list[sa.Column]:
    """Columns of every reference table: id, version, name, hash, origin, time."""
    return [
        sa.Column("uuid", sa.String(200), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        _text("name"),
        _text("content_hash", 64),
        _text("source_name"),
        sa.Column("created_at", Stamp, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "library_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _text("name", 64),
        sa.Column("version", sa.Integer, nullable=False),
        _text("title"),
        _text("publisher"),
        _text("url", nullable=True),
        sa.Column("accessed", sa.Date, nullable=True),
        _text("licence"),
        _text("notice"),
        _text("format", 16),
        _text("source_name"),
        _text("content_hash", 64),
        sa.Column("rules", Json, nullable=False),
        sa.Column("counts", Json, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.UniqueConstraint("name", "version", name="uq_library_versions_name"),
    )
    op.create_table(
        "library_flows",
        sa.Column(
            "library_version_id",
            sa.Integer,
            sa.ForeignKey("library_versions.id"),
            primary_key=True,
        ),
        sa.Column("flow_id", sa.String(200), primary_key=True),
        _text("name"),
        _text("flow_type", 16),
        _text("category"),
        _text("reference_property", 200),
        _text("reference_unit", 64),
        sa.Column("properties", Json, nullable=False),
        _text("cas", 64),
        _text("formula", 128),
        _text("location", 64),
        _text("gas_kind", 16),
        _text("gas", 32, nullable=True),
        _text("origin", 32, nullable=True),
        sa.Column("kg_per_unit", sa.Double, nullable=True),
        _text("mapping_note"),
    )
    op.create_table(
        "library_processes",
        sa.Column(
            "library_version_id",
            sa.Integer,
            sa.ForeignKey("library_versions.id"),
            primary_key=True,
        ),
        sa.Column("process_id", sa.String(200), primary_key=True),
        _text("name"),
        _text("process_type", 16),
        _text("location", 64),
        _text("category"),
        _text("description"),
        sa.Column("year", sa.Integer, nullable=True),
        _text("licence"),
        sa.Column("source", Json, nullable=False),
        sa.Column("allocation", Json, nullable=False),
        _text("default_allocation", 16),
        sa.Column("parameters", Json, nullable=False),
    )
    op.create_table(
        "library_exchanges",
        sa.Column("library_version_id", sa.Integer, primary_key=True),
        sa.Column("process_id", sa.String(200), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        _text("flow_id", 200),
        sa.Column("amount", sa.Double, nullable=False),
        _text("unit", 64),
        sa.Column("amount_ref", sa.Double, nullable=True),
        _text("unit_note"),
        sa.Column("is_input", sa.Boolean, nullable=False),
        sa.Column("is_reference", sa.Boolean, nullable=False),
        sa.Column("avoided", sa.Boolean, nullable=False),
        _text("flow_property", 200),
        _text("formula"),
        _text("default_provider", 200),
        _text("provider_location", 64),
        sa.Column("uncertainty", Json, nullable=True),
        _text("description"),
        _text("link", 32, nullable=True),
        _text("provider", 401, nullable=True),
        sa.Column("candidates", Json, nullable=True),
        _text("link_note"),
        sa.ForeignKeyConstraint(
            ["library_version_id", "process_id"],
            ["library_processes.library_version_id", "library_processes.process_id"],
        ),
    )
    op.create_table(
        "library_derivations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "library_version_id",
            sa.Integer,
            sa.ForeignKey("library_versions.id"),
            nullable=False,
        ),
        _text("gwp_set", 16),
        _text("engine"),
        _text("status", 16),
        sa.Column(
            "factor_import_id", sa.Integer, sa.ForeignKey("factor_imports.id"), nullable=True
        ),
        _text("factor_release", 64, nullable=True),
        sa.Column("factors", sa.Integer, nullable=False),
        sa.Column("skipped", sa.Integer, nullable=False),
        _text("content_hash", 64),
        sa.Column("solve_seconds", sa.Double, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
    )
    op.create_table(
        "reference_unit_groups",
        *_reference_columns(),
        _text("reference_unit", 64),
        sa.Column("units", Json, nullable=False),
    )
    op.create_table(
        "reference_flow_properties",
        *_reference_columns(),
        _text("unit_group", 200),
    )
    op.create_table(
        "reference_flows",
        *_reference_columns(),
        _text("flow_type", 16),
        _text("category"),
        _text("reference_property", 200),
        sa.Column("properties", Json, nullable=False),
        _text("cas", 64),
        _text("formula", 128),
        _text("location", 64),
    )
    op.create_table(
        "factor_column_mappings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("columns", Json, nullable=False),
        sa.Column("constants", Json, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "factor_column_mappings",
        "reference_flows",
        "reference_flow_properties",
        "reference_unit_groups",
        "library_derivations",
        "library_exchanges",
        "library_processes",
        "library_flows",
        "library_versions",
    ):
        op.drop_table(table)
