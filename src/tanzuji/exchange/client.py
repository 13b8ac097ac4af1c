"""An HTTP client of another PACT v3 host: authenticate, list, get, send an event.

Every parameter is explicit (base URL, credentials, TLS trust, timeout); nothing is read from
settings or the environment. The caller (a service) decides where the credentials come from.

* Authentication (PACT v3.0.3, "Authentication Flow"): the token endpoint is the
  ``token_endpoint`` of ``<auth base>/.well-known/openid-configuration`` when the host offers
  one, else ``<auth base>/auth/token``; the client POSTs ``grant_type=client_credentials``
  with HTTP Basic credentials (RFC 6749 4.4) and keeps the token until shortly before
  ``expires_in`` runs out; a 401 on a call fetches a new token once.
* ListFootprints follows ``Link: <...>; rel="next"`` until there is none (RFC 8288).
* Action Events: a CloudEvent as ``application/cloudevents+json``; any 2xx is acceptance.
"""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from tanzuji.errors import PactAuthError, PactRemoteError
from tanzuji.exchange.filters import FootprintQuery
from tanzuji.exchange.model import CLOUDEVENTS_MEDIA_TYPE

#: Seconds before a token's announced expiry at which the client fetches a new one.
TOKEN_MARGIN_S = 30.0

#: Most pages a listing follows (a guard against a host whose links loop).
MAX_PAGES = 10_000

#: Characters of a remote error body quoted in a message.
QUOTED_BODY = 300

_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")


@dataclass(frozen=True)
class Credentials:
    """OAuth2 client credentials a data owner issued to us."""

    client_id: str
    client_secret: str


def next_link(header: str | None) -> str | None:
    """The target of ``rel="next"`` in a Link header (RFC 8288), if any."""
    for match in _LINK.finditer(header or ""):
        params = match.group(2).lower().replace(" ", "")
        if 'rel="next"' in params or "rel=next" in params:
            return match.group(1)
    return None


