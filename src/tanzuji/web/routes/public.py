"""Public pages and API, no login: the certificate page the label's QR code opens
(``/c/{certificate_id}``, the ``certificate_base_url`` setting's form), the catalogue of
certified products, the ledger's signed tree head; and the factor search API (logged in)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tanzuji.certify.ledger import StatusBundle, TreeHead
from tanzuji.certify.verify import Report
from tanzuji.context import Context
from tanzuji.services import certification, factors, labels, public
from tanzuji.web.auth import Caller, current_caller, request_context, user_context
from tanzuji.web.pages import page_text, remember, render
from tanzuji.web.pagination import PageParams, page_params

router = APIRouter(tags=["public"])

#: Certificates one comparison shows side by side at most.
MAX_COMPARED = 6


def _catalogue_query(
    params: PageParams,
    q: str = "",
    category: str | None = None,
    label: str | None = None,
    status: str | None = "valid",
    max_kg_co2e: float | None = None,
    unit: str | None = None,
    sort: str = "footprint",
) -> public.CatalogueQuery:
    return public.CatalogueQuery(
        q=q,
        category=category or None,
        label=label or None,
        status=None if status in (None, "", "any") else status,
        max_kg_co2e=max_kg_co2e,
        unit=unit or None,
        sort=sort,
        offset=params.offset,
        limit=params.limit,
    )


# -- API ------------------------------------------------------------------------------------------
@router.get("/api/v1/public/certificates/{certificate_id}", response_model=public.PublicCertificate)
def certificate_api(
    certificate_id: str, context: Context = Depends(request_context)
) -> public.PublicCertificate:
    """A certificate with its signature, ledger inclusion and status checked by the server."""
    return public.certificate(context, certificate_id)


@router.post(
    "/api/v1/public/certificates/{certificate_id}/verify",
    response_model=public.PublicCertificate,
)
def verify_api(
    certificate_id: str, context: Context = Depends(request_context)
) -> public.PublicCertificate:
    """Check the certificate again now (signature, ledger proofs, status), nothing cached."""
    return public.verify(context, certificate_id)


@router.get("/api/v1/public/certificates/{certificate_id}/document")
def document_api(certificate_id: str, context: Context = Depends(request_context)) -> JSONResponse:
    """The signed certificate file (certificate, signature, ledger proof, token, QR text), to
    verify offline with ``tanzuji verify``."""
    document = certification.certificate_document(context, certificate_id)
    return JSONResponse(
        document,
        headers={"Content-Disposition": f'attachment; filename="{certificate_id}.json"'},
    )


@router.get("/api/v1/public/certificates/{certificate_id}/proof", response_model=StatusBundle)
def proof_api(certificate_id: str, context: Context = Depends(request_context)) -> StatusBundle:
    """The certificate's status bundle under the newest signed tree head."""
    from tanzuji.services import ledger

    return ledger.proof(context, certificate_id)


class TokenText(BaseModel):
    text: str = Field(min_length=4, max_length=4000, description="QR text (URL#TZJ2...) or token")


@router.post("/api/v1/public/verify-token", response_model=Report)
def verify_token_api(body: TokenText, context: Context = Depends(request_context)) -> Report:
    """Verify a label's QR text (as the phone read it) against the keyring and the ledger."""
    return public.verify_token(context, body.text)


@router.get("/api/v1/public/catalogue", response_model=public.CataloguePage)
def catalogue_api(
    params: PageParams = Depends(page_params),
    q: str = Query("", max_length=200),
    category: str | None = Query(None, max_length=100),
    label: str | None = Query(None, max_length=40),
    status: Literal["valid", "suspended", "revoked", "expired", "superseded", "any"] = "valid",
    max_kg_co2e: float | None = Query(None, ge=0),
    unit: str | None = Query(None, max_length=100),
    sort: Literal["footprint", "-footprint", "product", "newest"] = "footprint",
    context: Context = Depends(request_context),
) -> public.CataloguePage:
    """Certified products: search words, filters, sorted by footprint (green procurement)."""
    query = _catalogue_query(params, q, category, label, status, max_kg_co2e, unit, sort)
    return public.catalogue(context, query)


@router.get("/api/v1/public/log", response_model=TreeHead)
def log_api(context: Context = Depends(request_context)) -> TreeHead:
    """The ledger's newest signed tree head."""
    return public.log_head(context)


