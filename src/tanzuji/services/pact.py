"""PACT service, data owner side: credentials, sharing, publishing, the API's reads, events in,
tasks, and the outbox of events out.

The platform's organisations are the PACT data owners. An owner issues client credentials to a
partner organisation (:func:`add_client`; the secret is shown once and kept as a hash), shares
products with it or with every partner (:func:`share`), and publishes the certified results of
its certificates as ProductFootprints (:func:`publish`). A footprint never changes: a new
result makes a new footprint naming the old one in ``precedingPfIds`` and the old one becomes
``Deprecated``; a revoked, suspended or expired certificate withdraws its footprints from
listings (:func:`follow_certificate_in`, called in the certificate event's transaction). Each
change queues a PublishedEvent to the partners who may read the footprint and whose host is
known (:mod:`tanzuji.services.pact_client` ``add_remote``).

Requests from partners (RequestCreatedEvent) become tasks (:func:`receive_event`); a rule
answers some at once (setting ``pact_auto_fulfil``: exactly one active footprint shared with
the partner matches; ``pact_auto_reject``: the owner has no footprint of the product ids), a
person answers the others (:func:`fulfil`, :func:`reject`). Answers and notices wait in the
outbox until :func:`deliver_due` sends them, retrying with exponential backoff and giving up
after ``pact_retry_give_up_s`` (PACT v3: 3 days).

Every write is one unit of work; the PACT host (:mod:`tanzuji.pact_host`) only parses,
authenticates and renders.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field
from sqlalchemy.orm import Session

from tanzuji.certify import workflow as wf
from tanzuji.certify.certificate import SignedCertificate
from tanzuji.certify.records import Actor, Application, Role
from tanzuji.context import Context
from tanzuji.errors import (
    GateNotMet,
    NotFound,
    PactAuthError,
    PactError,
    PactInvalid,
    PactMappingError,
    PactRemoteError,
    PermissionDenied,
)
from tanzuji.exchange import mapping
from tanzuji.exchange.client import Credentials, PactClient
from tanzuji.exchange.credentials import (
    SecretBox,
    hash_secret,
    new_client_id,
    new_secret,
    verify_secret,
)
from tanzuji.exchange.filters import FootprintQuery, filter_keys, validity_window
from tanzuji.exchange.model import (
    CLOUDEVENTS_VERSION,
    PUBLISHED,
    REQUEST_FULFILLED,
    REQUEST_REJECTED,
    ProductFootprint,
    RequestCreatedEvent,
    datetime_text,
    dump,
    parse_datetime,
    read_event,
    read_footprint,
)
from tanzuji.footprint import Footprint
from tanzuji.model.files import load_model_text
from tanzuji.pcr.registry import get_pcr
from tanzuji.services.base import Request, Result, run_unit_of_work
from tanzuji.store.certify import CertificationRepository
from tanzuji.store.organisations import OrganisationRepository
from tanzuji.store.pact import PactRepository, aware, cursor, epoch_ms, parse_cursor
from tanzuji.store.pact_tables import (
    PactClientRow,
    PactFootprintRow,
    PactInboxRow,
    PactOutboxRow,
    PactTaskRow,
)

#: Events claimed by one delivery pass; they are leased for this long while being sent.
DELIVERY_BATCH = 20
DELIVERY_LEASE_S = 60.0

#: The CloudEvents ``source`` path of the events this host sends (base URL + this).
EVENTS_PATH = "/3/events"

#: Loopback host names (the only hosts plain HTTP may reach, setting
#: ``pact_allow_http_loopback``).
LOOPBACK_NAMES = ("localhost",)

ErrorCode = Literal["BadRequest", "AccessDenied", "NotFound", "InternalError", "NotImplemented"]


# -- who acts for which owner --------------------------------------------------------------------
def acting_organisation(
    context: Context, organisation: str | None, what: str, session: Session | None = None
) -> str:
    """The organisation the actor may act for in PACT: its own; any for an administrator or
    the local operator (no actor), who must then name it.

    Raises
    ------
    PermissionDenied
        When the actor is the public, or names another organisation than its own.
    NotFound
        When no such organisation exists.
    """
    actor = context.actor
    if actor is None or actor.role is Role.administrator:
        chosen = organisation or (actor.organisation.id if actor else None)
        if not chosen:
            raise PermissionDenied(f"name the organisation to {what} (--org ORG)")
    elif actor.role is Role.public:
        raise PermissionDenied(f"the public may not {what} / 公众不可执行")
    else:
        chosen = organisation or actor.organisation.id
        if chosen != actor.organisation.id:
            raise PermissionDenied(
                f"{actor.id} acts for {actor.organisation.id}; only its own organisation's PACT "
                f"data may be managed, not {chosen}'s / 只能管理本组织的数据"
            )
    if session is not None:
        OrganisationRepository(session).organisation(chosen)
        return chosen
    with context.unit_of_work(write=False) as own:
        OrganisationRepository(own).organisation(chosen)
    return chosen


def _who(actor: Actor | None) -> str:
    return actor.id if actor else "local operator"


def public_url(context: Context) -> str:
    """This host's base URL as partners reach it (setting ``pact_public_url``, else
    ``https://BIND:PORT``)."""
    given = str(context.settings.pact_public_url or "").rstrip("/")
    if given:
        return given
    bind = str(context.settings.pact_bind)
    host = "localhost" if bind in ("0.0.0.0", "::", "") else bind
    if ":" in host:
        host = f"[{host}]"
    return f"https://{host}:{int(context.settings.pact_port)}"


