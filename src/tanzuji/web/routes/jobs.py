"""Background jobs: queue (API), follow (API and page), download a result file."""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from tanzuji.context import Context
from tanzuji.errors import NotFound
from tanzuji.jobs import kinds
from tanzuji.services import jobs
from tanzuji.web.auth import user_context
from tanzuji.web.pages import render
from tanzuji.web.pagination import Page, PageParams, page_of, page_params

router = APIRouter(tags=["jobs"])


def shown(view: jobs.JobView) -> jobs.JobView:
    """The job as answered: a result file's content is replaced by its download path."""
    result = view.result
    if isinstance(result, dict) and isinstance(result.get("file"), dict):
        file = {k: v for k, v in result["file"].items() if k != "content_base64"}
        file["download"] = f"/api/v1/jobs/{view.id}/file"
        result = {**result, "file": file}
    return view.model_copy(update={"result": result})


@router.post("/api/v1/jobs", response_model=jobs.JobView, status_code=202)
def queue_job(
    body: jobs.JobRequest,
    request: Request,
    response: Response,
    context: Context = Depends(user_context),
) -> jobs.JobView:
    """Queue a job (kinds: monte_carlo, recheck, factor_import, report) for the caller's
    organisation; follow it at the Location."""
    view = kinds.queue(context, body)
    runner = request.app.state.web.runner
    if runner is not None:
        runner.wake()
    response.headers["Location"] = f"/api/v1/jobs/{view.id}"
    return shown(view)


@router.get("/api/v1/jobs", response_model=Page[jobs.JobView])
def list_jobs(
    state: jobs.JobState | None = None,
    params: PageParams = Depends(page_params),
    context: Context = Depends(user_context),
) -> Page[jobs.JobView]:
    """The jobs of the caller's organisation, newest first."""
    found, total = jobs.jobs(context, state=state, offset=params.offset, limit=params.limit)
    return page_of([shown(v) for v in found], params, total=total)


@router.get("/api/v1/jobs/{job_id}", response_model=jobs.JobView)
def get_job(job_id: str, context: Context = Depends(user_context)) -> jobs.JobView:
    """One job: state, progress (0 to 1), message, result or error."""
    return shown(jobs.job(context, job_id))


def _file(view: jobs.JobView) -> dict[str, Any]:
    result = view.result
    if not isinstance(result, dict) or not isinstance(result.get("file"), dict):
        raise NotFound(f"job {view.id} has no result file (state {view.state.value}) / 无结果文件")
    return result["file"]


@router.get("/api/v1/jobs/{job_id}/file", response_class=Response)
def job_file(job_id: str, context: Context = Depends(user_context)) -> Response:
    """The file a job made (a report)."""
    file = _file(jobs.job(context, job_id))
    return Response(
        base64.b64decode(file["content_base64"]),
        media_type=str(file["media_type"]),
        headers={"Content-Disposition": f'attachment; filename="{file["filename"]}"'},
    )


@router.get("/jobs", response_class=HTMLResponse, include_in_schema=False)
def jobs_page(
    request: Request,
    params: PageParams = Depends(page_params),
    context: Context = Depends(user_context),
) -> HTMLResponse:
    found, total = jobs.jobs(context, offset=params.offset, limit=params.limit)
    page = page_of([shown(v) for v in found], params, total=total)
    return render(request, "jobs.html", {"page": page})


@router.get("/jobs/{job_id}", response_class=HTMLResponse, include_in_schema=False)
def job_page(
    job_id: str, request: Request, context: Context = Depends(user_context)
) -> HTMLResponse:
    view = shown(jobs.job(context, job_id))
    return render(request, "job.html", {"job": view})


__all__ = ["router", "shown"]