class PactClient:
    """Calls one PACT host (``base_url``: where ``/3/...`` lives).

    Parameters
    ----------
    base_url : str
        The host's base URL, e.g. ``https://pact.supplier.example``.
    credentials : Credentials, optional
        Client credentials; ``None`` sends no Authorization header (a host that needs none).
    verify : bool, str or ssl.SSLContext
        TLS trust: ``True`` (system CAs), a CA bundle path (a self-signed host certificate),
        or an SSL context.
    timeout_s : float
        Connect and read timeout of each request, seconds.
    auth_base_url : str, optional
        Where ``/.well-known/openid-configuration`` and ``/auth/token`` live, when not under
        ``base_url``.
    http : httpx.Client, optional
        The HTTP client to send with (tests: Starlette's TestClient of an in-process host);
        default: a new one with ``verify`` and ``timeout_s``.
    """

    def __init__(
        self,
        base_url: str,
        credentials: Credentials | None,
        *,
        verify: bool | str | ssl.SSLContext = True,
        timeout_s: float = 10.0,
        auth_base_url: str | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth_base_url = (auth_base_url or base_url).rstrip("/")
        self.credentials = credentials
        if isinstance(verify, str):  # a CA bundle: trust exactly what it holds
            verify = ssl.create_default_context(cafile=verify)
        self._own = http is None
        self._http = http or httpx.Client(verify=verify, timeout=timeout_s)
        self._token: str | None = None
        self._token_until = 0.0

    def __enter__(self) -> PactClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP client this object made (one handed in stays open)."""
        if self._own:
            self._http.close()

    # -- authentication ------------------------------------------------------------------------
    def token_endpoint(self) -> str:
        """The token endpoint: from the OpenID configuration when offered, else /auth/token."""
        try:
            found = self._http.get(f"{self.auth_base_url}/.well-known/openid-configuration")
            if found.status_code == 200:
                endpoint = found.json().get("token_endpoint")
                if isinstance(endpoint, str) and endpoint:
                    return endpoint
        except (httpx.HTTPError, ValueError):
            pass
        return f"{self.auth_base_url}/auth/token"

    def token(self, *, renew: bool = False) -> str | None:
        """An access token (cached until shortly before it expires); ``None`` without
        credentials.

        Raises
        ------
        PactAuthError
            When the host refuses the credentials.
        PactRemoteError
            When the host cannot be reached or answers something else.
        """
        if self.credentials is None:
            return None
        if self._token and not renew and time.monotonic() < self._token_until:
            return self._token
        endpoint = self.token_endpoint()
        response = self._send(
            "POST",
            endpoint,
            data={"grant_type": "client_credentials"},
            auth=(self.credentials.client_id, self.credentials.client_secret),
            headers={"Accept": "application/json"},
        )
        if response.status_code in (400, 401):
            raise PactAuthError(
                f"{endpoint} refused client {self.credentials.client_id!r} "
                f"({response.status_code}: {_quoted(response)}); check the client id and secret "
                "the data owner issued"
            )
        body = _json(response, endpoint, 200)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise PactRemoteError(f"{endpoint} answered without an access_token")
        lifetime = float(body.get("expires_in") or 3600)
        self._token = token
        self._token_until = time.monotonic() + max(0.0, lifetime - TOKEN_MARGIN_S)
        return token

    # -- actions --------------------------------------------------------------------------------
    def list_pages(
        self, query: FootprintQuery | None = None, limit: int | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """The pages of ListFootprints (``GET /3/footprints``), following ``rel="next"``."""
        params = list(query.parameters()) if query else []
        if limit is not None:
            params.append(("limit", str(limit)))
        url: str | None = f"{self.base_url}/3/footprints"
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = self._authorized("GET", url, params=params or None)
            body = _json(response, url, 200, 202)
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                raise PactRemoteError(f"{url} answered without a 'data' list")
            yield data
            url, params = next_link(response.headers.get("link")), []
        raise PactRemoteError(f"{self.base_url}: more than {MAX_PAGES} pages; links may loop")

    def list_footprints(
        self, query: FootprintQuery | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Every footprint ListFootprints returns for ``query`` (all pages)."""
        return [pf for page in self.list_pages(query, limit) for pf in page]

    def get_footprint(self, footprint_id: str) -> dict[str, Any]:
        """GetFootprint (``GET /3/footprints/{id}``): the footprint's JSON."""
        url = f"{self.base_url}/3/footprints/{footprint_id}"
        body = _json(self._authorized("GET", url), url, 200)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise PactRemoteError(f"{url} answered without a 'data' object")
        return data

    def send_event(self, event: dict[str, Any]) -> int:
        """POST a CloudEvent to ``/3/events``; returns the status (2xx).

        Raises
        ------
        PactRemoteError
            When the host answers with anything but 2xx, or cannot be reached.
        """
        url = f"{self.base_url}/3/events"
        response = self._authorized(
            "POST",
            url,
            json=event,
            headers={"Content-Type": f"{CLOUDEVENTS_MEDIA_TYPE}; charset=UTF-8"},
        )
        if not 200 <= response.status_code < 300:
            raise PactRemoteError(
                f"{url} refused the {event.get('type')} event ({response.status_code}: "
                f"{_quoted(response)})",
                status=response.status_code,
            )
        return response.status_code

    # -- plumbing -------------------------------------------------------------------------------
    def _authorized(self, method: str, url: str, **options: Any) -> httpx.Response:
        headers = dict(options.pop("headers", {}) or {})
        for attempt in (1, 2):
            token = self.token(renew=attempt == 2)
            if token:
                headers["Authorization"] = f"Bearer {token}"
            response = self._send(method, url, headers=headers, **options)
            if response.status_code != 401 or token is None or attempt == 2:
                return response
        return response  # pragma: no cover - the loop always returns

    def _send(self, method: str, url: str, **options: Any) -> httpx.Response:
        try:
            return self._http.request(method, url, **options)
        except httpx.HTTPError as exc:
            raise PactRemoteError(f"cannot reach {url}: {exc}") from None


def _quoted(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:QUOTED_BODY] + ("..." if len(text) > QUOTED_BODY else "") or "empty body"


def _json(response: httpx.Response, url: str, *ok: int) -> Any:
    if response.status_code not in ok:
        raise PactRemoteError(
            f"{url} answered {response.status_code} ({_quoted(response)})",
            status=response.status_code,
        )
    try:
        return response.json()
    except ValueError:
        raise PactRemoteError(f"{url} answered {response.status_code} without JSON") from None


__all__ = ["Credentials", "PactClient", "next_link"]
