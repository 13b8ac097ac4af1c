"""Applications through their life: the API of every step, and the application's page.

Every read goes through :mod:`tanzuji.services.access` (another tenant's application is "not
found"); every change through the certification service, which checks role, organisation and
state.

Every party works on the same page, ``/applications/{id}``, which shows what the caller may
read (:mod:`tanzuji.services.access`) and offers the steps of the caller's role: the applicant
submits, revises, adds evidence and answers findings; the verifier starts the review, records
the PCR check, accepts the documents, raises and closes findings and signs off; the decision
maker approves or rejects; the administrator issues; during the review the body's decision
maker or an administrator may hand it to another verifier (reassign). Each form posts to
``/applications/{id}/do/{step}``, which calls the same service as the API route
``POST /api/v1/applications/{id}/...`` and comes back to the page (303), or shows the page
again with the refusal (a gate not met, a wrong state) as an alert.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as FormFile

from tanzuji.certify.records import Application, Role, State
from tanzuji.context import Context
from tanzuji.errors import FactorsNotWaived, NotFound, TanzujiError
from tanzuji.footprint import Footprint
from tanzuji.model.bom import STAGE_NAMES
from tanzuji.report import charts, vega
from tanzuji.services import access, accounts, certification, labels
from tanzuji.services.calculation import ModelInput
from tanzuji.web.auth import user_context
from tanzuji.web.pages import remember, render
from tanzuji.web.pagination import Page, PageParams, page_of, page_params

router = APIRouter(tags=["applications"])

#: The charts the result section draws (names of :func:`charts.footprint_charts`).
RESULT_CHARTS = ("stages_by_gas", "pareto_process")


# -- API ------------------------------------------------------------------------------------
class ModelVersionView(BaseModel):
    application_id: str
    version: int
    model_sha256: str
    model_text: str
    model_format: str
    reason: str
    created_by: str
    files: dict[str, str] = Field(description="file name -> SHA-256")
    footprint: dict[str, Any]


class EvidenceBody(BaseModel):
    files: list[certification.EvidenceInput] = Field(min_length=1, max_length=50)


class ReasonBody(BaseModel):
    reason: str = Field("", max_length=2000)


class AnswerBody(BaseModel):
    text: str = Field(min_length=1, max_length=5000)


class ReviseBody(BaseModel):
    model: ModelInput
    reason: str = Field(min_length=1, max_length=2000)


class DecisionBody(BaseModel):
    approve: bool
    reason: str = Field(min_length=1, max_length=2000)


class ReviewBody(BaseModel):
    action: certification.ReviewAction
    text: str = Field("", max_length=5000)
    finding_id: int = Field(0, ge=0)
    factor_id: str = Field("", max_length=500, description="waive: the factor the waiver is for")
    to_user: str = Field(
        "", max_length=64, description="reassign: the user id of the verifier who takes over"
    )


@router.get("/api/v1/applications", response_model=Page[access.ApplicationSummary])
def list_applications(
    state: State | None = None,
    params: PageParams = Depends(page_params),
    context: Context = Depends(user_context),
) -> Page[access.ApplicationSummary]:
    """The applications the caller may read (own organisation; a body's queue and cases)."""
    return page_of(access.applications(context, state), params)


@router.post("/api/v1/applications", response_model=Application, status_code=201)
def apply(
    body: certification.ApplyRequest, context: Context = Depends(user_context)
) -> Application:
    """Open a draft application for a product model (applicants); its footprint is computed."""
    return certification.apply(context, body)


@router.get("/api/v1/applications/{application_id}", response_model=Application)
def get_application(application_id: str, context: Context = Depends(user_context)) -> Application:
    """The whole application: model versions with results, evidence, findings, audit trail."""
    return access.application(context, application_id)


def _version(application: Application, version: int | None) -> Any:
    versions = {m.version: m for m in application.model_versions}
    chosen = versions.get(version if version is not None else max(versions, default=0))
    if chosen is None:
        raise NotFound(f"application {application.id} has no model version {version} / 无此版本")
    return chosen


@router.get(
    "/api/v1/applications/{application_id}/models/{version}", response_model=ModelVersionView
)
def get_model(
    application_id: str, version: int, context: Context = Depends(user_context)
) -> ModelVersionView:
    """One model version: the model text, its files and the footprint computed from it."""
    chosen = _version(access.application(context, application_id), version)
    return ModelVersionView(application_id=application_id, **chosen.model_dump(mode="json"))


@router.get("/api/v1/applications/{application_id}/result")
def get_result(application_id: str, context: Context = Depends(user_context)) -> dict[str, Any]:
    """The footprint result of the current model version (stages, processes, gases, inputs)."""
    return _version(access.application(context, application_id), None).footprint


@router.post("/api/v1/applications/{application_id}/submit", response_model=Application)
def submit(
    application_id: str, body: ReasonBody, context: Context = Depends(user_context)
) -> Application:
    """The applicant submits the draft."""
    access.application(context, application_id)  # another tenant's: not found
    return certification.submit(context, application_id, body.reason)


@router.post("/api/v1/applications/{application_id}/revisions", response_model=Application)
def revise(
    application_id: str, body: ReviseBody, context: Context = Depends(user_context)
) -> Application:
    """The applicant gives a new model version (recalculated with the application's release)."""
    access.application(context, application_id)
    return certification.revise(
        context,
        certification.ReviseRequest(
            application_id=application_id, model=body.model, reason=body.reason
        ),
    )


@router.post("/api/v1/applications/{application_id}/evidence", response_model=Application)
def add_evidence(
    application_id: str, body: EvidenceBody, context: Context = Depends(user_context)
) -> Application:
    """The applicant attaches evidence files (content base64 in JSON)."""
    access.application(context, application_id)
    return certification.add_evidence(context, application_id, body.files)


@router.get("/api/v1/applications/{application_id}/evidence/{sha256}", response_class=Response)
def evidence_file(
    application_id: str, sha256: str, context: Context = Depends(user_context)
) -> Response:
    """One evidence file, as it was uploaded."""
    found = access.evidence(context, application_id, sha256)
    return Response(
        found.content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{_safe(found.file.name)}"'},
    )


@router.post(
    "/api/v1/applications/{application_id}/findings/{finding_id}/answer",
    response_model=Application,
)
def answer(
    application_id: str,
    finding_id: int,
    body: AnswerBody,
    context: Context = Depends(user_context),
) -> Application:
    """The applicant answers a verifier's finding."""
    access.application(context, application_id)
    return certification.answer(context, application_id, finding_id, body.text)


def waiver_hint(refusal: FactorsNotWaived) -> str:
    """How to resolve the factor gate's refusal through the API (its routes)."""
    app_id = refusal.details["application_id"]
    factors = ", ".join(refusal.details["factor_ids"])
    return (
        f"Next: for each of {factors}, the verifier calls POST /api/v1/applications/{app_id}/"
        'review with {"action": "waive", "factor_id": FACTOR, "text": REASON}; or the '
        f"applicant posts a new model version to POST /api/v1/applications/{app_id}/revisions "
        f"/ 下一步：核查员对每个因子（{factors}）调用 POST /api/v1/applications/{app_id}/review，"
        '请求体 {"action": "waive", "factor_id": 因子, "text": 理由}；或申请人调用 POST '
        f"/api/v1/applications/{app_id}/revisions 提交新模型版本"
    )


@contextmanager
def _api_hints() -> Iterator[None]:
    """The factor gate's refusal with the API calls that resolve it."""
    try:
        yield
    except FactorsNotWaived as refusal:
        raise refusal.with_hint(waiver_hint(refusal)) from None


@router.post(
    "/api/v1/applications/{application_id}/review", response_model=certification.ReviewResult
)
def review(
    application_id: str, body: ReviewBody, context: Context = Depends(user_context)
) -> certification.ReviewResult:
    """A verifier's step: start, pcr-check (runs the PCR checker), accept, finding, close,
    waive (a draft, illustrative or unsourced factor, with ``factor_id`` and the reason in
    ``text``), sign-off, surveil; reassign (the body's decision maker or a platform
    administrator: the verifier ``to_user`` takes over, the reason in ``text``)."""
    access.application(context, application_id)
    with _api_hints():
        return certification.review(
            context,
            certification.ReviewRequest(application_id=application_id, **body.model_dump()),
        )


@router.post("/api/v1/applications/{application_id}/decision", response_model=Application)
def decide(
    application_id: str, body: DecisionBody, context: Context = Depends(user_context)
) -> Application:
    """The decision maker of the body approves or rejects (label rules checked)."""
    access.application(context, application_id)
    with _api_hints():
        return certification.decide(
            context,
            certification.DecideRequest(application_id=application_id, **body.model_dump()),
        )


@router.post(
    "/api/v1/applications/{application_id}/issue",
    response_model=certification.CertificateResult,
)
def issue(
    application_id: str, context: Context = Depends(user_context)
) -> certification.CertificateResult:
    """The administrator issues, signs and logs the certificate of an approved application."""
    access.application(context, application_id)
    return certification.issue(context, application_id)


@router.get("/api/v1/applications/{application_id}/diff", response_model=certification.VersionDiff)
def version_diff(
    application_id: str,
    a: int = Query(ge=1),
    b: int = Query(ge=1),
    context: Context = Depends(user_context),
) -> certification.VersionDiff:
    """What changed between two model versions: the model text and the result."""
    return certification.version_diff(context, application_id, a, b)


@router.get("/api/v1/applications/{application_id}/charts")
def result_charts(
    application_id: str,
    lang: str = Query("zh", pattern="^(zh|en)$"),
    context: Context = Depends(user_context),
) -> dict[str, Any]:
    """The Vega-Lite specifications of the current result's charts, by name."""
    footprint = _footprint(access.application(context, application_id))
    if footprint is None:
        return {}
    return {c.name: c.spec for c in charts.footprint_charts(footprint, lang)}


@router.post("/api/v1/certificates/{certificate_id}/events", response_model=Application)
def certificate_event(
    certificate_id: str,
    event: certification.CertificateEvent = Query(),
    body: ReasonBody = ReasonBody(),
    context: Context = Depends(user_context),
) -> Application:
    """Suspend, reinstate or revoke (the body's decision maker), renew or expire
    (administrator) a certificate; the event is logged in the ledger."""
    return certification.certificate_event(context, certificate_id, event, body.reason).application


@router.get("/api/v1/applications/{application_id}/label.{fmt}", response_class=Response)
def label(
    application_id: str, fmt: labels.LabelFormat, context: Context = Depends(user_context)
) -> Response:
    """The label artwork (PNG or SVG) of the application's certificate."""
    found = access.application(context, application_id)
    if not found.certificate_id:
        raise certification.CertificationError(
            f"application {application_id} has no certificate yet / 尚未发证"
        )
    made = labels.render(context, found.certificate_id, fmt)
    return Response(
        made.content,
        media_type=made.media_type,
        headers={"Content-Disposition": f'attachment; filename="{made.filename}"'},
    )


# -- the application's page ------------------------------------------------------------------
def _safe(name: str) -> str:
    return "".join(c for c in name if c.isalnum() or c in "._- ") or "file"


def _footprint(application: Application) -> Footprint | None:
    model = application.current_model
    return Footprint.model_validate(model.footprint) if model else None


def _largest_processes(footprint: Footprint | None, count: int = 15) -> list[Any]:
    """The ``count`` processes with the largest direct contribution (absolute value)."""
    if footprint is None:
        return []
    return sorted(footprint.by_process, key=lambda p: -abs(p.direct_kg_co2e))[:count]


def _chart_html(footprint: Footprint | None, lang: str) -> list[str]:
    if footprint is None:
        return []
    drawn = [c for c in charts.footprint_charts(footprint, lang) if c.name in RESULT_CHARTS]
    return [vega.embed_html(c.spec, f"chart-{c.name.replace('_', '-')}") for c in drawn]


def _latest_interval(context: Context, application_id: str) -> dict[str, Any] | None:
    """The newest finished Monte Carlo job of the application the caller's organisation ran:
    its job id, runs and the statistics of the total (mean, 2.5 and 97.5 percentiles)."""
    from tanzuji.services import jobs

    found, _ = jobs.jobs(context, state=jobs.JobState.succeeded, offset=0, limit=50)
    for job in found:
        result = job.result if isinstance(job.result, dict) else {}
        if job.kind == "monte_carlo" and result.get("application_id") == application_id:
            total = (result.get("uncertainty") or {}).get("total") or {}
            return {"job": job.id, "iterations": result.get("iterations"), **total}
    return None


def _steps(application: Application, context: Context) -> list[str]:
    """The steps the caller's role could take now (the service still checks each)."""
    actor = context.require_actor()
    state = application.state
    steps: list[str] = []
    if actor.role is Role.applicant:
        if state is State.draft:
            steps += ["submit", "evidence", "revise"]
        if state in (State.document_review, State.data_verification):
            steps += ["evidence", "revise"]
        if state is State.data_verification and any(
            not f.closed and f.answer is None for f in application.findings
        ):
            steps.append("answer")
    elif actor.role is Role.verifier:
        if state is State.submitted:
            steps.append("start")
        elif state in (State.document_review, State.data_verification):
            steps.append("pcr-check")
            if state is State.document_review:
                steps.append("accept")
            else:
                steps += ["finding", "close"]
                if certification.open_factor_concerns(application):
                    steps.append("waive")  # the factor gate: sign-off waits for waivers
                steps.append("sign-off")
        elif state in certification.wf.CERTIFIED:
            steps.append("surveil")
    elif actor.role is Role.decision_maker:
        if state is State.decision:
            steps.append("decide")
        if state in (*certification.wf.CERTIFIED, State.suspended):
            steps.append("certificate-event")
    elif actor.role is Role.administrator and state is State.approved:
        steps.append("issue")
    may_reassign = actor.role is Role.decision_maker or accounts.administers(actor)
    if may_reassign and state in certification.wf.REASSIGNABLE:
        steps.append("reassign")
    return steps


def _page(
    request: Request,
    context: Context,
    application_id: str,
    *,
    error: TanzujiError | None = None,
    status: int = 200,
) -> HTMLResponse:
    from tanzuji.web import i18n

    application = access.application(context, application_id)
    footprint = _footprint(application)
    lang = i18n.language_of(request)
    steps = _steps(application, context)
    return render(
        request,
        "application.html",
        {
            "application": application,
            "footprint": footprint,
            "processes": _largest_processes(footprint),
            "stage_names": STAGE_NAMES,
            "chart_html": _chart_html(footprint, lang),
            "vendor_scripts": vega.vendor_scripts("/vendor"),
            "steps": steps,
            "reassign_candidates": (
                certification.reassign_candidates(context, application)
                if "reassign" in steps
                else []
            ),
            "factor_concerns": certification.open_factor_concerns(application),
            "uncertainty": _latest_interval(context, application_id),
            "error": error.message if error else None,
            "error_hint": _page_hint(error, steps),
            "done": request.query_params.get("done"),
        },
        status=status,
        page_path=f"/applications/{application.id}",
    )


def _page_hint(error: TanzujiError | None, steps: list[str]) -> str | None:
    """The catalogue key of the page's own way out of ``error``: the factor gate's refusal
    points at the waiver form below it when the page offers that form (the verifier's page in
    data verification; elsewhere the refusal's own words say who has to act)."""
    if isinstance(error, FactorsNotWaived) and "waive" in steps:
        return "app.waive_hint"
    return None


@router.get("/applications/{application_id}", response_class=HTMLResponse, include_in_schema=False)
def application_page(
    application_id: str, request: Request, context: Context = Depends(user_context)
) -> HTMLResponse:
    return _page(request, context, application_id)


@router.post(
    "/applications/{application_id}/do/{step}",
    response_class=HTMLResponse,
    include_in_schema=False,
)
async def application_step(
    application_id: str,
    step: str,
    request: Request,
    context: Context = Depends(user_context),
) -> Response:
    """A form on the application's page: take the step, then back to the page."""
    form = await request.form()
    text = str(form.get("text", "") or "").strip()
    try:
        await run_in_threadpool(_take, step, application_id, context, form, text)
    except TanzujiError as exc:
        return _page(request, context, application_id, error=exc, status=exc.http_status)
    response = RedirectResponse(f"/applications/{application_id}?done={step}", status_code=303)
    remember(request, response)
    return response


def _take(step: str, application_id: str, context: Context, form: Any, text: str) -> None:
    access.application(context, application_id)  # another tenant's: not found
    review_steps = {a.value for a in certification.ReviewAction}
    if step == "submit":
        certification.submit(context, application_id, text)
    elif step == "answer":
        certification.answer(context, application_id, int(form.get("finding_id", 0)), text)
    elif step in review_steps:
        certification.review(
            context,
            certification.ReviewRequest(
                application_id=application_id,
                action=certification.ReviewAction(step),
                text=text,
                finding_id=int(form.get("finding_id", 0) or 0),
                factor_id=str(form.get("factor_id", "") or ""),
                to_user=str(form.get("to_user", "") or ""),
            ),
        )
    elif step == "decide":
        certification.decide(
            context,
            certification.DecideRequest(
                application_id=application_id,
                approve=form.get("approve") == "yes",
                reason=text,
            ),
        )
    elif step == "issue":
        certification.issue(context, application_id)
    elif step == "certificate-event":
        found = access.application(context, application_id)
        event = certification.CertificateEvent(str(form.get("event", "")))
        certification.certificate_event(context, found.certificate_id or "", event, text)
    elif step in ("evidence", "revise"):
        upload = form.get("file")
        if not isinstance(upload, FormFile):
            raise certification.CertificationError("choose a file to upload / 请选择文件")
        content = upload.file.read()
        name = upload.filename or "upload"
        if step == "evidence":
            certification.add_evidence(
                context,
                application_id,
                [certification.EvidenceInput(name=name, content=content)],
            )
        else:
            certification.revise(
                context,
                certification.ReviseRequest(
                    application_id=application_id,
                    model=ModelInput(name=name, text=content.decode("utf-8-sig")),
                    reason=text or "revised",
                ),
            )
    else:
        raise certification.CertificationError(f"unknown step {step!r} / 未知步骤")


@router.get(
    "/applications/{application_id}/diff", response_class=HTMLResponse, include_in_schema=False
)
def diff_page(
    application_id: str,
    request: Request,
    a: int = Query(1, ge=1),
    b: int = Query(2, ge=1),
    context: Context = Depends(user_context),
) -> HTMLResponse:
    diff = certification.version_diff(context, application_id, a, b)
    return render(request, "diff.html", {"diff": diff})


__all__ = ["router"]
