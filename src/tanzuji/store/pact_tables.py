"""PACT exchange tables (Alembic revision ``0010_pact``).

Data owner side (the platform's organisations are the PACT data owners):

* ``pact_clients``: OAuth2 client credentials an owner issued to a partner organisation; the
  secret is kept as a scrypt hash only (shown once when made); ``revoked_at`` ends it;
* ``pact_profiles``: an owner's PACT identity (company URNs, the domain of its product URNs);
* ``pact_shares``: which partner (or every partner: ``partner_id`` NULL) may read which of
  the owner's products (or all: ``product_key`` NULL);
* ``pact_footprints``: published ProductFootprints, immutable JSON (``document``) plus what
  listing needs: status, withdrawal, creation time and validity period in epoch
  milliseconds (one comparison on both back ends), the certificate it came from;
* ``pact_footprint_keys``: lower-cased product, company, classification and geography values
  of each footprint, indexed, so each ListFootprints criterion is one indexed ``IN``;
* ``pact_tasks``: RequestCreatedEvents received, waiting for a person or a rule;
* ``pact_outbox``: events to send, with their delivery state, attempts and next attempt.

Data recipient side:

* ``pact_remotes``: hosts this platform calls (base URL, the client id a partner issued to us
  and the secret sealed with the host's secret-box key, which never enters the database);
* ``pact_requests``: RequestCreatedEvents sent, and how they were answered;
* ``pact_received``: footprints received, the factor version each became, its verification;
* ``pact_inbox``: other events received (PublishedEvents, answers to unknown requests).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tanzuji.store.db import Base

Stamp = DateTime(timezone=True)


class PactClientRow(Base):
    __tablename__ = "pact_clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    label: Mapped[str] = mapped_column(String(300), default="")
    secret_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(Stamp)
    created_by: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(Stamp)


class PactProfileRow(Base):
    __tablename__ = "pact_profiles"

    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    company_ids: Mapped[str] = mapped_column(Text)  # JSON list of URNs
    product_domain: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[dt.datetime] = mapped_column(Stamp)


class PactShareRow(Base):
    __tablename__ = "pact_shares"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    partner_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    product_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(Stamp)
    created_by: Mapped[str | None] = mapped_column(String(100))


class PactFootprintRow(Base):
    __tablename__ = "pact_footprints"
    __table_args__ = (
        Index("ix_pact_footprints_owner_created", "owner_id", "created_ms", "id"),
        Index("ix_pact_footprints_certificate", "certificate_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    product_key: Mapped[str] = mapped_column(String(200))
    application_id: Mapped[str | None] = mapped_column(String(64))
    certificate_id: Mapped[str | None] = mapped_column(String(64))
    certificate_version: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(Stamp)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    superseded_by: Mapped[str | None] = mapped_column(String(36))
    created_ms: Mapped[int] = mapped_column(BigInteger)
    valid_start_ms: Mapped[int] = mapped_column(BigInteger)
    valid_end_ms: Mapped[int] = mapped_column(BigInteger)
    document: Mapped[str] = mapped_column(Text)


class PactFootprintKeyRow(Base):
    __tablename__ = "pact_footprint_keys"
    __table_args__ = (Index("ix_pact_footprint_keys_value", "kind", "value"),)

    footprint_id: Mapped[str] = mapped_column(ForeignKey("pact_footprints.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(500), primary_key=True)


class PactTaskRow(Base):
    __tablename__ = "pact_tasks"
    __table_args__ = (
        UniqueConstraint("partner_id", "source", "request_event_id", name="uq_pact_tasks_event"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    client_id: Mapped[str] = mapped_column(String(64))
    request_event_id: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(500))
    criteria: Mapped[str] = mapped_column(Text)  # JSON: the event's data
    status: Mapped[str] = mapped_column(String(12))
    received_at: Mapped[dt.datetime] = mapped_column(Stamp)
    decided_at: Mapped[dt.datetime | None] = mapped_column(Stamp)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    footprint_ids: Mapped[str | None] = mapped_column(Text)  # JSON list
    error_code: Mapped[str | None] = mapped_column(String(30))
    error_message: Mapped[str | None] = mapped_column(Text)


class PactOutboxRow(Base):
    __tablename__ = "pact_outbox"
    __table_args__ = (Index("ix_pact_outbox_due", "state", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the CloudEvent id
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    partner_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    target_url: Mapped[str] = mapped_column(String(500))
    event_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(Stamp)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(Stamp)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(Stamp)
    task_id: Mapped[int | None] = mapped_column(Integer)


class PactRemoteRow(Base):
    __tablename__ = "pact_remotes"
    __table_args__ = (UniqueConstraint("organisation_id", "base_url", name="uq_pact_remotes_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    partner_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    base_url: Mapped[str] = mapped_column(String(500))
    auth_base_url: Mapped[str | None] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    secret_sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(Stamp)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(Stamp)


class PactRequestRow(Base):
    __tablename__ = "pact_requests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the CloudEvent id
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    remote_id: Mapped[int] = mapped_column(ForeignKey("pact_remotes.id"))
    criteria: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[dt.datetime] = mapped_column(Stamp)
    answered_at: Mapped[dt.datetime | None] = mapped_column(Stamp)
    answer: Mapped[str | None] = mapped_column(Text)  # JSON: factor ids, or the error


class PactReceivedRow(Base):
    __tablename__ = "pact_received"
    __table_args__ = (UniqueConstraint("host", "footprint_id", name="uq_pact_received_pf"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    host: Mapped[str] = mapped_column(String(500))
    footprint_id: Mapped[str] = mapped_column(String(64))
    supplier: Mapped[str] = mapped_column(String(300))
    product_ids: Mapped[str] = mapped_column(Text)  # JSON list
    status: Mapped[str] = mapped_column(String(12))
    preceding: Mapped[str | None] = mapped_column(Text)  # JSON list
    verification: Mapped[str] = mapped_column(Text)
    factor_id: Mapped[str] = mapped_column(String(200), index=True)
    factor_version: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[dt.datetime] = mapped_column(Stamp)
    via: Mapped[str] = mapped_column(String(20))


class PactInboxRow(Base):
    __tablename__ = "pact_inbox"
    __table_args__ = (
        UniqueConstraint("partner_id", "source", "event_id", name="uq_pact_inbox_event"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    partner_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    event_id: Mapped[str] = mapped_column(String(300))
    event_type: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(Stamp)
    handled: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
