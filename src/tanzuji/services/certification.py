"""Certification service: an application from apply to certificate, and the certificate's life.

Each operation is one unit of work: it loads the application, lets the pure workflow
(:mod:`tanzuji.certify.workflow`) take the step for the Context's actor, and saves the result
naming the version it read, in one transaction. Issuing (and renewing, suspending,
reinstating, revoking, expiring) also signs and appends to the transparency ledger in that
same transaction: a certificate is issued and logged, or neither.

Footprints are computed outside any transaction (they can take a while), with the factors of
the application's release: ``factor:`` ids and ``match:`` texts from the same versions. The
stored model carries the content of the files it uses, so a later PCR check, recheck or
recomputation needs nothing but the store.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field

from tanzuji.certify import workflow as wf
from tanzuji.certify.certificate import Certificate, Keyring, SignedCertificate
from tanzuji.certify.comparability import (
    Baseline,
    reduction_differences,
    same_certificate_subject,
)
from tanzuji.certify.comparability import refusal_text as comparability_refusal
from tanzuji.certify.provenance import FactorConcern
from tanzuji.certify.recheck import RecheckRow
from tanzuji.certify.recheck import recheck as recheck_applications
from tanzuji.certify.records import (
    Actor,
    Application,
    AuditEntry,
    LabelType,
    ModelVersion,
    NeutralityClaim,
    State,
)
from tanzuji.certify.verify import Report, StatusBundle, verify_certificate, verify_token_text
from tanzuji.context import Context
from tanzuji.errors import CertificationError, GateNotMet, LabelRefused, NotFound
from tanzuji.factors.selection import UNPINNED
from tanzuji.factors.starter import BUILTIN_RELEASE
from tanzuji.footprint import Footprint
from tanzuji.model.files import load_model_text
from tanzuji.pcr.checks import check_model
from tanzuji.pcr.registry import get_pcr
from tanzuji.report.compare import Comparison
from tanzuji.report.compare import compare as compare_results
from tanzuji.services.base import Request, Result, StartOver, retrying, run_unit_of_work
from tanzuji.services.calculation import ModelInput
from tanzuji.store.certify import CertificationRepository, publish_in
from tanzuji.store.organisations import OrganisationRepository

#: Release names an application may give that mean "not pinned" (``inline`` is the old name).
UNPINNED_NAMES = (UNPINNED, "inline", "")


# -- requests and results -----------------------------------------------------------------
class EvidenceInput(Request):
    """An evidence file (meter readings, invoices): its name and content."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", ser_json_bytes="base64", val_json_bytes="base64"
    )

    name: str
    content: bytes


class ApplyRequest(Request):
    """Open an application for a product model; its footprint is computed now."""

    model: ModelInput
    pcr_id: str
    pcr_version: str = Field("latest", description="PCR version, or latest")
    release: str | None = Field(
        None, description="factor release to pin (default: the Context's; newest if none)"
    )
    label: LabelType = LabelType.disclosure
    baseline_certificate_id: str | None = None
    neutrality: NeutralityClaim | None = None
    evidence: list[EvidenceInput] = Field(default_factory=list)


class ReviewAction(StrEnum):
    """The review steps (``tanzuji certify review ID ACTION``): the verifier's, and
    ``reassign`` (the body's decision maker or a platform administrator hands the review to
    another verifier)."""

    start = "start"
    pcr_check = "pcr-check"
    accept = "accept"
    finding = "finding"
    close = "close"
    sign_off = "sign-off"
    surveil = "surveil"
    waive = "waive"
    reassign = "reassign"


class PcrFinding(Result):
    """One PCR finding as recorded (from the PCR checker or a checker's JSON file)."""

    severity: str
    message: str
    rule: str = ""
    location: str | None = None


class ReviewRequest(Request):
    application_id: str
    action: ReviewAction
    text: str = Field("", description="finding text, or the reason of the step")
    finding_id: int = Field(0, description="the finding to close")
    factor_id: str = Field("", description="waive: the draft, illustrative or unsourced factor")
    to_user: str = Field("", description="reassign: the user id of the verifier who takes over")
    findings: list[PcrFinding] | None = Field(
        None, description="pcr-check: a checker's findings; None runs the PCR checker"
    )


