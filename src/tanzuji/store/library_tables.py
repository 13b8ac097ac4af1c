"""Tables of the process library, the reference data and the saved column mappings.

* ``library_versions``: one row per import of a library (``uslci`` version 1, 2, ...), with
  its source, licence, notice, content hash, linking rules and counts;
* ``library_flows``, ``library_processes``, ``library_exchanges``: what that import holds,
  each exchange with its amount as written and in the flow's reference unit, and its linking
  decision (provider, or why none);
* ``library_derivations``: each run that published the library's cradle-to-gate intensities
  as factors (GWP set, engine, factor import);
* ``reference_unit_groups``, ``reference_flow_properties``, ``reference_flows``: reference data
  (openLCA JSON-LD, ILCD) in immutable versions, as factors are;
* ``factor_column_mappings``: saved column mappings of factor tables, in versions.

Every row is append-only (an import makes a new library version; a changed reference record
a new version). The schema is created by the Alembic revision ``0006_process_library``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from tanzuji.errors import ImmutableRecord
from tanzuji.store.db import Base
from tanzuji.store.factors import Json

Stamp = DateTime(timezone=True)


class LibraryVersion(Base):
    """One import of a process library."""

    __tablename__ = "library_versions"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_library_versions_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    publisher: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    accessed: Mapped[dt.date | None] = mapped_column(Date)
    licence: Mapped[str] = mapped_column(Text)
    notice: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(16))
    source_name: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    rules: Mapped[dict[str, Any]] = mapped_column(Json)
    counts: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[dt.datetime] = mapped_column(Stamp)


class LibraryFlow(Base):
    """A flow of one library version, with its mapping to a Tanzuji gas."""

    __tablename__ = "library_flows"

    library_version_id: Mapped[int] = mapped_column(
        ForeignKey("library_versions.id"), primary_key=True
    )
    flow_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    flow_type: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(Text)
    reference_property: Mapped[str] = mapped_column(String(200))
    reference_unit: Mapped[str] = mapped_column(String(64))
    properties: Mapped[dict[str, Any]] = mapped_column(Json)
    cas: Mapped[str] = mapped_column(String(64))
    formula: Mapped[str] = mapped_column(String(128))
    location: Mapped[str] = mapped_column(String(64))
    gas_kind: Mapped[str] = mapped_column(String(16))
    gas: Mapped[str | None] = mapped_column(String(32))
    origin: Mapped[str | None] = mapped_column(String(32))
    kg_per_unit: Mapped[float | None] = mapped_column(Double)
    mapping_note: Mapped[str] = mapped_column(Text)


class LibraryProcess(Base):
    """A process of one library version."""

    __tablename__ = "library_processes"

    library_version_id: Mapped[int] = mapped_column(
        ForeignKey("library_versions.id"), primary_key=True
    )
    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    process_type: Mapped[str] = mapped_column(String(16))
    location: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer)
    licence: Mapped[str] = mapped_column(Text)
    source: Mapped[dict[str, Any]] = mapped_column(Json)
    allocation: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    default_allocation: Mapped[str] = mapped_column(String(16))
    parameters: Mapped[list[dict[str, Any]]] = mapped_column(Json)


class LibraryExchange(Base):
    """One exchange of a library process and its linking decision."""

    __tablename__ = "library_exchanges"
    __table_args__ = (
        ForeignKeyConstraint(
            ["library_version_id", "process_id"],
            ["library_processes.library_version_id", "library_processes.process_id"],
        ),
    )

    library_version_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    flow_id: Mapped[str] = mapped_column(String(200))
    amount: Mapped[float] = mapped_column(Double)
    unit: Mapped[str] = mapped_column(String(64))
    amount_ref: Mapped[float | None] = mapped_column(Double)
    unit_note: Mapped[str] = mapped_column(Text)
    is_input: Mapped[bool] = mapped_column(Boolean)
    is_reference: Mapped[bool] = mapped_column(Boolean)
    avoided: Mapped[bool] = mapped_column(Boolean)
    flow_property: Mapped[str] = mapped_column(String(200))
    formula: Mapped[str] = mapped_column(Text)
    default_provider: Mapped[str] = mapped_column(String(200))
    provider_location: Mapped[str] = mapped_column(String(64))
    uncertainty: Mapped[dict[str, Any] | None] = mapped_column(Json)
    description: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(32))
    provider: Mapped[str | None] = mapped_column(String(401))
    candidates: Mapped[list[str] | None] = mapped_column(Json)
    link_note: Mapped[str] = mapped_column(Text)


class LibraryDerivation(Base):
    """One publication of a library version's cradle-to-gate intensities as factors."""

    __tablename__ = "library_derivations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    library_version_id: Mapped[int] = mapped_column(ForeignKey("library_versions.id"))
    gwp_set: Mapped[str] = mapped_column(String(16))
    engine: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    factor_import_id: Mapped[int | None] = mapped_column(ForeignKey("factor_imports.id"))
    factor_release: Mapped[str | None] = mapped_column(String(64))
    factors: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    solve_seconds: Mapped[float] = mapped_column(Double)
    created_at: Mapped[dt.datetime] = mapped_column(Stamp)


class _ReferenceColumns:
    """Columns every reference record has: id, version, hash, where it came from, when."""

    uuid: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(Stamp)


class ReferenceUnitGroup(_ReferenceColumns, Base):
    """A unit group (reference data): reference unit and the factor of every unit."""

    __tablename__ = "reference_unit_groups"

    reference_unit: Mapped[str] = mapped_column(String(64))
    units: Mapped[dict[str, float]] = mapped_column(Json)


class ReferenceFlowProperty(_ReferenceColumns, Base):
    """A flow property (reference data) and its unit group."""

    __tablename__ = "reference_flow_properties"

    unit_group: Mapped[str] = mapped_column(String(200))


class ReferenceFlow(_ReferenceColumns, Base):
    """A flow (reference data): type, category, properties, CAS number, formula."""

    __tablename__ = "reference_flows"

    flow_type: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(Text)
    reference_property: Mapped[str] = mapped_column(String(200))
    properties: Mapped[dict[str, float]] = mapped_column(Json)
    cas: Mapped[str] = mapped_column(String(64))
    formula: Mapped[str] = mapped_column(String(128))
    location: Mapped[str] = mapped_column(String(64))


class FactorColumnMapping(Base):
    """A saved mapping of a factor table's columns to record fields, in versions."""

    __tablename__ = "factor_column_mappings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    columns: Mapped[dict[str, str]] = mapped_column(Json)
    constants: Mapped[dict[str, str]] = mapped_column(Json)
    created_at: Mapped[dt.datetime] = mapped_column(Stamp)


_APPEND_ONLY = (
    LibraryVersion,
    LibraryFlow,
    LibraryProcess,
    LibraryExchange,
    LibraryDerivation,
    ReferenceUnitGroup,
    ReferenceFlowProperty,
    ReferenceFlow,
    FactorColumnMapping,
)


@event.listens_for(Session, "before_flush")
def _refuse_edits(session: Session, _context: object, _instances: object) -> None:
    """Library versions, reference records and mappings are append-only."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, _APPEND_ONLY) and (obj in session.deleted or session.is_modified(obj)):
            raise ImmutableRecord(
                f"{type(obj).__name__} rows are immutable once written: import a new version"
            )


__all__ = [
    "FactorColumnMapping",
    "LibraryDerivation",
    "LibraryExchange",
    "LibraryFlow",
    "LibraryProcess",
    "LibraryVersion",
    "ReferenceFlow",
    "ReferenceFlowProperty",
    "ReferenceUnitGroup",
]
