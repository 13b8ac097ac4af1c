"""Log in and out (page and API), who am I, and the caller's own API tokens."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from tanzuji.certify.records import Actor
from tanzuji.context import Context
from tanzuji.errors import AuthenticationFailed, TooManyAttempts
from tanzuji.services import accounts
from tanzuji.web.auth import (
    SESSION_COOKIE,
    Caller,
    client_address,
    current_caller,
    request_context,
    require_user,
    user_context,
)
from tanzuji.web.pages import remember, render

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no ``//``) may follow a login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _set_session(request: Request, response: Response, session: accounts.NewSession) -> None:
    lifetime = int(request.app.state.web.context.settings.web_session_lifetime_s)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=lifetime,
        httponly=True,
        samesite="lax",
        secure=bool(request.app.state.web.context.settings.web_cookie_secure),
        path="/",
    )


# -- pages ----------------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", {"next": _safe_next(next), "failure": None})


@router.post("/login", include_in_schema=False)
def login_form(
    request: Request,
    user_id: str = Form("", max_length=200),
    password: str = Form("", max_length=1024),
    next: str = Form("/", max_length=2000),
    context: Context = Depends(request_context),
) -> Response:
    target = _safe_next(next)
    try:
        session = accounts.login(
            context,
            accounts.LoginRequest(
                user_id=user_id or "-", password=password or "-", client=client_address(request)
            ),
        )
    except (AuthenticationFailed, TooManyAttempts) as exc:
        status = exc.http_status
        headers = {"Retry-After": str(exc.details.get("retry_after_s"))} if status == 429 else None
        values = {"next": target, "failure": exc.message, "user_id": user_id}
        return render(request, "login.html", values, status=status, headers=headers)
    response = RedirectResponse(target, status_code=303)
    _set_session(request, response, session)
    remember(request, response)
    return response


@router.post("/logout", include_in_schema=False)
def logout_form(request: Request, caller: Caller = Depends(current_caller)) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.logout(request.app.state.web.context, token)
    response = RedirectResponse("/login?logged_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- API ------------------------------------------------------------------------------------------
class LoginBody(BaseModel):
    user_id: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)


class SessionInfo(BaseModel):
    user: Actor
    csrf_token: str = Field(description="send it as X-CSRF-Token with every unsafe request")
    expires_at: dt.datetime


class Me(BaseModel):
    user: Actor
    via: str = Field(description="session, token or anonymous")
    scopes: list[str] | None = None


@router.post("/api/v1/auth/login", response_model=SessionInfo, tags=["accounts"])
def api_login(
    body: LoginBody,
    request: Request,
    response: Response,
    context: Context = Depends(request_context),
) -> SessionInfo:
    """Log in with a password: the session cookie is set; the CSRF token is returned."""
    session = accounts.login(
        context,
        accounts.LoginRequest(
            user_id=body.user_id, password=body.password, client=client_address(request)
        ),
    )
    _set_session(request, response, session)
    return SessionInfo(
        user=session.user, csrf_token=session.csrf_token, expires_at=session.expires_at
    )


@router.post("/api/v1/auth/logout", status_code=204, tags=["accounts"])
def api_logout(request: Request, caller: Caller = Depends(require_user)) -> Response:
    """End the caller's session (a token caller: nothing to end)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token and caller.via == "session":
        accounts.logout(request.app.state.web.context, token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/api/v1/auth/me", response_model=Me, tags=["accounts"])
def me(caller: Caller = Depends(current_caller)) -> Me:
    """Who the request is made by (the public actor when nobody is logged in)."""
    return Me(
        user=caller.actor,
        via=caller.via,
        scopes=sorted(caller.scopes) if caller.scopes is not None else None,
    )


@router.get("/api/v1/tokens", response_model=list[accounts.TokenView], tags=["accounts"])
def list_tokens(context: Context = Depends(user_context)) -> list[accounts.TokenView]:
    """The caller's API tokens (an administrator: everyone's)."""
    return accounts.tokens(context)


@router.post("/api/v1/tokens", response_model=accounts.NewToken, status_code=201, tags=["accounts"])
def create_token(
    body: accounts.TokenRequest, context: Context = Depends(user_context)
) -> accounts.NewToken:
    """Make an API token acting as the caller; the secret is in the answer only."""
    return accounts.create_token(context, body)


@router.delete("/api/v1/tokens/{token_id}", response_model=accounts.TokenView, tags=["accounts"])
def revoke_token(token_id: str, context: Context = Depends(user_context)) -> accounts.TokenView:
    """Revoke one of the caller's tokens (an administrator: anyone's)."""
    return accounts.revoke_token(context, token_id)


# -- the tokens page --------------------------------------------------------------------------
@router.get("/tokens", response_class=HTMLResponse, include_in_schema=False)
def tokens_page(request: Request, context: Context = Depends(user_context)) -> HTMLResponse:
    return render(request, "tokens.html", {"tokens": accounts.tokens(context), "new": None})


@router.post("/tokens", response_class=HTMLResponse, include_in_schema=False)
def tokens_create(
    request: Request,
    name: str = Form(..., min_length=1, max_length=200),
    scopes: list[accounts.Scope] = Form(...),
    context: Context = Depends(user_context),
) -> HTMLResponse:
    new = accounts.create_token(context, accounts.TokenRequest(name=name, scopes=scopes))
    return render(request, "tokens.html", {"tokens": accounts.tokens(context), "new": new})


@router.post("/tokens/{token_id}/revoke", include_in_schema=False)
def tokens_revoke(token_id: str, context: Context = Depends(user_context)) -> Response:
    accounts.revoke_token(context, token_id)
    return RedirectResponse("/tokens", status_code=303)


__all__ = ["router"]
