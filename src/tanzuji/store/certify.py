"""Persistence of certification records: applications, audit trail, certificates, ledger.

:class:`CertificationRepository` works inside the caller's transaction (a service's unit of
work, :meth:`tanzuji.store.db.Database.unit_of_work`), so that allocating an identifier,
writing an application, appending to the ledger and storing the signed certificate are one
commit or nothing. :class:`CertificationStore` is the same on an engine, one transaction per
call, for libraries and tests.

Concurrency:

- identifiers come from ``id_counters`` (:meth:`CertificationRepository.next_number`): the
  counter row is incremented and locked by the inserting transaction, so two processes never
  get the same number and a rolled-back transaction leaves no gap;
- every update of an application names the version it read (the number of its audit lines):
  ``UPDATE ... WHERE version = :read``; when another process got there first nothing is
  written and :class:`~tanzuji.errors.ConcurrentUpdate` (HTTP 409) is raised. A unit of work
  that reads and writes an application in one transaction loads it ``for_update`` (a row
  lock), so concurrent steps on one application queue instead of conflicting;
- ledger appends (:func:`publish_in`) lock the one ledger state row first
  (:class:`~tanzuji.store.ledger.SqlEventLog`), so appends are serialised; each extends the
  stored frontier and status map in O(log n) without reading the whole log.

The records themselves are the pydantic models of :mod:`tanzuji.certify.records`, moved by the
pure workflow in :mod:`tanzuji.certify.workflow`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Engine, Table, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from tanzuji.certify.certificate import Keyring, SigningKey
from tanzuji.certify.credits import UsedSerial
from tanzuji.certify.instruments import InstrumentBlock, instrument_serials
from tanzuji.certify.ledger import AuditReport, Ledger, TreeHead
from tanzuji.certify.publish import Publication, publish
from tanzuji.certify.records import Application, CreditRetirement, ModelVersion, State
from tanzuji.certify.serials import SerialRange
from tanzuji.certify.verify import StatusBundle
from tanzuji.errors import ConcurrentUpdate, CreditSerialReused, NotFound
from tanzuji.store import ledger as ledger_store
from tanzuji.store.certify_tables import (
    ApplicationRow,
    AuditRow,
    CertificateRow,
    CreditSerialRow,
    EvidenceRow,
    InstrumentSerialRow,
    ModelFileRow,
    ModelVersionRow,
    SigningKeyRow,
)
from tanzuji.store.db import rows_matched, session_scope
from tanzuji.store.platform_tables import IdCounterRow

CLAIMED_STATES = (State.approved, State.issued, State.under_surveillance, State.renewed)

#: Identifier formats: kind -> text with the year and the number (6 digits).
ID_FORMATS = {
    "application": "APP-{year}-{number:06d}",
    "certificate": "GBA-CFL-{year}-{number:06d}",
}


def _canonical(serials: SerialRange) -> dict[str, Any]:
    """The canonical columns of a serial block row: what the overlap triggers compare."""
    return {
        "registry_key": serials.registry,
        "serial_key": serials.prefix,
        "number_start": serials.start,
        "number_end": serials.end,
    }


def _stored_keys(session: Any, key: Any, owner: Any, application_id: str) -> set[Any]:
    """Values of column ``key`` in the rows whose ``owner`` column is ``application_id``."""
    return set(session.scalars(select(key).where(owner == application_id)))


def next_number(session: Session, kind: str, year: int) -> int:
    """The next number of ``kind`` in ``year``, taken in the caller's transaction.

    ``INSERT ... ON CONFLICT (kind, year) DO UPDATE SET last_value = last_value + 1 RETURNING``:
    the counter row stays locked until the transaction ends (PostgreSQL row lock; SQLite
    serialises writers), so concurrent transactions get consecutive, distinct numbers.
    """
    table = cast(Table, IdCounterRow.__table__)  # declarative: a Table (typed FromClause)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .values(kind=kind, year=year, last_value=1)
        .on_conflict_do_update(
            index_elements=[table.c.kind, table.c.year],
            set_={"last_value": table.c.last_value + 1},
        )
        .returning(table.c.last_value)
    )
    return int(session.execute(statement).scalar_one())


class CertificationRepository:
    """Certification records, read and written inside one open session (the caller commits)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # identifiers ---------------------------------------------------------------------------
    def next_application_id(self, year: int) -> str:
        return ID_FORMATS["application"].format(
            year=year, number=next_number(self.session, "application", year)
        )

    def next_certificate_id(self, year: int) -> str:
        return ID_FORMATS["certificate"].format(
            year=year, number=next_number(self.session, "certificate", year)
        )

    # applications --------------------------------------------------------------------------
    def save(
        self,
        application: Application,
        evidence: Mapping[str, bytes] | None = None,
        files: Mapping[str, bytes] | None = None,
        *,
        expected_version: int | None = None,
    ) -> None:
        """Insert a new application or update a stored one, with its new children.

        Parameters
        ----------
        application : Application
            The record to write; its version is the number of its audit lines.
        evidence, files : mapping of SHA-256 to bytes
            Contents of new evidence files and of new model files (factor CSVs).
        expected_version : int, optional
            The version the caller read (``len(read.audit)``). Without it, the stored audit
            trail must be the beginning of ``application.audit``.

        Raises
        ------
        ConcurrentUpdate
            When the stored application is not the version the caller changed.
        CreditSerialReused
            When the application's credit serials overlap serials stored for another one (the
            database refuses them even when the workflow check was bypassed).
        """
        now = application.audit[-1].at if application.audit else dt.datetime.now(dt.UTC)
        try:
            stored = self._stored_version(application, expected_version)
            values = {
                "applicant_id": application.applicant.id,
                "product_id": application.product_id,
                "label_type": application.label_type.value,
                "state": application.state.value,
                "certificate_id": application.certificate_id,
                "record": application.model_dump(mode="json"),
                "updated_at": now,
                "version": len(application.audit),
            }
            if stored is None:
                self.session.add(ApplicationRow(id=application.id, **values))
                self.session.flush()
            else:
                self._update(application.id, stored, values)
            self._append_children(application, evidence or {}, files or {}, stored or 0)
            self.session.flush()
        except IntegrityError as exc:
            if _serial_refusal(exc):
                raise _serials_reused(application.id, exc) from None
            if not _unique_violation(exc):
                raise
            raise ConcurrentUpdate(
                f"application {application.id} was written by someone else at the same time; "
                "read it again and retry / 申请已被他人同时修改"
            ) from None
        except DBAPIError as exc:
            if _serial_refusal(exc):
                raise _serials_reused(application.id, exc) from None
            raise

    def _stored_version(self, application: Application, expected: int | None) -> int | None:
        """The stored version to update from (None: not stored yet)."""
        row = self.session.execute(
            select(ApplicationRow.version, ApplicationRow.record).where(
                ApplicationRow.id == application.id
            )
        ).first()
        if row is None:
            if expected:
                raise NotFound(f"no application {application.id!r} / 无此申请")
            return None
        if expected is not None:
            return expected
        stored_audit = Application.model_validate(row.record).audit
        if stored_audit != application.audit[: len(stored_audit)]:
            raise _conflict(application.id, row.version)
        return int(row.version)

    def _update(self, application_id: str, expected: int, values: dict[str, Any]) -> None:
        statement = (
            update(ApplicationRow)
            .where(ApplicationRow.id == application_id, ApplicationRow.version == expected)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if rows_matched(self.session, statement) != 1:
            raise _conflict(application_id, expected)

    def _append_children(
        self,
        application: Application,
        evidence: Mapping[str, bytes],
        files: Mapping[str, bytes],
        first_new_line: int,
    ) -> None:
        session, aid = self.session, application.id
        for line in application.audit[first_new_line:]:
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
                self._add_model_files(model, files)
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
        self._claim_instruments(application)
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
                        **_canonical(block.serial_range()),
                    )
                )
                session.flush()

    def _claim_instruments(self, application: Application) -> None:
        """Store the electricity certificate blocks a claimed application counts (once); the
        overlap trigger of ``cert_instrument_serials`` refuses a block another one counts."""
        model = application.current_model
        if application.state not in CLAIMED_STATES or model is None:
            return
        session, aid = self.session, application.id
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
                    **_canonical(block.serial_range()),
                )
            )
            session.flush()

    def _add_model_files(self, model: ModelVersion, files: Mapping[str, bytes]) -> None:
        """Store the content of each file of ``model`` not stored yet (content-addressed)."""
        wanted = set(model.files.values())
        if not wanted:
            return
        have = set(
            self.session.scalars(select(ModelFileRow.sha256).where(ModelFileRow.sha256.in_(wanted)))
        )
        missing = sorted(wanted - have - set(files))
        if missing:
            names = sorted(n for n, h in model.files.items() if h in missing)
            raise NotFound(
                f"model version {model.version} uses files {names} whose content was not given "
                "and is not stored"
            )
        table = cast(Table, ModelFileRow.__table__)  # declarative: a Table (typed FromClause)
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        for digest in sorted(wanted - have):
            content = files[digest]
            self.session.execute(
                insert(table)
                .values(sha256=digest, size_bytes=len(content), content=content)
                .on_conflict_do_nothing(index_elements=[table.c.sha256])
            )

    def model_files(self, model: ModelVersion) -> dict[str, bytes]:
        """The files of a stored model version by the names the model writes.

        Raises
        ------
        NotFound
            When a file's content is not in the store.
        """
        if not model.files:
            return {}
        rows = self.session.execute(
            select(ModelFileRow.sha256, ModelFileRow.content).where(
                ModelFileRow.sha256.in_(set(model.files.values()))
            )
        ).all()
        content = {digest: data for digest, data in rows}
        missing = sorted(n for n, h in model.files.items() if h not in content)
        if missing:
            raise NotFound(f"model version {model.version}: files {missing} are not in the store")
        return {name: content[digest] for name, digest in model.files.items()}

    def load(self, application_id: str, *, for_update: bool = False) -> Application:
        """The stored application; ``for_update`` locks its row until the transaction ends
        (PostgreSQL ``SELECT ... FOR UPDATE``; SQLite writers are serialised anyway), so a
        read-modify-write in one unit of work does not race another."""
        return self._one_application(
            ApplicationRow.id == application_id,
            f"no application {application_id!r} / 无此申请",
            for_update,
        )

    def by_certificate(self, certificate_id: str, *, for_update: bool = False) -> Application:
        return self._one_application(
            ApplicationRow.certificate_id == certificate_id,
            f"no certificate {certificate_id!r} / 无此证书",
            for_update,
        )

    def _one_application(self, condition: Any, missing: str, for_update: bool) -> Application:
        """The application whose row meets ``condition``; else NotFound(``missing``)."""
        query = select(ApplicationRow.record).where(condition)
        if for_update:
            query = query.with_for_update()
        record = self.session.scalar(query)
        if record is None:
            raise NotFound(missing)
        return Application.model_validate(record)

    def lock_subject(self, applicant_id: str, product_id: str, label_type: str) -> None:
        """Serialise issuances of one applicant's product and label type until the transaction
        ends, so that of two certificates issued at once the second sees, and supersedes, the
        first. PostgreSQL: a transaction-level advisory lock on a 64-bit hash of the subject;
        SQLite serialises writers already."""
        if self.session.get_bind().dialect.name != "postgresql":
            return
        subject = f"{applicant_id}\x1f{product_id}\x1f{label_type}".encode()
        key = int.from_bytes(hashlib.sha256(subject).digest()[:8], "big", signed=True)
        self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    def certificates_of(
        self, applicant_id: str, product_id: str, label_type: str, states: tuple[State, ...]
    ) -> list[Application]:
        """Applications of one applicant's product and label type in ``states``, rows locked
        (the issuing transaction supersedes them)."""
        rows = self.session.scalars(
            select(ApplicationRow.record)
            .where(
                ApplicationRow.applicant_id == applicant_id,
                ApplicationRow.product_id == product_id,
                ApplicationRow.label_type == label_type,
                ApplicationRow.state.in_([s.value for s in states]),
            )
            .order_by(ApplicationRow.id)
            .with_for_update()
        )
        return [Application.model_validate(r) for r in rows]

    def applications(self) -> list[Application]:
        rows = self.session.scalars(select(ApplicationRow.record).order_by(ApplicationRow.id))
        return [Application.model_validate(r) for r in rows]

    def used_serials(self) -> tuple[UsedSerial, ...]:
        """Credit blocks, and electricity certificate blocks counted by claimed applications
        (:func:`tanzuji.certify.workflow.used_serials` over the stored records)."""
        credits = tuple(
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
            for r in self.session.scalars(select(CreditSerialRow))
        )
        instruments = tuple(
            UsedSerial(
                r.application_id,
                InstrumentBlock(  # type: ignore[arg-type]  # read like a credit block
                    r.instrument_type,
                    r.instrument_registry,
                    r.serial_prefix,
                    r.serial_start,
                    r.serial_end,
                ),
            )
            for r in self.session.scalars(select(InstrumentSerialRow))
        )
        return credits + instruments

    def evidence_content(self, application_id: str, sha256: str) -> bytes:
        row = self.session.get(EvidenceRow, (application_id, sha256))
        if row is None:
            raise NotFound(f"no evidence {sha256[:12]}… for {application_id}")
        return row.content

    # certificates and ledger (appends: :func:`publish_in` in the caller's session) -----------
    def ledger(self) -> Ledger:
        """The whole log in memory (tests and tools; publishing never loads it)."""
        return ledger_store.load_ledger(self.session)

    def certificate_document(self, certificate_id: str) -> dict[str, Any]:
        """The newest signed version of a certificate, with its token and QR text."""
        document = self.session.scalar(
            select(CertificateRow.document)
            .where(CertificateRow.certificate_id == certificate_id)
            .order_by(CertificateRow.version.desc())
            .limit(1)
        )
        if document is None:
            raise NotFound(f"no certificate {certificate_id!r} / 无此证书")
        return dict(document)

    def tree_head(self, tree_size: int | None = None) -> TreeHead:
        """The newest signed tree head (or the one of ``tree_size``)."""
        return ledger_store.tree_head(self.session, tree_size)

    def status_bundle(self, certificate_id: str) -> StatusBundle:
        """The certificate's status under the newest head, with map and log proofs."""
        return ledger_store.status_bundle(self.session, certificate_id)

    def appended_since(self, old_size: int, old_root: str, head: TreeHead) -> list[str] | None:
        """Certificates logged after size ``old_size`` up to ``head``; None when ``head``'s log
        does not extend that one (:func:`tanzuji.store.ledger.appended_since`)."""
        return ledger_store.appended_since(self.session, old_size, old_root, head)

    def audit_ledger(self, keyring: Keyring) -> AuditReport:
        """Audit the stored log (raises :class:`~tanzuji.errors.LedgerInconsistent`)."""
        return ledger_store.audit(self.session, keyring)

    def sync_keys(self, keyring: Keyring) -> None:
        """Mirror the public keyring into ``cert_signing_keys``."""
        for info in keyring.keys:
            row = self.session.get(SigningKeyRow, info.key_id) or SigningKeyRow(key_id=info.key_id)
            row.algorithm = info.algorithm
            row.public_key = info.public_key
            row.created_at = info.not_before
            row.retired_at = info.retired_at
            self.session.merge(row)