class ReviewResult(Result):
    """The application after the step; for a PCR check, the findings recorded."""

    application: Application
    findings: list[PcrFinding] = Field(default_factory=list)


class ReviseRequest(Request):
    application_id: str
    model: ModelInput
    reason: str


class DecideRequest(Request):
    application_id: str
    approve: bool
    reason: str


class CertificateResult(Result):
    """The application after an issuance or status event, and the new certificate file."""

    application: Application
    document: dict[str, Any] | None = Field(
        None, description="certificate, signature, ledger proof, token, QR (issue and renew)"
    )
    superseded: list[str] = Field(
        default_factory=list, description="issue: earlier certificates this one superseded"
    )


class StatusView(Result):
    """What anyone may read about an application: its public view and audit trail."""

    public: dict[str, Any]
    audit: list[AuditEntry]


# -- opening an application -----------------------------------------------------------------
def _pinned(context: Context, release: str | None) -> Context:
    """The Context with its factors pinned to ``release`` (checked to exist)."""
    if release is None:
        return context
    if release in UNPINNED_NAMES:
        return context.with_release(None)
    if release != BUILTIN_RELEASE:
        context.factor_database().release(release)  # NotFound names the known releases
    return context.with_release(release)


def pcr_ref(pcr_id: str, pcr_version: str) -> str:
    """``id`` for the latest version, else ``id@version`` (what :func:`get_pcr` takes)."""
    return pcr_id if pcr_version in ("", "latest") else f"{pcr_id}@{pcr_version}"


def model_version(
    context: Context, model: ModelInput, version: int, reason: str, actor: Actor, pcr: str
) -> ModelVersion:
    """Compute a model version with the Context's factors under the calculation rules of
    ``pcr`` (``id`` or ``id@version``), outside any transaction."""
    return wf.compute_model_version(
        model.text,
        version=version,
        reason=reason,
        actor=actor,
        now=context.now(),
        factor_source=context.factors.source,
        matcher=context.factors.matcher,
        gwp_set=str(context.settings.gwp_set),
        source_path=Path(model.name),
        files=model.files,
        solver_options=context.solver_options,
        library=context.library,
        pcr=pcr,
    )


def apply(context: Context, request: ApplyRequest) -> Application:
    """Open a draft application (申请) for the acting applicant, with its evidence.

    The PCR and the factor release must exist. Every factor the footprint uses — named by id
    or matched from text — comes from the pinned release. The application id is allocated in
    the transaction that stores it.

    Raises
    ------
    UnknownPcr, NotFound
        When the PCR (version) or the release does not exist.
    PermissionDenied
        When the actor is not an applicant of an enterprise.
    """
    actor = context.require_actor()
    # the application names the PCR version it follows, never "latest": a reduction compares
    # like with like, and a later version must not change what an application was checked by
    version = get_pcr(pcr_ref(request.pcr_id, request.pcr_version or "latest")).version
    pcr = pcr_ref(request.pcr_id, version)
    if request.label is LabelType.reduction and not request.baseline_certificate_id:
        raise LabelRefused(
            "a reduction label needs the certificate of an earlier footprint of the same "
            "product to compare with (--baseline CERT_ID) / 碳减排标识须指定同一产品的历史证书"
        )
    pinned = _pinned(context, request.release)
    computed = model_version(pinned, request.model, 1, "initial", actor, pcr)
    release = pinned.factors.release_name

    def work(session: Any) -> Application:
        repository = CertificationRepository(session)
        now = context.now()
        application = wf.new_application(
            repository.next_application_id(now.year),
            actor,
            computed,
            pcr_id=request.pcr_id,
            pcr_version=version,
            factor_release=release,
            label_type=request.label,
            now=now,
            baseline_certificate_id=request.baseline_certificate_id,
            neutrality=request.neutrality,
            scheme=str(context.settings.certification_scheme),
        )
        if application.baseline_certificate_id:
            _check_comparable(context, repository, application)
        for item in request.evidence:
            application = wf.add_evidence(application, actor, item.name, item.content, now)
        evidence = {_sha256(i.content): i.content for i in request.evidence}
        repository.save(application, evidence, request.model.contents())
        return application

    return run_unit_of_work(context, work)


