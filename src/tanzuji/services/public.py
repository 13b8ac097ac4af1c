"""Public service: what anyone may read without logging in — a certificate checked against
the ledger, the catalogue of certified products, the ledger's signed tree head.

The certificate view (:func:`certificate`) is what the label's QR code opens: the newest
signed version of the certificate, verified here with the platform's public keyring and the
certificate's status bundle (the status-map proof of its latest ledger entry and the
consistency of the log up to the newest signed tree head). Verified views are kept in this
process (as compact JSON within :data:`CACHE_BYTES`, about 2 kB a certificate) and stay valid
while the log grows: when a request finds a newer signed head, the process checks once that
the new head is signed by a trusted key and that its log extends the one the views were
verified under (the stored leaves hash to both roots), and drops the views of the
certificates the new entries name (issued, renewed, suspended, revoked, superseded); every
other view is still what a fresh verification would show, and says at which size it was
checked and up to which size it is current. So a busy public page reads one tree head per
request, however often certificates are issued, and a revocation shows on the next request.
Views are kept per day (validity). The head itself is read at most every
``web_public_head_s`` seconds (default 1) by each process, and at once after this process
logged an event: another worker's revocation shows within that second (within two when a
busy page is answered while one worker thread reads the newer head: :func:`cached_certificate`).

The catalogue (:func:`catalogue`) lists every certificate with its latest status, searchable
by product or company name, filtered by category (the PCR), label type, status and largest
footprint, sorted by footprint. It is a read model of the ledger held in this process and
brought up to date from the entries appended since it was last read.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import select

from tanzuji.certify.certificate import Certificate
from tanzuji.certify.ledger import TreeHead
from tanzuji.certify.token import read_token
from tanzuji.certify.verify import Report
from tanzuji.context import Context
from tanzuji.errors import NotFound, VerificationFailed
from tanzuji.lru import LeastRecentlyUsed
from tanzuji.services import certification, ledger
from tanzuji.services.base import Request, Result
from tanzuji.store import ledger as ledger_store
from tanzuji.store.certify_tables import CertificateRow, LedgerEntryRow

log = logging.getLogger(__name__)

#: Bytes of certificate views kept per process (most recently used, as JSON).
CACHE_BYTES = 64 * 2**20

Status = Literal["valid", "suspended", "revoked", "expired", "superseded"]


class Stage(Result):
    stage: str
    kg_co2e: float
    share: float = Field(description="of the total, 0 to 1")


class PublicCertificate(Result):
    """A certificate as the public page shows it, with the outcome of its verification."""

    certificate_id: str
    version: int
    product: dict[str, str]
    company: dict[str, str]
    footprint_kg_co2e: float
    unit: str = Field(description="the functional unit the footprint is per, e.g. '1 piece'")
    declared_unit: dict[str, Any] | None
    stages: list[Stage]
    gwp_set: str
    label: dict[str, Any]
    pcr: dict[str, str]
    factor_release: str
    body: dict[str, str]
    valid_from: dt.date
    valid_until: dt.date
    issued_at: str
    status: str = Field(
        description="valid, suspended, revoked, expired or superseded; 'invalid' when the "
        "verification failed"
    )
    verified: bool = Field(description="signature, ledger inclusion and status proof hold")
    checks: list[str]
    problem: str | None = Field(None, description="why the verification failed")
    tree_size: int | None
    status_as_of: str | None
    key_id: str
    qr: str | None


def _stages(certificate: Certificate) -> list[Stage]:
    total = certificate.footprint_kg_co2e
    return [
        Stage(stage=name, kg_co2e=value, share=(value / total) if total else 0.0)
        for name, value in certificate.stage_breakdown_kg_co2e.items()
    ]


class _Cache:
    """Views as JSON bytes, least recently used dropped beyond ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.kept: LeastRecentlyUsed[Any, bytes] = LeastRecentlyUsed(max_bytes, len)

    def get(self, key: Any) -> PublicCertificate | None:
        found = self.kept.get(key)
        return None if found is None else PublicCertificate.model_validate_json(found)

    def put(self, key: Any, view: PublicCertificate) -> None:
        self.kept.put(key, view.model_dump_json().encode())


