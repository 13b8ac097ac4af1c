"""Opening a database and migrating it: engines, Alembic upgrade, transactional sessions.

The default is an embedded SQLite file ``tanzuji.db`` in the ``data_dir`` setting, created on
first use. ``database_url`` (``TANZUJI_DATABASE_URL``) selects another database, e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/tanzuji``. The migration scripts ship inside
this package (``tanzuji/store/migrations``) and :func:`upgrade` runs them programmatically.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session

from tanzuji import settings
from tanzuji.errors import StoreUnavailable

#: Folder of the Alembic environment and revision scripts, inside the installed package.
MIGRATIONS_DIR = Path(__file__).parent / "migrations"

#: File name of the embedded database inside ``data_dir``.
SQLITE_FILE = "tanzuji.db"


class Base(DeclarativeBase):
    """Declarative base of every Tanzuji table (one ``MetaData`` for all migrations)."""


def load_all_tables() -> MetaData:
    """Import every table module of :mod:`tanzuji.store` and return the shared metadata.

    Tables register on :class:`Base` when their module is imported; tools that compare the
    database with the models (tests, autogenerate) call this first.
    """
    import tanzuji.store

    for info in pkgutil.iter_modules(tanzuji.store.__path__, prefix="tanzuji.store."):
        importlib.import_module(info.name)
    return Base.metadata


def default_sqlite_path() -> Path:
    """Where the embedded database lives: ``<data_dir>/tanzuji.db``."""
    return Path(settings.get("data_dir")).expanduser() / SQLITE_FILE


def database_url(url: str | None = None) -> URL:
    """The database URL to use: ``url``, else the ``database_url`` setting, else SQLite.

    ``postgresql://`` without a driver is read as ``postgresql+psycopg://`` (psycopg 3 is the
    driver Tanzuji installs).

    Raises
    ------
    StoreUnavailable
        When the text is not a database URL.
    """
    text = url or str(settings.get("database_url") or "")
    if not text:
        return make_url(f"sqlite:///{default_sqlite_path()}")
    try:
        parsed = make_url(text)
    except ArgumentError:
        raise StoreUnavailable(
            f"database URL {text!r} cannot be parsed; expected e.g. "
            "sqlite:////path/tanzuji.db or postgresql+psycopg://user@host:5432/name"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def database_configured() -> bool:
    """True when a database URL is set or the embedded SQLite file already exists."""
    return bool(settings.get("database_url")) or default_sqlite_path().is_file()


def engine_for(url: str | None = None) -> Engine:
    """An SQLAlchemy engine for ``url`` (see :func:`database_url` for the default).

    The SQLite file and its folder are created on first use; SQLite connections enforce
    foreign keys.
    """
    parsed = database_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def display_url(engine: Engine) -> str:
    """The engine's URL with any password hidden (for messages)."""
    return engine.url.render_as_string(hide_password=True)


def alembic_config(engine: Engine | None = None) -> Config:
    """Alembic configuration pointing at the packaged migrations (no ``alembic.ini`` needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.set_main_option("sqlalchemy.url", display_url(engine).replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic migrations on ``engine`` up to ``revision`` (default: the newest).

    Safe to call on every start: an up-to-date database is left as it is.

    Raises
    ------
    StoreUnavailable
        When the database cannot be reached.
    """
    config = alembic_config(engine)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except OperationalError as exc:
        raise StoreUnavailable(
            f"cannot open database {display_url(engine)}: {_first_line(exc)}; check the "
            "database_url setting (TANZUJI_DATABASE_URL) and that the server is running"
        ) from None


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (``None`` for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this version of Tanzuji."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit when the block ends normally, roll back on any exception."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


__all__ = [
    "Base",
    "current_revision",
    "database_configured",
    "database_url",
    "default_sqlite_path",
    "display_url",
    "engine_for",
    "head_revision",
    "load_all_tables",
    "session_scope",
    "upgrade",
]