# -- steps ----------------------------------------------------------------------------------
Change = Callable[[Application, Actor, dt.datetime, CertificationRepository], Application]


def _step(
    context: Context,
    application_id: str,
    change: Change,
    *,
    evidence: dict[str, bytes] | None = None,
    files: dict[str, bytes] | None = None,
    still: Callable[[Application], bool] | None = None,
) -> Application:
    """Load (row locked), change and save one application in one unit of work.

    ``still``: for a step computed outside the transaction (a PCR check, a new model version),
    whether the locked application is still what the computation was based on; when not,
    :class:`~tanzuji.services.base.StartOver` is raised and the caller starts over.
    """
    actor = context.require_actor()

    def work(session: Any) -> Application:
        repository = CertificationRepository(session)
        before = repository.load(application_id, for_update=True)
        if still is not None and not still(before):
            raise StartOver(
                f"application {application_id} changed while its step was being computed; "
                "starting over / 申请已变化，重新计算"
            )
        after = change(before, actor, context.now(), repository)
        repository.save(after, evidence, files, expected_version=len(before.audit))
        return after

    return run_unit_of_work(context, work)


def load(context: Context, application_id: str) -> Application:
    """The stored application (read only)."""
    with context.unit_of_work(write=False) as session:
        return CertificationRepository(session).load(application_id)


def add_evidence(
    context: Context, application_id: str, evidence: list[EvidenceInput]
) -> Application:
    """The applicant attaches evidence files (stored by SHA-256)."""

    def change(a: Application, who: Actor, now: dt.datetime, _: Any) -> Application:
        for item in evidence:
            a = wf.add_evidence(a, who, item.name, item.content, now)
        return a

    contents = {_sha256(i.content): i.content for i in evidence}
    return _step(context, application_id, change, evidence=contents)


def submit(context: Context, application_id: str, reason: str = "") -> Application:
    """The applicant submits its draft (提交)."""
    return _step(context, application_id, lambda a, who, now, _: wf.submit(a, who, now, reason))


def answer(context: Context, application_id: str, finding_id: int, text: str) -> Application:
    """The applicant answers a finding (答复)."""
    return _step(
        context,
        application_id,
        lambda a, who, now, _: wf.answer_finding(a, who, finding_id, text, now),
    )


def _review_step(r: ReviewRequest) -> Change:
    """The workflow step of a review action other than the PCR check."""

    def change(
        a: Application, who: Actor, now: dt.datetime, repository: CertificationRepository
    ) -> Application:
        if r.action is ReviewAction.reassign:
            return _reassign(a, who, now, repository, r)
        if r.action is ReviewAction.start:
            return wf.start_review(a, who, now, r.text)
        if r.action is ReviewAction.accept:
            return wf.accept_documents(a, who, now, r.text)
        if r.action is ReviewAction.finding:
            return wf.raise_finding(a, who, r.text, now)
        if r.action is ReviewAction.close:
            return wf.close_finding(a, who, r.finding_id, now, r.text)
        if r.action is ReviewAction.sign_off:
            return wf.sign_off(a, who, now, r.text)
        if r.action is ReviewAction.waive:
            return wf.waive_factor(a, who, r.factor_id, r.text, now)
        return wf.start_surveillance(a, who, now, r.text)

    return change


def _reassign(
    application: Application,
    actor: Actor,
    now: dt.datetime,
    repository: CertificationRepository,
    request: ReviewRequest,
) -> Application:
    """Reassign the verifier to ``request.to_user`` (read, active or not, and its row locked
    in the same transaction as the application: a concurrent deactivation waits)."""
    if not request.to_user.strip():
        raise GateNotMet(
            f"reassigning the verifier of application {application.id} needs the user id of "
            "the new verifier (to_user, --to) / 请指定新核查员"
        )
    try:
        users = OrganisationRepository(repository.session)
        new_verifier, active = users.user(request.to_user, for_update=True)
    except NotFound:
        # not the repository's message: that one lists every user of every organisation
        body = application.verifier.organisation.id if application.verifier else None
        raise NotFound(
            f"no user {request.to_user!r} to take over application {application.id}; expected "
            f"the user id of an active verifier of body {body} / 无此用户"
        ) from None
    return wf.reassign_verifier(application, actor, new_verifier, request.text, now, active=active)


