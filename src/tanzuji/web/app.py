"""The web platform's application factory.

:func:`create_app` takes a *context factory* — a function returning the base
:class:`~tanzuji.context.Context` (settings snapshot, database, keys) — calls it once, and
builds the FastAPI application around it: the error handlers (one JSON shape), the size limit,
the certificate page for anyone from memory (:mod:`tanzuji.web.certificate_pages`),
the CSRF/scope guard on every route, the static files, the routers of :mod:`tanzuji.web.routes`
and, unless ``run_jobs`` is false, the background job runner of this process.

Each request then gets ``context.with_actor(caller)`` (:func:`tanzuji.web.auth.request_context`):
the database and keys are shared, nothing is read from disk per request.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from tanzuji.context import Context
from tanzuji.web import errors
from tanzuji.web.auth import guard
from tanzuji.web.certificate_pages import CertificatePages
from tanzuji.web.limits import SizeLimit
from tanzuji.web.pages import STATIC

API_TITLE = "Tanzuji platform API / 碳足迹平台 API"
API_VERSION = "1"
OPENAPI_URL = "/api/v1/openapi.json"


@dataclass
class WebState:
    """What the application runs with (``app.state.web``)."""

    context: Context
    secret: bytes
    runner: Any = None  # tanzuji.jobs.runner.JobRunner when jobs run in this process


def web_secret(context: Context) -> bytes:
    """The ``web_secret`` setting, else a random key made once in ``data_dir/web/secret``."""
    configured = str(context.settings.web_secret or "")
    if configured:
        return configured.encode()
    path: Path = context.data_dir / "web" / "secret"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".secret.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:  # the first of several starting workers wins; the others read its key
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text().strip().encode()


def _load_segmenter() -> None:
    from tanzuji.factors.text import terms

    terms("电力")


def create_app(
    context_factory: Callable[[], Context],
    *,
    run_jobs: bool = True,
    executor: Any = None,
) -> FastAPI:
    """The web platform on the Context ``context_factory()`` returns.

    Parameters
    ----------
    context_factory : callable
        Returns the base Context (its database must exist and be current).
    run_jobs : bool
        Run the background job runner in this process while the app is served (its lifespan).
    executor : tanzuji.jobs.executors.Executor, optional
        Where job work runs (default: a thread pool of ``job_threads`` threads).
    """
    context = context_factory()
    context.require_database()
    state = WebState(context=context, secret=web_secret(context))

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # the Chinese word segmenter loads its dictionary (a second or more) before the first
        # search in Chinese: load it now, beside the start, not in a user's request
        threading.Thread(target=_load_segmenter, name="tanzuji-jieba", daemon=True).start()
        if run_jobs:
            from tanzuji.jobs.runner import JobRunner

            state.runner = JobRunner(context, executor=executor)
            state.runner.start()
        try:
            yield
        finally:
            if state.runner is not None:
                state.runner.stop()

    app = FastAPI(
        title=API_TITLE,
        version=API_VERSION,
        description=(
            "REST API of the Tanzuji platform. Every error has one JSON shape "
            '{"error": {"code", "status", "title": {"zh", "en"}, "message", "location", '
            '"details"}}; lists are paged with offset and limit.'
        ),
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        dependencies=[Depends(guard)],
    )
    app.state.web = state
    errors.install(app)
    app.add_middleware(SizeLimit, max_bytes=int(context.settings.web_max_request_bytes))
    app.add_middleware(CertificatePages, context=context)  # the first to see a request
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    from tanzuji.web.routes import ROUTERS

    for router in ROUTERS:
        app.include_router(router)
    return app


__all__ = ["API_TITLE", "OPENAPI_URL", "WebState", "create_app", "web_secret"]
