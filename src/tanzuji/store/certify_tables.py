"""The certification tables (Alembic revision ``0002_certify``).

* ``cert_applications``: the current application record (JSON) with its state, for queries,
  and ``version``: the number of audit lines it holds; an update names the version it read
  (``UPDATE ... WHERE version = :read``), so a concurrent change is refused, never lost
  (revision ``0007_platform_core``).
* ``cert_model_versions``, ``cert_evidence``: every model version and evidence file with its
  SHA-256 (evidence bytes kept so the hash can be re-checked).
* ``cert_model_files``: the files a model version uses (its factor CSVs), content-addressed
  by SHA-256, so a stored model is recomputed from the store alone (``0007_platform_core``).
* ``cert_audit``: the append-only audit trail (who, when, what, why). UPDATE and DELETE are
  refused by database triggers.
* ``cert_certificates``: every signed certificate version.
* ``cert_ledger_entries`` (append-only, triggers) and ``cert_tree_heads``: the transparency log.
* ``cert_credit_serials``: retired credit blocks, as given and in canonical form (registry key,
  prefix key, integer range; revision 0005); a trigger refuses a block whose canonical range
  overlaps one already stored, so a serial backs one claim only, even when two processes race.
* ``cert_signing_keys``: public metadata of the platform keys (private keys stay in files).
* ``cert_instrument_serials`` (revision ``0009_modelling``): electricity certificate blocks a
  claimed application's market-based footprint counts, with the canonical columns and overlap
  trigger of credit serials.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tanzuji.store.db import Base

Json = JSON().with_variant(JSONB(), "postgresql")
Stamp = DateTime(timezone=True)


class ApplicationRow(Base):
    __tablename__ = "cert_applications"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    applicant_id: Mapped[str] = mapped_column(String(200), index=True)
    product_id: Mapped[str] = mapped_column(String(200), index=True)
    label_type: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(30), index=True)
    certificate_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    record: Mapped[dict[str, Any]] = mapped_column(Json)
    updated_at: Mapped[dt.datetime] = mapped_column(Stamp)
    version: Mapped[int] = mapped_column(Integer, server_default="0")


class ModelVersionRow(Base):
    __tablename__ = "cert_model_versions"

    application_id: Mapped[str] = mapped_column(
        ForeignKey("cert_applications.id"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_sha256: Mapped[str] = mapped_column(String(64))
    model_text: Mapped[str] = mapped_column(Text)
    total_kg_co2e: Mapped[float] = mapped_column(Float)
    footprint: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[dt.datetime] = mapped_column(Stamp)


class ModelFileRow(Base):
    __tablename__ = "cert_model_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class EvidenceRow(Base):
    __tablename__ = "cert_evidence"

    application_id: Mapped[str] = mapped_column(
        ForeignKey("cert_applications.id"), primary_key=True
    )
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    added_at: Mapped[dt.datetime] = mapped_column(Stamp)


class AuditRow(Base):
    __tablename__ = "cert_audit"

    application_id: Mapped[str] = mapped_column(
        ForeignKey("cert_applications.id"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(Stamp)
    actor_id: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(30))
    organisation_id: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text)


class CertificateRow(Base):
    __tablename__ = "cert_certificates"

    certificate_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("cert_applications.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(40))
    document: Mapped[dict[str, Any]] = mapped_column(Json)
    issued_at: Mapped[dt.datetime] = mapped_column(Stamp)


class LedgerEntryRow(Base):
    __tablename__ = "cert_ledger_entries"

    index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    certificate_id: Mapped[str] = mapped_column(String(64), index=True)
    event: Mapped[str] = mapped_column(String(20))
    leaf_hash: Mapped[str] = mapped_column(String(64))
    entry: Mapped[dict[str, Any]] = mapped_column(Json)


class TreeHeadRow(Base):
    __tablename__ = "cert_tree_heads"

    tree_size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    root_hash: Mapped[str] = mapped_column(String(64))
    timestamp: Mapped[str] = mapped_column(String(40))
    key_id: Mapped[str] = mapped_column(String(40))
    signature: Mapped[str] = mapped_column(String(100))
    map_root: Mapped[str | None] = mapped_column(String(64))  # 0005_ledger_state


class CreditSerialRow(Base):
    __tablename__ = "cert_credit_serials"
    __table_args__ = (UniqueConstraint("registry", "serial_prefix", "serial_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("cert_applications.id"))
    credit_registry: Mapped[str] = mapped_column("registry", String(100))
    serial_prefix: Mapped[str] = mapped_column(String(200))
    serial_start: Mapped[int] = mapped_column(BigInteger)
    serial_end: Mapped[int] = mapped_column(BigInteger)
    vintage: Mapped[int] = mapped_column(Integer)
    quantity_t_co2e: Mapped[float] = mapped_column(Float)
    retirement_date: Mapped[dt.date]
    # canonical form (tanzuji.certify.serials), compared by the overlap trigger; 0005_ledger_state
    registry_key: Mapped[str | None] = mapped_column(String(100))
    serial_key: Mapped[str | None] = mapped_column(String(200))
    number_start: Mapped[int | None] = mapped_column(BigInteger)
    number_end: Mapped[int | None] = mapped_column(BigInteger)


class InstrumentSerialRow(Base):
    __tablename__ = "cert_instrument_serials"
    __table_args__ = (UniqueConstraint("registry_key", "serial_key", "number_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("cert_applications.id"))
    instrument_type: Mapped[str] = mapped_column(String(40))
    instrument_registry: Mapped[str] = mapped_column("registry", String(200))
    serial_prefix: Mapped[str] = mapped_column(String(200))
    serial_start: Mapped[int] = mapped_column(BigInteger)
    serial_end: Mapped[int] = mapped_column(BigInteger)
    # the block in canonical form (certify.serials), what the overlap trigger compares
    registry_key: Mapped[str] = mapped_column(String(100))
    serial_key: Mapped[str] = mapped_column(String(200))
    number_start: Mapped[int] = mapped_column(BigInteger)
    number_end: Mapped[int] = mapped_column(BigInteger)


class SigningKeyRow(Base):
    __tablename__ = "cert_signing_keys"

    key_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(20))
    public_key: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[str] = mapped_column(String(40))
    retired_at: Mapped[str | None] = mapped_column(String(40))