def reassign_candidates(context: Context, application: Application) -> list[Actor]:
    """The verifiers who may take over ``application`` now: active verifiers of its body who
    are not its verifier and did not prepare it (:func:`wf.eligible_verifiers`), by id."""
    if application.verifier is None:
        return []
    with context.unit_of_work(write=False) as session:
        users = OrganisationRepository(session).users(application.verifier.organisation.id)
    return wf.eligible_verifiers(application, users)


def review(context: Context, request: ReviewRequest) -> ReviewResult:
    """A verifier's step (审核/核查), or the reassignment of the verifier (更换核查员); a PCR
    check records — and returns — its findings.

    Without ``findings`` the PCR check runs the PCR checker on the current model version,
    read with its files from the store.
    """
    if request.action is not ReviewAction.pcr_check:
        change = _review_step(request)
        return ReviewResult(application=_step(context, request.application_id, change))

    def check() -> ReviewResult:
        before = load(context, request.application_id)
        findings = request.findings
        if findings is None:
            findings = pcr_findings(context, before)
        checked = len(before.model_versions)
        application = _step(
            context,
            request.application_id,
            lambda a, who, now, _: wf.record_pcr_check(a, who, findings, now),
            still=lambda a: len(a.model_versions) == checked,
        )
        return ReviewResult(application=application, findings=findings)

    return retrying(check)


def open_factor_concerns(application: Application) -> list[FactorConcern]:
    """Factors of the application's current model that are draft, illustrative or unsourced
    and not waived yet: sign-off and approval are refused while there are any."""
    return wf.open_factor_concerns(application)


def pcr_findings(context: Context, application: Application) -> list[PcrFinding]:
    """The PCR checker's findings on the current model version (from the store alone)."""
    model = application.current_model
    if model is None:
        raise CertificationError(f"application {application.id} has no model")
    with context.unit_of_work(write=False) as session:
        files = CertificationRepository(session).model_files(model)
    loaded = load_model_text(
        model.model_text, f"{application.id} model v{model.version}", files, limits=context.limits
    )
    pcr = pcr_ref(application.pcr_id, application.pcr_version)
    report = check_model(loaded, Footprint.model_validate(model.footprint), pcr=pcr)
    return [
        PcrFinding(
            severity=f.severity,
            message=f"{f.message_en} / {f.message_zh}",
            rule=f.rule,
            location=f.location,
        )
        for f in report.findings
    ]


def revise(context: Context, request: ReviseRequest) -> Application:
    """The applicant changes the model: a new version, recalculated (修改模型).

    The new version is computed with the application's own release.
    """

    def revise_once() -> Application:
        actor = context.require_actor()
        before = load(context, request.application_id)
        pinned = _pinned(context, before.factor_release)
        version = model_version(
            pinned,
            request.model,
            len(before.model_versions) + 1,
            request.reason,
            actor,
            pcr_ref(before.pcr_id, before.pcr_version),
        )
        based_on = len(before.model_versions)
        return _step(
            context,
            request.application_id,
            lambda a, who, now, _: wf.revise_model(a, who, version, now),
            files=request.model.contents(),
            still=lambda a: len(a.model_versions) == based_on,
        )

    return retrying(revise_once)


def decide(context: Context, request: DecideRequest) -> Application:
    """The decision maker approves or rejects (决定); the label rules are checked again here
    (a baseline may have been revoked since the application was opened), and the label value
    is fixed under the PCR's rule on biogenic removals."""

    def change(
        a: Application, who: Actor, now: dt.datetime, repository: CertificationRepository
    ) -> Application:
        baseline = None
        if a.baseline_certificate_id:
            baseline = _baseline(context, repository, a.baseline_certificate_id)
        label = wf.LabelContext(
            baseline=baseline,
            used_serials=repository.used_serials(),
            removals=get_pcr(pcr_ref(a.pcr_id, a.pcr_version)).removals,
        )
        return wf.decide(a, who, request.approve, request.reason, now, label)

    return _step(context, request.application_id, change)