class _Views:
    """The verified views of one database and the signed head they are current under."""

    def __init__(self) -> None:
        self.cache = _Cache(CACHE_BYTES)
        self.size = 0
        self.root = ""
        self.head: TreeHead | None = None
        self.lock = threading.Lock()

    def follow(self, context: Context, head: TreeHead | None) -> None:
        """Bring the views up to ``head`` (see the module notes)."""
        size, root = (head.tree_size, head.root_hash) if head else (0, "")
        if (size, root) == (self.size, self.root):
            return
        with self.lock:
            if (size, root) == (self.size, self.root):
                return
            changed = None
            if head is not None:
                try:
                    head.verify(context.keys.keyring())
                    if self.head is not None and size < self.size:
                        # an older head of the same log (read by a slower request): the
                        # views are already newer; another, shorter log: verify anew
                        older = ledger.appended_since(context, size, root, self.head)
                        if older is not None:
                            return
                    else:
                        changed = ledger.appended_since(context, self.size, self.root, head)
                except (VerificationFailed, NotFound):
                    changed = None
            if changed is None:  # another log, or a head not to trust: verify anew
                self.cache.kept.clear()
            else:
                named = set(changed)
                self.cache.kept.drop(lambda key: key[0] in named)
            self.size, self.root, self.head = size, root, head

    def keep(self, key: Any, view: PublicCertificate) -> None:
        """Keep ``view`` if it was verified under the head the views are current at (a view
        of an older head, verified while another request followed the log, is not kept)."""
        with self.lock:
            if view.verified and view.tree_size == self.size:
                self.cache.put(key, view)


_VIEWS: dict[str, _Views] = {}
_VIEWS_LOCK = threading.Lock()


def _database_key(context: Context) -> str:
    return context.require_database().display_url


def _views(context: Context) -> _Views:
    with _VIEWS_LOCK:
        return _VIEWS.setdefault(_database_key(context), _Views())


def head_or_none(context: Context) -> TreeHead | None:
    """The newest signed tree head, or None when nothing was logged yet."""
    try:
        return ledger.tree_head(context)
    except NotFound:
        return None


_HEADS: dict[str, tuple[float, int, TreeHead | None]] = {}


def _held_head(context: Context) -> tuple[TreeHead | None, float] | None:
    """The signed tree head this process holds and its age in seconds, or None when it holds
    none or has logged an event since reading it. Never touches the database."""
    found = _HEADS.get(_database_key(context))
    if found is None or found[1] != ledger_store.APPENDS:
        return None
    return found[2], time.monotonic() - found[0]


def _recent_head(context: Context) -> TreeHead | None:
    """The held signed tree head when younger than ``web_public_head_s``, else the one read
    now."""
    held = _held_head(context)
    if held is not None and held[1] < float(context.settings.web_public_head_s):
        return held[0]
    return _read_head(context)


def _read_head(context: Context) -> TreeHead | None:
    """Read the newest signed tree head and hold it (with when it was read)."""
    appends, read_at = ledger_store.APPENDS, time.monotonic()
    head = head_or_none(context)
    _HEADS[_database_key(context)] = (read_at, appends, head)
    return head


def cached_certificate(context: Context, certificate_id: str) -> PublicCertificate | None:
    """The view :func:`certificate` would return when it needs no database read (the view
    kept and current under the head this process holds), else None. For callers on an event
    loop: it never blocks.

    When the head held is older than ``web_public_head_s`` a worker thread reads the newer one
    (one read per process at a time) while the view of the held head is still given, up to
    twice ``web_public_head_s``: a busy page never waits for the head, and the requests of
    that moment do not each read it. After this process logged an event nothing held is
    given (the ordinary path reads the new head at once)."""
    held = _held_head(context)
    head, age = held if held is not None else (None, 0.0)
    if head is None:
        return None
    key = _database_key(context)
    fresh_s = float(context.settings.web_public_head_s)
    if age >= fresh_s:
        if age >= 2 * fresh_s:
            return None
        _refresh_head(context, key)
    views = _VIEWS.get(key)
    if views is None or (views.size, views.root) != (head.tree_size, head.root_hash):
        return None
    cached = views.cache.get((certificate_id, context.now().date()))
    return None if cached is None else _current(cached, head)


_REFRESHING: set[str] = set()
_REFRESHING_LOCK = threading.Lock()


