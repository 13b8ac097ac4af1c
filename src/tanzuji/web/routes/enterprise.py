"""The enterprise's pages: its products and applications, and a new model from a bill of
materials (a table edited in the page, with factor suggestions) or an uploaded file.

The bill of materials page works with the API below from a small script (no build step):
``POST /api/v1/bom/suggest`` proposes factors with their confidence for each row,
``POST /api/v1/bom/model`` builds the model naming the chosen factors (each row's choice
recorded) and computes its footprint, ``POST /api/v1/applications`` applies with it. An
uploaded ``.xlsx`` bill of materials fills the table (``POST /api/v1/bom/xlsx``); an uploaded
YAML or JSON model is applied as it is.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tanzuji.certify.records import LabelType
from tanzuji.context import Context
from tanzuji.errors import TanzujiError
from tanzuji.model.bom import STAGE_NAMES, lines_of_xlsx
from tanzuji.model.schema import LIFE_CYCLE_STAGES
from tanzuji.services import access, certification, factors, jobs, modelling, pcr
from tanzuji.services.calculation import ModelInput
from tanzuji.web.auth import user_context
from tanzuji.web.pages import remember, render

router = APIRouter(tags=["modelling"])


class XlsxLines(BaseModel):
    lines: list[dict] = Field(description="the rows read, in the order of the sheet")


@router.post("/api/v1/bom/suggest", response_model=list[modelling.RowSuggestions])
def suggest(
    body: modelling.SuggestRequest, context: Context = Depends(user_context)
) -> list[modelling.RowSuggestions]:
    """Factor suggestions with confidence for each row of a bill of materials."""
    return modelling.suggest_factors(context, body)


@router.post("/api/v1/bom/model", response_model=modelling.BomModel)
def bom_model(
    body: modelling.BomRequest, context: Context = Depends(user_context)
) -> modelling.BomModel:
    """The model of a bill of materials (the chosen factors, each choice recorded) and its
    footprint; nothing is stored."""
    return modelling.model_from_bom(context, body)


@router.post("/api/v1/bom/xlsx", response_model=XlsxLines)
async def bom_xlsx(file: UploadFile, context: Context = Depends(user_context)) -> XlsxLines:
    """The rows of an uploaded ``.xlsx`` bill of materials (columns stage, text, amount, unit;
    optional geography, year, factor_id, primary)."""
    content = await file.read()
    factors.check_upload_size(context, file.filename or "bom.xlsx", content)
    return XlsxLines(lines=lines_of_xlsx(content, file.filename or "bom.xlsx"))


def _pcrs(lang: str) -> list[tuple[str, str]]:
    names = [(p, getattr(p.name, lang) or p.name.en or p.name.zh) for p in pcr.list_pcrs()]
    return [(f"{p.id}@{p.version}", f"{name} ({p.id} {p.version})") for p, name in names]


@router.get("/enterprise", response_class=HTMLResponse, include_in_schema=False)
def enterprise_page(request: Request, context: Context = Depends(user_context)) -> HTMLResponse:
    """The enterprise's products: each with its applications, their state and certificate."""
    found = access.applications(context)
    products: dict[str, list[access.ApplicationSummary]] = {}
    for summary in found:
        products.setdefault(summary.product_id, []).append(summary)
    return render(request, "enterprise.html", {"products": products})


@router.get("/enterprise/models/new", response_class=HTMLResponse, include_in_schema=False)
def new_model_page(request: Request, context: Context = Depends(user_context)) -> HTMLResponse:
    from tanzuji.web import i18n

    lang = i18n.language_of(request)
    return render(
        request,
        "bom.html",
        {
            "stages": [(s, STAGE_NAMES[s][lang]) for s in LIFE_CYCLE_STAGES],
            "pcrs": _pcrs(lang),
            "labels": [t.value for t in LabelType],
            "error": None,
        },
    )


@router.post("/enterprise/models/upload", response_class=HTMLResponse, include_in_schema=False)
async def upload_model(request: Request, context: Context = Depends(user_context)) -> Response:
    """The upload form: a YAML or JSON model file, applied for with the chosen PCR."""
    form = await request.form()
    upload = form.get("file")
    pcr = str(form.get("pcr", ""))
    try:
        if upload is None or isinstance(upload, str):
            raise certification.CertificationError("choose a model file / 请选择模型文件")
        content = await upload.read()
        name = upload.filename or "model.yaml"
        pcr_id, _, version = pcr.partition("@")
        request_body = certification.ApplyRequest(
            model=ModelInput(name=name, text=content.decode("utf-8-sig")),
            pcr_id=pcr_id,
            pcr_version=version or "latest",
            label=LabelType(str(form.get("label", "disclosure"))),
        )
        applied = await run_in_threadpool(certification.apply, context, request_body)
    except (TanzujiError, UnicodeDecodeError, ValueError) as exc:
        from tanzuji.web import i18n

        lang = i18n.language_of(request)
        message = exc.message if isinstance(exc, TanzujiError) else str(exc)
        return render(
            request,
            "bom.html",
            {
                "stages": [(s, STAGE_NAMES[s][lang]) for s in LIFE_CYCLE_STAGES],
                "pcrs": _pcrs(lang),
                "labels": [t.value for t in LabelType],
                "error": message,
            },
            status=400,
            page_path="/enterprise/models/new",
        )
    response = RedirectResponse(f"/applications/{applied.id}?done=apply", status_code=303)
    remember(request, response)
    return response


@router.post(
    "/applications/{application_id}/uncertainty",
    response_class=HTMLResponse,
    include_in_schema=False,
)
async def queue_monte_carlo(
    application_id: str, request: Request, context: Context = Depends(user_context)
) -> Response:
    """The result section's button: a Monte Carlo job of the current model; to its page."""
    from tanzuji.jobs import kinds

    form = await request.form()
    iterations = int(str(form.get("iterations", "1000")) or 1000)
    view = await run_in_threadpool(
        kinds.queue,
        context,
        jobs.JobRequest(
            kind="monte_carlo",
            parameters={"application_id": application_id, "iterations": iterations},
        ),
    )
    runner = request.app.state.web.runner
    if runner is not None:
        runner.wake()
    response = RedirectResponse(f"/jobs/{view.id}", status_code=303)
    remember(request, response)
    return response


__all__ = ["router"]
