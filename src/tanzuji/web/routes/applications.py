"""Applications as their owner and their certification body see them: models, results,
evidence, submission. Every read goes through :mod:`tanzuji.services.access` (another
tenant's application is "not found"); every change through the certification service, which
checks role, organisation and state. Role pages build on these routes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from tanzuji.certify.records import Application, State
from tanzuji.context import Context
from tanzuji.errors import NotFound
from tanzuji.services import access, certification
from tanzuji.web.auth import user_context
from tanzuji.web.pages import render
from tanzuji.web.pagination import Page, PageParams, page_of, page_params

router = APIRouter(tags=["applications"])


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


class SubmitBody(BaseModel):
    reason: str = Field("", max_length=2000)


class EvidenceBody(BaseModel):
    files: list[certification.EvidenceInput] = Field(min_length=1, max_length=50)


@router.get("/api/v1/applications", response_model=Page[access.ApplicationSummary])
def list_applications(
    state: State | None = None,
    params: PageParams = Depends(page_params),
    context: Context = Depends(user_context),
) -> Page[access.ApplicationSummary]:
    """The applications the caller may read (own organisation's; a body's assigned and
    waiting ones; all for administrators), newest first."""
    return page_of(access.applications(context, state), params)


@router.get("/api/v1/applications/{application_id}", response_model=Application)
def get_application(application_id: str, context: Context = Depends(user_context)) -> Application:
    """One application with its model versions, evidence list, findings and audit trail."""
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


@router.get("/api/v1/applications/{application_id}/evidence/{sha256}", response_class=Response)
def get_evidence(
    application_id: str, sha256: str, context: Context = Depends(user_context)
) -> Response:
    """One evidence file's content."""
    found = access.evidence(context, application_id, sha256)
    return Response(
        found.content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{found.file.name}"'},
    )


@router.post("/api/v1/applications/{application_id}/evidence", response_model=Application)
def add_evidence(
    application_id: str, body: EvidenceBody, context: Context = Depends(user_context)
) -> Application:
    """Attach evidence files (content base64) to one's own application."""
    access.application(context, application_id)
    return certification.add_evidence(context, application_id, body.files)


@router.post("/api/v1/applications/{application_id}/submit", response_model=Application)
def submit(
    application_id: str, body: SubmitBody, context: Context = Depends(user_context)
) -> Application:
    """Submit one's own draft application for review."""
    access.application(context, application_id)
    return certification.submit(context, application_id, body.reason)


@router.get("/applications/{application_id}", response_class=HTMLResponse, include_in_schema=False)
def application_page(
    application_id: str, request: Request, context: Context = Depends(user_context)
) -> HTMLResponse:
    found = access.application(context, application_id)
    return render(request, "application.html", {"application": found})


__all__ = ["router"]
