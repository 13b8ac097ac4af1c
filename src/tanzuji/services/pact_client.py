"""PACT service, data recipient side: other hosts, fetching footprints, requests, answers.

* :func:`add_remote` records another host (its base URL and the client credentials its data
  owner issued to us; the secret sealed with the edge's secret-box key);
* :func:`fetch` lists a supplier's footprints, validates each (against the PACT OpenAPI
  document when the edge supplies it, else Tanzuji's model of the specification) and stores
  every active one as a primary-data emission factor: a footprint that replaces one received
  earlier (``precedingPfIds``, else the same product ids from the same host) becomes a new
  *version* of the same factor, and the certificates it affects are listed
  (:func:`tanzuji.services.certification.recheck`);
* :func:`request_footprints` queues a RequestCreatedEvent for a supplier's host; its answer
  (:func:`answer_received`, called by :func:`tanzuji.services.pact.receive_event`) stores the
  footprints the same way;
* :func:`follow_notices` fetches the footprints named by PublishedEvents received.

Factor provenance: the source names the supplier, the host, the footprint id, spec version and
status and its verification; ``pact_received`` keeps the footprint id -> factor version map.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field
from sqlalchemy.orm import Session

from tanzuji.certify.recheck import RecheckRow
from tanzuji.context import Context
from tanzuji.errors import NotFound, PactError, PactInvalid
from tanzuji.exchange import mapping
from tanzuji.exchange.client import Credentials, PactClient
from tanzuji.exchange.credentials import SecretBox
from tanzuji.exchange.filters import FootprintQuery
from tanzuji.exchange.model import (
    PUBLISHED,
    REQUEST_CREATED,
    REQUEST_FULFILLED,
    Event,
    ProductFootprint,
    RequestFulfilledEvent,
    parse_datetime,
    read_footprint,
)
from tanzuji.exchange.openapi import OpenApiDocument
from tanzuji.factors.importers.inventory import safe_id
from tanzuji.factors.selection import UNPINNED
from tanzuji.services import certification
from tanzuji.services.base import Request, Result, run_unit_of_work
from tanzuji.services.factors import require_steward
from tanzuji.services.pact import (
    EventReceipt,
    Partner,
    acting_organisation,
    check_target,
    events_base,
    new_event,
    queue_event,
)
from tanzuji.store import search as search_index
from tanzuji.store.factor_repository import add_records_in
from tanzuji.store.organisations import OrganisationRepository
from tanzuji.store.pact import PactRepository, aware
from tanzuji.store.pact_tables import PactReceivedRow, PactRemoteRow, PactRequestRow

#: Name of the factor import batch footprints from a host go in (the import log).
IMPORT_SOURCE = "PACT {host}"


# -- remotes ----------------------------------------------------------------------------------
class RemoteRequest(Request):
    """Another PACT host and the credentials its data owner issued to us."""

    organisation: str | None = Field(None, description="us (default: the actor's organisation)")
    partner: str = Field(min_length=1, description="the organisation running that host")
    base_url: str = Field(min_length=1)
    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1, repr=False)
    auth_base_url: str | None = None


class RemoteView(Result):
    id: int
    organisation: str
    partner: str
    base_url: str
    auth_base_url: str | None
    client_id: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


def _remote_view(row: PactRemoteRow) -> RemoteView:
    return RemoteView(
        id=row.id,
        organisation=row.organisation_id,
        partner=row.partner_id,
        base_url=row.base_url,
        auth_base_url=row.auth_base_url,
        client_id=row.client_id,
        created_at=aware(row.created_at),
        revoked_at=aware(row.revoked_at),
    )


def add_remote(context: Context, box: SecretBox, request: RemoteRequest) -> RemoteView:
    """Record another host (replacing an earlier record of the same URL).

    Raises
    ------
    PactInvalid
        When a URL is not HTTPS (or loopback HTTP where allowed).
    NotFound
        When the partner organisation does not exist.
    """
    organisation = acting_organisation(context, request.organisation, "add a PACT remote")
    allow = bool(context.settings.pact_allow_http_loopback)
    base = check_target(request.base_url, allow)
    auth = check_target(request.auth_base_url, allow) if request.auth_base_url else None
    row = PactRemoteRow(
        organisation_id=organisation,
        partner_id=request.partner,
        base_url=base,
        auth_base_url=auth,
        client_id=request.client_id,
        secret_sealed=box.seal(request.client_secret, base),
        created_at=context.now(),
    )

    def work(session: Session) -> RemoteView:
        OrganisationRepository(session).organisation(request.partner)
        return _remote_view(PactRepository(session).put_remote(row))

    return run_unit_of_work(context, work)


def remotes(context: Context, organisation: str | None = None) -> list[RemoteView]:
    chosen = (
        organisation
        if context.actor is None
        else acting_organisation(context, organisation, "list")
    )
    with context.unit_of_work(write=False) as session:
        return [_remote_view(r) for r in PactRepository(session).remotes(chosen)]


def revoke_remote(context: Context, remote_id: int) -> RemoteView:
    """Stop using a remote (its sealed secret stays unusable without a new `remote add`)."""

    def work(session: Session) -> RemoteView:
        row = PactRepository(session).remote(remote_id)
        acting_organisation(context, row.organisation_id, "revoke a PACT remote", session)
        if row.revoked_at is None:
            row.revoked_at = context.now()
        return _remote_view(row)

    return run_unit_of_work(context, work)


def _credentials(
    context: Context, box: SecretBox, organisation: str, base_url: str
) -> tuple[Credentials, str | None]:
    with context.unit_of_work(write=False) as session:
        row = PactRepository(session).remote_for_url(organisation, base_url)
        if row is None:
            raise NotFound(
                f"{organisation} has no credentials for {base_url}: give --client-id and "
                "--secret, or add the host (`tanzuji pact remote add`)"
            )
        return Credentials(
            row.client_id, box.open(row.secret_sealed, row.base_url)
        ), row.auth_base_url


# -- storing received footprints as factors ----------------------------------------------------
class ReceivedView(Result):
    """A footprint received and the factor version it became."""

    host: str
    footprint_id: str
    supplier: str
    product_ids: list[str]
    status: str
    verification: str
    factor_id: str
    factor_version: int
    received_at: dt.datetime
    via: str
    new_version: bool = Field(False, description="an update of a factor received before")


def _received_view(row: PactReceivedRow, new_version: bool = False) -> ReceivedView:
    return ReceivedView(
        host=row.host,
        footprint_id=row.footprint_id,
        supplier=row.supplier,
        product_ids=json.loads(row.product_ids),
        status=row.status,
        verification=row.verification,
        factor_id=row.factor_id,
        factor_version=row.factor_version,
        received_at=aware(row.received_at),
        via=row.via,
        new_version=new_version,
    )


def factor_id_for(host: str, footprint: ProductFootprint) -> str:
    """A new factor id for a supplier's product: ``pact:HOST/FIRST-PRODUCT-URN``."""
    netloc = urlsplit(host).netloc or host
    return safe_id("pact", f"{netloc}/{sorted(footprint.productIds)[0]}")