def check_target(url: str, allow_loopback_http: bool) -> str:
    """``url`` when this platform may send to it: absolute HTTPS (or HTTP on loopback when
    allowed).

    Raises
    ------
    PactInvalid
        When the URL is relative, not HTTP(S), or plain HTTP to another host.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise PactInvalid(f"{url!r} is not an absolute https:// URL")
    if parts.scheme == "http" and not (allow_loopback_http and _loopback(parts.hostname)):
        raise PactInvalid(
            f"{url} uses plain HTTP; PACT hosts talk HTTPS only (setting "
            "pact_allow_http_loopback lets a local test tool on 127.0.0.1 use HTTP)"
        )
    return url.rstrip("/")


def _loopback(hostname: str) -> bool:
    if hostname in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def events_base(source: str) -> str:
    """The base URL to send answers to for an event ``source``: ``//host/...`` means HTTPS,
    and a trailing ``/3/events`` is the events endpoint itself."""
    base = f"https:{source}" if source.startswith("//") else source
    base = base.rstrip("/")
    if base.endswith(EVENTS_PATH):
        base = base[: -len(EVENTS_PATH)]
    return base


# -- credentials ---------------------------------------------------------------------------------
class ClientRequest(Request):
    """New client credentials an owner issues to a partner organisation."""

    owner: str | None = Field(None, description="data owner (default: the actor's organisation)")
    partner: str = Field(min_length=1, description="the partner organisation (data recipient)")
    label: str = Field("", max_length=300)


class ClientView(Result):
    client_id: str
    owner: str
    partner: str
    label: str
    created_at: dt.datetime
    created_by: str | None
    revoked_at: dt.datetime | None


class NewClient(ClientView):
    """A new client: the secret is here once and never again (only its hash is stored)."""

    client_secret: str


class Partner(Result):
    """An authenticated PACT client: the owner whose data it reads, the partner it acts for."""

    client_id: str
    owner: str
    partner: str


def _client_view(row: PactClientRow) -> ClientView:
    return ClientView(
        client_id=row.client_id,
        owner=row.owner_id,
        partner=row.partner_id,
        label=row.label,
        created_at=aware(row.created_at),
        created_by=row.created_by,
        revoked_at=aware(row.revoked_at),
    )


def add_client(context: Context, request: ClientRequest) -> NewClient:
    """Issue client credentials (OAuth2 client credentials) to a partner organisation.

    Raises
    ------
    NotFound
        When the owner or partner organisation does not exist.
    PermissionDenied
        When the actor may not act for the owner.
    """
    owner = acting_organisation(context, request.owner, "issue PACT credentials")
    secret = new_secret()
    row = PactClientRow(
        client_id=new_client_id(),
        owner_id=owner,
        partner_id=request.partner,
        label=request.label,
        secret_hash=hash_secret(secret),
        created_at=context.now(),
        created_by=_who(context.actor),
    )

    def work(session: Session) -> ClientView:
        OrganisationRepository(session).organisation(request.partner)
        return _client_view(PactRepository(session).add_client(row))

    view = run_unit_of_work(context, work)
    return NewClient(**view.model_dump(), client_secret=secret)


def clients(context: Context, owner: str | None = None) -> list[ClientView]:
    """The credentials an owner issued (every owner's for the local operator or an
    administrator naming none)."""
    chosen = owner if context.actor is None else acting_organisation(context, owner, "list")
    with context.unit_of_work(write=False) as session:
        return [_client_view(r) for r in PactRepository(session).clients(chosen)]


def revoke_client(context: Context, client_id: str) -> ClientView:
    """Revoke client credentials: its tokens stop working at once.

    Raises
    ------
    NotFound
        When there is no such client.
    """

    def work(session: Session) -> ClientView:
        row = PactRepository(session).client(client_id)
        if row is None:
            raise NotFound(f"no PACT client {client_id!r}; `tanzuji pact client list` shows them")
        acting_organisation(context, row.owner_id, "revoke PACT credentials", session)
        if row.revoked_at is None:
            row.revoked_at = context.now()
        return _client_view(row)

    return run_unit_of_work(context, work)


def authenticate_client(context: Context, client_id: str, secret: str) -> Partner:
    """The partner behind ``client_id`` when ``secret`` is its secret and it is not revoked.

    Raises
    ------
    PactAuthError
        Otherwise (the message does not say which part was wrong).
    """
    with context.unit_of_work(write=False) as session:
        row = PactRepository(session).client(client_id)
        if row is None or row.revoked_at is not None or not verify_secret(secret, row.secret_hash):
            raise PactAuthError("client authentication failed")
        return Partner(client_id=row.client_id, owner=row.owner_id, partner=row.partner_id)


def partner_of(context: Context, client_id: str) -> Partner:
    """The partner of a client whose token was verified (refused once the client is revoked).

    Raises
    ------
    PactAuthError
        When the client does not exist any more or was revoked.
    """
    with context.unit_of_work(write=False) as session:
        row = PactRepository(session).client(client_id)
        if row is None or row.revoked_at is not None:
            raise PactAuthError("the token's client was revoked")
        return Partner(client_id=row.client_id, owner=row.owner_id, partner=row.partner_id)


# -- profile and shares ------------------------------------------------------------------------
class ProfileRequest(Request):
    """An owner's PACT identity: its company URNs and the domain of its product URNs."""

    organisation: str | None = None
    company_ids: list[str] = Field(min_length=1, description="URNs, e.g. urn:lei:...")
    product_domain: str = Field(
        min_length=3,
        description="domain of the owner's product URNs urn:pact:DOMAIN:supplier-id:PRODUCT",
        pattern=r"^[A-Za-z0-9]([A-Za-z0-9.\-]*[A-Za-z0-9])?$",
    )