def _refresh_head(context: Context, key: str) -> None:
    """Read the newest head and bring the views up to it in a worker thread, unless a read
    of this database is under way already."""
    with _REFRESHING_LOCK:
        if key in _REFRESHING:
            return
        _REFRESHING.add(key)

    def refresh() -> None:
        try:
            _views(context).follow(context, _read_head(context))
        except Exception:  # the next request's ordinary path reads (and reports) it
            log.exception("reading the signed tree head of %s failed", key)
        finally:
            with _REFRESHING_LOCK:
                _REFRESHING.discard(key)

    threading.Thread(target=refresh, name="tanzuji-tree-head", daemon=True).start()


def certificate(context: Context, certificate_id: str) -> PublicCertificate:
    """The certificate ``certificate_id`` verified against the ledger (see the module notes).

    A certificate that does not verify is still shown, with ``verified`` false, ``status``
    ``invalid`` and the reason in ``problem``.

    Raises
    ------
    NotFound
        When there is no such certificate.
    """
    head = _recent_head(context)
    views = _views(context)
    views.follow(context, head)
    key = (certificate_id, context.now().date())
    cached = views.cache.get(key)
    if cached is None:
        cached = verify(context, certificate_id)
        views.keep(key, cached)
        return cached
    return cached if head is None else _current(cached, head)


def _current(cached: PublicCertificate, head: TreeHead) -> PublicCertificate:
    """A kept view as of ``head`` (which the views were brought up to)."""
    if not cached.verified or cached.tree_size == head.tree_size:
        return cached
    return cached.model_copy(
        update={
            "tree_size": head.tree_size,
            "status_as_of": head.timestamp,
            "checks": [
                *cached.checks,
                f"still current at log size {head.tree_size}: the log grew consistently from "
                f"size {cached.tree_size} and no entry since names this certificate "
                f"(日志一致增长至 {head.tree_size}，其间无此证书的新记录)",
            ],
        }
    )


def verify(context: Context, certificate_id: str) -> PublicCertificate:
    """Verify the certificate now, without the per-process cache (the page's "check again")."""
    document = certification.certificate_document(context, certificate_id)
    signed = Certificate.model_validate(document["certificate"])
    checks: list[str] = []
    problem = None
    status = "invalid"
    tree_size = status_as_of = None
    try:
        bundle = ledger.proof(context, certificate_id)
        report = certification.verify_document(
            document, context.keys.keyring(), context.now(), bundle
        )
        checks, status = report.checks, report.status
        tree_size, status_as_of = report.tree_size, report.status_as_of
    except (VerificationFailed, NotFound) as exc:
        problem = exc.message
    return PublicCertificate(
        certificate_id=signed.certificate_id,
        version=signed.version,
        product=signed.product,
        company=signed.company,
        footprint_kg_co2e=signed.footprint_kg_co2e,
        unit=signed.functional_unit_text(),
        declared_unit=signed.declared_unit,
        stages=_stages(signed),
        gwp_set=signed.gwp_set,
        label=signed.label,
        pcr=signed.pcr,
        factor_release=signed.factor_release,
        body={"name": signed.verifier.get("body", ""), "verifier": signed.verifier.get("name", "")},
        valid_from=signed.validity.valid_from,
        valid_until=signed.validity.valid_until,
        issued_at=signed.issued_at,
        status=status,
        verified=problem is None,
        checks=checks,
        problem=problem,
        tree_size=tree_size,
        status_as_of=status_as_of,
        key_id=str(document.get("signature", {}).get("key_id", "")),
        qr=document.get("qr"),
    )


def verify_token(context: Context, text: str) -> Report:
    """Verify the text of a label's QR code (URL with ``#TZJ2...``, or the bare token) with the
    public keyring and the certificate's current status from the ledger."""
    keyring = context.keys.keyring()
    claim = read_token(text, keyring)
    bundle = ledger.proof(context, claim.certificate_id)
    return certification.verify_qr(text, keyring, context.now(), bundle)


# -- catalogue ----------------------------------------------------------------------------------
class CatalogueEntry(Result):
    certificate_id: str
    version: int
    product_id: str
    product: dict[str, str]
    company: dict[str, str]
    category: str = Field(description="the PCR id")
    pcr_version: str
    label: str
    footprint_kg_co2e: float
    unit: str
    valid_until: dt.date
    status: str
    issued_at: str


