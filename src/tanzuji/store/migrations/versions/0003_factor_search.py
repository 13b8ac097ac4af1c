"""Factor search index: FTS5 on SQLite, tsvector + GIN on PostgreSQL, filled from the factors.

One row of ``factor_search`` per factor version (its filter columns and its pre-segmented
terms, see ``tanzuji.store.search``); ``factor_search_terms`` holds how many current versions
contain each term (the matcher's idf); ``factor_search_state`` one row with the number of
current versions and a generation number bumped by every write.

SQLite: ``factor_search_fts`` is an external-content FTS5 table over ``factor_search`` (terms,
extra), kept in step by triggers. PostgreSQL: ``terms_vector`` and ``extra_vector`` are
generated ``tsvector`` columns (``array_to_tsvector``: the terms are taken as they are, no
parser or dictionary) with GIN indexes. Existing factor versions are indexed on upgrade.

Revision ID: 0003_factor_search
Revises: 0002_certify
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_factor_search"
down_revision = "0002_certify"
branch_labels = None
depends_on = None

#: Characters that occur inside one term (``~concept``, ``gas/diesel``, ``hfc-134a``,
#: ``cn-gd``, ``2710.19``): token characters, so that a term is one FTS5 token, as on PostgreSQL.
SQLITE_TOKEN_CHARS = "~&''/+-.%"
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE factor_search_fts USING fts5(terms, extra, content='factor_search', "
    "content_rowid='id', "
    f"tokenize=\"unicode61 remove_diacritics 0 tokenchars '{SQLITE_TOKEN_CHARS}'\")"
)
SQLITE_TRIGGERS = (
    "CREATE TRIGGER factor_search_ai AFTER INSERT ON factor_search BEGIN "
    "INSERT INTO factor_search_fts(rowid, terms, extra) VALUES (new.id, new.terms, new.extra); "
    "END",
    "CREATE TRIGGER factor_search_ad AFTER DELETE ON factor_search BEGIN "
    "INSERT INTO factor_search_fts(factor_search_fts, rowid, terms, extra) "
    "VALUES ('delete', old.id, old.terms, old.extra); END",
)
POSTGRES_VECTORS = (
    "ALTER TABLE factor_search ADD COLUMN terms_vector tsvector GENERATED ALWAYS AS "
    "(array_to_tsvector(string_to_array(terms, ' '))) STORED",
    "ALTER TABLE factor_search ADD COLUMN extra_vector tsvector GENERATED ALWAYS AS "
    "(array_to_tsvector(string_to_array(extra, ' '))) STORED",
    "CREATE INDEX ix_factor_search_terms_vector ON factor_search USING gin (terms_vector)",
    "CREATE INDEX ix_factor_search_extra_vector ON factor_search USING gin (extra_vector)",
)


def upgrade() -> None:
    op.create_table(
        "factor_search",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("factor_id", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("latest", sa.Boolean, nullable=False),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("unit_dimension", sa.String(128)),
        sa.Column("geography", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer),
        sa.Column("boundary", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("terms", sa.Text, nullable=False),
        sa.Column("extra", sa.Text, nullable=False),
        sa.ForeignKeyConstraint(
            ["factor_id", "version"], ["factor_versions.factor_id", "factor_versions.version"]
        ),
        sa.UniqueConstraint("factor_id", "version", name="uq_factor_search_version"),
    )
    op.create_index("ix_factor_search_scope", "factor_search", ["latest", "unit_dimension"])
    op.create_table(
        "factor_search_terms",
        sa.Column("term", sa.String(200), primary_key=True),
        sa.Column("documents", sa.Integer, nullable=False),
    )
    state = op.create_table(
        "factor_search_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("documents", sa.Integer, nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
    )
    op.bulk_insert(state, [{"id": 1, "documents": 0, "generation": 0}])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SQLITE_FTS)
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
    else:
        for statement in POSTGRES_VECTORS:
            op.execute(statement)

    # Index the versions already stored (a database written by an earlier release).
    from tanzuji.store.search import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS factor_search_ai")
        op.execute("DROP TRIGGER IF EXISTS factor_search_ad")
        op.execute("DROP TABLE IF EXISTS factor_search_fts")
    op.drop_table("factor_search_state")
    op.drop_table("factor_search_terms")
    op.drop_index("ix_factor_search_scope", table_name="factor_search")
    op.drop_table("factor_search")