class ProfileView(Result):
    organisation: str
    company_ids: list[str]
    product_domain: str


def set_profile(context: Context, request: ProfileRequest) -> ProfileView:
    """Set an owner's PACT identity (used by :func:`publish` when a request gives none).

    Raises
    ------
    PactInvalid
        When a company id is not a URN.
    """
    owner = acting_organisation(context, request.organisation, "set the PACT profile")
    bad = [c for c in request.company_ids if not c.lower().startswith("urn:")]
    if bad:
        raise PactInvalid(f"company ids must be URNs (urn:...); found {bad}")

    def work(session: Session) -> ProfileView:
        row = PactRepository(session).set_profile(
            owner, request.company_ids, request.product_domain, context.now()
        )
        return ProfileView(
            organisation=owner,
            company_ids=json.loads(row.company_ids),
            product_domain=row.product_domain,
        )

    return run_unit_of_work(context, work)


class ShareRequest(Request):
    """Let a partner (None: every partner) read a product (None: every product) of an owner."""

    owner: str | None = None
    partner: str | None = None
    product: str | None = Field(None, description="the Tanzuji product id (model product.id)")


class ShareView(Result):
    id: int
    owner: str
    partner: str | None
    product: str | None
    created_at: dt.datetime
    created_by: str | None


def _share_view(row: Any) -> ShareView:
    return ShareView(
        id=row.id,
        owner=row.owner_id,
        partner=row.partner_id,
        product=row.product_key,
        created_at=aware(row.created_at),
        created_by=row.created_by,
    )


def share(context: Context, request: ShareRequest) -> ShareView:
    """Add a sharing rule (an existing identical rule is returned unchanged)."""
    owner = acting_organisation(context, request.owner, "share PACT footprints")

    def work(session: Session) -> ShareView:
        if request.partner is not None:
            OrganisationRepository(session).organisation(request.partner)
        row, _ = PactRepository(session).add_share(
            owner, request.partner, request.product, context.now(), _who(context.actor)
        )
        return _share_view(row)

    return run_unit_of_work(context, work)


def unshare(context: Context, share_id: int) -> ShareView:
    """Remove a sharing rule."""

    def work(session: Session) -> ShareView:
        repository = PactRepository(session)
        row = next((s for s in repository.shares() if s.id == share_id), None)
        if row is None:
            raise NotFound(f"no PACT share {share_id}; `tanzuji pact share list` shows them")
        acting_organisation(context, row.owner_id, "remove a PACT share", session)
        return _share_view(repository.remove_share(share_id))

    return run_unit_of_work(context, work)


def shares(context: Context, owner: str | None = None) -> list[ShareView]:
    chosen = owner if context.actor is None else acting_organisation(context, owner, "list")
    with context.unit_of_work(write=False) as session:
        return [_share_view(r) for r in PactRepository(session).shares(chosen)]


# -- publishing -----------------------------------------------------------------------------------
class PublishRequest(Request):
    """Publish the certified result of a certificate as a PACT ProductFootprint."""

    certificate_id: str
    product_ids: list[str] = Field(
        default_factory=list,
        description="product URNs (default: urn:pact:DOMAIN:supplier-id:PRODUCT of the profile)",
    )
    company_ids: list[str] = Field(default_factory=list, description="default: the profile's")
    classifications: list[str] = Field(
        default_factory=list, description="classification URNs (default: the PCR's UN CPC codes)"
    )
    fossil_carbon_content_kg: float = Field(
        ge=0, description="kg fossil carbon per declared unit (0 when the product has none)"
    )
    packaging_included: bool | None = None
    comment: str = ""


class FootprintView(Result):
    """A published footprint as its owner sees it."""

    id: str
    owner: str
    product: str
    certificate_id: str | None
    status: str
    withdrawn_at: dt.datetime | None
    withdrawn_reason: str | None
    superseded_by: str | None
    document: dict[str, Any]


class PublishResult(Result):
    footprint: FootprintView
    created: bool = Field(description="false when the newest footprint already said the same")
    deprecated: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    notices: list[str] = Field(default_factory=list, description="PublishedEvents queued")


def _document(row: PactFootprintRow) -> dict[str, Any]:
    """The footprint's JSON with its current status (the only property that may change)."""
    document = json.loads(row.document)
    document["status"] = row.status
    return document


def _footprint_view(row: PactFootprintRow) -> FootprintView:
    return FootprintView(
        id=row.id,
        owner=row.owner_id,
        product=row.product_key,
        certificate_id=row.certificate_id,
        status=row.status,
        withdrawn_at=aware(row.withdrawn_at),
        withdrawn_reason=row.withdrawn_reason,
        superseded_by=row.superseded_by,
        document=_document(row),
    )


def _disclosure(
    session: Session, owner: str, product_key: str, request: PublishRequest
) -> mapping.Disclosure:
    profile = PactRepository(session).profile(owner)
    company_ids = request.company_ids or (json.loads(profile.company_ids) if profile else [])
    if not company_ids:
        raise PactMappingError(
            f"{owner} has no PACT company ids: give them (--company-id urn:...) or set the "
            "profile (`tanzuji pact profile --company-id ... --domain ...`)",
            field="companyIds",
        )
    product_ids = request.product_ids
    if not product_ids:
        if profile is None:
            raise PactMappingError(
                f"product {product_key}: give its product URNs (--product-id urn:...) or set "
                f"{owner}'s profile domain for urn:pact:DOMAIN:supplier-id:PRODUCT",
                field="productIds",
            )
        product_ids = [f"urn:pact:{profile.product_domain}:supplier-id:{product_key}"]
    return mapping.Disclosure(
        company_ids=tuple(company_ids),
        product_ids=tuple(product_ids),
        fossil_carbon_content_kg=request.fossil_carbon_content_kg,
        classifications=tuple(request.classifications),
        packaging_included=request.packaging_included,
        comment=request.comment,
    )