class FactorHit(BaseModel):
    factor: dict[str, Any]
    confidence: float
    matched: list[str]
    explanation: str


class FactorHits(BaseModel):
    source: str
    items: list[FactorHit]


@router.get("/api/v1/factors", response_model=FactorHits, tags=["factors"])
def factor_search_api(
    q: str = Query(..., min_length=1, max_length=200, description="words, Chinese or English"),
    geography: str | None = Query(None, max_length=40),
    year: int | None = Query(None, ge=1900, le=2100),
    release: str | None = Query(None, max_length=100),
    limit: int = Query(20, ge=1, le=200),
    context: Context = Depends(user_context),
) -> FactorHits:
    """Full-text search of the emission factors (logged-in users)."""
    found = factors.search(
        context,
        factors.SearchRequest(text=q, geography=geography, year=year, release=release, limit=limit),
    )
    return FactorHits(
        source=found.source,
        items=[
            FactorHit(
                factor=c.record.model_dump(mode="json"),
                confidence=c.confidence,
                matched=list(c.matched),
                explanation=c.explanation,
            )
            for c in found.candidates
        ],
    )


# -- pages ----------------------------------------------------------------------------------------
@router.get("/c/{certificate_id}", response_class=HTMLResponse, include_in_schema=False)
async def certificate_page(
    certificate_id: str,
    request: Request,
    caller: Caller = Depends(current_caller),
    context: Context = Depends(request_context),
) -> HTMLResponse:
    # the page a label's QR code opens, the busiest (for anyone it is mostly answered from
    # memory before routing: tanzuji.web.certificate_pages): a kept view is rendered on the
    # event loop; anything that reads the database runs in a worker thread
    view = public.cached_certificate(context, certificate_id)
    if view is None:
        view = await run_in_threadpool(public.certificate, context, certificate_id)
    if not caller.anonymous:
        return render(request, "certificate.html", {"cert": view})
    # for anyone the page has no form and the re-check posts JSON: no CSRF token (and the
    # same bytes as the page kept in memory)
    text = page_text(request, "certificate.html", {"cert": view}, caller=caller, csrf="")
    response = HTMLResponse(text)
    remember(request, response)
    return response


@router.get("/c/{certificate_id}/label.png", include_in_schema=False)
def label_png(certificate_id: str, context: Context = Depends(request_context)) -> Response:
    label = labels.render(context, certificate_id, labels.LabelFormat.png)
    return Response(label.content, media_type="image/png")


@router.get("/catalogue", response_class=HTMLResponse, include_in_schema=False)
def catalogue_page(
    request: Request,
    params: PageParams = Depends(page_params),
    q: str = Query("", max_length=200),
    category: str | None = Query(None, max_length=100),
    label: str | None = Query(None, max_length=40),
    status: str = Query("valid", max_length=20),
    max_kg_co2e: str = Query("", max_length=40, description="a number, or empty: no limit"),
    sort: Literal["footprint", "-footprint", "product", "newest"] = "footprint",
    context: Context = Depends(request_context),
) -> HTMLResponse:
    if status not in ("valid", "suspended", "revoked", "expired", "superseded", "any"):
        status = "valid"
    # the search form always sends the field, empty when no limit is wanted
    try:
        limit = float(max_kg_co2e) if max_kg_co2e.strip() else None
    except ValueError:
        limit = None
    if limit is not None and not limit >= 0:
        limit = None
    query = _catalogue_query(params, q, category, label, status, limit, None, sort)
    found = public.catalogue(context, query)
    return render(
        request,
        "catalogue.html",
        {"found": found, "query": query, "status": status, "params": params},
    )


@router.get("/catalogue/compare", response_class=HTMLResponse, include_in_schema=False)
def compare_page(
    request: Request,
    ids: list[str] = Query(default_factory=list, max_length=MAX_COMPARED),
    context: Context = Depends(request_context),
) -> HTMLResponse:
    chosen = public.compare(context, ids[:MAX_COMPARED])
    units = {c.unit for c in chosen}
    return render(request, "compare.html", {"chosen": chosen, "mixed_units": len(units) > 1})


@router.get("/log", response_class=HTMLResponse, include_in_schema=False)
def log_page(request: Request, context: Context = Depends(request_context)) -> HTMLResponse:
    return render(request, "log.html", {"head": public.head_or_none(context)})


__all__ = ["router"]