def publish_in(
    session: Session,
    application: Application,
    event: str,
    key: SigningKey,
    now: dt.datetime,
    base_url: str,
    reason: str = "",
    certificate_sha256: str | None = None,
) -> Publication:
    """Append ``event`` to the ledger in ``session``'s transaction and store a new certificate.

    The leaf index is allocated under the ledger lock in this same transaction
    (:class:`~tanzuji.store.ledger.SqlEventLog`), so concurrent publications never collide.
    """
    publication = publish(
        application,
        event,
        ledger_store.SqlEventLog(session),
        key,
        now,
        base_url,
        reason,
        certificate_sha256=certificate_sha256,
    )
    if publication.signed is not None:
        cert = publication.signed.certificate
        session.add(
            CertificateRow(
                certificate_id=cert.certificate_id,
                version=cert.version,
                application_id=application.id,
                sha256=cert.sha256(),
                key_id=publication.signed.signature.key_id,
                document=publication.certificate_file(),
                issued_at=dt.datetime.fromisoformat(cert.issued_at),
            )
        )
        session.flush()
    return publication


def _conflict(application_id: str, read_version: int) -> ConcurrentUpdate:
    return ConcurrentUpdate(
        f"application {application_id} changed since it was read (version {read_version}); "
        "read it again and retry / 申请已被他人修改，请重新读取后再试",
        application_id=application_id,
        expected=read_version,
    )