class CatalogueQuery(Request):
    q: str = Field("", max_length=200, description="words in the product or company name")
    category: str | None = Field(None, max_length=100, description="PCR id")
    label: str | None = Field(None, max_length=40, description="disclosure, reduction, ...")
    status: Status | None = Field("valid", description="only this status (None: any)")
    max_kg_co2e: float | None = Field(None, ge=0)
    unit: str | None = Field(None, max_length=100)
    sort: Literal["footprint", "-footprint", "product", "newest"] = "footprint"
    offset: int = Field(0, ge=0)
    limit: int = Field(50, ge=1, le=1000)


class CataloguePage(Result):
    items: list[CatalogueEntry]
    total: int
    categories: dict[str, int] = Field(description="certificates per category, before filters")


class _Index:
    """Catalogue entries of one database, up to ``size`` ledger entries."""

    def __init__(self) -> None:
        self.size = 0
        self.root = ""
        self.last_entry: dict[str, Any] | None = None
        self.entries: dict[str, CatalogueEntry] = {}
        self.texts: dict[str, str] = {}  # what the words are searched in, folded once
        self.lock = threading.Lock()
        self.listing: _Listing | None = None


#: Catalogue queries whose matches are kept per listing (most recently asked).
KEPT_QUERIES = 256

_Row = tuple[str, str, str, str, float, str, CatalogueEntry]  # status, category, label, unit, ...


class _Listing:
    """The index as of one log size and day, ready to filter: every entry with its status
    of that day (``expired`` after its validity) in footprint order, the categories counted,
    and the matches of the queries asked lately (pages of one query slice them)."""

    def __init__(self, index: _Index, today: dt.date) -> None:
        self.key = (index.size, index.root, today)
        rows: list[_Row] = []
        for certificate_id, entry in index.entries.items():
            status = _status_today(entry, today)
            if status != entry.status:
                entry = entry.model_copy(update={"status": status})
            text = index.texts[certificate_id]
            rows.append(
                (
                    status,
                    entry.category,
                    entry.label,
                    entry.unit,
                    entry.footprint_kg_co2e,
                    text,
                    entry,
                )
            )
        rows.sort(key=lambda r: (r[4], r[6].certificate_id))
        self.rows = rows
        categories: dict[str, int] = {}
        for row in rows:
            categories[row[1]] = categories.get(row[1], 0) + 1
        self.categories = dict(sorted(categories.items()))
        self.matches: LeastRecentlyUsed[tuple[Any, ...], list[CatalogueEntry]]
        self.matches = LeastRecentlyUsed(KEPT_QUERIES)

    def find(self, query: CatalogueQuery) -> list[CatalogueEntry]:
        """The entries matching ``query`` in its order (kept for the next page)."""
        words = tuple(w for w in query.q.casefold().split() if w)
        key = (
            words,
            query.category,
            query.label,
            query.status,
            query.max_kg_co2e,
            query.unit,
            query.sort,
        )
        found = self.matches.get(key)
        if found is not None:
            return found
        status, category, label, unit = query.status, query.category, query.label, query.unit
        most = query.max_kg_co2e
        found = [
            r[6]
            for r in self.rows
            if (status is None or r[0] == status)
            and (not category or r[1] == category)
            and (not label or r[2] == label)
            and (not unit or r[3] == unit)
            and (most is None or r[4] <= most)
            and all(w in r[5] for w in words)
        ]
        if query.sort == "-footprint":
            found.sort(key=lambda e: (e.footprint_kg_co2e, e.certificate_id), reverse=True)
        elif query.sort == "product":
            found.sort(
                key=lambda e: (e.product.get("en") or e.product.get("zh") or "", e.certificate_id)
            )
        elif query.sort == "newest":
            found.sort(key=lambda e: (e.issued_at, e.certificate_id), reverse=True)
        self.matches.put(key, found)
        return found


_INDEXES: dict[str, _Index] = {}
_INDEXES_LOCK = threading.Lock()


