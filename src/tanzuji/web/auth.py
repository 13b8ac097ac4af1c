"""Who calls, and what a request may do: sessions, API tokens, scopes, CSRF, the request Context.

A request is made by one :class:`Caller`:

- with ``Authorization: Bearer tzj_...``: the token's user, limited to its scopes (``read``
  for GET/HEAD/OPTIONS, ``write`` for the others, ``admin`` for administrator routes); cookies
  are ignored, so no CSRF check is needed;
- with the ``tzj_session`` cookie: the session's user; every unsafe request (POST, PUT, PATCH,
  DELETE) must repeat the session's CSRF token, as the form field ``csrf_token`` or the header
  ``X-CSRF-Token`` (:func:`guard`, a dependency of every route);
- else anyone (the public role). An anonymous form post (the login form) must carry the
  signed ``tzj_csrf`` cookie's value in ``csrf_token`` (double submit).

:func:`request_context` is the dependency a route takes to call a service: the app's Context
acted in by the caller (the public actor for anyone), so every service checks role and
organisation as it does for the command line. :func:`require_user` and
:func:`require_administrator` refuse anonymous callers and other roles early.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from tanzuji.certify.records import Actor, Role
from tanzuji.context import Context
from tanzuji.errors import AuthenticationFailed, CsrfFailed, PermissionDenied, TanzujiError
from tanzuji.services import accounts
from tanzuji.store.organisations import public_actor

SESSION_COOKIE = "tzj_session"
CSRF_COOKIE = "tzj_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class InsufficientScope(PermissionDenied):
    """An API token lacks the scope a request needs."""

    code = "insufficient_scope"


@dataclass(frozen=True)
class Caller:
    """Who makes a request and how they proved it.

    ``via``: ``token``, ``session`` or ``anonymous``; ``scopes``: the token's scopes (``None``
    for a session: a logged-in person may do what their role allows).
    """

    actor: Actor
    via: str
    scopes: frozenset[str] | None = None
    csrf_token: str | None = None
    token_id: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.via == "anonymous"

    def allows(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes


ANONYMOUS = Caller(actor=public_actor(), via="anonymous")


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _resolve(request: Request) -> Caller:
    context: Context = request.app.state.web.context
    token = _bearer(request)
    if token is not None:
        user = accounts.token_user(context, token)
        return Caller(
            actor=user.user,
            via="token",
            scopes=frozenset(s.value for s in user.scopes),
            token_id=user.token_id,
        )
    if request.headers.get("authorization"):
        raise AuthenticationFailed(
            "only Bearer API tokens are accepted in Authorization / 仅接受 Bearer 令牌"
        )
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        try:
            view = accounts.session_user(context, cookie)
        except AuthenticationFailed:
            request.state.stale_session = True
            return ANONYMOUS
        return Caller(actor=view.user, via="session", csrf_token=view.csrf_token)
    return ANONYMOUS


def caller_of(request: Request) -> Caller:
    """The request's caller (resolved once per request, in a worker thread)."""
    found = getattr(request.state, "caller", None)
    if found is None:
        found = _resolve(request)
        request.state.caller = found
    return found


# -- CSRF ---------------------------------------------------------------------------------------
def _sign(secret: bytes, nonce: str) -> str:
    return hmac.new(secret, nonce.encode(), hashlib.sha256).hexdigest()[:32]


def new_anonymous_csrf(secret: bytes) -> str:
    """A value for the ``tzj_csrf`` cookie: a nonce and its HMAC under the app's secret."""
    nonce = secrets.token_urlsafe(18)
    return f"{nonce}.{_sign(secret, nonce)}"


def valid_anonymous_csrf(secret: bytes, value: str | None) -> bool:
    if not value or "." not in value:
        return False
    nonce, _, mac = value.partition(".")
    return hmac.compare_digest(mac, _sign(secret, nonce))


def csrf_token_for(request: Request) -> str:
    """The CSRF token a page's forms carry: the session's, else the anonymous cookie's (made
    and remembered for the response when missing)."""
    caller = caller_of(request)
    if caller.csrf_token:
        return caller.csrf_token
    existing = request.cookies.get(CSRF_COOKIE)
    secret = request.app.state.web.secret
    if existing is not None and valid_anonymous_csrf(secret, existing):
        return existing
    fresh = getattr(request.state, "new_csrf_cookie", None)
    if fresh is None:
        fresh = new_anonymous_csrf(secret)
        request.state.new_csrf_cookie = fresh
    return fresh