# -- issuing and the certificate's life -------------------------------------------------------
def _certificate(repository: CertificationRepository, certificate_id: str) -> Certificate:
    document = repository.certificate_document(certificate_id)
    return SignedCertificate.of_file(document).certificate


def _baseline(
    context: Context, repository: CertificationRepository, certificate_id: str
) -> Baseline:
    """A baseline certificate with its company, state and the data period of its model."""
    application = repository.by_certificate(certificate_id)
    model = application.current_model
    period = None
    if model is not None:
        loaded = load_model_text(
            model.model_text,
            f"{application.id} model v{model.version}",
            repository.model_files(model),
            limits=context.limits,
        )
        stated = loaded.model.product.reference_period
        period = (stated.start, stated.end) if stated else None
    return Baseline(
        certificate=_certificate(repository, certificate_id),
        applicant_id=application.applicant.id,
        state=wf.effective_state(application, context.now().date()),
        data_period=period,
    )


def _check_comparable(
    context: Context, repository: CertificationRepository, application: Application
) -> None:
    """Refuse, when the application is opened, a baseline a reduction cannot compare with."""
    if application.label_type is not LabelType.reduction:
        raise LabelRefused(
            f"a baseline certificate is for a reduction label; this application asks for a "
            f"{application.label_type.value} label / 仅碳减排标识需要基准证书"
        )
    certificate_id = application.baseline_certificate_id or ""
    baseline = _baseline(context, repository, certificate_id)
    differences = reduction_differences(application, application.pcr_version, baseline)
    if differences:
        raise LabelRefused(comparability_refusal(certificate_id, differences))


def _publish(
    context: Context,
    repository: CertificationRepository,
    application: Application,
    event: str,
    now: dt.datetime,
    reason: str,
) -> dict[str, Any] | None:
    """Sign (issue, renew) and log ``event`` in the caller's transaction.

    The ledger append (:func:`tanzuji.store.certify.publish_in`) locks the ledger state row,
    extends the stored frontier and status map and signs the new tree head, in O(log n) and
    in the same transaction as the application's change: both are committed, or neither.
    """
    key = context.keys.signing_key(now)
    repository.sync_keys(context.keys.keyring())
    current = None
    if event not in ("issued", "renewed"):
        current = _certificate(repository, application.certificate_id or "").sha256()
    publication = publish_in(
        repository.session,
        application,
        event,
        key,
        now,
        str(context.settings.certificate_base_url),
        reason,
        certificate_sha256=current,
    )
    if publication.signed is None:
        return None
    return publication.certificate_file()


def issue(context: Context, application_id: str) -> CertificateResult:
    """Issue, sign and log the certificate of an approved application (发证), in one
    transaction: the certificate id, the issued application, the ledger entry, the signed tree
    head and the certificate are committed together or not at all."""
    actor = context.require_actor()

    def work(session: Any) -> CertificateResult:
        repository = CertificationRepository(session)
        now = context.now()
        before = repository.load(application_id, for_update=True)
        # one issuance per subject at a time: a concurrent one is seen and superseded
        repository.lock_subject(before.applicant.id, before.product_id, before.label_type.value)
        certificate_id = repository.next_certificate_id(now.year)
        after = wf.issue(before, actor, certificate_id, now)
        repository.save(after, expected_version=len(before.audit))
        document = _publish(context, repository, after, "issued", now, "issued")
        if document is None:
            raise GateNotMet(f"certificate of {application_id} was not published")
        superseded = _supersede_others(context, session, repository, after, now)
        return CertificateResult(application=after, document=document, superseded=superseded)

    return run_unit_of_work(context, work)


