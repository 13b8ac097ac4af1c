"""Persistence of certification records: applications, audit trail, certificates, ledger.

:class:`CertificationStore` reads and writes the tables of :mod:`tanzuji.store.certify_tables`
in one transaction per call; the records themselves are the pydantic models of
:mod:`tanzuji.certify.records`, moved by the pure workflow in :mod:`tanzuji.certify.workflow`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DBAPIError

from tanzuji.certify.certificate import Keyring
from tanzuji.certify.credits import UsedSerial
from tanzuji.certify.instruments import InstrumentBlock, instrument_serials
from tanzuji.certify.ledger import Ledger, LedgerEntry, TreeHead
from tanzuji.certify.publish import Publication
from tanzuji.certify.records import Application, CreditRetirement, State
from tanzuji.errors import CreditSerialReused, NotFound
from tanzuji.store.certify_tables import (
    ApplicationRow,
    AuditRow,
    CertificateRow,
    CreditSerialRow,
    EvidenceRow,
    InstrumentSerialRow,
    LedgerEntryRow,
    ModelVersionRow,
    SigningKeyRow,
    TreeHeadRow,
)
from tanzuji.store.db import session_scope

CLAIMED_STATES = (State.approved, State.issued, State.under_surveillance, State.renewed)


def _stored_keys(session: Any, key: Any, owner: Any, application_id: str) -> set[Any]:
    """Values of column ``key`` in the rows whose ``owner`` column is ``application_id``."""
    return set(session.scalars(select(key).where(owner == application_id)))


class CertificationStore:
    """Certification records in the database behind ``engine`` (already migrated)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # applications ---------------------------------------------------------------------------
    def next_application_id(self, year: int) -> str:
        with session_scope(self.engine) as session:
            count = session.scalar(select(func.count()).select_from(ApplicationRow)) or 0
        return f"APP-{year}-{count + 1:06d}"

    def next_certificate_id(self, year: int) -> str:
        with session_scope(self.engine) as session:
            count = session.scalar(
                select(func.count()).where(ApplicationRow.certificate_id.is_not(None))
            )
        return f"GBA-CFL-{year}-{(count or 0) + 1:06d}"

    def save(self, application: Application, evidence: Mapping[str, bytes] | None = None) -> None:
        """Write the application and append its new audit lines, model versions, evidence.

        Raises
        ------
        CreditSerialReused
            When the application's credit serials overlap serials stored for another one (the
            database refuses them even when the workflow check was bypassed).
        """
        evidence = evidence or {}
        now = application.audit[-1].at if application.audit else dt.datetime.now(dt.UTC)
        try:
            with session_scope(self.engine) as session:
                row = session.get(ApplicationRow, application.id)
                if row is None:
                    row = ApplicationRow(id=application.id)
                    session.add(row)
                row.applicant_id = application.applicant.id
                row.product_id = application.product_id
                row.label_type = application.label_type.value
                row.state = application.state.value
                row.certificate_id = application.certificate_id
                row.record = application.model_dump(mode="json")
                row.updated_at = now
                session.flush()
                self._append_children(session, application, evidence)
        except DBAPIError as exc:
            if "instrument serial" in str(exc.orig):
                raise CreditSerialReused(
                    f"the database refused the electricity certificate serials of application "
                    f"{application.id}: they overlap serials counted by another certificate / "
                    "绿证序列号已被使用"
                ) from None
            if "credit serial" in str(exc.orig):
                raise CreditSerialReused(
                    f"the database refused the credit serials of application {application.id}: "
                    "they overlap serials already used by another certificate / "
                    "碳信用序列号已被使用"
                ) from None
            raise

    def _append_children(
        self, session: Any, application: Application, evidence: Mapping[str, bytes]
    ) -> None:
        aid = application.id
        audit_seq = session.scalar(
            select(func.max(AuditRow.seq)).where(AuditRow.application_id == aid)
        )
        start = -1 if audit_seq is None else audit_seq
        for line in application.audit[start + 1 :]:
            session.add(
                AuditRow(
                    application_id=aid,
                    seq=line.seq,
                    at=line.at,
                    actor_id=line.actor_id,
                    role=line.role.value,
                    organisation_id=line.organisation_id,
                    action=line.action,
                    from_state=line.from_state.value if line.from_state else None,
                    to_state=line.to_state.value if line.to_state else None,
                    reason=line.reason,
                )
            )
        versions = _stored_keys(
            session, ModelVersionRow.version, ModelVersionRow.application_id, aid
        )
        for model in application.model_versions:
            if model.version not in versions:
                session.add(
                    ModelVersionRow(
                        application_id=aid,
                        version=model.version,
                        model_sha256=model.model_sha256,
                        model_text=model.model_text,
                        total_kg_co2e=model.total_kg_co2e,
                        footprint=model.footprint,
                        created_at=model.created_at,
                    )
                )
        stored = _stored_keys(session, EvidenceRow.sha256, EvidenceRow.application_id, aid)
        for item in application.evidence:
            if item.sha256 not in stored and item.sha256 in evidence:
                session.add(
                    EvidenceRow(
                        application_id=aid,
                        sha256=item.sha256,
                        name=item.name,
                        size_bytes=item.size_bytes,
                        content=evidence[item.sha256],
                        added_at=item.added_at,
                    )
                )
        self._claim_instruments(session, application)
        claimed = session.scalar(select(func.count()).where(CreditSerialRow.application_id == aid))
        if application.state in CLAIMED_STATES and application.neutrality and not claimed:
            for block in application.neutrality.retirements:
                session.add(
                    CreditSerialRow(
                        application_id=aid,
                        credit_registry=block.registry,
                        serial_prefix=block.serial_prefix,
                        serial_start=block.serial_start,
                        serial_end=block.serial_end,
                        vintage=block.vintage,
                        quantity_t_co2e=block.quantity_t_co2e,
                        retirement_date=block.retirement_date,
                    )
                )
                session.flush()

    def _claim_instruments(self, session: Any, application: Application) -> None:
        """Store the certificate blocks a claimed application counts (once)."""
        model = application.current_model
        if application.state not in CLAIMED_STATES or model is None:
            return
        aid = application.id
        if session.scalar(select(func.count()).where(InstrumentSerialRow.application_id == aid)):
            return
        for block in instrument_serials(model.footprint):
            session.add(
                InstrumentSerialRow(
                    application_id=aid,
                    instrument_type=block.type,
                    instrument_registry=block.registry,
                    serial_prefix=block.serial_prefix,
                    serial_start=block.serial_start,
                    serial_end=block.serial_end,
                )
            )
            session.flush()

    def load(self, application_id: str) -> Application:
        return self._one_application(
            ApplicationRow.id == application_id, f"no application {application_id!r} / 无此申请"
        )

    def by_certificate(self, certificate_id: str) -> Application:
        return self._one_application(
            ApplicationRow.certificate_id == certificate_id,
            f"no certificate {certificate_id!r} / 无此证书",
        )

    def _one_application(self, condition: Any, missing: str) -> Application:
        """The application whose row meets ``condition``; else NotFound(``missing``)."""
        with session_scope(self.engine) as session:
            row = session.scalar(select(ApplicationRow).where(condition))
            if row is None:
                raise NotFound(missing)
            return Application.model_validate(row.record)

    def applications(self) -> list[Application]:
        with session_scope(self.engine) as session:
            rows = session.scalars(select(ApplicationRow).order_by(ApplicationRow.id))
            return [Application.model_validate(r.record) for r in rows]

    def used_serials(self) -> tuple[UsedSerial, ...]:
        """Credit blocks, and electricity certificates counted by claimed applications."""
        return self._credit_serials() + self._instrument_serials()

    def _instrument_serials(self) -> tuple[UsedSerial, ...]:
        with session_scope(self.engine) as session:
            rows = session.scalars(select(InstrumentSerialRow))
            return tuple(
                UsedSerial(
                    r.application_id,
                    InstrumentBlock(  # type: ignore[arg-type]  # a credit block's fields
                        r.instrument_type, r.instrument_registry, r.serial_prefix, r.serial_start,
                        r.serial_end,
                    ),
                )
                for r in rows
            )  # fmt: skip

    def _credit_serials(self) -> tuple[UsedSerial, ...]:
        with session_scope(self.engine) as session:
            rows = session.scalars(select(CreditSerialRow))
            return tuple(
                UsedSerial(
                    r.application_id,
                    CreditRetirement(
                        registry=r.credit_registry,
                        serial_prefix=r.serial_prefix,
                        serial_start=r.serial_start,
                        serial_end=r.serial_end,
                        vintage=r.vintage,
                        quantity_t_co2e=r.quantity_t_co2e,
                        retirement_date=r.retirement_date,
                    ),
                )
                for r in rows
            )

    def evidence_content(self, application_id: str, sha256: str) -> bytes:
        with session_scope(self.engine) as session:
            row = session.get(EvidenceRow, (application_id, sha256))
            if row is None:
                raise NotFound(f"no evidence {sha256[:12]}… for {application_id}")
            return row.content

    # certificates and ledger ----------------------------------------------------------------
    def ledger(self) -> Ledger:
        with session_scope(self.engine) as session:
            rows = session.scalars(select(LedgerEntryRow).order_by(LedgerEntryRow.index))
            return Ledger([LedgerEntry.model_validate(r.entry) for r in rows])

    def record_publication(self, publication: Publication, application_id: str) -> None:
        """Persist one ledger event: the entry, the new tree head and a new certificate."""
        entry, head = publication.entry, publication.tree_head
        with session_scope(self.engine) as session:
            session.add(
                LedgerEntryRow(
                    index=entry.index,
                    certificate_id=entry.certificate_id,
                    event=entry.event,
                    leaf_hash=entry.leaf().hex(),
                    entry=entry.model_dump(mode="json"),
                )
            )
            session.add(
                TreeHeadRow(
                    tree_size=head.tree_size,
                    root_hash=head.root_hash,
                    timestamp=head.timestamp,
                    key_id=head.key_id,
                    signature=head.signature,
                )
            )
            if publication.signed is not None:
                cert = publication.signed.certificate
                session.add(
                    CertificateRow(
                        certificate_id=cert.certificate_id,
                        version=cert.version,
                        application_id=application_id,
                        sha256=cert.sha256(),
                        key_id=publication.signed.signature.key_id,
                        document={
                            **publication.signed.model_dump(mode="json"),
                            "token": publication.token,
                            "qr": publication.qr,
                        },
                        issued_at=dt.datetime.fromisoformat(cert.issued_at),
                    )
                )

    def certificate_document(self, certificate_id: str) -> dict[str, Any]:
        """The newest signed version of a certificate, with its token and QR text."""
        with session_scope(self.engine) as session:
            row = session.scalar(
                select(CertificateRow)
                .where(CertificateRow.certificate_id == certificate_id)
                .order_by(CertificateRow.version.desc())
            )
            if row is None:
                raise NotFound(f"no certificate {certificate_id!r} / 无此证书")
            return dict(row.document)

    def tree_head(self, tree_size: int | None = None) -> TreeHead:
        with session_scope(self.engine) as session:
            query = select(TreeHeadRow).order_by(TreeHeadRow.tree_size.desc())
            if tree_size is not None:
                query = select(TreeHeadRow).where(TreeHeadRow.tree_size == tree_size)
            row = session.scalar(query)
            if row is None:
                raise NotFound("the ledger has no signed tree head yet (nothing issued)")
            return TreeHead(
                tree_size=row.tree_size,
                root_hash=row.root_hash,
                timestamp=row.timestamp,
                key_id=row.key_id,
                signature=row.signature,
            )

    def sync_keys(self, keyring: Keyring) -> None:
        """Mirror the public keyring into ``cert_signing_keys``."""
        with session_scope(self.engine) as session:
            for info in keyring.keys:
                row = session.get(SigningKeyRow, info.key_id) or SigningKeyRow(key_id=info.key_id)
                row.algorithm = info.algorithm
                row.public_key = info.public_key
                row.created_at = info.created_at
                row.retired_at = info.retired_at
                session.merge(row)
