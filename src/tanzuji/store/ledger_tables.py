"""The ledger's persisted state (Alembic revision ``0005_ledger_state``).

* ``cert_ledger_state``: one row (id 1) with the log size, its frontier (the roots of the
  perfect subtrees on its right edge, RFC 9162 2.1.1, hex) and the status-map root. Every append
  locks this row first, so leaf indices are allocated one at a time, in the transaction that
  inserts the entry. ``tree_size = -1`` means "not built yet": the first append builds it from
  the stored entries.
* ``cert_status_leaves``: the status map's leaves, ``SHA-256(certificate id)`` -> RFC 9162 leaf
  hash of the certificate's latest entry (hex).
* ``cert_status_nodes``: the status map's branch nodes (both children non-empty), keyed by
  depth (2 hex digits) + key prefix (64 hex digits, bits from ``depth`` on zero), with the two
  child hashes (:mod:`tanzuji.certify.statusmap`). One text key, so the branch nodes on a path
  are one indexed ``IN`` lookup.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tanzuji.store.db import Base

Json = JSON().with_variant(JSONB(), "postgresql")
HASH_HEX = 64  # SHA-256 as hex


class LedgerStateRow(Base):
    __tablename__ = "cert_ledger_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tree_size: Mapped[int] = mapped_column(Integer)
    frontier: Mapped[list[Any]] = mapped_column(Json)
    map_root: Mapped[str] = mapped_column(String(HASH_HEX))


class StatusLeafRow(Base):
    __tablename__ = "cert_status_leaves"

    key: Mapped[str] = mapped_column(String(HASH_HEX), primary_key=True)
    value: Mapped[str] = mapped_column(String(HASH_HEX))


class StatusNodeRow(Base):
    __tablename__ = "cert_status_nodes"

    node: Mapped[str] = mapped_column(String(2 + HASH_HEX), primary_key=True)  # node_id()
    left: Mapped[str] = mapped_column(String(HASH_HEX))
    right: Mapped[str] = mapped_column(String(HASH_HEX))


def node_id(depth: int, prefix: bytes) -> str:
    """Key of a branch node: its depth as 2 hex digits, then its path prefix as 64."""
    return f"{depth:02x}{prefix.hex()}"
