"""``tanzuji serve`` — the web platform (pages and REST API) with uvicorn.

Production form: ``tanzuji serve`` reads the settings (``web_host``, ``web_port``,
``web_workers``, ``database_url``, ...), checks the database is current and starts uvicorn with
``web_workers`` worker processes; each worker builds its app with :func:`app_factory` (the
settings read again in the worker, the database opened once per worker) and runs background
jobs. Behind a reverse proxy terminating TLS, uvicorn trusts ``X-Forwarded-*`` from the proxy
address given with ``--forwarded-allow-ips`` (docs/web.md).

``tanzuji serve --demo`` (``make run``): creates the database when missing, loads the demo
(starter factors and release, the demo organisations and users with passwords, the three
example products, one issued certificate) unless a certificate is already issued, prints the
URL and the logins, and serves. The label's QR code must open this server, so while
``certificate_base_url`` is at its default it is set to ``http://HOST:PORT/c/``.
"""

from __future__ import annotations

import inspect
import logging
import os
import sys
from typing import Any

import typer
import uvicorn

from tanzuji import settings
from tanzuji.certify.keys import open_key_provider
from tanzuji.cli.app import app, console
from tanzuji.cli.demo import DEMO_MODELS, DEMO_RELEASE, examples_dir, tell_certification
from tanzuji.cli.inputs import model_input
from tanzuji.context import Context
from tanzuji.settings import DEFAULT, Settings
from tanzuji.store import db

#: How long a worker process may take to start and to answer the supervisor's health check (s).
WORKER_STARTUP_S = 120


def _settings(host: str | None, port: int | None, demo: bool) -> Settings:
    snapshot = settings.load()
    changes: dict[str, object] = {}
    if host:
        changes["web_host"] = host
    if port:
        changes["web_port"] = port
    if changes:
        snapshot = snapshot.replace(**changes)
    if demo and snapshot.sources.get("certificate_base_url") == DEFAULT:
        shown_host = "127.0.0.1" if snapshot.web_host in ("0.0.0.0", "::") else snapshot.web_host
        snapshot = snapshot.replace(
            certificate_base_url=f"http://{shown_host}:{snapshot.web_port}/c/"
        )
    return snapshot


def _environment_of(snapshot: Settings) -> dict[str, str]:
    """The settings given on the command line, as environment for the worker processes."""
    return {
        REGISTRY_ENV[name]: str(snapshot.get(name)).lower()
        if isinstance(snapshot.get(name), bool)
        else str(snapshot.get(name))
        for name, source in snapshot.sources.items()
        if source == settings.GIVEN
    }


REGISTRY_ENV = {name: s.env_var for name, s in settings.REGISTRY.items()}


def _context(snapshot: Settings, *, create: bool = False) -> Context:
    return Context.from_settings(
        snapshot,
        need_database=create,
        keys=open_key_provider(snapshot.data_path / "keys", os.environ),
    )


def keep_audit_log() -> None:
    """Write the ``tanzuji.audit`` log to standard error, whatever uvicorn's ``--log-level``.

    The record of administrative changes is the ``audit_events`` table
    (:mod:`tanzuji.services.audit`); this log carries a copy of each committed event, one line
    each, for operators who ship logs, and must not depend on how verbose the server is.
    Once per process."""
    audit = logging.getLogger("tanzuji.audit")
    if not audit.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
        audit.addHandler(handler)
        audit.setLevel(logging.INFO)
        audit.propagate = False


def app_factory():
    """The web app of a worker process: settings read now, the database opened once."""
    from tanzuji.web import create_app

    keep_audit_log()
    snapshot = settings.load()
    return create_app(lambda: _context(snapshot))


def load_demo(ctx: Context) -> None:
    """Load the demo into ``ctx``'s database unless a certificate is already issued."""
    from tanzuji.services import demo, public

    if public.head_or_none(ctx) is not None:
        console.print("demo data already loaded 演示数据已存在", highlight=False)
        return
    console.print("loading the demo 加载演示数据 (factors, examples, one certificate)…")
    models = [model_input(examples_dir() / name, ctx.limits) for name in DEMO_MODELS]
    result = demo.run(ctx, demo.DemoRequest(models=models, release=DEMO_RELEASE))
    tell_certification(
        ctx.with_release(DEMO_RELEASE), result.certification, DEMO_MODELS[0], DEMO_RELEASE
    )


@app.command()
def serve(
    host: str = typer.Option(None, help="Address to listen on (default: setting web_host)."),
    port: int = typer.Option(None, help="TCP port (default: setting web_port)."),
    workers: int = typer.Option(None, help="Worker processes (default: setting web_workers)."),
    demo: bool = typer.Option(False, "--demo", help="Load the demo data first (make run)."),
    forwarded_allow_ips: str = typer.Option(
        "127.0.0.1", help="Proxy addresses whose X-Forwarded-* headers are trusted."
    ),
    log_level: str = typer.Option("info", help="uvicorn log level."),
) -> None:
    """Start the web platform: pages and the REST API (网络平台)."""
    snapshot = _settings(host, port, demo)
    url = str(snapshot.database_url or "")
    if demo:
        database = (
            db.database_for(url)
            if url
            else db.database_for(db.database_url(None, snapshot.data_path), embedded=True)
        )
        database.upgrade()
    ctx = _context(snapshot, create=demo)
    ctx.require_database()
    public_url = f"http://{snapshot.web_host}:{snapshot.web_port}/"
    if demo:
        from tanzuji.services import demo as demo_service

        load_demo(ctx)
        console.rule("[bold]Tanzuji platform 碳足迹平台")
        console.print(f"open 打开: {public_url}", highlight=False)
        console.print(f"database 数据库: {ctx.require_database().display_url}", highlight=False)
        for login in demo_service.logins(ctx):
            password = login.password or "(set before 之前已设置)"
            console.print(
                f"  login 登录 {login.user_id:<10} password 密码 {password:<18} "
                f"{login.role} @ {login.organisation}",
                highlight=False,
            )
        certificate = ctx.with_actor(None)
        from tanzuji.services import public

        page = public.catalogue(certificate, public.CatalogueQuery(limit=1))
        if page.items:
            console.print(
                f"certificate 证书: {public_url}c/{page.items[0].certificate_id}", highlight=False
            )
    else:
        console.print(f"Tanzuji platform 碳足迹平台: {public_url}", highlight=False)
    os.environ.update(_environment_of(snapshot))  # the workers read the same settings
    extra: dict[str, Any] = {}  # uvicorn.run takes typed keywords; this one is optional
    if "timeout_worker_healthcheck" in inspect.signature(uvicorn.Config).parameters:
        # a worker busy starting (imports, database) on a loaded machine is not dead: the
        # default 5 s makes the supervisor kill and restart it forever
        extra["timeout_worker_healthcheck"] = WORKER_STARTUP_S
    uvicorn.run(
        "tanzuji.cli.serve:app_factory",
        factory=True,
        host=str(snapshot.web_host),
        port=int(snapshot.web_port),
        workers=int(workers or snapshot.web_workers),
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        log_level=log_level,
        timeout_graceful_shutdown=10,
        **extra,
    )


__all__ = ["app_factory", "keep_audit_log", "load_demo", "serve"]
