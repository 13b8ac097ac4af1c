"""The home page and the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from tanzuji.web.pages import remember, render

router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request) -> HTMLResponse:
    return render(request, "home.html")


@router.get("/go", include_in_schema=False)
def go(request: Request, certificate_id: str = "") -> RedirectResponse:
    """The home page's "check a certificate" form: to the certificate's public page."""
    target = f"/c/{certificate_id.strip()}" if certificate_id.strip() else "/"
    response = RedirectResponse(target, status_code=303)
    remember(request, response)
    return response