def _unique_violation(exc: IntegrityError) -> bool:
    """True when ``exc`` is a duplicate key (PostgreSQL 23505, SQLite UNIQUE/PRIMARY KEY)."""
    if getattr(exc.orig, "sqlstate", None) == "23505":
        return True
    text = str(exc.orig).upper()
    return "UNIQUE CONSTRAINT" in text or "PRIMARY KEY" in text


def _serial_refusal(exc: DBAPIError) -> bool:
    """True when an overlap trigger refused a credit or electricity certificate block."""
    text = str(exc.orig)
    return "credit serial" in text or "instrument serial" in text


def _serials_reused(application_id: str, exc: DBAPIError) -> CreditSerialReused:
    if "instrument serial" in str(exc.orig):
        return CreditSerialReused(
            f"the database refused the electricity certificate serials of application "
            f"{application_id}: they overlap serials counted by another certificate / "
            "绿证序列号已被使用"
        )
    return CreditSerialReused(
        f"the database refused the credit serials of application {application_id}: "
        "they overlap serials already used by another certificate / "
        "碳信用序列号已被使用"
    )


class CertificationStore:
    """:class:`CertificationRepository` on an engine: every call is its own transaction.

    For libraries and tests; services use the repository inside their unit of work.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _run(self, method: str, *args: Any, write: bool = True, **kwargs: Any) -> Any:
        with session_scope(self.engine, write=write) as session:
            return getattr(CertificationRepository(session), method)(*args, **kwargs)

    def next_application_id(self, year: int) -> str:
        return self._run("next_application_id", year)

    def next_certificate_id(self, year: int) -> str:
        return self._run("next_certificate_id", year)

    def save(
        self,
        application: Application,
        evidence: Mapping[str, bytes] | None = None,
        files: Mapping[str, bytes] | None = None,
        *,
        expected_version: int | None = None,
    ) -> None:
        self._run("save", application, evidence, files, expected_version=expected_version)

    def load(self, application_id: str) -> Application:
        return self._run("load", application_id, write=False)

    def by_certificate(self, certificate_id: str) -> Application:
        return self._run("by_certificate", certificate_id, write=False)

    def applications(self) -> list[Application]:
        return self._run("applications", write=False)

    def used_serials(self) -> tuple[UsedSerial, ...]:
        return self._run("used_serials", write=False)

    def evidence_content(self, application_id: str, sha256: str) -> bytes:
        return self._run("evidence_content", application_id, sha256, write=False)

    def model_files(self, model: ModelVersion) -> dict[str, bytes]:
        return self._run("model_files", model, write=False)

    def publish(
        self,
        application: Application,
        event: str,
        key: SigningKey,
        now: dt.datetime,
        base_url: str,
        reason: str = "",
        certificate_sha256: str | None = None,
    ) -> Publication:
        """Log one event (and store a new certificate) in one transaction (:func:`publish_in`)."""
        with session_scope(self.engine) as session:
            return publish_in(
                session, application, event, key, now, base_url, reason, certificate_sha256
            )

    def ledger(self) -> Ledger:
        return self._run("ledger", write=False)

    def certificate_document(self, certificate_id: str) -> dict[str, Any]:
        return self._run("certificate_document", certificate_id, write=False)

    def tree_head(self, tree_size: int | None = None) -> TreeHead:
        return self._run("tree_head", tree_size, write=False)

    def status_bundle(self, certificate_id: str) -> StatusBundle:
        return self._run("status_bundle", certificate_id, write=False)

    def audit_ledger(self, keyring: Keyring) -> AuditReport:
        return self._run("audit_ledger", keyring, write=False)

    def sync_keys(self, keyring: Keyring) -> None:
        self._run("sync_keys", keyring)
