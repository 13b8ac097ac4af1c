"""The PACT host's HTTP API (FastAPI): parse, authenticate, call :mod:`tanzuji.services.pact`,
render. No business logic lives here.

Routes (PACT Tech Specs v3.0.3, "HTTP REST API"):

* ``POST /auth/token`` — OAuth2 client credentials (RFC 6749 4.4), HTTP Basic (or the
  ``client_id``/``client_secret`` form fields, RFC 6749 2.3.1); errors as RFC 6749 5.2;
* ``GET /.well-known/openid-configuration`` and ``GET /.well-known/jwks.json``;
* ``GET /3/footprints`` (filters, ``limit``, ``Link: <...>; rel="next"``),
  ``GET /3/footprints/{id}``, ``POST /3/events`` (CloudEvents; 200 with an empty body);
* ``GET /pact/extensions/tanzuji-certificate/1.0.0/schema.json`` — the schema of the Tanzuji
  extension footprints carry.

Every error of the ``/3`` actions is a PACT ``Error`` body ``{"code", "message"}`` with the
status of the specification's table: 400 BadRequest, 401 (invalid token: BadRequest; expired:
TokenExpired), 403 AccessDenied, 404 NotFound, 500 InternalError.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from tanzuji.context import Context
from tanzuji.errors import NotFound, PactAuthError, PactInvalid, PermissionDenied, TanzujiError
from tanzuji.exchange.credentials import SecretBox
from tanzuji.exchange.filters import FootprintQuery
from tanzuji.exchange.mapping import EXTENSION_SCHEMA, EXTENSION_SCHEMA_PATH
from tanzuji.exchange.model import CLOUDEVENTS_MEDIA_TYPE
from tanzuji.exchange.openapi import OpenApiDocument
from tanzuji.pact_host.tokens import SCOPES, TokenExpired, TokenSigner
from tanzuji.services import pact, pact_client

log = logging.getLogger("tanzuji.pact_host")

#: Query parameter of this host's pagination position (PACT: host parameters start ``x-``).
AFTER_PARAMETER = "x-tanzuji-after"

#: Media types an event body may come as.
EVENT_MEDIA_TYPES = (CLOUDEVENTS_MEDIA_TYPE, "application/json")


@dataclass
class HostState:
    """What the host runs with (built once by :mod:`tanzuji.pact_host.server`).

    ``verify``: the TLS trust of outgoing calls (system CAs, or a CA bundle path).
    """

    context: Context
    signer: TokenSigner
    box: SecretBox
    openapi: OpenApiDocument | None = None
    verify: bool | str = True
    delivery: bool = True
    wake: asyncio.Event = field(default_factory=asyncio.Event)


def _error(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status, headers=headers)


def _pact_error(exc: TanzujiError) -> JSONResponse:
    """The PACT Error response of a Tanzuji error."""
    if isinstance(exc, TokenExpired):
        return _error(
            401, "TokenExpired", exc.message, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        )
    if isinstance(exc, PactAuthError):
        return _error(
            401, "BadRequest", exc.message, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        )
    if isinstance(exc, PermissionDenied):
        return _error(403, "AccessDenied", exc.message)
    if isinstance(exc, NotFound):
        return _error(404, "NotFound", exc.message)
    if isinstance(exc, PactInvalid):
        return _error(400, exc.details.get("pact_code", "BadRequest"), exc.message)
    if exc.http_status >= 500:
        return _error(500, "InternalError", exc.message)
    return _error(400, "BadRequest", exc.message)


def base_url(request: Request, context: Context) -> str:
    """``https://`` + the Host the client used (PACT: a pagination link's host is the request's
    host), else the configured public URL."""
    host = request.headers.get("host")
    return f"https://{host}" if host else pact.public_url(context)


async def _partner(request: Request, state: HostState) -> pact.Partner:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise PactAuthError("an access token is needed: Authorization: Bearer TOKEN")
    now = int(state.context.now().timestamp())
    claims = state.signer.check(token.strip(), now)
    return await run_in_threadpool(pact.partner_of, state.context, claims.client_id)


def _basic(request: Request, form: dict[str, str]) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        client_id, sep, secret = decoded.partition(":")
        return (client_id, secret) if sep else None
    if form.get("client_id") and form.get("client_secret"):
        return form["client_id"], form["client_secret"]
    return None


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    # RFC 6749 5.2
    headers = {"WWW-Authenticate": 'Basic realm="pact"'} if status == 401 else None
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers=headers
    )


def create_app(state: HostState) -> FastAPI:
    """The PACT host application (the delivery loop runs while it is served when
    ``state.delivery``)."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(delivery_loop(state)) if state.delivery else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = FastAPI(
        title="Tanzuji PACT host",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.host = state
    _handlers(app)
    _routes(app, state)
    return app


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(TanzujiError)
    async def _tanzuji(_: Request, exc: TanzujiError) -> JSONResponse:
        return _pact_error(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(400, "BadRequest", f"invalid request: {exc.errors()[:3]}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = "NotFound" if exc.status_code == 404 else "BadRequest"
        return _error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error")
        return _error(500, "InternalError", f"internal error ({type(exc).__name__})")


def _routes(app: FastAPI, state: HostState) -> None:
    context = state.context

    @app.post("/auth/token")
    async def token(request: Request) -> Response:
        body = (await request.body()).decode("utf-8", "replace")
        form = dict(parse_qsl(body, keep_blank_values=True))
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(
                400, "unsupported_grant_type", "grant_type must be client_credentials"
            )
        credentials = _basic(request, form)
        if credentials is None:
            return _oauth_error(401, "invalid_client", "client authentication failed")
        try:
            partner = await run_in_threadpool(pact.authenticate_client, context, *credentials)
        except PactAuthError:
            return _oauth_error(401, "invalid_client", "client authentication failed")
        issued = int(context.now().timestamp())
        access = state.signer.issue(partner.client_id, base_url(request, context), issued)
        return JSONResponse(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": state.signer.lifetime_s,
                "scope": " ".join(SCOPES),
            },
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    @app.get("/.well-known/openid-configuration")
    async def openid_configuration(request: Request) -> Response:
        base = base_url(request, context)
        return JSONResponse(
            {
                "issuer": base,
                "token_endpoint": f"{base}/auth/token",
                "jwks_uri": f"{base}/.well-known/jwks.json",
                "grant_types_supported": ["client_credentials"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "response_types_supported": ["token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["EdDSA"],
                "scopes_supported": list(SCOPES),
            }
        )

    @app.get("/.well-known/jwks.json")
    async def jwks() -> Response:
        return JSONResponse(state.signer.jwks())

    @app.get(EXTENSION_SCHEMA_PATH)
    async def extension_schema() -> Response:
        return JSONResponse(EXTENSION_SCHEMA)

    @app.get("/3/footprints")
    async def list_footprints(request: Request) -> Response:
        partner = await _partner(request, state)
        limit, after, filters = _list_parameters(request)
        query = FootprintQuery.of_parameters(filters)
        page = await run_in_threadpool(
            pact.list_footprints, context, partner, query, limit=limit, after=after
        )
        headers = {}
        if page.next_after is not None:
            params = [*query.parameters()]
            if limit is not None:
                params.append(("limit", str(limit)))
            params.append((AFTER_PARAMETER, page.next_after))
            link = f"{base_url(request, context)}/3/footprints?{urlencode(params)}"
            headers["Link"] = f'<{link}>; rel="next"'
        return JSONResponse({"data": page.footprints}, headers=headers)

    @app.get("/3/footprints/{footprint_id}")
    async def get_footprint(footprint_id: str, request: Request) -> Response:
        partner = await _partner(request, state)
        document = await run_in_threadpool(pact.get_footprint, context, partner, footprint_id)
        return JSONResponse({"data": document})

    @app.post("/3/events")
    async def events(request: Request) -> Response:
        partner = await _partner(request, state)
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media and media not in EVENT_MEDIA_TYPES:
            raise PactInvalid(
                f"content type {media!r}; an event is {CLOUDEVENTS_MEDIA_TYPE} (structured mode)"
            )
        try:
            document = json.loads(await request.body())
        except ValueError:
            raise PactInvalid("the event body is not JSON") from None
        receipt = await run_in_threadpool(
            pact.receive_event, context, partner, document, openapi=state.openapi
        )
        if receipt.outcome in ("fulfilled", "rejected"):
            state.wake.set()
        return Response(status_code=200)


def _list_parameters(request: Request) -> tuple[int | None, str | None, list[tuple[str, str]]]:
    """``limit``, the pagination position and the filter parameters of a ListFootprints call.

    Raises
    ------
    PactInvalid
        A limit that is not a whole number >= 0, or an ``x-`` parameter this host does not
        implement (NotImplemented).
    """
    limit: int | None = None
    after: str | None = None
    filters = []
    for name, value in request.query_params.multi_items():
        key = name.lower()
        if key == "limit":
            if not value.isdigit():
                raise PactInvalid(f"limit must be a whole number >= 0, found {value!r}")
            limit = int(value)
        elif key == AFTER_PARAMETER:
            after = value
        elif key.startswith("x-"):
            raise PactInvalid(
                f"parameter {name} is not implemented by this host", pact_code="NotImplemented"
            )
        else:
            filters.append((name, value))
    return limit, after, filters


async def delivery_loop(state: HostState) -> None:
    """Send due events and follow PublishedEvents, then wait for the next interval or a wake-up
    (a request answered at once). The work itself is :func:`pact.deliver_due` and
    :func:`pact_client.follow_notices`, which a job runner can call the same way."""
    context = state.context
    interval = float(context.settings.pact_delivery_interval_s)
    dispatcher = pact.http_dispatcher(state.verify)
    while True:
        try:
            while (
                len(await run_in_threadpool(pact.deliver_due, context, state.box, dispatcher))
                >= pact.DELIVERY_BATCH
            ):
                pass
            await run_in_threadpool(
                pact_client.follow_notices,
                context,
                state.box,
                verify=state.verify,
                openapi=state.openapi,
            )
        except Exception:  # keep the loop alive; the event stays pending and is retried
            log.exception("PACT delivery pass failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(state.wake.wait(), timeout=interval)
        state.wake.clear()


__all__ = ["AFTER_PARAMETER", "HostState", "base_url", "create_app", "delivery_loop"]