def _certified(context: Context, document: dict[str, Any], label: str) -> mapping.Certified:
    certificate = SignedCertificate.of_file(document).certificate
    base = str(context.settings.certificate_base_url).rstrip("/")
    return mapping.Certified(
        certificate_id=certificate.certificate_id,
        certificate_version=certificate.version,
        certificate_url=f"{base}/{certificate.certificate_id}",
        certificate_sha256=certificate.sha256(),
        issued_at=certificate.signed_at(),
        valid_from=certificate.validity.valid_from,
        valid_until=certificate.validity.valid_until,
        company_name=str(certificate.company.get("name", "")),
        verifier_name=str(certificate.verifier.get("body") or certificate.verifier.get("name")),
        factor_release=certificate.factor_release,
        label=label,
    )


def _map(
    context: Context,
    session: Session,
    application: Application,
    disclosure: mapping.Disclosure,
    preceding: Sequence[str],
) -> mapping.Mapped:
    model = application.current_model
    if model is None or application.certificate_id is None:
        raise GateNotMet(f"application {application.id} has no certified model")
    repository = CertificationRepository(session)
    loaded = load_model_text(
        model.model_text,
        f"{application.id} model v{model.version}",
        repository.model_files(model),
        limits=context.limits,
    )
    version = application.pcr_version
    pcr = get_pcr(
        application.pcr_id if version in ("", "latest") else f"{application.pcr_id}@{version}"
    )
    document = repository.certificate_document(application.certificate_id)
    return mapping.product_footprint(
        Footprint.model_validate(model.footprint),
        loaded.model.product,
        pcr,
        _certified(context, document, application.label_type.value),
        disclosure,
        footprint_id=str(uuid.uuid4()),
        created=context.now(),
        extension_schema_url=public_url(context) + mapping.EXTENSION_SCHEMA_PATH,
        exclusions=loaded.model.exclusions or (),
        preceding=preceding,
    )


def _store(
    repository: PactRepository,
    footprint: ProductFootprint,
    owner: str,
    application: Application,
) -> PactFootprintRow:
    start, end = validity_window(footprint)
    row = PactFootprintRow(
        id=footprint.id.lower(),
        owner_id=owner,
        product_key=application.product_id,
        application_id=application.id,
        certificate_id=application.certificate_id,
        certificate_version=application.certificate_version,
        status=footprint.status,
        created_ms=epoch_ms(parse_datetime(footprint.created)),
        valid_start_ms=epoch_ms(start),
        valid_end_ms=epoch_ms(end),
        document=json.dumps(dump(footprint), ensure_ascii=False, sort_keys=True),
    )
    return repository.add_footprint(row, dict(filter_keys(footprint)))


def _publish_in(
    context: Context,
    session: Session,
    application: Application,
    disclosure: mapping.Disclosure,
) -> PublishResult:
    """Map, store and announce the footprint of ``application`` in the caller's session."""
    repository = PactRepository(session)
    owner = application.applicant.id
    head = repository.lineage_head(owner, application.product_id)
    preceding = [head.id] if head is not None else []
    mapped = _map(context, session, application, disclosure, preceding)
    if (
        head is not None
        and head.withdrawn_at is None
        and head.status == "Active"
        and mapping.same_content(read_footprint(json.loads(head.document)), mapped.footprint)
    ):
        return PublishResult(
            footprint=_footprint_view(head), created=False, warnings=mapped.warnings
        )
    row = _store(repository, mapped.footprint, owner, application)
    deprecated = []
    if head is not None:
        if head.status == "Active":
            deprecated.append(head.id)
        repository.deprecate(head.id, row.id)
    notices = announce(context, session, owner, application.product_id, [row.id, *deprecated])
    session.flush()
    return PublishResult(
        footprint=_footprint_view(row),
        created=True,
        deprecated=deprecated,
        warnings=mapped.warnings,
        notices=notices,
    )


def publish(context: Context, request: PublishRequest) -> PublishResult:
    """Publish a certificate's result as a ProductFootprint (one transaction).

    A footprint identical to the product's newest active one is not published again; a
    different one replaces it (the old one becomes Deprecated, the new one names it in
    ``precedingPfIds``). Partners who may read the product and whose host is known get a
    PublishedEvent.

    Raises
    ------
    NotFound
        When the certificate does not exist.
    GateNotMet
        When the certificate is not in force (revoked, suspended, expired).
    PactMappingError
        When a field PACT requires is missing (the message names what to give).
    PermissionDenied
        When the actor does not act for the certificate's company.
    """

    def work(session: Session) -> PublishResult:
        application = CertificationRepository(session).by_certificate(request.certificate_id)
        acting_organisation(context, application.applicant.id, "publish PACT footprints", session)
        if application.state not in wf.CERTIFIED:
            raise GateNotMet(
                f"certificate {request.certificate_id} is {application.state.value}; only a "
                "certificate in force is published as a PACT footprint"
            )
        disclosure = _disclosure(session, application.applicant.id, application.product_id, request)
        return _publish_in(context, session, application, disclosure)

    return run_unit_of_work(context, work)


