"""Ledger state and status map; canonical credit serials.

* ``cert_ledger_state``: one row holding the log size, its frontier and the status-map root;
  appends lock it (race-free leaf indices, O(log n) appends). Inserted with ``tree_size = -1``
  ("not built"): the first append builds frontier and map from the entries already stored.
* ``cert_status_leaves``, ``cert_status_nodes``: the status map (sparse Merkle tree of the
  latest entry of every certificate, ``tanzuji.certify.statusmap``).
* ``cert_tree_heads.map_root``: the status-map root a head signs (NULL on earlier heads).
* ``cert_credit_serials``: canonical registry key, prefix key and integer range
  (``tanzuji.certify.serials``), filled for the rows already stored; the overlap trigger now
  compares those, and refuses a row without them.

Revision ID: 0005_ledger_state
Revises: 0003_factor_search
Create Date: 2026-03-02
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005_ledger_state"
down_revision = "0003_factor_search"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
CANONICAL = (
    ("registry_key", sa.String(100)),
    ("serial_key", sa.String(200)),
    ("number_start", sa.BigInteger()),
    ("number_end", sa.BigInteger()),
)
OVERLAP = (
    "SELECT 1 FROM cert_credit_serials c WHERE c.registry_key = NEW.registry_key "
    "AND c.serial_key = NEW.serial_key AND c.number_start <= NEW.number_end "
    "AND NEW.number_start <= c.number_end"
)
MISSING = (
    "NEW.registry_key IS NULL OR NEW.serial_key IS NULL OR NEW.number_start IS NULL "
    "OR NEW.number_end IS NULL"
)
OLD_OVERLAP = (
    "SELECT 1 FROM cert_credit_serials c WHERE lower(c.registry) = lower(NEW.registry) "
    "AND lower(c.serial_prefix) = lower(NEW.serial_prefix) AND c.serial_start <= NEW.serial_end "
    "AND NEW.serial_start <= c.serial_end"
)


def _empty_map_root() -> str:
    """Root of the empty status map: E[256] = 32 zero bytes, E[d] = SHA-256(0x01‖E[d+1]‖E[d+1])."""
    node = bytes(32)
    for _ in range(256):
        node = hashlib.sha256(b"\x01" + node + node).digest()
    return node.hex()


def upgrade() -> None:
    state = op.create_table(
        "cert_ledger_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("tree_size", sa.Integer, nullable=False),
        sa.Column("frontier", Json, nullable=False),
        sa.Column("map_root", sa.String(64), nullable=False),
    )
    op.bulk_insert(
        state, [{"id": 1, "tree_size": -1, "frontier": [], "map_root": _empty_map_root()}]
    )
    op.create_table(
        "cert_status_leaves",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(64), nullable=False),
    )
    op.create_table(
        "cert_status_nodes",
        sa.Column("node", sa.String(66), primary_key=True),
        sa.Column("left", sa.String(64), nullable=False),
        sa.Column("right", sa.String(64), nullable=False),
    )
    op.add_column("cert_tree_heads", sa.Column("map_root", sa.String(64)))
    for name, kind in CANONICAL:
        op.add_column("cert_credit_serials", sa.Column(name, kind))
    _canonical_serials()
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_trigger(OVERLAP, MISSING)
    else:
        _sqlite_trigger(OVERLAP, MISSING)


def _canonical_serials() -> None:
    """Fill the canonical columns of the credit blocks already stored."""
    from tanzuji.certify.serials import canonical_range

    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, registry, serial_prefix, serial_start, serial_end FROM cert_credit_serials"
        )
    ).all()
    for row in rows:
        block = canonical_range(row.registry, row.serial_prefix, row.serial_start, row.serial_end)
        bind.execute(
            sa.text(
                "UPDATE cert_credit_serials SET registry_key = :r, serial_key = :p, "
                "number_start = :s, number_end = :e WHERE id = :id"
            ),
            {
                "r": block.registry,
                "p": block.prefix,
                "s": block.start,
                "e": block.end,
                "id": row.id,
            },
        )


def _sqlite_trigger(overlap: str, missing: str | None) -> None:
    op.execute("DROP TRIGGER IF EXISTS cert_credit_serials_no_overlap")
    condition = f"({missing}) OR EXISTS ({overlap})" if missing else f"EXISTS ({overlap})"
    op.execute(
        "CREATE TRIGGER cert_credit_serials_no_overlap BEFORE INSERT ON cert_credit_serials "
        f"WHEN {condition} BEGIN SELECT RAISE(ABORT, 'credit serial range already used or "
        "not in canonical form'); END"
    )


def _postgresql_trigger(overlap: str, missing: str | None) -> None:
    # The table lock serialises concurrent inserts so two claims cannot race past the check.
    check = f"IF {missing} THEN RAISE EXCEPTION 'credit serial row not in canonical form'; END IF; "
    op.execute(
        "CREATE OR REPLACE FUNCTION cert_credit_no_overlap() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN LOCK TABLE cert_credit_serials IN SHARE ROW EXCLUSIVE MODE; "
        + (check if missing else "")
        + f"IF EXISTS ({overlap}) THEN RAISE EXCEPTION 'credit serial range already used'; "
        "END IF; RETURN NEW; END $$"
    )


def downgrade() -> None:
    with op.batch_alter_table("cert_credit_serials") as batch:  # SQLite: rebuilt, trigger gone
        for name, _kind in CANONICAL:
            batch.drop_column(name)
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_trigger(OLD_OVERLAP, None)
    else:
        _sqlite_trigger(OLD_OVERLAP, None)
    with op.batch_alter_table("cert_tree_heads") as batch:
        batch.drop_column("map_root")
    op.drop_table("cert_status_nodes")
    op.drop_table("cert_status_leaves")
    op.drop_table("cert_ledger_state")
