"""Shared fixtures: settings isolated per test, and databases on SQLite and PostgreSQL.

``database_url`` is parametrized over both back ends, so a test that takes it (or
``factor_db``) runs twice. PostgreSQL: one fresh database named ``tanzuji_test_<pid>_<hex>``
per test session (per xdist worker) on ``TANZUJI_TEST_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``; its host, port and user are used, the
database is created next to it), emptied before every test and dropped at the end. When no
server answers, those tests are skipped with the reason "PostgreSQL not reachable at ...:
skipped" (``pytest -ra`` lists it).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import URL, make_url

from tanzuji.cli.app import console, console_err
from tanzuji.store import db
from tanzuji.store.factor_repository import FactorDatabase

POSTGRES_URL = os.environ.get(
    "TANZUJI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(autouse=True)
def _isolated_settings(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """No test reads or writes the user's data_dir, database or config file; wide output.

    The command line prints to a console 200 columns wide whatever the terminal running the
    tests (or none, under xdist), so tests match whole lines.
    """
    data_dir = tmp_path_factory.mktemp("data_dir")
    monkeypatch.setenv("TANZUJI_DATA_DIR", str(data_dir))
    monkeypatch.setenv("TANZUJI_CONFIG", str(data_dir / "no-config.toml"))
    for name in list(os.environ):
        if name.startswith("TANZUJI_") and name not in (
            "TANZUJI_DATA_DIR",
            "TANZUJI_CONFIG",
            "TANZUJI_TEST_POSTGRES_URL",
            "TANZUJI_REQUIRE_SHARED",
        ):
            monkeypatch.delenv(name)
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setattr(console_err, "width", 200)
    yield
    db.close_all()


def _admin_connection(url: URL) -> psycopg.Connection:
    return psycopg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        dbname=url.database or "postgres",
        autocommit=True,
        connect_timeout=3,
    )


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[URL]:
    """A fresh PostgreSQL database for this test session; dropped afterwards."""
    server = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    try:
        admin = _admin_connection(server)
    except psycopg.OperationalError:
        pytest.skip(f"PostgreSQL not reachable at {server.host}:{server.port or 5432}: skipped")
    name = f"tanzuji_test_{os.getpid()}_{secrets.token_hex(4)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield server.set(database=name)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty database: a SQLite file, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tanzuji.db'}"
    url: URL = request.getfixturevalue("postgres_database")
    db.close_all()  # the schema is made anew: no engine may remember it as checked
    with _admin_connection(url) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")
    return url.render_as_string(hide_password=False)


@pytest.fixture
def factor_db(database_url: str) -> Iterator[FactorDatabase]:
    """An empty factor database migrated to the newest schema."""
    database = FactorDatabase.open(database_url)
    yield database
    database.engine.dispose()


# Real-browser fixtures (Chromium from the Debian packages): chromium, page, journey.
pytest_plugins = ["browser_support"]
