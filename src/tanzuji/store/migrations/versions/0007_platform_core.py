"""Platform core: organisations and users, identifier counters, application versions, model files.

* ``organisations``, ``users`` (with a nullable ``password_hash`` and an ``active`` flag for
  the web login to come);
* ``id_counters`` (kind, year, last_value), seeded from the application and certificate ids
  already stored (``APP-2026-000007`` -> application 2026: 7), so no id is given twice;
* ``cert_applications.version``: the number of audit lines of each stored application, the
  optimistic-lock version an update must name;
* ``cert_model_files``: content-addressed files of stored model versions (factor CSVs).

Revision ID: 0007_platform_core
Revises: 0006_process_library
Create Date: 2026-12-02
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0007_platform_core"
down_revision = "0006_process_library"
branch_labels = None
depends_on = None

Stamp = sa.DateTime(timezone=True)

#: Stored identifiers and the counter kind they advance: ``PREFIX-YEAR-NUMBER``.
ID_PATTERNS = (
    ("application", "id", re.compile(r"^APP-(\d{4})-(\d+)$")),
    ("certificate", "certificate_id", re.compile(r"^[A-Z][A-Z-]*-(\d{4})-(\d+)$")),
)


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("accredited", sa.Boolean, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column(
            "organisation_id", sa.String(64), sa.ForeignKey("organisations.id"), nullable=False
        ),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("email", sa.String(320)),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", Stamp, nullable=False),
    )
    op.create_index("ix_users_organisation_id", "users", ["organisation_id"])
    counters = op.create_table(
        "id_counters",
        sa.Column("kind", sa.String(40), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last_value", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "cert_model_files",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    # a plain ALTER TABLE ADD COLUMN on both back ends: a batch (copy-and-move) on SQLite would
    # drop cert_applications, which the audit, evidence and model rows reference
    op.add_column(
        "cert_applications",
        sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("0")),
    )
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "UPDATE cert_applications SET version = (SELECT COUNT(*) FROM cert_audit "
            "WHERE cert_audit.application_id = cert_applications.id)"
        )
    )
    seeds = _counter_seeds(bind)
    if seeds:
        op.bulk_insert(counters, seeds)


def _counter_seeds(bind: sa.Connection) -> list[dict[str, object]]:
    """The highest number already used per (kind, year) among the stored identifiers."""
    highest: dict[tuple[str, int], int] = {}
    for kind, column, pattern in ID_PATTERNS:
        rows = bind.execute(sa.text(f"SELECT {column} FROM cert_applications"))
        for (value,) in rows:
            found = pattern.match(value or "")
            if found:
                key = (kind, int(found.group(1)))
                highest[key] = max(highest.get(key, 0), int(found.group(2)))
    return [{"kind": k, "year": y, "last_value": n} for (k, y), n in sorted(highest.items())]


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # SQLite >= 3.35: DROP COLUMN in place
        op.execute("ALTER TABLE cert_applications DROP COLUMN version")
    else:
        op.drop_column("cert_applications", "version")
    op.drop_table("cert_model_files")
    op.drop_table("id_counters")
    op.drop_index("ix_users_organisation_id", "users")
    op.drop_table("users")
    op.drop_table("organisations")
