"""The data steward's pages and API: factor browser and search, import with a dry-run report,
the review queue, releases and the difference between two releases.

Search is the public factor search (``GET /api/v1/factors``); a real import runs as a
``factor_import`` job (``POST /api/v1/jobs``); everything here calls
:mod:`tanzuji.services.factors` and :mod:`tanzuji.services.library` with the caller's Context,
which refuses other roles.
"""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tanzuji.context import Context
from tanzuji.errors import FactorImportError, TanzujiError
from tanzuji.factors.database import ReleaseInfo
from tanzuji.factors.record import FactorRecord
from tanzuji.services import factors, jobs, library
from tanzuji.web.auth import user_context
from tanzuji.web.pages import remember, render

router = APIRouter(tags=["factors"])

#: Factor statuses a reviewer may move a version to from the queue.
REVIEW_STATUSES = ("under_review", "published", "deprecated")


class ReviewBody(BaseModel):
    status: str = Field(pattern="^(draft|under_review|published|deprecated)$")
    version: int | None = Field(None, ge=1)
    note: str = Field("", max_length=2000)


class ReleaseBody(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")
    note: str = Field("", max_length=2000)


class ReleaseView(BaseModel):
    name: str
    created_at: str
    created_by: str | None
    note: str
    member_count: int
    content_hash: str


class Preview(BaseModel):
    """A dry run of an import: what would be imported, and every problem found."""

    rows: int
    records: int
    problems: list[str]
    actions: dict[str, str] = Field(description='factor id -> "new", "new_version", "unchanged"')


def _release_view(info: ReleaseInfo) -> ReleaseView:
    return ReleaseView(
        name=info.name,
        created_at=info.created_at.isoformat(),
        created_by=info.created_by,
        note=info.note,
        member_count=info.member_count,
        content_hash=info.content_hash,
    )


def _require_steward(context: Context) -> None:
    context.require_actor()
    factors.require_steward(context, "manage factors")


@router.get("/api/v1/factors/review-queue", response_model=list[FactorRecord])
def review_queue(context: Context = Depends(user_context)) -> list[FactorRecord]:
    """Factors waiting for review: the newest version of each, draft or under review."""
    _require_steward(context)
    return factors.review_queue(context)


@router.post("/api/v1/factors/{factor_id:path}/review", response_model=FactorRecord)
def review(
    factor_id: str, body: ReviewBody, context: Context = Depends(user_context)
) -> FactorRecord:
    """Move a factor version to a status (the reviewer is the caller)."""
    return factors.review(
        context,
        factors.ReviewRequest(
            factor_id=factor_id,
            status=body.status,
            reviewer=context.require_actor().id,
            version=body.version,
            note=body.note,
        ),
    )


@router.post("/api/v1/factors/import-preview", response_model=Preview)
async def import_preview(file: UploadFile, context: Context = Depends(user_context)) -> Preview:
    """A dry run of importing a factor table (.csv, .xlsx): nothing is written."""
    return await _preview(context, file.filename or "factors.csv", await file.read())


async def _preview(context: Context, name: str, content: bytes) -> Preview:
    _require_steward(context)
    factors.check_upload_size(context, name, content)
    result = await run_in_threadpool(
        library.import_factor_table,
        context,
        library.FactorTableRequest(name=name, content=content, dry_run=True),
    )
    return Preview(
        rows=result.preview.rows,
        records=len(result.preview.records),
        problems=result.preview.problems,
        actions=result.actions,
    )


@router.get("/api/v1/releases", response_model=list[ReleaseView])
def list_releases(context: Context = Depends(user_context)) -> list[ReleaseView]:
    """Every factor release, oldest first."""
    return [_release_view(r) for r in factors.releases(context)]


@router.post("/api/v1/releases", response_model=ReleaseView, status_code=201)
def create_release(body: ReleaseBody, context: Context = Depends(user_context)) -> ReleaseView:
    """Snapshot the newest published version of every factor as a release (data stewards)."""
    actor = context.require_actor()
    return _release_view(factors.create_release(context, body.name, body.note, actor.id))


@router.get("/api/v1/releases/{a}/diff/{b}", response_model=factors.ReleaseDiff)
def release_diff(a: str, b: str, context: Context = Depends(user_context)) -> factors.ReleaseDiff:
    """Factors added, removed and re-versioned from release ``a`` to release ``b``."""
    return factors.release_diff(context, a, b)


# -- the page ---------------------------------------------------------------------------------
def _page(
    request: Request,
    context: Context,
    *,
    q: str = "",
    preview: Preview | None = None,
    diff: factors.ReleaseDiff | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    _require_steward(context)
    hits = factors.search(context, factors.SearchRequest(text=q, limit=30)).candidates if q else []
    return render(
        request,
        "steward.html",
        {
            "q": q,
            "hits": [c.record for c in hits],
            "queue": factors.review_queue(context)[:100],
            "releases": factors.releases(context),
            "statuses": REVIEW_STATUSES,
            "preview": preview,
            "diff": diff,
            "error": error,
        },
        status=status,
        page_path="/steward",
    )


@router.get("/steward", response_class=HTMLResponse, include_in_schema=False)
def steward_page(
    request: Request,
    q: str = Query("", max_length=200),
    a: str = Query("", max_length=100),
    b: str = Query("", max_length=100),
    context: Context = Depends(user_context),
) -> HTMLResponse:
    diff = factors.release_diff(context, a, b) if a and b else None
    return _page(request, context, q=q, diff=diff)


@router.post("/steward/{action}", response_class=HTMLResponse, include_in_schema=False)
async def steward_form(
    action: str, request: Request, context: Context = Depends(user_context)
) -> Response:
    """The page's forms: preview or import a file, review a factor, create a release."""
    form = await request.form()
    try:
        target = await _steward_action(action, form, context, request)
    except TanzujiError as exc:
        return _page(request, context, error=exc.message, status=exc.http_status)
    if isinstance(target, Preview):
        return _page(request, context, preview=target)
    response = RedirectResponse(target, status_code=303)
    remember(request, response)
    return response


async def _steward_action(action: str, form: Any, context: Context, request: Request) -> Any:
    from tanzuji.jobs import kinds

    actor = context.require_actor()
    if action in ("preview", "import"):
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise FactorImportError("choose a factor file / 请选择因子文件")
        content = await upload.read()
        name = upload.filename or "factors.csv"
        if action == "preview":
            return await _preview(context, name, content)
        view = await run_in_threadpool(
            kinds.queue,
            context,
            jobs.JobRequest(
                kind="factor_import",
                parameters={"name": name, "content_base64": base64.b64encode(content).decode()},
            ),
        )
        if request.app.state.web.runner is not None:
            request.app.state.web.runner.wake()
        return f"/jobs/{view.id}"
    if action == "review":
        await run_in_threadpool(
            factors.review,
            context,
            factors.ReviewRequest(
                factor_id=str(form.get("factor_id", "")),
                status=str(form.get("status", "")),
                reviewer=actor.id,
                version=int(str(form.get("version", "0"))) or None,
            ),
        )
        return "/steward"
    if action == "release":
        await run_in_threadpool(
            factors.create_release,
            context,
            str(form.get("name", "")).strip(),
            str(form.get("note", "")),
            actor.id,
        )
        return "/steward"
    raise FactorImportError(f"unknown action {action!r} / 未知操作")


__all__ = ["router"]