async def _presented_csrf(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media in FORM_TYPES:
        try:
            form = await request.form()
        except Exception:  # an unreadable form is refused by the route's own parsing
            return None
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def guard(request: Request) -> None:
    """Every route's dependency: authenticate, check a token's scope and the CSRF token.

    Raises
    ------
    AuthenticationFailed
        A Bearer token that is not valid.
    InsufficientScope
        A token without ``read`` (safe methods) or ``write`` (unsafe methods).
    CsrfFailed
        An unsafe request with the session cookie (or an anonymous form post) without the
        matching CSRF token.
    """
    if request.headers.get("authorization") or request.cookies.get(SESSION_COOKIE):
        caller = await run_in_threadpool(caller_of, request)  # reads the database
    else:
        caller = caller_of(request)  # anyone: nothing to look up, no thread hop
    unsafe = request.method not in SAFE_METHODS
    if caller.via == "token":
        needed = "write" if unsafe else "read"
        if not caller.allows(needed):
            raise InsufficientScope(
                f"this API token has scopes {sorted(caller.scopes or [])}; {request.method} "
                f"needs {needed!r} / 令牌缺少 {needed} 权限"
            )
        return
    if not unsafe:
        return
    presented = await _presented_csrf(request)
    if caller.via == "session":
        if presented is None or not hmac.compare_digest(presented, caller.csrf_token or ""):
            raise CsrfFailed(
                "this request changes data and is authenticated by the session cookie, so it "
                "must carry the session's CSRF token (form field csrf_token or header "
                "X-CSRF-Token) / 缺少或错误的 CSRF 令牌"
            )
        return
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media in FORM_TYPES:
        cookie = request.cookies.get(CSRF_COOKIE)
        secret = request.app.state.web.secret
        if (
            presented is None
            or not valid_anonymous_csrf(secret, cookie)
            or not hmac.compare_digest(presented, cookie or "")
        ):
            raise CsrfFailed(
                "the form lacks its CSRF token or it does not match the cookie; reload the "
                "page and send the form again / 表单已失效，请刷新页面后重试"
            )


# -- what routes take ---------------------------------------------------------------------------
async def current_caller(request: Request) -> Caller:
    """Dependency: the caller (anyone included). Async: :func:`guard`, every route's first
    dependency, has resolved it already, so no worker thread is needed to read it."""
    found = getattr(request.state, "caller", None)
    if isinstance(found, Caller):
        return found
    return await run_in_threadpool(caller_of, request)  # (not after guard; correct all the same)


async def request_context(request: Request) -> Context:
    """Dependency: the app's Context acted in by the caller (the public actor for anyone)."""
    caller = await current_caller(request)
    return request.app.state.web.context.with_actor(caller.actor)


def require_user(caller: Caller = Depends(current_caller)) -> Caller:
    """Dependency: a logged-in user or a token; 401 for anyone."""
    if caller.anonymous:
        raise AuthenticationFailed(
            "log in (session) or send an API token (Authorization: Bearer) / 请登录或提供令牌"
        )
    return caller


def require_administrator(caller: Caller = Depends(require_user)) -> Caller:
    """Dependency: an administrator (a token also needs the ``admin`` scope)."""
    actor = caller.actor
    if actor.role is not Role.administrator:
        raise PermissionDenied(
            f"{actor.id} acts as {actor.role.value}; only an administrator may / 仅管理员可执行"
        )
    if not accounts.administers(actor):
        raise PermissionDenied(
            f"{actor.id} is an administrator of {actor.organisation.id} "
            f"({actor.organisation.kind}); only the platform operator's administrators may / "
            "仅平台运营方的管理员可执行"
        )
    if not caller.allows("admin"):
        raise InsufficientScope("this API token lacks the 'admin' scope / 令牌缺少 admin 权限")
    return caller


def user_context(request: Request, caller: Caller = Depends(require_user)) -> Context:
    """Dependency: the Context of a logged-in caller (401 for anyone)."""
    return request.app.state.web.context.with_actor(caller.actor)


def admin_context(request: Request, caller: Caller = Depends(require_administrator)) -> Context:
    """Dependency: the Context of an administrator."""
    return request.app.state.web.context.with_actor(caller.actor)


def client_address(request: Request) -> str:
    """The client's address (the peer; behind a proxy, uvicorn's --proxy-headers sets it)."""
    return request.client.host if request.client else "unknown"


__all__ = [
    "ANONYMOUS",
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "SESSION_COOKIE",
    "Caller",
    "InsufficientScope",
    "TanzujiError",
    "admin_context",
    "caller_of",
    "client_address",
    "csrf_token_for",
    "current_caller",
    "guard",
    "request_context",
    "require_administrator",
    "require_user",
    "user_context",
]