def validated(
    documents: Sequence[Any], where: str, openapi: OpenApiDocument | None
) -> tuple[list[ProductFootprint], list[str]]:
    """The documents that conform (OpenAPI document when given, and Tanzuji's model), and why
    the others were refused."""
    good, refused = [], []
    for index, document in enumerate(documents):
        place = f"{where} footprint {index + 1}"
        try:
            if openapi is not None:
                openapi.check("ProductFootprint", document, place)
            good.append(read_footprint(document, place))
        except PactInvalid as exc:
            refused.append(str(exc))
    return good, refused


def store_received(
    context: Context,
    session: Session,
    organisation: str | None,
    host: str,
    footprints: Sequence[ProductFootprint],
    *,
    via: str,
    publish: bool = True,
    indexed: bool = True,
) -> tuple[list[ReceivedView], list[str]]:
    """Store active footprints from ``host`` as primary-data factors, in the caller's
    session; returns what was stored and the ids of footprints already received or skipped.

    A footprint naming one received earlier in ``precedingPfIds`` (or with the same product
    ids from the same host) becomes the next version of that footprint's factor.
    """
    repository = PactRepository(session)
    now = context.now()
    stored: list[ReceivedView] = []
    passed: list[str] = []
    reviewer = f"PACT exchange ({context.actor.id if context.actor else 'local operator'})"
    for footprint in sorted(footprints, key=lambda f: parse_datetime(f.created)):
        if footprint.status != "Active" or repository.received(host, footprint.id) is not None:
            passed.append(footprint.id)
            continue
        factor_id = (
            repository.factor_of_lineage(host, footprint.precedingPfIds or ())
            or repository.factor_of_products(host, footprint.productIds)
            or factor_id_for(host, footprint)
        )
        record = mapping.factor_record(
            footprint, factor_id=factor_id, host=host, accessed=now.date()
        )
        report = add_records_in(
            session,
            [record],
            IMPORT_SOURCE.format(host=host),
            status="published" if publish else "draft",
            reviewer=reviewer if publish else None,
            index=indexed,
        )
        entry = report.entries[0]
        row = repository.add_received(
            PactReceivedRow(
                organisation_id=organisation,
                host=host,
                footprint_id=footprint.id.lower(),
                supplier=footprint.companyName,
                product_ids=json.dumps(sorted(p.lower() for p in footprint.productIds)),
                status=footprint.status,
                preceding=json.dumps(footprint.precedingPfIds)
                if footprint.precedingPfIds
                else None,
                verification=mapping.verification_status(footprint),
                factor_id=factor_id,
                factor_version=int(entry.version or 1),
                received_at=now,
                via=via,
            )
        )
        stored.append(_received_view(row, new_version=entry.action == "new_version"))
    return stored, passed