def _supersede_others(
    context: Context,
    session: Any,
    repository: CertificationRepository,
    issued: Application,
    now: dt.datetime,
) -> list[str]:
    """Supersede every other certificate in force of the same subject (applicant, product,
    label type, PCR, declared unit), in the issuing transaction: each gets a ``superseded``
    ledger event and its PACT footprints are withdrawn. Returns their certificate ids."""
    from tanzuji.services.pact import follow_certificate_in

    actor = context.require_actor()
    live = (*wf.CERTIFIED, State.suspended)
    out = []
    candidates = repository.certificates_of(
        issued.applicant.id, issued.product_id, issued.label_type.value, live
    )
    for other in candidates:
        if other.id == issued.id or not same_certificate_subject(other, issued):
            continue
        after = wf.supersede(other, actor, now, issued.certificate_id or "")
        repository.save(after, expected_version=len(other.audit))
        why = after.audit[-1].reason
        _publish(context, repository, after, "superseded", now, why)
        follow_certificate_in(context, session, after.certificate_id or "", "superseded", now)
        out.append(after.certificate_id or "")
    return out


class CertificateEvent(StrEnum):
    """Events in a certificate's life after issuance."""

    renewed = "renewed"
    suspended = "suspended"
    reinstated = "reinstated"
    revoked = "revoked"
    expired = "expired"


def certificate_event(
    context: Context, certificate_id: str, event: CertificateEvent, reason: str = ""
) -> CertificateResult:
    """Renew (换证), suspend (暂停), reinstate (恢复), revoke (撤销) or expire (到期) a
    certificate; the event is logged (and a renewal signed) in the same transaction."""
    actor = context.require_actor()

    def step(a: Application, now: dt.datetime) -> Application:
        if event is CertificateEvent.renewed:
            return wf.renew(a, actor, now, reason or "renewal")
        if event is CertificateEvent.suspended:
            return wf.suspend(a, actor, now, _reason(reason, event))
        if event is CertificateEvent.reinstated:
            return wf.reinstate(a, actor, now, _reason(reason, event))
        if event is CertificateEvent.revoked:
            return wf.revoke(a, actor, now, _reason(reason, event))
        return wf.expire(a, actor, now)

    def work(session: Any) -> CertificateResult:
        repository = CertificationRepository(session)
        now = context.now()
        before = repository.by_certificate(certificate_id, for_update=True)
        after = step(before, now)
        repository.save(after, expected_version=len(before.audit))
        why = after.audit[-1].reason or event.value
        document = _publish(context, repository, after, event.value, now, why)
        # PACT footprints of the certificate follow it in the same transaction (withdrawn, or
        # republished on renewal and reinstatement); nothing when it was never published
        from tanzuji.services.pact import follow_certificate_in

        follow_certificate_in(context, session, certificate_id, event.value, now)
        return CertificateResult(application=after, document=document)

    return run_unit_of_work(context, work)


def _reason(reason: str, event: CertificateEvent) -> str:
    if not reason.strip():
        raise GateNotMet(f"a certificate {event.value} needs a reason (it goes into the ledger)")
    return reason


# -- reading ----------------------------------------------------------------------------------
def status(context: Context, identifier: str) -> StatusView:
    """Public status and audit trail of an application or certificate id (状态)."""
    with context.unit_of_work(write=False) as session:
        repository = CertificationRepository(session)
        try:
            application = repository.load(identifier)
        except NotFound:
            application = repository.by_certificate(identifier)
    today = context.now().date()
    return StatusView(public=wf.public_view(application, today), audit=application.audit)


class CertificateView(Result):
    """A certificate as anyone may read it: the signed statement and its state today."""

    public: dict[str, Any] = Field(description="the public status view, state as of today")
    certificate: Certificate = Field(description="the newest signed version")
    surveillance_due: list[str] = Field(default_factory=list, description="ISO dates")


def show(context: Context, identifier: str) -> CertificateView:
    """The newest certificate of an application or certificate id, with its state today
    (expired after the validity ends, superseded, revoked ...), the label value with and
    without biogenic removals, the factor waivers and the surveillance due dates (证书)."""
    with context.unit_of_work(write=False) as session:
        repository = CertificationRepository(session)
        try:
            application = repository.load(identifier)
        except NotFound:
            application = repository.by_certificate(identifier)
        if application.certificate_id is None:
            raise NotFound(
                f"application {application.id} has no certificate (state "
                f"{application.state.value}) / 尚未发证"
            )
        certificate = _certificate(repository, application.certificate_id)
    plan = certificate.surveillance or {}
    return CertificateView(
        public=wf.public_view(application, context.now().date()),
        certificate=certificate,
        surveillance_due=list(plan.get("due", [])),
    )


