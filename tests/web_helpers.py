"""Shared helpers of the web platform tests (not a test module): an app on a test database
with the demo's cast, each user's password ``<id>-password``, and logged-in clients."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from tanzuji.context import Context
from tanzuji.services import accounts, demo
from tanzuji.settings import Settings
from tanzuji.store import db
from tanzuji.store.platform_tables import UserRow
from tanzuji.web import create_app

PASSWORD_SUFFIX = "-password"
_HASHES: dict[str, str] = {}


#: The clock of tests that compare whole payloads with stamps in them.
FIXED_NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)


def web_context(
    database_url: str,
    data_dir: Path,
    *,
    clock: Callable[[], dt.datetime] | None = None,
    **settings: object,
) -> Context:
    """A Context on ``database_url`` (migrated) with the demo's cast and their passwords."""
    db.database_for(database_url).upgrade()
    snapshot = Settings.defaults().replace(
        database_url=database_url, data_dir=str(data_dir), **settings
    )
    ctx = Context.from_settings(snapshot, clock=clock)
    demo.participants(ctx)
    # argon2 is slow on purpose: hash each demo password once per test session, store the hash
    with ctx.unit_of_work() as session:
        for request in demo.DEMO_USERS:
            if request.id not in _HASHES:
                _HASHES[request.id] = accounts.HASHER.hash(request.id + PASSWORD_SUFFIX)
            session.get(UserRow, request.id).password_hash = _HASHES[request.id]
    return ctx


def web_client(ctx: Context, *, run_jobs: bool = False, **kwargs: object) -> TestClient:
    """An in-process client of a new app on ``ctx``."""
    return TestClient(create_app(lambda: ctx, run_jobs=run_jobs), **kwargs)


def login(client: TestClient, user: str) -> str:
    """Log ``client`` in as ``user`` through the API; returns the session's CSRF token."""
    answer = client.post(
        "/api/v1/auth/login", json={"user_id": user, "password": user + PASSWORD_SUFFIX}
    )
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return answer.json()["csrf_token"]


def form_csrf(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def token_for(client: TestClient, user: str, scopes: list[str]) -> str:
    """A new API token of ``user`` with ``scopes`` (made through a logged-in session)."""
    login(client, user)
    answer = client.post("/api/v1/tokens", json={"name": "test", "scopes": scopes})
    assert answer.status_code == 201, answer.text
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token", None)
    return answer.json()["token"]


DATA = Path(__file__).parent / "data"


def apply(ctx: Context, user: str = "applicant", model: str = "widget_uncertain.yaml") -> str:
    """An application of ``user`` for a test model (PCR electronics-itu-l1410 1.0, built-in
    factors); returns its id."""
    from tanzuji.services import certification
    from tanzuji.services.calculation import ModelInput

    request = certification.ApplyRequest(
        model=ModelInput(name=model, text=(DATA / model).read_text("utf-8")),
        pcr_id="electronics-itu-l1410",
        pcr_version="1.0",
        release="builtin",
        evidence=[certification.EvidenceInput(name="meter.csv", content=b"month,kWh\n1,100\n")],
    )
    return certification.apply(ctx.with_user(user), request).id


def run_jobs(client: TestClient, runner_name: str = "test-runner") -> list[str]:
    """Run every queued job of the client's app to its end (one runner pass, then wait)."""
    from tanzuji.jobs.runner import JobRunner

    runner = JobRunner(client.app.state.web.context, name=runner_name)
    claimed = runner.run_once()
    for future in runner.running.values():
        future.result(timeout=300)
    runner.stop(wait=True)
    return claimed
