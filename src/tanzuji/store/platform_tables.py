"""Platform tables (Alembic revision ``0007_platform_core``): who acts, and identifier counters.

* ``organisations``: enterprises, certification bodies (with their accreditation), the
  platform operator.
* ``users``: people acting for one organisation in one role (``certify.records.Role``).
  ``password_hash`` (argon2, set by the web login) and ``active`` are ready for the web edge;
  the command line names a user with ``--as USER`` and trusts the local operator.
* ``id_counters``: the last number given out per (kind, year), e.g. (``application``, 2026).
  A new identifier increments its row inside the transaction that inserts the record
  (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``: the row stays locked until commit), so
  two processes never get the same number.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column

from tanzuji.store.db import Base

Stamp = DateTime(timezone=True)


class OrganisationRow(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(30))
    accredited: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(Stamp)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(320))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[dt.datetime] = mapped_column(Stamp)


class IdCounterRow(Base):
    __tablename__ = "id_counters"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(BigInteger)