def certificate_document(context: Context, certificate_id: str) -> dict[str, Any]:
    """The newest signed certificate file (certificate, signature, token, QR)."""
    with context.unit_of_work(write=False) as session:
        return CertificationRepository(session).certificate_document(certificate_id)


def recheck(context: Context, release: str) -> list[RecheckRow]:
    """Certificates whose footprint changes under factor release ``release`` (复核).

    Every certified model is recomputed from the store alone (its text and files) with the
    factors of ``release`` — ids and matched texts alike — and compared factor by factor with
    what was certified.
    """
    pinned = _pinned(context, release)
    with context.unit_of_work(write=False) as session:
        repository = CertificationRepository(session)
        applications = repository.applications()
        files = {
            a.id: repository.model_files(a.current_model)
            for a in applications
            if a.state in wf.CERTIFIED and a.current_model is not None
        }
    return recheck_applications(
        applications,
        pinned.factors.source,
        matcher=pinned.factors.matcher,
        files=files,
        solver_options=context.solver_options,
        library=context.library,
    )


class VersionDiff(Result):
    """Two model versions of an application: the text changes and the result changes."""

    application_id: str
    a: int
    b: int
    text_diff: list[str] = Field(description="unified diff of the model texts")
    comparison: Comparison


def version_diff(context: Context, application_id: str, a: int, b: int) -> VersionDiff:
    """What changed between model versions ``a`` and ``b`` (1-based) of an application the
    actor may read (:mod:`tanzuji.services.access`).

    Raises
    ------
    NotFound
        When the application (for this actor) or a version does not exist.
    """
    from tanzuji.services import access

    application = access.application(context, application_id)
    versions = {v.version: v for v in application.model_versions}
    missing = [n for n in (a, b) if n not in versions]
    if missing:
        raise NotFound(
            f"application {application_id} has no model version {missing[0]}; versions: "
            f"{sorted(versions)}"
        )
    old, new = versions[a], versions[b]
    lines = difflib.unified_diff(
        old.model_text.splitlines(), new.model_text.splitlines(), f"v{a}", f"v{b}", lineterm=""
    )
    comparison = compare_results(
        Footprint.model_validate(old.footprint),
        Footprint.model_validate(new.footprint),
        (f"v{a}", f"v{b}"),
    )
    return VersionDiff(
        application_id=application_id, a=a, b=b, text_diff=list(lines), comparison=comparison
    )


# -- verification (offline: no database) ---------------------------------------------------------
def verify_document(
    document: dict[str, Any],
    keyring: Keyring,
    now: dt.datetime,
    bundle: StatusBundle | None = None,
    max_head_age: dt.timedelta | None = None,
) -> Report:
    """Verify a certificate file with the public keyring only (验证).

    ``max_head_age``: require the status to be proven by a signed tree head younger than this
    at ``now`` (a newer status bundle from ``tanzuji ledger proof``).
    """
    return verify_certificate(document, keyring, now, bundle, max_head_age)


def verify_qr(
    text: str,
    keyring: Keyring,
    now: dt.datetime,
    bundle: StatusBundle | None = None,
    max_head_age: dt.timedelta | None = None,
) -> Report:
    """Verify the text of a label's QR code (or a bare token) with the public keyring only."""
    return verify_token_text(text, keyring, now, bundle, max_head_age)


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


__all__ = [
    "ApplyRequest",
    "CertificateEvent",
    "CertificateResult",
    "CertificateView",
    "DecideRequest",
    "EvidenceInput",
    "PcrFinding",
    "ReviewAction",
    "ReviewRequest",
    "ReviewResult",
    "ReviseRequest",
    "StatusView",
    "VersionDiff",
    "add_evidence",
    "answer",
    "apply",
    "certificate_document",
    "certificate_event",
    "decide",
    "issue",
    "load",
    "model_version",
    "open_factor_concerns",
    "pcr_findings",
    "recheck",
    "review",
    "revise",
    "show",
    "status",
    "submit",
    "verify_document",
    "verify_qr",
    "version_diff",
]
