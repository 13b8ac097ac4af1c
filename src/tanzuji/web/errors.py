"""One JSON error shape for every ``/api/v1`` route, and the error page for the others.

Every error of the API, whatever raised it — a :class:`~tanzuji.errors.TanzujiError` from a
service (its ``http_status``), a request that does not validate (422), an unknown route (404),
a wrong method (405), a body over the size limit (413) or a bug (500) — answers with::

    {"error": {"code": "not_found", "status": 404,
               "title": {"zh": "未找到", "en": "Not found"},
               "message": "no certificate 'X' / 无此证书",
               "location": null, "details": {}}}

``title`` is the bilingual name of the code (:mod:`tanzuji.web.i18n`, keys ``error.<code>``);
``message`` says what was found and expected (services write it in both languages where it
reaches users). A 500 never shows the exception text, only its class and a reference to the
log line. Pages (paths outside ``/api/``) get the same content as an HTML page.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from tanzuji.errors import AuthenticationFailed, TanzujiError, TooManyAttempts
from tanzuji.web import i18n

log = logging.getLogger("tanzuji.web")

API_PREFIX = "/api/"

#: HTTP status -> error code of the errors raised by the framework itself.
HTTP_CODES = {
    400: "invalid_request",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    422: "invalid_request",
    429: "too_many_attempts",
}


def error_body(
    code: str,
    status: int,
    message: str,
    *,
    location: str | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The one error shape (see the module docstring)."""
    key = f"error.{code}" if f"error.{code}" in i18n.MESSAGES else "error.tanzuji_error"
    return {
        "error": {
            "code": code,
            "status": status,
            "title": i18n.both(key),
            "message": message,
            "location": location,
            "details": details or {},
        }
    }


def wants_json(request: Request) -> bool:
    """API paths, and clients that ask for JSON only, get JSON errors; pages an HTML page."""
    if request.url.path.startswith(API_PREFIX):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(
    request: Request, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    status = body["error"]["status"]
    if wants_json(request):
        return JSONResponse(body, status_code=status, headers=headers)
    if status == 401 and request.method == "GET":
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/login?next={target}", status_code=303)
    from tanzuji.web.pages import render  # the page renderer imports this module

    return render(request, "error.html", {"error": body["error"]}, status=status, headers=headers)


def _headers(exc: TanzujiError) -> dict[str, str] | None:
    if isinstance(exc, TooManyAttempts):
        return {"Retry-After": str(exc.details.get("retry_after_s", 60))}
    if isinstance(exc, AuthenticationFailed):
        return {"WWW-Authenticate": 'Bearer realm="tanzuji"'}
    return None


def _validation_details(exc: RequestValidationError) -> dict[str, Any]:
    problems = []
    for item in exc.errors()[:20]:
        problems.append(
            {
                "location": ".".join(str(p) for p in item.get("loc", ())),
                "message": str(item.get("msg", "")),
                "type": str(item.get("type", "")),
            }
        )
    return {"problems": problems}


def install(app: FastAPI) -> None:
    """Register the handlers that give every error the one shape."""

    @app.exception_handler(TanzujiError)
    async def _tanzuji(request: Request, exc: TanzujiError) -> Response:
        body = exc.to_dict()["error"]
        return error_response(
            request,
            error_body(
                exc.code,
                exc.http_status,
                exc.message,
                location=exc.location,
                details=body["details"],
            ),
            _headers(exc),
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        details = _validation_details(exc)
        first = details["problems"][0] if details["problems"] else {"location": "", "message": ""}
        message = (
            f"the request does not validate: {first['location']}: {first['message']} "
            f"({len(details['problems'])} problem(s)) / 请求内容不符合要求"
        )
        body = error_body("invalid_request", 422, message, details=details)
        return error_response(request, body)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no route {request.url.path} / 无此地址"
        elif exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path} / 不允许的请求方法"
        body = error_body(code, exc.status_code, detail)
        return error_response(request, body, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        reference = secrets.token_hex(4)
        log.exception("internal error %s on %s %s", reference, request.method, request.url.path)
        body = error_body(
            "internal_error",
            500,
            f"internal error ({type(exc).__name__}, reference {reference} in the server log) "
            "/ 服务器内部错误",
            details={"reference": reference},
        )
        return error_response(request, body)


__all__ = ["API_PREFIX", "error_body", "error_response", "install", "wants_json"]
