"""Audit table (Alembic revision ``0013_audit``): the administrative changes of the platform.

* ``audit_events``: one row per change an administrator (or a user to their own account) made
  to users, API tokens and organisations — who (``actor_id`` and ``actor_organisation_id``;
  both empty for the local operator of the command line), when (``at``, UTC), what
  (``action``, e.g. ``user.role_change``), to what (``subject_kind`` and ``subject_id``), the
  state ``before`` and ``after`` as JSON objects (empty when there was none: a creation has
  no ``before``; never a password or a token secret), and the ``reason`` given, if any.

A row is written by :mod:`tanzuji.services.audit` inside the unit of work of the change it
describes, so both are committed together or not at all. The table is append-only: the
migration installs triggers (SQLite and PostgreSQL) that refuse any ``UPDATE`` or ``DELETE``
of its rows, so a change cannot be rewritten or dropped afterwards through the application's
connection. Indexes: newest first (``at``, ``id``), and per subject and per actor.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tanzuji.store.db import Base

Stamp = DateTime(timezone=True)


class AuditEventRow(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_at_id", "at", "id"),
        Index("ix_audit_events_subject", "subject_kind", "subject_id", "at"),
        Index("ix_audit_events_actor", "actor_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(Stamp)
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_organisation_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    subject_kind: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    after: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text)