def _entry(document: dict[str, Any], status: str) -> CatalogueEntry:
    cert = Certificate.model_validate(document["certificate"])
    return CatalogueEntry(
        certificate_id=cert.certificate_id,
        version=cert.version,
        product_id=str(cert.product.get("id", "")),
        product={k: v for k, v in cert.product.items() if k != "id"},
        company=cert.company,
        category=cert.pcr.get("id", ""),
        pcr_version=cert.pcr.get("version", ""),
        label=str(cert.label.get("type", "")),
        footprint_kg_co2e=cert.footprint_kg_co2e,
        unit=cert.functional_unit_text(),
        valid_until=cert.validity.valid_until,
        status=status,
        issued_at=cert.issued_at,
    )


def _continues(session: Any, index: _Index) -> bool:
    """Whether the stored log still holds, at the last index the catalogue read, the entry it
    read there (a log only grows; another one means the database was made anew)."""
    if index.size == 0:
        return True
    entry = session.scalar(
        select(LedgerEntryRow.entry).where(LedgerEntryRow.index == index.size - 1)
    )
    return entry == index.last_entry


def _refresh(context: Context, index: _Index) -> None:
    head = _recent_head(context)
    size = head.tree_size if head else 0
    root = head.root_hash if head else ""
    if (size, root) == (index.size, index.root):
        return
    with index.lock:
        if (size, root) == (index.size, index.root):
            return
        with context.unit_of_work(write=False) as session:
            if size < index.size or not _continues(session, index):
                index.entries.clear()  # not the log indexed before: index it anew
                index.texts.clear()
                index.size, index.last_entry = 0, None
            latest: dict[str, str] = {}
            rows = session.execute(
                select(LedgerEntryRow.certificate_id, LedgerEntryRow.entry)
                .where(LedgerEntryRow.index >= index.size, LedgerEntryRow.index < size)
                .order_by(LedgerEntryRow.index)
            )
            for certificate_id, entry in rows:
                latest[certificate_id] = str(entry.get("status", ""))
                index.last_entry = entry
            ids = sorted(latest)
            documents: dict[str, tuple[int, dict[str, Any]]] = {}
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                found = session.execute(
                    select(
                        CertificateRow.certificate_id,
                        CertificateRow.version,
                        CertificateRow.document,
                    ).where(CertificateRow.certificate_id.in_(chunk))
                )
                for certificate_id, version, document in found:
                    known = documents.get(certificate_id)
                    if known is None or version > known[0]:
                        documents[certificate_id] = (version, dict(document))
        for certificate_id, (_, document) in documents.items():
            entry = _entry(document, latest[certificate_id])
            # the text first: a reader that sees the entry finds its text
            index.texts[certificate_id] = " ".join(
                [
                    *entry.product.values(),
                    *entry.company.values(),
                    entry.product_id,
                    entry.certificate_id,
                ]
            ).casefold()
            index.entries[certificate_id] = entry
        index.size, index.root = size, root


def _status_today(entry: CatalogueEntry, today: dt.date) -> str:
    if entry.status == "valid" and entry.valid_until < today:
        return "expired"
    return entry.status


def catalogue(context: Context, query: CatalogueQuery) -> CataloguePage:
    """Certified products matching ``query`` (see the module notes)."""
    key = _database_key(context)
    with _INDEXES_LOCK:
        index = _INDEXES.setdefault(key, _Index())
    _refresh(context, index)
    today = context.now().date()
    with index.lock:
        listing = index.listing
        if listing is None or listing.key != (index.size, index.root, today):
            listing = index.listing = _Listing(index, today)
    chosen = listing.find(query)
    return CataloguePage(
        items=chosen[query.offset : query.offset + query.limit],
        total=len(chosen),
        categories=listing.categories,
    )


def compare(context: Context, certificate_ids: list[str]) -> list[PublicCertificate]:
    """Several certificates side by side (the catalogue's comparison), in the order asked."""
    return [certificate(context, c) for c in dict.fromkeys(certificate_ids)]


def log_head(context: Context) -> TreeHead:
    """The newest signed tree head of the ledger."""
    return ledger.tree_head(context)


__all__ = [
    "CatalogueEntry",
    "CataloguePage",
    "CatalogueQuery",
    "PublicCertificate",
    "Stage",
    "catalogue",
    "certificate",
    "compare",
    "head_or_none",
    "log_head",
    "verify",
    "verify_token",
]