def _disclosure_of(document: dict[str, Any]) -> mapping.Disclosure:
    """The owner's disclosure as an earlier footprint carried it (for a republication)."""
    pcf = document.get("pcf", {})
    comment = document.get("comment") or ""
    return mapping.Disclosure(
        company_ids=tuple(document.get("companyIds", ())),
        product_ids=tuple(document.get("productIds", ())),
        fossil_carbon_content_kg=float(pcf.get("fossilCarbonContent", "0")),
        classifications=tuple(document.get("productClassifications", ())),
        packaging_included=pcf.get("packagingEmissionsIncluded"),
        comment="" if comment.startswith("Certified carbon footprint (") else comment,
    )


def follow_certificate_in(
    context: Context, session: Session, certificate_id: str, event: str, now: dt.datetime
) -> list[str]:
    """Make the PACT footprints of a certificate follow one of its events, in the caller's
    transaction (the certificate event's own): ``revoked``, ``suspended``, ``expired`` and
    ``superseded`` withdraw them from listings (status Deprecated); ``renewed`` and ``reinstated``
    republish the certificate's result with the disclosure of its newest footprint. Returns
    the ids withdrawn or published (nothing when the certificate was never published)."""
    repository = PactRepository(session)
    rows = repository.of_certificate(certificate_id)
    if not rows:
        return []
    owner, product = rows[-1].owner_id, rows[-1].product_key
    if event in ("revoked", "suspended", "expired", "superseded"):
        changed = []
        for row in rows:
            if row.withdrawn_at is None:
                row.status, row.withdrawn_at = "Deprecated", now
                row.withdrawn_reason = f"certificate {certificate_id} {event}"
                changed.append(row.id)
        if changed:
            announce(context, session, owner, product, changed)
        return changed
    if event in ("renewed", "reinstated"):
        application = CertificationRepository(session).by_certificate(certificate_id)
        result = _publish_in(
            context, session, application, _disclosure_of(json.loads(rows[-1].document))
        )
        return [result.footprint.id] if result.created else []
    return []


def footprints_of(context: Context, owner: str | None = None) -> list[FootprintView]:
    """Every footprint an owner published (withdrawn and deprecated ones too)."""
    chosen = owner if context.actor is None else acting_organisation(context, owner, "list")
    with context.unit_of_work(write=False) as session:
        return [_footprint_view(r) for r in PactRepository(session).owned(chosen)]


# -- the API's reads ---------------------------------------------------------------------------
class Page(Result):
    """One ListFootprints page and where the next begins (None: the last page)."""

    footprints: list[dict[str, Any]]
    next_after: str | None = None


def list_footprints(
    context: Context,
    partner: Partner,
    query: FootprintQuery,
    *,
    limit: int | None = None,
    after: str | None = None,
) -> Page:
    """ListFootprints for an authenticated partner: its owner's footprints shared with it,
    not withdrawn, matching ``query``; at most ``limit`` (and ``pact_max_page_size``).

    Raises
    ------
    PactInvalid
        When ``after`` is not a position this host wrote.
    """
    size = int(context.settings.pact_max_page_size)
    if limit is not None:
        size = min(size, limit)
    position = parse_cursor(after) if after else None
    with context.unit_of_work(write=False) as session:
        rows = PactRepository(session).footprints(
            partner.owner, partner.partner, query, after=position, limit=size + 1
        )
    more = len(rows) > size
    page = rows[:size]
    if size == 0:
        return Page(footprints=[], next_after=after if more else None)
    return Page(
        footprints=[_document(r) for r in page], next_after=cursor(page[-1]) if more else None
    )


def get_footprint(context: Context, partner: Partner, footprint_id: str) -> dict[str, Any]:
    """GetFootprint for an authenticated partner (a deprecated footprint is returned too).

    Raises
    ------
    NotFound
        When the owner has no such footprint, or it was withdrawn.
    PermissionDenied
        When it exists but is not shared with the partner (PACT: 403 AccessDenied).
    PactInvalid
        When the id is not a UUID.
    """
    try:
        uuid.UUID(footprint_id)
    except ValueError:
        raise PactInvalid(f"footprint id {footprint_id!r} is not a UUID") from None
    with context.unit_of_work(write=False) as session:
        repository = PactRepository(session)
        row = repository.footprint(footprint_id)
        if row is None or row.owner_id != partner.owner:
            raise NotFound(f"footprint {footprint_id} does not exist")
        if not repository.shared_with(row, partner.partner):
            raise PermissionDenied(f"footprint {footprint_id} is not shared with you")
        if row.withdrawn_at is not None:
            raise NotFound(f"footprint {footprint_id} was withdrawn ({row.withdrawn_reason})")
        return _document(row)


