"""The kinds of background job: what each checks when queued and what it runs.

Every kind calls the service functions a person at the command line would, with the Context
of the user who queued the job (looked up again when it runs: a deactivated user's job
fails). ``check`` runs at submission in the request (bad parameters, a missing application,
another tenant's application, a role that may not do it: refused at once, 4xx); ``run`` runs
in the runner and reports progress through ``report(fraction, message)``.

Kinds:

``monte_carlo``
    Monte Carlo of a stored model (an application's model version, read with the
    application's factor release): ``{"application_id", "iterations", "seed", "version"}``.
``recheck``
    Recheck of every certificate under a factor release (after a new release):
    ``{"release"}``; data stewards, decision makers and administrators.
``factor_import``
    Import of one factor file: ``{"name", "content_base64", "format", "status"}``; data
    stewards and administrators.
``report``
    The CFP study report of a certificate or of an application's model:
    ``{"certificate_id" | "application_id", "format": html|pdf|xlsx, "lang": zh|en|both}``;
    the file is in the result (``file``: name, media type, base64 content).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tanzuji.certify.records import Role
from tanzuji.context import Context
from tanzuji.errors import JobError, PermissionDenied
from tanzuji.services import access, calculation, certification, factors, jobs, report

Report = Callable[[float, str], None]

#: Most Monte Carlo iterations one job may ask for.
MAX_ITERATIONS = 1_000_000


class _Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class JobKind:
    """One kind: its name, parameter model, check and run."""

    name: str
    parameters: type[_Parameters]
    check_access: Callable[[Context, Any], None]
    work: Callable[[Context, Any, Report], Any]

    def parse(self, raw: dict[str, Any]) -> _Parameters:
        try:
            return self.parameters.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "parameters"
            raise JobError(
                f"job {self.name}: parameter {where}: {first.get('msg')} "
                f"({exc.error_count()} problem(s)) / 任务参数无效",
                location=f"parameters.{where}",
            ) from None

    def check(self, context: Context, raw: dict[str, Any]) -> dict[str, Any]:
        """The validated parameters as stored (JSON), after the access check."""
        parameters = self.parse(raw)
        self.check_access(context, parameters)
        return parameters.model_dump(mode="json")

    def run(self, context: Context, raw: dict[str, Any], progress: Report) -> Any:
        parameters = self.parse(raw)
        self.check_access(context, parameters)
        return self.work(context, parameters, progress)


def _roles(context: Context, what: str, *roles: Role) -> None:
    actor = context.require_actor()
    if actor.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise PermissionDenied(
            f"{actor.id} acts as {actor.role.value}; a {what} job may be started by {allowed} "
            "/ 角色无权启动此任务"
        )


def _release_context(context: Context, release: str) -> Context:
    if release in certification.UNPINNED_NAMES:
        return context.with_release(None)
    return context.with_release(release)


# -- monte_carlo --------------------------------------------------------------------------------
class MonteCarloParameters(_Parameters):
    application_id: str = Field(min_length=1, max_length=64)
    version: int | None = Field(None, ge=1, description="model version (default: the newest)")
    iterations: int = Field(1000, ge=10, le=MAX_ITERATIONS)
    seed: int = Field(0, ge=0, le=2**32 - 1)


def _monte_carlo_access(context: Context, p: MonteCarloParameters) -> None:
    access.model_input(context, p.application_id, p.version)  # NotFound for other tenants


def _monte_carlo(context: Context, p: MonteCarloParameters, progress: Report) -> dict[str, Any]:
    application = access.application(context, p.application_id)
    model = access.model_input(context, p.application_id, p.version)
    pinned = _release_context(context, application.factor_release)
    done = 0

    def counted(step: int) -> None:
        nonlocal done
        done += step
        progress(done / p.iterations, f"{done} / {p.iterations} iterations")

    result = calculation.calculate(
        pinned,
        calculation.CalculationRequest(
            model=model, monte_carlo_iterations=p.iterations, seed=p.seed
        ),
        progress=counted,
    )
    footprint = result.footprint
    return {
        "application_id": p.application_id,
        "model": model.name,
        "factor_release": application.factor_release,
        "iterations": p.iterations,
        "seed": p.seed,
        "total_kg_co2e": footprint.total_kg_co2e,
        "uncertainty": (
            footprint.uncertainty.model_dump(mode="json") if footprint.uncertainty else None
        ),
    }


# -- recheck ------------------------------------------------------------------------------------
class RecheckParameters(_Parameters):
    release: str = Field(min_length=1, max_length=100)


def _recheck_access(context: Context, p: RecheckParameters) -> None:
    _roles(context, "recheck", Role.data_steward, Role.decision_maker, Role.administrator)
    factors.release(context, p.release)  # NotFound names the known releases


def _recheck(context: Context, p: RecheckParameters, progress: Report) -> dict[str, Any]:
    progress(0.0, f"recomputing every certified model under release {p.release}")
    rows = certification.recheck(context, p.release)
    changed = [r for r in rows if r.changed_factors or r.problem]
    return {
        "release": p.release,
        "certificates": len(rows),
        "changed": len(changed),
        "rows": [
            {
                **r.model_dump(mode="json"),
                "delta_kg_co2e": r.delta_kg_co2e,
                "delta_percent": r.delta_percent,
            }
            for r in rows
        ],
    }


# -- factor_import --------------------------------------------------------------------------------
class FactorImportParameters(_Parameters):
    name: str = Field(min_length=1, max_length=300, description="file name")
    content_base64: str = Field(min_length=1)
    format: str | None = Field(None, max_length=40)
    status: Literal["draft", "reviewed"] | None = None

    @model_validator(mode="after")
    def _decodes(self) -> FactorImportParameters:
        try:
            base64.b64decode(self.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("content_base64 is not base64") from None
        return self


def _import_access(context: Context, p: FactorImportParameters) -> None:
    factors.require_steward(context, "import factors")


def _factor_import(context: Context, p: FactorImportParameters, progress: Report) -> dict[str, Any]:
    content = base64.b64decode(p.content_base64)
    progress(0.0, f"importing {p.name} ({len(content)} bytes)")
    imported = factors.import_file(
        context,
        factors.ImportRequest(name=p.name, content=content, format=p.format, status=p.status),
    )
    return {
        "import_id": imported.import_id,
        "source_name": imported.source_name,
        "imported": imported.imported,
        "skipped": imported.skipped,
        "entries": [
            {"factor_id": e.factor_id, "version": e.version, "action": e.action, "reason": e.reason}
            for e in imported.entries[:1000]
        ],
    }


# -- report -------------------------------------------------------------------------------------
class ReportParameters(_Parameters):
    certificate_id: str | None = Field(None, min_length=1, max_length=64)
    application_id: str | None = Field(None, min_length=1, max_length=64)
    format: Literal["html", "pdf", "xlsx"] = "html"
    lang: Literal["zh", "en", "both"] = "both"

    @model_validator(mode="after")
    def _one_source(self) -> ReportParameters:
        if (self.certificate_id is None) == (self.application_id is None):
            raise ValueError("give certificate_id or application_id, not both and not neither")
        return self


def _report_access(context: Context, p: ReportParameters) -> None:
    if p.application_id is not None:
        access.model_input(context, p.application_id)
    else:
        certification.certificate_document(context, p.certificate_id or "")


def _report(context: Context, p: ReportParameters, progress: Report) -> dict[str, Any]:
    if p.application_id is not None:
        application = access.application(context, p.application_id)
        source = report.StudySource(model=access.model_input(context, p.application_id))
        context = _release_context(context, application.factor_release)
    else:
        source = report.StudySource(certificate_id=p.certificate_id)
    progress(0.1, f"rendering the {p.format} report")
    document = report.report(
        context, report.ReportRequest(source=source, format=p.format, lang=p.lang)
    )
    return {
        "notes": document.notes,
        "file": {
            "filename": document.filename,
            "media_type": document.media_type,
            "size_bytes": len(document.content),
            "content_base64": base64.b64encode(document.content).decode(),
        },
    }


KINDS: dict[str, JobKind] = {
    kind.name: kind
    for kind in (
        JobKind("monte_carlo", MonteCarloParameters, _monte_carlo_access, _monte_carlo),
        JobKind("recheck", RecheckParameters, _recheck_access, _recheck),
        JobKind("factor_import", FactorImportParameters, _import_access, _factor_import),
        JobKind("report", ReportParameters, _report_access, _report),
    )
}


def kind_of(name: str) -> JobKind:
    """The kind called ``name``.

    Raises
    ------
    JobError
        When there is none, naming the known kinds.
    """
    try:
        return KINDS[name]
    except KeyError:
        raise JobError(
            f"unknown job kind {name!r}; known: {', '.join(KINDS)} / 未知任务类型"
        ) from None


def queue(context: Context, request: jobs.JobRequest) -> jobs.JobView:
    """Check a job's kind, parameters and access for the acting user, then queue it: a job
    that cannot run is refused now (4xx), not failed later.

    Raises
    ------
    JobError
        An unknown kind or parameters that do not validate.
    NotFound, PermissionDenied
        What the parameters name is not the caller's to use.
    """
    kind = kind_of(request.kind)
    checked = kind.check(context, request.parameters)
    return jobs.submit(context, jobs.JobRequest(kind=kind.name, parameters=checked))


__all__ = ["KINDS", "MAX_ITERATIONS", "JobKind", "kind_of", "queue"]
