"""The certification workflow: a pure state machine over :class:`Application` records.

Each step is a function ``step(application, actor, ..., now) -> Application`` that checks who
may take it (role, organisation, assignment), from which state, and what must hold (gates),
then returns a *new* record with the state changed and one more line in the append-only audit
trail. Nothing here touches a database, a file or a clock: the caller passes ``now`` and
persists the result through :mod:`tanzuji.store`.

States (ISO/IEC 17065-style certification process)::

    draft -> submitted -> document_review -> data_verification -> decision
      -> approved -> issued -> under_surveillance -> renewed | suspended | revoked | expired
      -> rejected

Roles: the applicant enterprise prepares and submits and answers findings; a verifier of an
*accredited* body reviews, raises findings and signs off; a decision maker of the same body,
not the verifier (ISO/IEC 17065:2012 7.6.2: the decision is taken by persons not involved in
the review), approves or rejects, suspends, reinstates, revokes, and may hand a review to another
verifier of the body before the sign-off (as may the platform administrator); the platform
administrator issues, renews and expires certificates; the public only reads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tanzuji.certify.certificate import Certificate, Validity
from tanzuji.certify.claims import neutrality_details, reduction_details
from tanzuji.certify.comparability import Baseline
from tanzuji.certify.credits import UsedSerial
from tanzuji.certify.instruments import check_instruments_unused, used_instruments
from tanzuji.certify.provenance import FactorConcern, factor_concerns, refusal_text, unwaived
from tanzuji.certify.records import (
    Actor,
    Application,
    AuditEntry,
    EvidenceFile,
    FactorWaiver,
    Finding,
    LabelType,
    ModelVersion,
    NeutralityClaim,
    Role,
    State,
)
from tanzuji.certify.removals import label_stages, label_values
from tanzuji.certify.schemes import get_scheme
from tanzuji.certify.statement import unit_fields
from tanzuji.engine.solver import SolverOptions
from tanzuji.errors import FactorsNotWaived, GateNotMet, InvalidTransition, PermissionDenied
from tanzuji.factors.base import FactorSource
from tanzuji.factors.matchers import FactorMatcher
from tanzuji.footprint import calculate
from tanzuji.library.foreground import LibrarySource
from tanzuji.model.files import load_model_text
from tanzuji.model.rules import DEFAULT_RULES
from tanzuji.pcr.calculation import rules_of
from tanzuji.pcr.registry import get_pcr
from tanzuji.pcr.schema import RemovalsRule

CERTIFIED = (State.issued, State.under_surveillance, State.renewed)


class PcrFinding(Protocol):
    """What the decision gate needs of a PCR check finding (from :mod:`tanzuji.pcr`)."""

    @property
    def severity(self) -> str:
        """``error`` blocks the decision; other severities are recorded."""
        ...


def _stamp(
    application: Application,
    actor: Actor,
    action: str,
    reason: str,
    now: dt.datetime,
    to_state: State | None = None,
    **changes: Any,
) -> Application:
    entry = AuditEntry(
        seq=len(application.audit),
        at=now,
        actor_id=actor.id,
        role=actor.role,
        organisation_id=actor.organisation.id,
        action=action,
        from_state=application.state,
        to_state=to_state or application.state,
        reason=reason,
    )
    update = {**changes, "audit": [*application.audit, entry]}
    if to_state is not None:
        update["state"] = to_state
    return application.model_copy(update=update, deep=True)


def _require_role(actor: Actor, step: str, *roles: Role) -> None:
    if actor.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise PermissionDenied(
            f"{actor.id} acts as {actor.role.value}; step {step!r} may only be taken by "
            f"{allowed} / 角色无权执行此步骤"
        )


def _require_state(application: Application, step: str, *states: State) -> None:
    if application.state not in states:
        allowed = ", ".join(s.value for s in states)
        raise InvalidTransition(
            f"application {application.id} is {application.state.value}; step {step!r} needs "
            f"state {allowed} / 当前状态不允许此步骤"
        )


def _require_own_applicant(application: Application, actor: Actor, step: str) -> None:
    _require_role(actor, step, Role.applicant)
    if actor.organisation.id != application.applicant.id:
        raise PermissionDenied(
            f"{actor.id} of {actor.organisation.id} cannot {step} application {application.id} "
            f"of {application.applicant.id}: an applicant acts only for its own organisation / "
            "不得代表其他企业操作"
        )


def _require_accredited(actor: Actor, step: str) -> None:
    org = actor.organisation
    if org.kind != "certification_body" or not org.accredited:
        raise PermissionDenied(
            f"{actor.id} of {org.id} cannot {step}: only staff of an accredited certification "
            "body may / 仅获认可的认证机构人员可执行"
        )


def _require_assigned_verifier(application: Application, actor: Actor, step: str) -> None:
    _require_role(actor, step, Role.verifier)
    _require_accredited(actor, step)
    if application.verifier is None or application.verifier.id != actor.id:
        assigned = application.verifier.id if application.verifier else "nobody"
        raise PermissionDenied(
            f"{actor.id} is not the verifier of application {application.id} (assigned: "
            f"{assigned}) / 非本申请的核查员"
        )


def _require_body_decision_maker(application: Application, actor: Actor, step: str) -> None:
    _require_role(actor, step, Role.decision_maker)
    _require_accredited(actor, step)
    body = application.verifier.organisation.id if application.verifier else None
    if actor.organisation.id != body:
        raise PermissionDenied(
            f"{actor.id} of {actor.organisation.id} cannot {step} application {application.id}: "
            f"it is handled by body {body} / 不得代表其他认证机构决定"
        )
    _require_separate_decision(application, actor, step)


def applicant_people(application: Application) -> set[str]:
    """User ids of everyone who prepared the application: opened, submitted, answered, revised.

    Taken from the audit trail (every line written in the applicant role) plus the creator and
    the authors of the model versions, so a later change of someone's role does not hide it.
    """
    people = {application.created_by, *(m.created_by for m in application.model_versions)}
    return people | {line.actor_id for line in application.audit if line.role is Role.applicant}


def evaluation_people(application: Application) -> set[str]:
    """User ids of everyone who took part in the evaluation (review, verification, surveillance)."""
    people = {line.actor_id for line in application.audit if line.role is Role.verifier}
    if application.verifier is not None:
        people.add(application.verifier.id)
    return people


def _require_separate_decision(application: Application, actor: Actor, step: str) -> None:
    """ISO/IEC 17065:2012 7.6.2: who decides took no part in the evaluation, nor applied."""
    if actor.id in applicant_people(application):
        raise PermissionDenied(
            f"{actor.id} prepared or submitted application {application.id} and cannot also "
            f"{step} it (separation of duties, ISO/IEC 17065:2012 4.2 and 7.6.2) / "
            "申请人不得兼任决定人员"
        )
    if actor.id in evaluation_people(application):
        raise PermissionDenied(
            f"{actor.id} verified application {application.id} and cannot also {step} it "
            "(ISO/IEC 17065:2012 7.6.2) / 核查人员不得兼任决定人员"
        )


def _require_independent_verifier(application: Application, actor: Actor, step: str) -> None:
    """A verifier does not evaluate an application they prepared (ISO/IEC 17065:2012 4.2)."""
    if actor.id in applicant_people(application):
        raise PermissionDenied(
            f"{actor.id} prepared or submitted application {application.id} and cannot also "
            f"{step} it (impartiality, ISO/IEC 17065:2012 4.2) / 申请人不得兼任核查人员"
        )


def compute_model_version(
    model_text: str,
    *,
    version: int,
    reason: str,
    actor: Actor,
    now: dt.datetime,
    factor_source: FactorSource | None = None,
    gwp_set: str | None = None,
    source_path: Path | None = None,
    files: Mapping[str, bytes] | None = None,
    matcher: FactorMatcher | None = None,
    solver_options: SolverOptions | None = None,
    library: LibrarySource | None = None,
    pcr: str | None = None,
) -> ModelVersion:
    """Validate a model text, compute its footprint and wrap both as a model version.

    ``files`` holds the content of the factor CSV files the model names (``factor_files``),
    by the names it writes; ``source_path`` only names the model in messages. The version
    records each file's SHA-256 (the store keeps the content) and the footprint's inputs the
    factors' content hashes, so the version names exactly what it was computed from and is
    recomputed from the store alone. ``factor_source`` and ``matcher`` must choose from the
    same factor versions (a Context's ``factors``); ``library`` resolves ``library:NAME/ID``
    inputs (a Context's ``library``). ``pcr`` (``id@version``) sets the calculation rules:
    allocation, credits, electricity, end of life and declared unit
    (:func:`tanzuji.pcr.calculation.rules_of`).
    """
    loaded = load_model_text(model_text, str(source_path or f"model v{version}"), dict(files or {}))
    footprint = calculate(
        loaded,
        gwp_set=gwp_set,
        factor_source=factor_source,
        matcher=matcher,
        solver_options=solver_options,
        library=library,
        rules=rules_of(get_pcr(pcr)) if pcr else DEFAULT_RULES,
    )
    stripped = model_text.lstrip()
    return ModelVersion(
        version=version,
        model_sha256=loaded.content_hash,
        model_text=model_text,
        model_format="json" if stripped.startswith("{") else "yaml",
        reason=reason,
        created_by=actor.id,
        created_at=now,
        footprint=footprint.model_dump(mode="json"),
        files={
            name: hashlib.sha256(content).hexdigest()
            for name, content in sorted(loaded.files.items())
            if name in loaded.model.factor_files
        },
    )


def new_application(
    application_id: str,
    actor: Actor,
    model: ModelVersion,
    *,
    pcr_id: str,
    pcr_version: str,
    factor_release: str,
    label_type: LabelType,
    now: dt.datetime,
    baseline_certificate_id: str | None = None,
    neutrality: NeutralityClaim | None = None,
    scheme: str = "gba",
) -> Application:
    """An applicant opens a draft application for its own product, under ``scheme`` (its
    validity and surveillance, :mod:`tanzuji.certify.schemes`)."""
    _require_role(actor, "apply", Role.applicant)
    if actor.organisation.kind != "enterprise":
        raise PermissionDenied(f"{actor.organisation.id} is not an enterprise; only one may apply")
    footprint = model.footprint
    draft = Application(
        id=application_id,
        applicant=actor.organisation,
        created_by=actor.id,
        product_id=footprint["product_id"],
        product_name={"zh": footprint["product_name_zh"], "en": footprint["product_name_en"]},
        pcr_id=pcr_id,
        pcr_version=pcr_version,
        factor_release=factor_release,
        label_type=label_type,
        model_versions=[model],
        baseline_certificate_id=baseline_certificate_id,
        neutrality=neutrality,
        scheme=get_scheme(scheme).id,
    )
    return _stamp(draft, actor, "apply", f"application for a {label_type.value} label", now)


def add_evidence(
    application: Application, actor: Actor, name: str, content: bytes, now: dt.datetime
) -> Application:
    """Attach an evidence file (stored by hash); applicant, before the decision."""
    _require_own_applicant(application, actor, "add evidence to")
    _require_state(
        application, "add evidence", State.draft, State.submitted, State.data_verification
    )
    evidence = EvidenceFile(
        name=name,
        sha256=hashlib.sha256(content).hexdigest(),
        size_bytes=len(content),
        added_by=actor.id,
        added_at=now,
    )
    return _stamp(
        application,
        actor,
        "add_evidence",
        f"{name} sha256 {evidence.sha256}",
        now,
        evidence=[*application.evidence, evidence],
    )


def submit(
    application: Application, actor: Actor, now: dt.datetime, reason: str = ""
) -> Application:
    _require_own_applicant(application, actor, "submit")
    _require_state(application, "submit", State.draft)
    if not application.model_versions:
        raise GateNotMet(f"application {application.id} has no product model to submit")
    return _stamp(application, actor, "submit", reason or "submitted", now, State.submitted)


def start_review(
    application: Application, actor: Actor, now: dt.datetime, reason: str = ""
) -> Application:
    """A verifier of an accredited body takes the application and starts document review."""
    _require_role(actor, "start review", Role.verifier)
    _require_accredited(actor, "start review")
    _require_state(application, "start review", State.submitted)
    _require_independent_verifier(application, actor, "review")
    return _stamp(
        application,
        actor,
        "start_review",
        reason or "document review started",
        now,
        State.document_review,
        verifier=actor,
    )


def record_pcr_check(
    application: Application,
    actor: Actor,
    findings: Sequence[PcrFinding],
    now: dt.datetime,
) -> Application:
    """The verifier records the PCR conformity check of the current model version."""
    _require_assigned_verifier(application, actor, "record the PCR check of")
    _require_state(application, "record PCR check", State.document_review, State.data_verification)
    errors = [f for f in findings if getattr(f, "severity", None) == "error"]
    messages = [_finding_text(f) for f in findings]
    # the audit line names the rules in error, so the trail itself says what failed
    failed = sorted({str(getattr(f, "rule", "") or "") for f in errors} - {""})
    named = f": {', '.join(failed)}" if failed else ""
    return _stamp(
        application,
        actor,
        "pcr_check",
        f"{len(errors)} error(s), {len(findings) - len(errors)} other finding(s){named}",
        now,
        pcr_error_count=len(errors),
        pcr_messages=messages,
    )


def _finding_text(finding: PcrFinding) -> str:
    parts = [getattr(finding, k, None) for k in ("rule", "message", "message_en", "message_zh")]
    text = " · ".join(str(p) for p in parts if p)
    return f"{finding.severity}: {text or repr(finding)}"


def accept_documents(
    application: Application, actor: Actor, now: dt.datetime, reason: str = ""
) -> Application:
    _require_assigned_verifier(application, actor, "accept the documents of")
    _require_state(application, "accept documents", State.document_review)
    return _stamp(
        application,
        actor,
        "accept_documents",
        reason or "documents complete",
        now,
        State.data_verification,
    )


def raise_finding(
    application: Application, actor: Actor, text: str, now: dt.datetime, severity: str = "error"
) -> Application:
    _require_assigned_verifier(application, actor, "raise a finding on")
    _require_state(application, "raise finding", State.data_verification)
    finding = Finding(
        id=len(application.findings) + 1, raised_by=actor.id, text=text, severity=severity
    )
    return _stamp(
        application,
        actor,
        "raise_finding",
        f"finding {finding.id}: {text}",
        now,
        findings=[*application.findings, finding],
    )


def _finding(application: Application, finding_id: int) -> Finding:
    for finding in application.findings:
        if finding.id == finding_id:
            return finding
    raise InvalidTransition(
        f"application {application.id} has no finding {finding_id}; findings: "
        f"{[f.id for f in application.findings]}"
    )


def answer_finding(
    application: Application, actor: Actor, finding_id: int, answer: str, now: dt.datetime
) -> Application:
    _require_own_applicant(application, actor, "answer a finding of")
    _require_state(application, "answer finding", State.data_verification)
    _finding(application, finding_id)
    findings = [
        f.model_copy(update={"answer": answer, "answered_by": actor.id})
        if f.id == finding_id
        else f
        for f in application.findings
    ]
    return _stamp(
        application,
        actor,
        "answer_finding",
        f"finding {finding_id}: {answer}",
        now,
        findings=findings,
    )


def revise_model(
    application: Application, actor: Actor, model: ModelVersion, now: dt.datetime
) -> Application:
    """The applicant changes the model: a new version, recalculated, and the PCR check reset."""
    _require_own_applicant(application, actor, "revise the model of")
    _require_state(application, "revise model", State.draft, State.data_verification)
    if model.version != len(application.model_versions) + 1:
        raise InvalidTransition(
            f"model version {model.version} does not follow version "
            f"{len(application.model_versions)}"
        )
    previous = application.current_model
    before = previous.total_kg_co2e if previous else float("nan")
    return _stamp(
        application,
        actor,
        "revise_model",
        f"model v{model.version} ({model.reason}): {before:.6g} -> {model.total_kg_co2e:.6g} "
        "kg CO2e",
        now,
        model_versions=[*application.model_versions, model],
        pcr_error_count=None,
        pcr_messages=[],
    )


def close_finding(
    application: Application, actor: Actor, finding_id: int, now: dt.datetime, reason: str = ""
) -> Application:
    _require_assigned_verifier(application, actor, "close a finding of")
    _require_state(application, "close finding", State.data_verification)
    found = _finding(application, finding_id)
    if found.severity == "error" and found.answer is None:
        raise GateNotMet(
            f"finding {finding_id} has no answer from the applicant yet; it cannot be closed"
        )
    findings = [
        f.model_copy(update={"closed": True}) if f.id == finding_id else f
        for f in application.findings
    ]
    return _stamp(
        application,
        actor,
        "close_finding",
        reason or f"finding {finding_id} closed",
        now,
        findings=findings,
    )


def open_factor_concerns(application: Application) -> list[FactorConcern]:
    """Factors of the current model that are draft, illustrative or unsourced and have no
    waiver for their content (:mod:`tanzuji.certify.provenance`)."""
    model = application.current_model
    if model is None:
        return []
    waived = ((w.factor_id, w.sha256) for w in application.factor_waivers)
    return unwaived(factor_concerns(model.footprint), waived)


def _require_factors_waived(application: Application, step: str) -> None:
    concerns = open_factor_concerns(application)
    if concerns:
        raise FactorsNotWaived(
            refusal_text(step, application.id, concerns),
            application_id=application.id,
            step=step,
            factor_ids=[c.factor_id for c in concerns],
        )


def waive_factor(
    application: Application, actor: Actor, factor_id: str, reason: str, now: dt.datetime
) -> Application:
    """The verifier lets a draft, illustrative or unsourced factor stand, with a reason.

    The waiver is bound to the factor's content in the current model version; the certificate
    states it. Waiving the same factor again replaces the reason.
    """
    _require_assigned_verifier(application, actor, "waive a factor of")
    _require_state(application, "waive a factor", State.document_review, State.data_verification)
    if not reason.strip():
        raise GateNotMet(
            f"a waiver of factor {factor_id!r} needs a reason (it is printed in the certificate) "
            "/ 豁免须说明理由（将载入证书）"
        )
    model = application.current_model
    concerns = factor_concerns(model.footprint) if model else []
    concern = next((c for c in concerns if c.factor_id == factor_id), None)
    if concern is None or model is None:
        listed = ", ".join(c.factor_id for c in concerns) or "none"
        raise InvalidTransition(
            f"factor {factor_id!r} is not a draft, illustrative or unsourced factor of model "
            f"v{len(application.model_versions)} of application {application.id}; such factors: "
            f"{listed} / 该因子不是草稿、示意或无来源因子，无需豁免"
        )
    waiver = FactorWaiver(
        factor_id=concern.factor_id,
        version=concern.version,
        sha256=concern.sha256,
        concerns=list(concern.concerns),
        reason=reason.strip(),
        waived_by=actor.id,
        waived_at=now,
    )
    kept = [
        w
        for w in application.factor_waivers
        if (w.factor_id, w.sha256) != (concern.factor_id, concern.sha256)
    ]
    return _stamp(
        application,
        actor,
        "waive_factor",
        f"{concern.describe_en()}: {waiver.reason}",
        now,
        factor_waivers=[*kept, waiver],
    )


def certified_waivers(application: Application) -> list[dict[str, Any]]:
    """The waivers of the factors the current model uses, as the certificate states them."""
    model = application.current_model
    current = (
        {(c.factor_id, c.sha256) for c in factor_concerns(model.footprint)} if model else set()
    )
    return [
        {
            "factor_id": w.factor_id,
            "version": w.version,
            "concerns": list(w.concerns),
            "reason": w.reason,
            "waived_by": w.waived_by,
        }
        for w in sorted(application.factor_waivers, key=lambda w: w.factor_id)
        if (w.factor_id, w.sha256) in current
    ]


def sign_off(
    application: Application, actor: Actor, now: dt.datetime, reason: str = ""
) -> Application:
    """The verifier signs off the verification and passes the file to the decision maker."""
    _require_assigned_verifier(application, actor, "sign off")
    _require_state(application, "sign off", State.data_verification)
    open_findings = [f.id for f in application.findings if f.severity == "error" and not f.closed]
    if open_findings:
        raise GateNotMet(
            f"findings {open_findings} are still open; close them before signing off / "
            "仍有未关闭的不符合项"
        )
    if application.pcr_error_count is None:
        raise GateNotMet(
            f"the PCR check of model v{len(application.model_versions)} was not recorded; run it "
            "before signing off / 未记录产品种类规则核查"
        )
    _require_factors_waived(application, "sign-off")
    return _stamp(
        application,
        actor,
        "sign_off",
        reason or "verification complete",
        now,
        State.decision,
        verifier_signed_off_at=now,
    )


#: The states in which the verifier may be replaced: from the start of the review up to the
#: sign-off. After the sign-off the verification is finished and the verifier named on the
#: certificate is the one who signed it off.
REASSIGNABLE = (State.document_review, State.data_verification)


def _require_reassigner(application: Application, actor: Actor) -> None:
    """A decision maker of the body handling the application, or a platform administrator."""
    if actor.administers_platform():
        return
    if actor.role is not Role.decision_maker:
        raise PermissionDenied(
            f"{actor.id} acts as {actor.role.value}; the verifier of application "
            f"{application.id} may only be reassigned by a decision maker of its certification "
            "body or a platform administrator / 仅本认证机构的决定人员或平台管理员可更换核查员"
        )
    org = actor.organisation
    if org.kind != "certification_body" or not org.accredited:
        raise PermissionDenied(
            f"{actor.id} of {org.id} cannot reassign the verifier of application "
            f"{application.id}: {org.id} is not an accredited certification body, expected a "
            "decision maker of one / 仅获认可的认证机构人员可执行"
        )


def _require_same_body(application: Application, actor: Actor) -> None:
    """A decision maker reassigns within their own body only (an administrator: any body)."""
    body = application.verifier.organisation.id if application.verifier else None
    if not actor.administers_platform() and actor.organisation.id != body:
        raise PermissionDenied(
            f"{actor.id} of {actor.organisation.id} cannot reassign the verifier of application "
            f"{application.id}: it is handled by body {body} / 不得更换其他认证机构的核查员"
        )


def require_eligible_verifier(application: Application, candidate: Actor, active: bool) -> None:
    """``candidate`` may take over the verification of ``application``: an active verifier of
    the same accredited body, not the current verifier, who did not prepare the application
    (the independence rule of :func:`start_review`).

    Raises
    ------
    PermissionDenied
        Naming the application, the candidate, what was found and what was expected.
    """
    current = application.verifier
    body = current.organisation.id if current else None
    who = f"{candidate.id} cannot take over application {application.id}"
    if candidate.role is not Role.verifier:
        raise PermissionDenied(
            f"{who}: {candidate.id} acts as {candidate.role.value}, expected a verifier of body "
            f"{body} / 新核查员须为本认证机构的核查员"
        )
    if candidate.organisation.id != body:
        raise PermissionDenied(
            f"{who}: {candidate.id} is a verifier of {candidate.organisation.id}, expected one of "
            f"body {body}, which handles it / 新核查员须来自同一认证机构"
        )
    if not candidate.organisation.accredited:
        raise PermissionDenied(
            f"{who}: body {body} is not accredited now, expected a verifier of an accredited "
            "certification body / 仅获认可的认证机构人员可执行"
        )
    if not active:
        raise PermissionDenied(
            f"{who}: user {candidate.id} is deactivated, expected an active verifier / "
            "新核查员账户已停用"
        )
    if current is not None and candidate.id == current.id:
        raise InvalidTransition(
            f"{who}: {candidate.id} is already its verifier, expected another verifier of body "
            f"{body} / 该核查员已负责本申请"
        )
    _require_independent_verifier(application, candidate, "verify")


def eligible_verifiers(
    application: Application, users: Iterable[tuple[Actor, bool]]
) -> list[Actor]:
    """The users (``(actor, active)`` pairs) who may take over ``application``'s verification
    (:func:`require_eligible_verifier`), in the given order."""
    eligible = []
    for candidate, active in users:
        try:
            require_eligible_verifier(application, candidate, active)
        except (PermissionDenied, InvalidTransition):
            continue
        eligible.append(candidate)
    return eligible


def reassign_verifier(
    application: Application,
    actor: Actor,
    new_verifier: Actor,
    reason: str,
    now: dt.datetime,
    *,
    active: bool = True,
) -> Application:
    """A decision maker of the body, or a platform administrator, hands the verification to
    another verifier of the same body (the assigned one left, is ill or has a conflict of
    interest).

    The body, not the verifier, decides who evaluates (ISO/IEC 17065:2012 clauses 6.1,
    certification body personnel, and 7.4, evaluation; cited by number, not quoted). The new
    verifier passes the checks of :func:`start_review` (accredited body, did not prepare the
    application) and is an active user (``active``, from the store).

    From the start of the review to the sign-off only (:data:`REASSIGNABLE`). The state does
    not change. What was recorded stays as it was, attributed to who recorded it: findings
    (``raised_by``), factor waivers (``waived_by``, stated on the certificate) and the PCR
    check; the new verifier closes the findings and may waive a factor again. The audit line
    (action ``reassign_verifier``) names who, from whom, to whom and why; the previous
    verifier stays among :func:`evaluation_people`, so cannot take the decision either.

    Raises
    ------
    PermissionDenied
        When the actor may not reassign, or the new verifier is not eligible.
    InvalidTransition
        Outside the review (before the start, or after the sign-off), or to the current
        verifier.
    GateNotMet
        When ``reason`` is blank.
    """
    _require_reassigner(application, actor)
    if application.state not in REASSIGNABLE:
        signed = application.state not in (State.draft, State.submitted)
        when = (
            "the verification was signed off"
            if signed
            else "no verifier has started the review yet"
        )
        zh = "核查已签字确认，不得更换核查员" if signed else "尚未开始审核，无核查员可更换"
        raise InvalidTransition(
            f"application {application.id} is {application.state.value}: {when}; the verifier "
            f"can be reassigned in state {', '.join(s.value for s in REASSIGNABLE)} only / {zh}"
        )
    _require_same_body(application, actor)
    if not reason.strip():
        raise GateNotMet(
            f"reassigning the verifier of application {application.id} needs a reason (it goes "
            "into the audit trail) / 更换核查员须说明理由"
        )
    require_eligible_verifier(application, new_verifier, active)
    previous = application.verifier.id if application.verifier else "nobody"
    return _stamp(
        application,
        actor,
        "reassign_verifier",
        f"verifier {previous} -> {new_verifier.id}: {reason.strip()}",
        now,
        verifier=new_verifier,
    )


@dataclass(frozen=True)
class LabelContext:
    """What the label rules need from outside the application: the baseline of a reduction,
    the serials already claimed, and the PCR's rule on biogenic removals."""

    baseline: Baseline | None = None
    used_serials: tuple[UsedSerial, ...] = ()
    removals: RemovalsRule | None = None


def label_details(
    application: Application,
    context: LabelContext,
    today: dt.date,
    label_kg_co2e: float | None = None,
) -> dict[str, Any]:
    """The label section of the certificate, or :class:`LabelRefused`.

    ``label_kg_co2e``: the label value (default: the footprint total).
    """
    model = application.current_model
    if model is None:
        raise GateNotMet(f"application {application.id} has no model")
    # electricity certificates counted in the footprint back this claim only (as credits do)
    check_instruments_unused(application, context.used_serials)
    if application.label_type is LabelType.reduction:
        return reduction_details(application, context.baseline, label_kg_co2e)
    if application.label_type is LabelType.neutrality:
        return neutrality_details(
            application, application.neutrality, context.used_serials, today, label_kg_co2e
        )
    return {"type": LabelType.disclosure.value}


def decide(
    application: Application,
    actor: Actor,
    approve: bool,
    reason: str,
    now: dt.datetime,
    context: LabelContext = LabelContext(),
) -> Application:
    """The decision maker approves or rejects; approval passes every gate or is refused."""
    _require_role(actor, "decide", Role.decision_maker)
    _require_state(application, "decide", State.decision)
    _require_body_decision_maker(application, actor, "decide")
    if not reason.strip():
        raise GateNotMet("a decision needs a reason (it goes into the audit trail)")
    if not approve:
        return _stamp(
            application,
            actor,
            "reject",
            reason,
            now,
            State.rejected,
            decision="reject",
            decision_maker=actor,
        )
    if application.verifier_signed_off_at is None:
        raise GateNotMet("approval needs the verifier's sign-off / 需核查员签字确认")
    if application.pcr_error_count is None or application.pcr_error_count > 0:
        count = application.pcr_error_count
        raise GateNotMet(
            f"approval refused: the PCR check has {count if count is not None else 'no'} "
            "recorded result with errors; an application with PCR errors cannot be approved / "
            "存在产品种类规则错误，不得批准"
        )
    _require_factors_waived(application, "approval")
    model = application.current_model
    values = label_values(model.footprint, context.removals) if model else None
    label = values["label_kg_co2e"] if values else None
    details = label_details(application, context, now.date(), label)
    return _stamp(
        application,
        actor,
        "approve",
        reason,
        now,
        State.approved,
        decision="approve",
        decision_maker=actor,
        label_details=details,
        declared_value=values,
    )


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February -> 28 February
        return day.replace(year=day.year + years, day=28)


def issue(
    application: Application,
    actor: Actor,
    certificate_id: str,
    now: dt.datetime,
    validity_years: int | None = None,
) -> Application:
    """The platform administrator issues the certificate of an approved application; valid
    ``validity_years``, by default the application's scheme's validity."""
    _require_role(actor, "issue", Role.administrator)
    _require_state(application, "issue", State.approved)
    years = int(validity_years or get_scheme(application.scheme).validity_years.value)
    start = now.date()
    return _stamp(
        application,
        actor,
        "issue",
        f"certificate {certificate_id} valid {years} years",
        now,
        State.issued,
        certificate_id=certificate_id,
        certificate_version=1,
        valid_from=start,
        valid_until=_add_years(start, years),
    )


def start_surveillance(
    application: Application, actor: Actor, now: dt.datetime, reason: str = ""
) -> Application:
    _require_assigned_verifier(application, actor, "start surveillance of")
    _require_state(application, "start surveillance", State.issued, State.renewed)
    return _stamp(
        application,
        actor,
        "start_surveillance",
        reason or "surveillance audit",
        now,
        State.under_surveillance,
    )


def renew(
    application: Application,
    actor: Actor,
    now: dt.datetime,
    reason: str,
    validity_years: int | None = None,
) -> Application:
    """Renew before expiry: a new certificate version, valid from today."""
    _require_role(actor, "renew", Role.administrator)
    _require_state(application, "renew", *CERTIFIED)
    if application.valid_until is not None and now.date() > application.valid_until:
        raise InvalidTransition(
            f"certificate {application.certificate_id} expired on {application.valid_until}; "
            "an expired certificate needs a new application"
        )
    years = int(validity_years or get_scheme(application.scheme).validity_years.value)
    return _stamp(
        application,
        actor,
        "renew",
        reason,
        now,
        State.renewed,
        certificate_version=application.certificate_version + 1,
        valid_from=now.date(),
        valid_until=_add_years(now.date(), years),
    )


def suspend(application: Application, actor: Actor, now: dt.datetime, reason: str) -> Application:
    _require_role(actor, "suspend", Role.decision_maker)
    _require_state(application, "suspend", *CERTIFIED)
    _require_body_decision_maker(application, actor, "suspend")
    return _stamp(application, actor, "suspend", reason, now, State.suspended)


def reinstate(application: Application, actor: Actor, now: dt.datetime, reason: str) -> Application:
    _require_role(actor, "reinstate", Role.decision_maker)
    _require_state(application, "reinstate", State.suspended)
    _require_body_decision_maker(application, actor, "reinstate")
    return _stamp(application, actor, "reinstate", reason, now, State.under_surveillance)


def revoke(application: Application, actor: Actor, now: dt.datetime, reason: str) -> Application:
    _require_role(actor, "revoke", Role.decision_maker)
    _require_state(application, "revoke", *CERTIFIED, State.suspended)
    _require_body_decision_maker(application, actor, "revoke")
    return _stamp(application, actor, "revoke", reason, now, State.revoked)


def expire(application: Application, actor: Actor, now: dt.datetime) -> Application:
    _require_role(actor, "expire", Role.administrator)
    _require_state(application, "expire", *CERTIFIED, State.suspended)
    if application.valid_until is None or now.date() <= application.valid_until:
        raise InvalidTransition(
            f"certificate {application.certificate_id} is valid until {application.valid_until}; "
            "it cannot expire before then"
        )
    return _stamp(
        application,
        actor,
        "expire",
        f"validity ended {application.valid_until}",
        now,
        State.expired,
    )


def certificate_for(application: Application, issued_at: dt.datetime) -> Certificate:
    """The certified statement of an issued (or renewed) application."""
    _require_state(application, "make a certificate", *CERTIFIED)
    model = application.current_model
    if (
        model is None
        or application.certificate_id is None
        or application.verifier is None
        or application.decision_maker is None
        or application.valid_from is None
        or application.valid_until is None
    ):
        raise GateNotMet(f"application {application.id} is missing data for a certificate")
    footprint = model.footprint
    # the label value under the PCR's removals rule, fixed at approval (older approvals: total)
    values = application.declared_value
    total = float(values["label_kg_co2e"] if values else footprint["total_kg_co2e"])
    stages = label_stages(footprint, values) if values else footprint["by_stage"]
    return Certificate(
        certificate_id=application.certificate_id,
        version=application.certificate_version,
        application_id=application.id,
        company={"id": application.applicant.id, "name": application.applicant.name},
        product={"id": application.product_id, **application.product_name},
        functional_unit=footprint["functional_unit"],
        footprint_kg_co2e=total,
        stage_breakdown_kg_co2e={k: float(v) for k, v in sorted(stages.items())},
        gwp_set=footprint["gwp_set"],
        label=application.label_details or {"type": application.label_type.value},
        pcr={"id": application.pcr_id, "version": application.pcr_version},
        factor_release=application.factor_release,
        model_sha256=model.model_sha256,
        factors_sha256=footprint["inputs"]["factors_sha256"],
        verifier={
            "id": application.verifier.id,
            "name": application.verifier.name,
            "body": application.verifier.organisation.name,
        },
        decision_maker={
            "id": application.decision_maker.id,
            "name": application.decision_maker.name,
        },
        validity=Validity(valid_from=application.valid_from, valid_until=application.valid_until),
        issued_at=issued_at.isoformat(),
        factor_waivers=certified_waivers(application) or None,
        surveillance=surveillance_of(application),
        removals=_removals_statement(values),
        **unit_fields(footprint, total),
    )


def _removals_statement(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """The certificate's ``removals`` field: what the label counts, both values, the rule."""
    if values is None:
        return None
    keys = (
        "label_value",
        "with_removals_kg_co2e",
        "without_removals_kg_co2e",
        "biogenic_removals_kg_co2e",
        "rule",
    )
    return {k: values[k] for k in keys}


def surveillance_of(application: Application) -> dict[str, Any] | None:
    """The scheme and the surveillance due dates of a certificate's validity period."""
    if application.valid_from is None or application.valid_until is None:
        return None
    scheme = get_scheme(application.scheme)
    due = scheme.surveillance_due(application.valid_from, application.valid_until)
    return {
        "scheme": scheme.id,
        "interval_months": scheme.surveillance_interval_months.value,
        "due": [d.isoformat() for d in due],
    }


def supersede(
    application: Application, actor: Actor, now: dt.datetime, by_certificate_id: str
) -> Application:
    """A newer certificate of the same subject (applicant, product, label type, PCR, declared
    unit: :func:`tanzuji.certify.comparability.same_certificate_subject`) replaces this one;
    taken by the administrator in the issuing transaction."""
    _require_role(actor, "supersede", Role.administrator)
    _require_state(application, "supersede", *CERTIFIED, State.suspended)
    return _stamp(
        application,
        actor,
        "supersede",
        f"superseded by certificate {by_certificate_id}",
        now,
        State.superseded,
        superseded_by=by_certificate_id,
    )


def effective_state(application: Application, today: dt.date) -> State:
    """The state as of ``today``: a certificate whose validity has ended is expired, whether or
    not an ``expire`` event was logged (expiry follows from the dates, no job needed)."""
    live = (*CERTIFIED, State.suspended)
    ended = application.valid_until is not None and today > application.valid_until
    return State.expired if application.state in live and ended else application.state


def surveillance_status(application: Application, today: dt.date) -> dict[str, Any] | None:
    """The next surveillance due and whether it is overdue, for a certificate in force.

    Each surveillance audit (``start_surveillance``) of the current validity period counts for
    the earliest due date not yet covered.
    """
    plan = surveillance_of(application)
    if plan is None or effective_state(application, today) not in CERTIFIED:
        return None
    start = application.valid_from or today
    done = sum(
        1
        for line in application.audit
        if line.action == "start_surveillance" and line.at.date() >= start
    )
    remaining = plan["due"][done:]
    if not remaining:
        return {"next_due": None, "overdue": False}
    return {"next_due": remaining[0], "overdue": dt.date.fromisoformat(remaining[0]) < today}


def public_view(application: Application, today: dt.date | None = None) -> dict[str, Any]:
    """What the public may read: status and certified values, never the model or evidence.

    With ``today`` the state is the effective one (a certificate past its validity reads
    expired) and the next surveillance due date is given.
    """
    state = effective_state(application, today) if today else application.state
    view: dict[str, Any] = {
        "application_id": application.id,
        "certificate_id": application.certificate_id,
        "state": state.value,
        "company": application.applicant.name,
        "product": application.product_name,
        "label": application.label_type.value,
        "valid_until": application.valid_until.isoformat() if application.valid_until else None,
    }
    if state is not application.state:
        view["recorded_state"] = application.state.value
    if application.superseded_by:
        view["superseded_by"] = application.superseded_by
    surveillance = surveillance_status(application, today) if today else None
    if surveillance and surveillance["next_due"]:
        view["surveillance_due"] = surveillance["next_due"]
        view["surveillance_overdue"] = surveillance["overdue"]
    return view


def used_serials(applications: Iterable[Application]) -> tuple[UsedSerial, ...]:
    """Every credit block and counted electricity certificate block claimed by an approved or
    certified application."""
    applications = list(applications)
    claimed = (
        State.approved,
        *CERTIFIED,
        State.suspended,
        State.revoked,
        State.expired,
        State.superseded,
    )
    credits = tuple(
        UsedSerial(app.id, block)
        for app in applications
        if app.state in claimed and app.neutrality is not None
        for block in app.neutrality.retirements
    )
    return credits + used_instruments(applications)
