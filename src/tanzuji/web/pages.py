"""Server-rendered pages: Jinja2 templates in ``web/templates``, no JavaScript build step.

:func:`render` gives every template what the layout needs: ``t`` (the message catalogue in the
request's language), ``lang``, ``caller`` (who is logged in), ``csrf_token`` (for forms),
``lang_url`` (the current page in another language) and ``static`` (a static file's URL). It
also sets the ``lang`` cookie when ``?lang=`` chose a language, and the anonymous CSRF cookie
when a form needed one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from tanzuji.web import i18n
from tanzuji.web.auth import CSRF_COOKIE, SESSION_COOKIE, caller_of, csrf_token_for

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

ENVIRONMENT = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "xml"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # templates are package files: no stat() of each one per request
)


def lang_url(request: Request, language: str, page_path: str | None = None) -> str:
    """The current page's URL (path and query) with ``lang=language``.

    A page rendered in answer to a form post (a refusal shown on the page) links to
    ``page_path``, the page's own address: the form's address answers POST only.
    """
    if page_path is not None and request.method not in ("GET", "HEAD"):
        return f"{page_path}?{urlencode([('lang', language)])}"
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    params.append(("lang", language))
    return f"{request.url.path}?{urlencode(params)}"


def _name_in(names: dict[str, str] | None, language: str) -> str:
    """A bilingual name (``{"zh": ..., "en": ...}``) in ``language``, else the other one."""
    if not names:
        return ""
    other = "en" if language == "zh" else "zh"
    return names.get(language) or names.get(other) or next(iter(names.values()), "")


def render(
    request: Request,
    template: str,
    values: dict[str, Any] | None = None,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    page_path: str | None = None,
) -> HTMLResponse:
    """The page ``template`` rendered for ``request`` (see the module docstring);
    ``page_path``: the page's GET address, for a page rendered in answer to a form post."""
    try:
        caller = caller_of(request)
    except Exception:  # an invalid token on a page: show the page to anyone
        from tanzuji.web.auth import ANONYMOUS

        caller = ANONYMOUS
    try:
        csrf = csrf_token_for(request)
    except Exception:
        csrf = ""
    page = page_text(request, template, values, caller=caller, csrf=csrf, page_path=page_path)
    response = HTMLResponse(page, status_code=status, headers=headers)
    remember(request, response)
    return response


def page_text(
    request: Request,
    template: str,
    values: dict[str, Any] | None,
    *,
    caller: Any,
    csrf: str,
    page_path: str | None = None,
) -> str:
    """The HTML of ``template`` for ``request`` shown to ``caller`` with the forms' CSRF
    token ``csrf`` (no cookies set: :func:`render` does that)."""
    language = i18n.language_of(request)
    return ENVIRONMENT.get_template(template).render(
        request=request,
        lang=language,
        languages=i18n.LANGUAGES,
        language_names=i18n.LANGUAGE_NAMES,
        t=lambda key, **kw: i18n.translate(key, language, **kw),
        tr=lambda key, default: i18n.translate_or(key, language, default),
        name_in=lambda names: _name_in(names, language),
        caller=caller,
        csrf_token=csrf,
        lang_url=lambda code: lang_url(request, code, page_path),
        static=lambda name: f"/static/{name}",
        **(values or {}),
    )


def remember(request: Request, response: Any) -> None:
    """Set the cookies a response owes: the chosen language, a new anonymous CSRF cookie,
    and the removal of a session cookie that no longer opens a session."""
    secure = bool(request.app.state.web.context.settings.web_cookie_secure)
    asked = request.query_params.get("lang")
    if asked in i18n.LANGUAGES and request.cookies.get(i18n.COOKIE) != asked:
        response.set_cookie(i18n.COOKIE, asked, max_age=365 * 86400, samesite="lax", secure=secure)
    fresh = getattr(request.state, "new_csrf_cookie", None)
    if fresh:
        response.set_cookie(CSRF_COOKIE, fresh, httponly=True, samesite="strict", secure=secure)
    if getattr(request.state, "stale_session", False):
        response.delete_cookie(SESSION_COOKIE)


__all__ = ["ENVIRONMENT", "STATIC", "TEMPLATES", "lang_url", "page_text", "remember", "render"]
