"""Access service: what of an application each caller may read — the tenant boundary.

The certification workflow checks who may *change* an application at every step; this module
says who may *read* one (its models, results, evidence, findings, audit trail), so that the
web platform scopes every query to the caller's organisation and role:

- the local operator (no acting user: the command line) and the platform's administrators
  read every application;
- an applicant reads the applications of their own organisation;
- staff of an accredited certification body (verifiers, decision makers) read those their
  body handles (its verifier is one of theirs) and the submitted ones waiting for a body to
  take them (the queue any accredited body may start reviewing);
- data stewards and the public read none (the public reads certificates: ``public``).

An application the caller may not read is answered as :class:`~tanzuji.errors.NotFound` with
the same message as one that does not exist: another tenant's ids do not leak.
"""

from __future__ import annotations

from pydantic import Field

from tanzuji.certify.records import Actor, Application, EvidenceFile, Role, State
from tanzuji.context import Context
from tanzuji.errors import NotFound
from tanzuji.services.base import Result
from tanzuji.services.calculation import ModelInput
from tanzuji.store.certify import CertificationRepository

BODY_ROLES = (Role.verifier, Role.decision_maker)


def can_read(actor: Actor | None, application: Application) -> bool:
    """Whether ``actor`` may read ``application`` (see the module docstring)."""
    if actor is None or actor.role is Role.administrator:
        return True
    if actor.role is Role.applicant:
        return actor.organisation.id == application.applicant.id
    if actor.role in BODY_ROLES:
        org = actor.organisation
        if org.kind != "certification_body" or not org.accredited:
            return False
        if application.verifier is not None:
            return application.verifier.organisation.id == org.id
        return application.state is State.submitted
    return False


def _missing(application_id: str) -> NotFound:
    return NotFound(f"no application {application_id!r} / 无此申请")


def application(context: Context, application_id: str) -> Application:
    """The application, when the acting user may read it.

    Raises
    ------
    NotFound
        When it does not exist or the caller may not read it (one message for both).
    """
    with context.unit_of_work(write=False) as session:
        try:
            found = CertificationRepository(session).load(application_id)
        except NotFound:
            raise _missing(application_id) from None
    if not can_read(context.actor, found):
        raise _missing(application_id)
    return found


class ApplicationSummary(Result):
    """One line of a list of applications."""

    id: str
    applicant: str
    product_id: str
    product_name: dict[str, str]
    state: State
    label_type: str
    pcr: str = Field(description="PCR id@version")
    factor_release: str
    total_kg_co2e: float | None
    certificate_id: str | None
    verifier: str | None


def summary(found: Application) -> ApplicationSummary:
    model = found.current_model
    return ApplicationSummary(
        id=found.id,
        applicant=found.applicant.id,
        product_id=found.product_id,
        product_name=found.product_name,
        state=found.state,
        label_type=found.label_type.value,
        pcr=f"{found.pcr_id}@{found.pcr_version}",
        factor_release=found.factor_release,
        total_kg_co2e=model.total_kg_co2e if model else None,
        certificate_id=found.certificate_id,
        verifier=found.verifier.id if found.verifier else None,
    )


def applications(context: Context, state: State | None = None) -> list[ApplicationSummary]:
    """The applications the acting user may read (newest id first), optionally in one state."""
    with context.unit_of_work(write=False) as session:
        found = CertificationRepository(session).applications()
    visible = [a for a in found if can_read(context.actor, a)]
    if state is not None:
        visible = [a for a in visible if a.state is state]
    return [summary(a) for a in sorted(visible, key=lambda a: a.id, reverse=True)]


def model_input(context: Context, application_id: str, version: int | None = None) -> ModelInput:
    """A stored model version (default: the current one) with its files, as a calculation
    input.

    Raises
    ------
    NotFound
        When the application is not readable or has no such version.
    """
    found = application(context, application_id)
    versions = {m.version: m for m in found.model_versions}
    chosen = versions.get(version if version is not None else max(versions, default=0))
    if chosen is None:
        raise NotFound(
            f"application {application_id} has no model version {version}; it has "
            f"{sorted(versions)} / 无此模型版本"
        )
    with context.unit_of_work(write=False) as session:
        files = CertificationRepository(session).model_files(chosen)
    name = f"{application_id}-v{chosen.version}"
    return ModelInput(name=name, text=chosen.model_text, files=files)


class EvidenceContent(Result):
    file: EvidenceFile
    content: bytes


def evidence(context: Context, application_id: str, sha256: str) -> EvidenceContent:
    """One evidence file of a readable application.

    Raises
    ------
    NotFound
        When the application is not readable or holds no such file.
    """
    found = application(context, application_id)
    for item in found.evidence:
        if item.sha256 == sha256:
            with context.unit_of_work(write=False) as session:
                content = CertificationRepository(session).evidence_content(application_id, sha256)
            return EvidenceContent(file=item, content=content)
    raise NotFound(f"no evidence {sha256[:12]!r} in application {application_id} / 无此证据文件")


__all__ = [
    "ApplicationSummary",
    "EvidenceContent",
    "application",
    "applications",
    "can_read",
    "evidence",
    "model_input",
    "summary",
]
