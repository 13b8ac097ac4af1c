"""The emission-factor tables.

A factor (``factors``) has immutable versions (``factor_versions``): an edit inserts a new
version, never an UPDATE of the content columns. Only the review fields of a version
(``status``, ``reviewer``, ``reviewed_at``) change, and each change is logged in
``factor_status_changes``. A release (``factor_releases``) is a named, immutable snapshot: its
members (``factor_release_members``) pin one version of each factor. Every import is logged
(``factor_imports`` and one ``factor_import_entries`` row per record: imported or skipped and
why).

The schema is created by the Alembic revision ``0001_factors``
(``migrations/versions/0001_factors.py``); a change here needs a new revision.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    event,
    inspect,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from tanzuji.errors import ImmutableRecord
from tanzuji.store.db import Base

#: JSON on SQLite, JSONB on PostgreSQL.
Json = JSON().with_variant(JSONB(), "postgresql")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Factor(Base):
    """A factor's stable identity; its content lives in versions."""

    __tablename__ = "factors"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    versions: Mapped[list[FactorVersion]] = relationship(
        back_populates="factor", order_by="FactorVersion.version"
    )


class FactorVersion(Base):
    """One immutable version of a factor: every field of a FactorRecord."""

    __tablename__ = "factor_versions"

    factor_id: Mapped[str] = mapped_column(ForeignKey("factors.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_en: Mapped[str] = mapped_column(Text)
    name_zh: Mapped[str] = mapped_column(Text)
    activity: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(64))
    kg_co2e: Mapped[float | None] = mapped_column(Double)
    gases: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    gwp_set: Mapped[str | None] = mapped_column(String(16))
    boundary: Mapped[str] = mapped_column(String(32))
    geography: Mapped[str] = mapped_column(String(64), index=True)
    year: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[dict[str, Any]] = mapped_column(Json)
    licence: Mapped[str] = mapped_column(Text)
    pedigree: Mapped[dict[str, Any] | None] = mapped_column(Json)
    uncertainty: Mapped[dict[str, Any] | None] = mapped_column(Json)
    classification: Mapped[dict[str, str]] = mapped_column(Json)
    primary_data: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(Json)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("factor_imports.id"))
    # Review fields: the only columns that change after insert.
    status: Mapped[str] = mapped_column(String(16), index=True)
    reviewer: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    factor: Mapped[Factor] = relationship(back_populates="versions")


#: Columns of a version that may change after insert (the review workflow).
REVIEW_COLUMNS = frozenset({"status", "reviewer", "reviewed_at"})


class StatusChange(Base):
    """One move of a version through draft -> under_review -> published -> deprecated."""

    __tablename__ = "factor_status_changes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["factor_id", "version"], ["factor_versions.factor_id", "factor_versions.version"]
        ),
        Index("ix_factor_status_changes_factor", "factor_id", "version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    factor_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reviewer: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text)


class Release(Base):
    """A named, immutable snapshot of the factor database (e.g. ``2026.1``)."""

    __tablename__ = "factor_releases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)
    member_count: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))

    members: Mapped[list[ReleaseMember]] = relationship(order_by="ReleaseMember.factor_id")


class ReleaseMember(Base):
    """The version of one factor that a release pins."""

    __tablename__ = "factor_release_members"
    __table_args__ = (
        ForeignKeyConstraint(
            ["factor_id", "version"], ["factor_versions.factor_id", "factor_versions.version"]
        ),
    )

    release_id: Mapped[int] = mapped_column(ForeignKey("factor_releases.id"), primary_key=True)
    factor_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class ImportRun(Base):
    """One import of a batch of records (a file or an API payload)."""

    __tablename__ = "factor_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_name: Mapped[str] = mapped_column(Text)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    imported: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer)

    entries: Mapped[list[ImportEntry]] = relationship(order_by="ImportEntry.position")


class ImportEntry(Base):
    """What happened to one record of an import: ``new``, ``new_version`` or ``skipped``."""

    __tablename__ = "factor_import_entries"

    import_id: Mapped[int] = mapped_column(ForeignKey("factor_imports.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    factor_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)


_IMMUTABLE = (Release, ReleaseMember, ImportEntry, StatusChange)


@event.listens_for(Session, "before_flush")
def _refuse_edits(session: Session, _context: object, _instances: object) -> None:
    """Versions, releases and logs are append-only: refuse UPDATEs of content and DELETEs."""
    for obj in session.dirty:
        if isinstance(obj, FactorVersion):
            state = inspect(obj)
            changed = sorted(
                a.key
                for a in state.attrs
                if a.key not in REVIEW_COLUMNS and a.key != "factor" and a.history.has_changes()
            )
            if changed:
                raise ImmutableRecord(
                    f"factor {obj.factor_id!r} version {obj.version} is immutable; fields "
                    f"{changed} cannot change: make a new version instead"
                )
        elif isinstance(obj, _IMMUTABLE) and session.is_modified(obj):
            raise ImmutableRecord(f"{type(obj).__name__} rows are immutable once written")
    for obj in session.deleted:
        if isinstance(obj, (FactorVersion, *_IMMUTABLE)):
            raise ImmutableRecord(f"{type(obj).__name__} rows cannot be deleted")


__all__ = [
    "Factor",
    "FactorVersion",
    "ImportEntry",
    "ImportRun",
    "Release",
    "ReleaseMember",
    "StatusChange",
]