class AffectedCertificate(Result):
    """A certificate whose footprint changes with a supplier's updated factor."""

    certificate_id: str
    application_id: str
    changed_factors: list[str]
    certified_kg_co2e: float
    recomputed_kg_co2e: float | None
    delta_percent: float | None
    problem: str | None = None


def affected(context: Context, factor_ids: Sequence[str]) -> list[AffectedCertificate]:
    """Certificates whose footprint changes when recomputed with the newest published
    factors, among those that use ``factor_ids`` (:func:`certification.recheck`)."""
    if not factor_ids:
        return []
    wanted = set(factor_ids)
    rows: list[RecheckRow] = certification.recheck(context, UNPINNED)
    return [
        AffectedCertificate(
            certificate_id=r.certificate_id,
            application_id=r.application_id,
            changed_factors=r.changed_factors,
            certified_kg_co2e=r.certified_kg_co2e,
            recomputed_kg_co2e=r.recomputed_kg_co2e,
            delta_percent=r.delta_percent,
            problem=r.problem,
        )
        for r in rows
        if wanted & set(r.changed_factors)
    ]


# -- fetching ---------------------------------------------------------------------------------
class FetchRequest(Request):
    """Fetch a supplier's footprints (ListFootprints) and store them as factors."""

    organisation: str | None = None
    base_url: str = Field(min_length=1)
    client_id: str | None = Field(None, description="default: the remote's")
    client_secret: str | None = Field(None, repr=False)
    product_ids: list[str] = Field(default_factory=list, description="productId filter")
    publish: bool = Field(True, description="store the factors as published (else draft)")


class FetchResult(Result):
    host: str
    listed: int
    received: list[ReceivedView]
    unchanged: list[str] = Field(description="footprints received before, or not active")
    refused: list[str] = Field(description="footprints that do not conform, and why")
    affected: list[AffectedCertificate]
    validated_against: str


def fetch(
    context: Context,
    box: SecretBox,
    request: FetchRequest,
    *,
    verify: bool | str = True,
    openapi: OpenApiDocument | None = None,
    http: Any = None,
) -> FetchResult:
    """Fetch, validate and store a supplier's footprints (see the module notes).

    Raises
    ------
    PactAuthError, PactRemoteError
        When the host refuses the credentials or cannot be reached; nothing is stored.
    """
    organisation = acting_organisation(context, request.organisation, "fetch PACT footprints")
    if request.publish:
        require_steward(context, "publish a supplier's footprints as factors")
    base = check_target(request.base_url, bool(context.settings.pact_allow_http_loopback))
    auth = None
    if request.client_id and request.client_secret:
        credentials = Credentials(request.client_id, request.client_secret)
    else:
        credentials, auth = _credentials(context, box, organisation, base)
    query = FootprintQuery(product_ids=tuple(request.product_ids))
    with PactClient(base, credentials, verify=verify, auth_base_url=auth, http=http) as client:
        documents = client.list_footprints(query)
    good, refused = validated(documents, base, openapi)
    indexed = search_index.is_present(context.require_database().engine)

    def work(session: Session) -> tuple[list[ReceivedView], list[str]]:
        return store_received(
            context,
            session,
            organisation,
            base,
            good,
            via="fetch",
            publish=request.publish,
            indexed=indexed,
        )

    stored, passed = run_unit_of_work(context, work)
    updated = sorted({r.factor_id for r in stored if r.new_version})
    return FetchResult(
        host=base,
        listed=len(documents),
        received=stored,
        unchanged=passed,
        refused=refused,
        affected=affected(context, updated),
        validated_against=_validated_against(openapi),
    )


