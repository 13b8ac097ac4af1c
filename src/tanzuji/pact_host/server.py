"""``tanzuji pact serve``: the PACT host on its own HTTPS listener.

The edge reads the settings once (``pact_bind``, ``pact_port``, ``pact_tls_cert`` /
``pact_tls_key`` or a self-signed certificate, ``pact_tls_ca`` for outgoing calls,
``pact_openapi_file``), opens the database once, builds one Context and serves it with uvicorn
(TLS only: a plain-HTTP request to the port fails its TLS handshake, as PACT v3 requires:
"A host system MUST offer its actions over HTTPS only"). The outbox's delivery loop runs as
an asyncio task in the same process.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import uvicorn

from tanzuji.context import Context
from tanzuji.exchange.openapi import OpenApiDocument
from tanzuji.pact_host import keys
from tanzuji.pact_host.app import HostState, create_app
from tanzuji.pact_host.tokens import TokenSigner


@dataclass(frozen=True)
class Listener:
    """Where and how the host listens."""

    bind: str
    port: int
    certificate: Path
    key: Path


def host_state(context: Context, *, delivery: bool = True) -> HostState:
    """The host's state from a Context (its settings snapshot and data directory)."""
    settings = context.settings
    openapi_path = str(settings.pact_openapi_file or "")
    return HostState(
        context=context,
        signer=TokenSigner(keys.token_key(context.data_dir), int(settings.pact_token_lifetime_s)),
        box=keys.secret_box(context.data_dir),
        openapi=OpenApiDocument.load(Path(openapi_path)) if openapi_path else None,
        verify=str(settings.pact_tls_ca) or True,
        delivery=delivery,
    )


def listener(context: Context) -> Listener:
    """The bind address, port and TLS files of the settings (a self-signed certificate in
    ``data_dir/pact`` when none is configured)."""
    settings = context.settings
    certificate, key = keys.tls_files(
        context.data_dir, str(settings.pact_tls_cert or ""), str(settings.pact_tls_key or "")
    )
    return Listener(str(settings.pact_bind), int(settings.pact_port), certificate, key)


def serve(context: Context, *, delivery: bool = True, log_level: str = "info") -> None:
    """Serve the PACT API over HTTPS until interrupted."""
    where = listener(context)
    app = create_app(host_state(context, delivery=delivery))
    config = uvicorn.Config(
        app,
        host=where.bind,
        port=where.port,
        ssl_certfile=str(where.certificate),
        ssl_keyfile=str(where.key),
        log_level=log_level,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run()


__all__ = ["Listener", "host_state", "listener", "serve"]