# -- events out --------------------------------------------------------------------------------
def new_event(context: Context, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """A CloudEvent this host sends (``source``: its public URL)."""
    return {
        "type": kind,
        "specversion": CLOUDEVENTS_VERSION,
        "id": str(uuid.uuid4()),
        "source": public_url(context),
        "time": datetime_text(context.now()),
        "data": data,
    }


def queue_event(
    context: Context,
    session: Session,
    organisation: str,
    partner: str | None,
    target_url: str,
    event: dict[str, Any],
    task_id: int | None = None,
) -> PactOutboxRow:
    """Put ``event`` in the outbox for ``target_url`` (sent by :func:`deliver_due`)."""
    now = context.now()
    row = PactOutboxRow(
        id=event["id"],
        organisation_id=organisation,
        partner_id=partner,
        target_url=target_url,
        event_type=event["type"],
        body=json.dumps(event, ensure_ascii=False),
        state="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        task_id=task_id,
    )
    return PactRepository(session).add_event(row)


def announce(
    context: Context, session: Session, owner: str, product_key: str, footprint_ids: list[str]
) -> list[str]:
    """Queue a PublishedEvent naming ``footprint_ids`` to every partner that may read the
    product and whose host is known; returns the target URLs."""
    repository = PactRepository(session)
    partners = repository.partners_sharing(owner, product_key)
    remotes = repository.remotes(owner) if None in partners else []
    targets = {r.base_url: r.partner_id for r in remotes if r.revoked_at is None}
    for partner in partners:
        if partner is not None:
            targets.update({r.base_url: r.partner_id for r in repository.remotes(owner, partner)})
    for url, partner in sorted(targets.items()):
        event = new_event(context, PUBLISHED, {"pfIds": list(footprint_ids)})
        queue_event(context, session, owner, partner, url, event)
    return sorted(targets)


class EventView(Result):
    """An outgoing event and its delivery state."""

    id: str
    organisation: str
    partner: str | None
    target_url: str
    type: str
    state: str = Field(description="pending, delivered or abandoned")
    attempts: int
    next_attempt_at: dt.datetime | None
    last_status: int | None
    last_error: str | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    task_id: int | None


def _event_view(row: PactOutboxRow) -> EventView:
    return EventView(
        id=row.id,
        organisation=row.organisation_id,
        partner=row.partner_id,
        target_url=row.target_url,
        type=row.event_type,
        state=row.state,
        attempts=row.attempts,
        next_attempt_at=aware(row.next_attempt_at) if row.state == "pending" else None,
        last_status=row.last_status,
        last_error=row.last_error,
        created_at=aware(row.created_at),
        delivered_at=aware(row.delivered_at),
        task_id=row.task_id,
    )


def events(
    context: Context, organisation: str | None = None, state: str | None = None
) -> list[EventView]:
    """Outgoing events with their state (an organisation's, or all for the local operator)."""
    chosen = (
        organisation
        if context.actor is None
        else acting_organisation(context, organisation, "list")
    )
    with context.unit_of_work(write=False) as session:
        return [_event_view(r) for r in PactRepository(session).events(chosen, state)]


#: Sends one event: (base URL, credentials or None, auth base URL or None, event) -> status.
Dispatcher = Callable[[str, Credentials | None, str | None, dict[str, Any]], int]


def http_dispatcher(verify: bool | str = True, timeout_s: float = 10.0) -> Dispatcher:
    """A dispatcher that POSTs with :class:`~tanzuji.exchange.client.PactClient` (``verify``:
    system CAs, or a CA bundle path the edge chose)."""

    def send(
        base_url: str, credentials: Credentials | None, auth: str | None, event: dict[str, Any]
    ) -> int:
        with PactClient(
            base_url, credentials, verify=verify, timeout_s=timeout_s, auth_base_url=auth
        ) as client:
            return client.send_event(event)

    return send


def backoff_s(context: Context, attempts: int) -> float:
    """Wait before attempt ``attempts + 1``: base x 2^(attempts - 1), at most the maximum."""
    base = float(context.settings.pact_retry_base_s)
    return min(base * 2 ** max(0, attempts - 1), float(context.settings.pact_retry_max_s))


def _claim(context: Context, limit: int) -> list[tuple[str, str, dict[str, Any], Any]]:
    """Lease the due events (one short transaction): (id, target, event, remote or None)."""
    now = context.now()
    lease = dt.timedelta(seconds=DELIVERY_LEASE_S)

    def work(session: Session) -> list[tuple[str, str, dict[str, Any], Any]]:
        repository = PactRepository(session)
        claimed = []
        for row in repository.due_events(now, limit):
            row.attempts += 1
            row.next_attempt_at = now + lease
            remote = repository.remote_for_url(row.organisation_id, row.target_url)
            secret = (
                (remote.client_id, remote.secret_sealed, remote.auth_base_url) if remote else None
            )
            claimed.append((row.id, row.target_url, json.loads(row.body), secret))
        return claimed

    return run_unit_of_work(context, work)


def _record(context: Context, event_id: str, status: int | None, error: str | None) -> EventView:
    now = context.now()
    give_up = dt.timedelta(seconds=float(context.settings.pact_retry_give_up_s))

    def work(session: Session) -> EventView:
        row = PactRepository(session).event(event_id, for_update=True)
        row.last_status, row.last_error = status, error
        if error is None:
            row.state, row.delivered_at = "delivered", now
        elif now - aware(row.created_at) >= give_up:
            row.state = "abandoned"
        else:
            row.next_attempt_at = now + dt.timedelta(seconds=backoff_s(context, row.attempts))
        return _event_view(row)

    return run_unit_of_work(context, work)


def deliver_due(
    context: Context,
    box: SecretBox,
    dispatcher: Dispatcher,
    *,
    limit: int = DELIVERY_BATCH,
) -> list[EventView]:
    """Send the events that are due (one pass; the host's loop or a job calls it again).

    Each event is leased in one short transaction, sent outside any transaction (with the
    credentials of the remote registered for its target, if any), and its outcome recorded in
    another: delivered, or retried after :func:`backoff_s`, or abandoned once older than
    ``pact_retry_give_up_s``. A crash while sending leaves the lease to expire, so the event
    is sent again (at least once; receivers tell repeats by the event id).
    """
    allow_http = bool(context.settings.pact_allow_http_loopback)
    done = []
    for event_id, target, event, secret in _claim(context, limit):
        status: int | None = None
        try:
            check_target(target, allow_http)
            credentials = None
            auth = None
            if secret is not None:
                client_id, sealed, auth = secret
                credentials = Credentials(client_id, box.open(sealed, target))
            status = dispatcher(target, credentials, auth, event)
            error = None
        except PactError as exc:
            error = exc.message
            status = exc.details.get("status") if isinstance(exc, PactRemoteError) else None
        done.append(_record(context, event_id, status, error))
    return done


def next_delivery(context: Context) -> dt.datetime | None:
    """When the next pending event is due (None: nothing pending)."""
    with context.unit_of_work(write=False) as session:
        return PactRepository(session).next_due()


# -- events in -------------------------------------------------------------------------------------
class EventReceipt(Result):
    """What the host did with an event it accepted."""

    type: str
    task_id: int | None = None
    outcome: str = Field(description="task, fulfilled, rejected, stored, noted or repeated")


def receive_event(
    context: Context, partner: Partner, document: Any, *, openapi: Any = None
) -> EventReceipt:
    """Accept an event from an authenticated partner (Action Events).

    * RequestCreatedEvent: a task for the owner, answered at once by a rule when one applies;
    * RequestFulfilledEvent / RequestRejectedEvent: the answer to a request this platform
      sent (:mod:`tanzuji.services.pact_client`): footprints become factors;
    * PublishedEvent: noted in the inbox (``tanzuji pact inbox``) for a later fetch.

    ``openapi``: an :class:`~tanzuji.exchange.openapi.OpenApiDocument` the edge loaded, to
    validate received footprints against (else Tanzuji's own model).

    Raises
    ------
    PactInvalid
        When the event does not conform (PACT: 400 BadRequest); nothing is stored.
    """
    event = read_event(document)
    if isinstance(event, RequestCreatedEvent):
        return _request_created(context, partner, event, document)
    from tanzuji.services import pact_client

    if event.type in (REQUEST_FULFILLED, REQUEST_REJECTED):
        return pact_client.answer_received(context, partner, event, document, openapi=openapi)
    return _note(context, partner, event.type, event.id, event.source, document)


def _note(
    context: Context, partner: Partner, kind: str, event_id: str, source: str, document: Any
) -> EventReceipt:
    def work(session: Session) -> EventReceipt:
        repository = PactRepository(session)
        if repository.inbox_has(partner.partner, source, event_id):
            return EventReceipt(type=kind, outcome="repeated")
        repository.add_inbox(
            PactInboxRow(
                organisation_id=partner.owner,
                partner_id=partner.partner,
                event_id=event_id,
                event_type=kind,
                source=source,
                body=json.dumps(document, ensure_ascii=False),
                received_at=context.now(),
                handled=False,
            )
        )
        return EventReceipt(type=kind, outcome="noted")

    return run_unit_of_work(context, work)


def _request_created(
    context: Context, partner: Partner, event: RequestCreatedEvent, document: Any
) -> EventReceipt:
    check_target(events_base(event.source), bool(context.settings.pact_allow_http_loopback))
    data = document.get("data", {})

    def work(session: Session) -> EventReceipt:
        repository = PactRepository(session)
        known = repository.task_for_event(partner.partner, event.source, event.id)
        if known is not None:
            return EventReceipt(type=event.type, task_id=known.id, outcome="repeated")
        task = repository.add_task(
            PactTaskRow(
                owner_id=partner.owner,
                partner_id=partner.partner,
                client_id=partner.client_id,
                request_event_id=event.id,
                source=event.source,
                criteria=json.dumps(data, ensure_ascii=False),
                status="open",
                received_at=context.now(),
            )
        )
        outcome = _apply_rules(context, session, task)
        return EventReceipt(type=event.type, task_id=task.id, outcome=outcome)

    return run_unit_of_work(context, work)


def _criteria(task: PactTaskRow) -> FootprintQuery:
    from tanzuji.exchange.model import RequestCriteria

    criteria = RequestCriteria.model_validate(json.loads(task.criteria))
    query = FootprintQuery.of_criteria(criteria)
    return query if query.statuses else query.model_copy(update={"statuses": ("Active",)})


def candidates(session: Session, task: PactTaskRow) -> list[PactFootprintRow]:
    """The footprints shared with the task's partner that match its request."""
    return PactRepository(session).footprints(task.owner_id, task.partner_id, _criteria(task))


def _apply_rules(context: Context, session: Session, task: PactTaskRow) -> str:
    """Answer a new task at once when a rule applies; else leave it open ("task")."""
    found = candidates(session, task)
    if len(found) == 1 and bool(context.settings.pact_auto_fulfil):
        _fulfil_in(context, session, task, found, "rule: exactly one shared footprint matches")
        return "fulfilled"
    if not found and bool(context.settings.pact_auto_reject):
        query = _criteria(task)
        owned = PactRepository(session).footprints_of_products(task.owner_id, query.product_ids)
        if query.product_ids and not owned:
            message = f"no footprint of product {', '.join(query.product_ids)} exists at this host"
            _reject_in(context, session, task, "NotFound", message, "rule: unknown product")
            return "rejected"
    return "task"


class TaskView(Result):
    """A RequestCreatedEvent received, and how it was answered."""

    id: int
    owner: str
    partner: str
    request_event_id: str
    source: str
    criteria: dict[str, Any]
    status: str = Field(description="open, fulfilled or rejected")
    received_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by: str | None
    footprint_ids: list[str]
    error_code: str | None
    error_message: str | None
    candidates: list[str] = Field(
        default_factory=list, description="footprints that match now (open tasks)"
    )


def _task_view(session: Session, row: PactTaskRow) -> TaskView:
    matching = [r.id for r in candidates(session, row)] if row.status == "open" else []
    return TaskView(
        id=row.id,
        owner=row.owner_id,
        partner=row.partner_id,
        request_event_id=row.request_event_id,
        source=row.source,
        criteria=json.loads(row.criteria),
        status=row.status,
        received_at=aware(row.received_at),
        decided_at=aware(row.decided_at),
        decided_by=row.decided_by,
        footprint_ids=json.loads(row.footprint_ids or "[]"),
        error_code=row.error_code,
        error_message=row.error_message,
        candidates=matching,
    )


def tasks(context: Context, owner: str | None = None, status: str | None = None) -> list[TaskView]:
    """Requests received (an owner's, or all for the local operator)."""
    chosen = owner if context.actor is None else acting_organisation(context, owner, "list")
    with context.unit_of_work(write=False) as session:
        return [_task_view(session, r) for r in PactRepository(session).tasks(chosen, status)]


def _open_task(context: Context, session: Session, task_id: int) -> PactTaskRow:
    task = PactRepository(session).task(task_id, for_update=True)
    acting_organisation(context, task.owner_id, "answer a PACT request", session)
    if task.status != "open":
        raise GateNotMet(f"PACT task {task_id} is already {task.status}")
    return task


def _fulfil_in(
    context: Context, session: Session, task: PactTaskRow, rows: list[PactFootprintRow], who: str
) -> None:
    repository = PactRepository(session)
    for row in rows:
        # PACT v3: a footprint sent through events must also be readable through the API
        repository.add_share(task.owner_id, task.partner_id, row.product_key, context.now(), who)
    event = new_event(
        context,
        REQUEST_FULFILLED,
        {"requestEventId": task.request_event_id, "pfs": [_document(r) for r in rows]},
    )
    queue_event(
        context, session, task.owner_id, task.partner_id, events_base(task.source), event, task.id
    )
    task.status, task.decided_at, task.decided_by = "fulfilled", context.now(), who
    task.footprint_ids = json.dumps([r.id for r in rows])


def _reject_in(
    context: Context, session: Session, task: PactTaskRow, code: str, message: str, who: str
) -> None:
    event = new_event(
        context,
        REQUEST_REJECTED,
        {"requestEventId": task.request_event_id, "error": {"code": code, "message": message}},
    )
    queue_event(
        context, session, task.owner_id, task.partner_id, events_base(task.source), event, task.id
    )
    task.status, task.decided_at, task.decided_by = "rejected", context.now(), who
    task.error_code, task.error_message = code, message


class FulfilRequest(Request):
    task_id: int
    footprint_ids: list[str] = Field(
        default_factory=list, description="footprints to send (default: those that match)"
    )


class RejectRequest(Request):
    task_id: int
    code: ErrorCode = "NotFound"
    message: str = Field(min_length=1)


def fulfil(context: Context, request: FulfilRequest) -> TaskView:
    """Answer a request with footprints (a RequestFulfilledEvent is queued); the partner may
    read them through the API from now on.

    Raises
    ------
    GateNotMet
        When the task is answered already, or nothing would be sent.
    NotFound
        When a named footprint is not the owner's or was withdrawn.
    """

    def work(session: Session) -> TaskView:
        task = _open_task(context, session, request.task_id)
        repository = PactRepository(session)
        if request.footprint_ids:
            rows = []
            for footprint_id in request.footprint_ids:
                row = repository.footprint(footprint_id)
                if row is None or row.owner_id != task.owner_id or row.withdrawn_at is not None:
                    raise NotFound(f"{task.owner_id} has no footprint {footprint_id} to send")
                rows.append(row)
        else:
            rows = candidates(session, task)
        if not rows:
            raise GateNotMet(
                f"task {task.id}: no footprint matches the request; name footprints "
                "(--footprint ID) or reject it"
            )
        _fulfil_in(context, session, task, rows, _who(context.actor))
        return _task_view(session, task)

    return run_unit_of_work(context, work)


def reject(context: Context, request: RejectRequest) -> TaskView:
    """Answer a request with an error (a RequestRejectedEvent is queued)."""

    def work(session: Session) -> TaskView:
        task = _open_task(context, session, request.task_id)
        _reject_in(context, session, task, request.code, request.message, _who(context.actor))
        return _task_view(session, task)

    return run_unit_of_work(context, work)


__all__ = [
    "ClientRequest",
    "ClientView",
    "Dispatcher",
    "EventReceipt",
    "EventView",
    "FootprintView",
    "FulfilRequest",
    "NewClient",
    "Page",
    "Partner",
    "ProfileRequest",
    "ProfileView",
    "PublishRequest",
    "PublishResult",
    "RejectRequest",
    "ShareRequest",
    "ShareView",
    "TaskView",
    "acting_organisation",
    "add_client",
    "announce",
    "authenticate_client",
    "backoff_s",
    "check_target",
    "clients",
    "deliver_due",
    "events",
    "events_base",
    "follow_certificate_in",
    "footprints_of",
    "fulfil",
    "get_footprint",
    "http_dispatcher",
    "list_footprints",
    "new_event",
    "next_delivery",
    "partner_of",
    "public_url",
    "publish",
    "queue_event",
    "receive_event",
    "reject",
    "revoke_client",
    "set_profile",
    "share",
    "shares",
    "tasks",
    "unshare",
]