def _validated_against(openapi: OpenApiDocument | None) -> str:
    if openapi is None:
        return "Tanzuji's model of PACT v3 (no OpenAPI document given)"
    return f"{openapi.name} ({openapi.version})"


def received(context: Context, factor_id: str | None = None) -> list[ReceivedView]:
    """Footprints received (all, or those that became ``factor_id``)."""
    with context.unit_of_work(write=False) as session:
        return [_received_view(r) for r in PactRepository(session).received_all(factor_id)]


# -- asking for footprints ----------------------------------------------------------------------
class FootprintRequest(Request):
    """Ask a supplier's host for footprints (a RequestCreatedEvent)."""

    organisation: str | None = None
    base_url: str = Field(min_length=1, description="the supplier's host (a remote)")
    product_ids: list[str] = Field(min_length=1)
    geography: list[str] = Field(default_factory=list)
    comment: str = ""


class RequestView(Result):
    id: str
    organisation: str
    base_url: str
    criteria: dict[str, Any]
    status: str = Field(description="sent, fulfilled or rejected")
    created_at: dt.datetime
    answered_at: dt.datetime | None
    answer: dict[str, Any] | None


def _request_view(session: Session, row: PactRequestRow) -> RequestView:
    remote = PactRepository(session).remote(row.remote_id)
    return RequestView(
        id=row.id,
        organisation=row.organisation_id,
        base_url=remote.base_url,
        criteria=json.loads(row.criteria),
        status=row.status,
        created_at=aware(row.created_at),
        answered_at=aware(row.answered_at),
        answer=json.loads(row.answer) if row.answer else None,
    )


def request_footprints(context: Context, request: FootprintRequest) -> RequestView:
    """Queue a RequestCreatedEvent to a supplier's host (it must be a remote of ours: its
    answer authenticates with the credentials we issued, and ours with the remote's).

    Raises
    ------
    NotFound
        When the host is not a remote of the organisation.
    """
    organisation = acting_organisation(context, request.organisation, "request PACT footprints")
    base = request.base_url.rstrip("/")
    data: dict[str, Any] = {"productId": list(request.product_ids)}
    if request.geography:
        data["geography"] = list(request.geography)
    if request.comment:
        data["comment"] = request.comment

    def work(session: Session) -> RequestView:
        repository = PactRepository(session)
        remote = repository.remote_for_url(organisation, base)
        if remote is None:
            raise NotFound(
                f"{base} is not a PACT remote of {organisation}; `tanzuji pact remote add`"
            )
        event = new_event(context, REQUEST_CREATED, data)
        row = repository.add_request(
            PactRequestRow(
                id=event["id"],
                organisation_id=organisation,
                remote_id=remote.id,
                criteria=json.dumps(data, ensure_ascii=False),
                status="sent",
                created_at=context.now(),
            )
        )
        queue_event(context, session, organisation, remote.partner_id, remote.base_url, event)
        return _request_view(session, row)

    return run_unit_of_work(context, work)


def requests(context: Context, organisation: str | None = None) -> list[RequestView]:
    chosen = (
        organisation
        if context.actor is None
        else acting_organisation(context, organisation, "list")
    )
    with context.unit_of_work(write=False) as session:
        return [_request_view(session, r) for r in PactRepository(session).requests(chosen)]


def answer_received(
    context: Context,
    partner: Partner,
    event: Event,
    document: Any,
    *,
    openapi: OpenApiDocument | None = None,
) -> EventReceipt:
    """A RequestFulfilledEvent or RequestRejectedEvent from a supplier's host: the answer to
    one of our requests (footprints stored as factors), or noted when it answers none."""
    if openapi is not None and isinstance(event, RequestFulfilledEvent):
        openapi.check("RequestFulfilledEvent", document, f"event {event.id}")
    indexed = search_index.is_present(context.require_database().engine)
    request_id = event.data.requestEventId  # type: ignore[union-attr]

    def work(session: Session) -> EventReceipt | None:
        repository = PactRepository(session)
        row = repository.request(request_id, for_update=True)
        if row is None or row.organisation_id != partner.owner:
            return None
        if row.status != "sent":
            return EventReceipt(type=event.type, outcome="repeated")
        remote = repository.remote(row.remote_id)
        row.answered_at = context.now()
        if event.type == REQUEST_FULFILLED:
            stored, passed = store_received(
                context,
                session,
                row.organisation_id,
                remote.base_url,
                event.data.pfs,  # type: ignore[union-attr]
                via="event",
                indexed=indexed,
            )
            row.status = "fulfilled"
            row.answer = json.dumps(
                {
                    "factors": [f"{r.factor_id}@v{r.factor_version}" for r in stored],
                    "footprints": [r.footprint_id for r in stored] + passed,
                    "updated": sorted({r.factor_id for r in stored if r.new_version}),
                }
            )
            return EventReceipt(type=event.type, outcome="stored")
        row.status = "rejected"
        row.answer = json.dumps(event.data.error.model_dump(mode="json"))  # type: ignore[union-attr]
        return EventReceipt(type=event.type, outcome="rejected")

    receipt = run_unit_of_work(context, work)
    if receipt is not None:
        return receipt
    from tanzuji.services.pact import _note

    return _note(context, partner, event.type, event.id, event.source, document)


