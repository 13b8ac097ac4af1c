"""The certificate page from memory: the busiest page of the platform (every label's QR code
opens it), answered before the framework's routing for anyone not logged in.

:class:`CertificatePages` is an ASGI middleware. A ``GET /c/{certificate_id}`` without a
query string, an ``Authorization`` header or a session cookie is answered from a rendered page
kept per certificate and language when the service has a current verified view of the
certificate (:func:`tanzuji.services.public.cached_certificate`: the signed head read within
``web_public_head_s``, the view verified against the log it belongs to). The kept page is used
only while its view equals the service's view of now (a newer log size, a status change or a
new day give another view, so the page is rendered again). Anything else — a certificate not
yet verified by this process, a logged-in caller, ``?lang=`` — goes the ordinary way
(:mod:`tanzuji.web.routes.public`), which verifies in a worker thread and renders the same
template.

The page for anyone carries no CSRF token: it has no form, and its "check again" button posts
JSON, which the guard does not ask a token of when no session cookie is sent. So a kept page
is the same bytes for every visitor and no cookie is set.
"""

from __future__ import annotations

import logging
import re

from starlette.requests import Request, cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from tanzuji.context import Context
from tanzuji.lru import LeastRecentlyUsed
from tanzuji.services import public
from tanzuji.web import i18n
from tanzuji.web.auth import ANONYMOUS, SESSION_COOKIE
from tanzuji.web.pages import page_text

log = logging.getLogger(__name__)

#: Bytes of rendered certificate pages kept per process (most recently used): about 4.5 kB a
#: page, so 64 MiB holds about 15,000 pages (7,000 certificates in both languages).
PAGE_CACHE_BYTES = 64 * 2**20

_PATH = re.compile(r"/c/([^/]{1,200})")
_HEADERS = [(b"content-type", b"text/html; charset=utf-8")]


class _Pages:
    """Rendered pages by ``(certificate_id, language)`` with the view each shows, least
    recently used dropped beyond ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.kept: LeastRecentlyUsed[tuple[str, str], tuple[public.PublicCertificate, bytes]]
        self.kept = LeastRecentlyUsed(max_bytes, lambda item: len(item[1]))

    def get(self, key: tuple[str, str], view: public.PublicCertificate) -> bytes | None:
        """The page kept for ``key`` if it shows ``view``."""
        found = self.kept.get(key)
        return None if found is None or found[0] != view else found[1]

    def put(self, key: tuple[str, str], view: public.PublicCertificate, page: bytes) -> None:
        self.kept.put(key, (view, page))


class CertificatePages:
    """ASGI middleware: the certificate page for anyone from memory (module notes)."""

    def __init__(self, app: ASGIApp, context: Context, max_bytes: int = PAGE_CACHE_BYTES) -> None:
        self.app = app
        self.context = context.with_actor(ANONYMOUS.actor)
        self.pages = _Pages(max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope["query_string"]:
            match = _PATH.fullmatch(scope["path"])
            page = None if match is None else self._page(scope, match.group(1))
            if page is not None:
                headers = [*_HEADERS, (b"content-length", str(len(page)).encode())]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": page})
                return
        await self.app(scope, receive, send)

    def _page(self, scope: Scope, certificate_id: str) -> bytes | None:
        """The kept (or newly rendered) page, or None: the request goes the ordinary way."""
        cookies: dict[str, str] = {}
        for name, value in scope["headers"]:
            if name == b"authorization":
                return None
            if name == b"cookie":
                cookies = cookie_parser(value.decode("latin-1"))
        if SESSION_COOKIE in cookies:
            return None
        language = cookies.get(i18n.COOKIE, "")
        if language not in i18n.LANGUAGES:
            language = i18n.DEFAULT_LANGUAGE
        try:
            view = public.cached_certificate(self.context, certificate_id)
            if view is None:
                return None
            key = (certificate_id, language)
            page = self.pages.get(key, view)
            if page is None:
                text = page_text(
                    Request(scope), "certificate.html", {"cert": view}, caller=ANONYMOUS, csrf=""
                )
                page = text.encode()
                self.pages.put(key, view, page)
            return page
        except Exception:  # the ordinary route answers (and reports) whatever went wrong here
            log.exception("certificate page %s from memory failed", certificate_id)
            return None


__all__ = ["PAGE_CACHE_BYTES", "CertificatePages"]