# -- PublishedEvents received ------------------------------------------------------------------
class NoticeView(Result):
    id: int
    organisation: str
    partner: str
    event_id: str
    type: str
    source: str
    received_at: dt.datetime
    handled: bool
    note: str | None
    footprint_ids: list[str]


def _notice_view(row: Any) -> NoticeView:
    return NoticeView(
        id=row.id,
        organisation=row.organisation_id,
        partner=row.partner_id,
        event_id=row.event_id,
        type=row.event_type,
        source=row.source,
        received_at=aware(row.received_at),
        handled=row.handled,
        note=row.note,
        footprint_ids=list(json.loads(row.body).get("data", {}).get("pfIds") or []),
    )


def notices(
    context: Context, organisation: str | None = None, *, unhandled: bool = False
) -> list[NoticeView]:
    """Events received that answer no request of ours (PublishedEvents above all)."""
    chosen = (
        organisation
        if context.actor is None
        else acting_organisation(context, organisation, "list")
    )
    with context.unit_of_work(write=False) as session:
        rows = PactRepository(session).inbox(chosen, unhandled=unhandled)
        return [_notice_view(r) for r in rows]


def follow_notices(
    context: Context,
    box: SecretBox,
    *,
    verify: bool | str = True,
    openapi: OpenApiDocument | None = None,
    http: Any = None,
) -> list[NoticeView]:
    """Fetch (GetFootprint) the footprints named by unhandled PublishedEvents whose source is a
    remote of ours, store them as factors (updates become new factor versions), and mark each
    notice handled with what happened. ``http``: an HTTP client to send with (tests)."""
    done = []
    for notice in notices(context, unhandled=True):
        if notice.type == PUBLISHED:
            note = _follow(context, box, notice, verify, openapi, http)
        else:
            note = "an answer to no request of ours; kept for the record"
        done.append(_mark(context, notice.id, note))
    return done


def _follow(
    context: Context,
    box: SecretBox,
    notice: NoticeView,
    verify: bool | str,
    openapi: OpenApiDocument | None,
    http: Any = None,
) -> str:
    base = events_base(notice.source)
    try:
        credentials, auth = _credentials(context, box, notice.organisation, base)
        check_target(base, bool(context.settings.pact_allow_http_loopback))
        with PactClient(base, credentials, verify=verify, auth_base_url=auth, http=http) as client:
            documents = [client.get_footprint(i) for i in notice.footprint_ids]
    except (PactError, NotFound) as exc:
        return f"not fetched: {exc.message}"
    good, refused = validated(documents, base, openapi)
    indexed = search_index.is_present(context.require_database().engine)
    stored, _ = run_unit_of_work(
        context,
        lambda s: store_received(
            context, s, notice.organisation, base, good, via="published", indexed=indexed
        ),
    )
    parts = [f"{r.factor_id} v{r.factor_version}" for r in stored] or ["nothing new"]
    return "stored " + ", ".join(parts) + (f"; refused: {'; '.join(refused)}" if refused else "")


def _mark(context: Context, notice_id: int, note: str) -> NoticeView:
    def work(session: Session) -> NoticeView:
        row = PactRepository(session).notice(notice_id)
        row.handled, row.note = True, note
        return _notice_view(row)

    return run_unit_of_work(context, work)


__all__ = [
    "AffectedCertificate",
    "FetchRequest",
    "FetchResult",
    "FootprintRequest",
    "NoticeView",
    "ReceivedView",
    "RemoteRequest",
    "RemoteView",
    "RequestView",
    "add_remote",
    "affected",
    "answer_received",
    "factor_id_for",
    "fetch",
    "follow_notices",
    "notices",
    "received",
    "remotes",
    "request_footprints",
    "requests",
    "revoke_remote",
    "store_received",
    "validated",
]
