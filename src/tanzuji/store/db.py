"""Opening a database and migrating it: one engine per process and URL, units of work.

The default is an embedded SQLite file ``tanzuji.db`` in the ``data_dir`` setting, created (and
upgraded) on first use. ``database_url`` (``TANZUJI_DATABASE_URL``) selects another database,
e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/tanzuji``; such a database is migrated by
``tanzuji db upgrade`` (or at service start), never silently by a command. The migration
scripts ship inside this package (``tanzuji/store/migrations``) and :func:`upgrade` runs them.

:func:`database_for` gives the one :class:`Database` (and SQLAlchemy engine) of this process
for a URL. :meth:`Database.unit_of_work` is one transaction: commit when the block ends, roll
back on any exception, so a failure leaves nothing half-written. On SQLite a writing unit of
work starts with ``BEGIN IMMEDIATE`` (writers queue on the database lock, waiting up to
``database_busy_timeout_ms``, instead of failing when two upgrade a read lock at once) and the
file runs in WAL mode (readers do not wait for writers).
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import pkgutil
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast, overload

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import CursorResult, Engine, Executable, MetaData, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session

from tanzuji.errors import DatabaseBehind, StoreUnavailable

#: Folder of the Alembic environment and revision scripts, inside the installed package.
MIGRATIONS_DIR = Path(__file__).parent / "migrations"

#: File name of the embedded database inside ``data_dir``.
SQLITE_FILE = "tanzuji.db"

#: How long a SQLite writer waits for the lock by default (setting database_busy_timeout_ms).
DEFAULT_BUSY_TIMEOUT_MS = 30_000

#: Engines kept open per process (least recently used ones are disposed beyond this).
MAX_OPEN_DATABASES = 8

#: Execution option that makes a SQLite transaction take the write lock when it begins.
_WRITE = "tanzuji_write"


class Base(DeclarativeBase):
    """Declarative base of every Tanzuji table (one ``MetaData`` for all migrations)."""


@overload
def aware(value: dt.datetime) -> dt.datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time as an aware UTC datetime (SQLite returns it naive)."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def rows_matched(session: Session, statement: Executable) -> int:
    """Rows an UPDATE or DELETE ``statement`` matched.

    ``Session.execute`` is typed ``Result``; for these statements it gives a ``CursorResult``.
    """
    return cast("CursorResult[Any]", session.execute(statement)).rowcount


def load_all_tables() -> MetaData:
    """Import every table module of :mod:`tanzuji.store` and return the shared metadata.

    Tables register on :class:`Base` when their module is imported; tools that compare the
    database with the models (tests, autogenerate) call this first.
    """
    import tanzuji.store

    for info in pkgutil.iter_modules(tanzuji.store.__path__, prefix="tanzuji.store."):
        importlib.import_module(info.name)
    return Base.metadata


def default_sqlite_path(data_dir: Path | str) -> Path:
    """Where the embedded database lives: ``<data_dir>/tanzuji.db``."""
    return Path(data_dir).expanduser() / SQLITE_FILE


def database_url(url: str | None = None, data_dir: Path | str | None = None) -> URL:
    """The database URL: ``url``, else the embedded SQLite file in ``data_dir``.

    ``postgresql://`` without a driver is read as ``postgresql+psycopg://`` (psycopg 3 is the
    driver Tanzuji installs).

    Raises
    ------
    StoreUnavailable
        When the text is not a database URL, or neither a URL nor a data_dir is given.
    """
    text = url or ""
    if not text:
        if data_dir is None:
            raise StoreUnavailable("no database URL and no data_dir to put the SQLite file in")
        return make_url(f"sqlite:///{default_sqlite_path(data_dir)}")
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


class Database:
    """One database: its engine, its schema revision and its units of work.

    Get one through :func:`database_for` (one per process and URL) rather than building it.

    Parameters
    ----------
    url : URL
        Where the database is.
    embedded : bool
        True for the default SQLite file in ``data_dir``: created and upgraded on first use.
    busy_timeout_ms : int
        SQLite: how long a writer waits for another's transaction.
    """

    def __init__(
        self, url: URL, *, embedded: bool = False, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS
    ) -> None:
        self.url = url
        self.embedded = embedded
        self.busy_timeout_ms = busy_timeout_ms
        self.engine = _create_engine(url, busy_timeout_ms)
        self._checked = False

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.url.get_backend_name()

    @property
    def display_url(self) -> str:
        """The URL with any password hidden (for messages)."""
        return display_url(self.engine)

    def exists(self) -> bool:
        """False only for a SQLite file that is not there yet (a server is assumed to exist)."""
        if self.backend != "sqlite" or self.url.database in (None, "", ":memory:"):
            return True
        return Path(self.url.database).expanduser().is_file()

    # -- schema ------------------------------------------------------------------------------
    def revision(self) -> str | None:
        """The Alembic revision the database is at (``None`` when empty)."""
        return current_revision(self.engine)

    def upgrade(self, revision: str = "head") -> None:
        """Run the migrations up to ``revision`` (see :func:`upgrade`)."""
        upgrade(self.engine, revision)
        self._checked = revision == "head"

    def ensure_current(self, *, auto_upgrade: bool | None = None) -> Database:
        """Check once per process that the schema is the newest this version ships.

        The embedded SQLite file (``auto_upgrade`` default) is created or upgraded instead.

        Raises
        ------
        DatabaseBehind
            In one sentence naming ``tanzuji db upgrade``, when the database is older (or
            empty) and may not be upgraded here.
        StoreUnavailable
            When the database cannot be reached.
        """
        if self._checked:
            return self
        upgrade_here = self.embedded if auto_upgrade is None else auto_upgrade
        try:
            found = self.revision()
        except OperationalError as exc:
            raise StoreUnavailable(
                f"cannot open database {self.display_url}: {_first_line(exc)}; check the "
                "database_url setting (TANZUJI_DATABASE_URL) and that the server is running"
            ) from None
        wanted = head_revision()
        if found is not None and not known_revision(found):
            raise StoreUnavailable(
                f"the database {self.display_url} is at revision {found}, which this version of "
                f"Tanzuji does not know (it needs {wanted}); a newer Tanzuji wrote it — use that "
                "version, or another database (setting database_url / data_dir)",
                found=found,
                expected=wanted,
            )
        if found != wanted:
            if not upgrade_here:
                state = f"is at revision {found}" if found else "has no Tanzuji tables yet"
                raise DatabaseBehind(
                    f"the database {self.display_url} {state} but this Tanzuji needs revision "
                    f"{wanted}; run `tanzuji db upgrade` / 数据库需要升级",
                    found=found,
                    expected=wanted,
                )
            self.upgrade()
        self._checked = True
        return self

    # -- transactions ------------------------------------------------------------------------
    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction: commit when the block ends normally, roll back on any exception.

        ``write=False`` for reading only (on SQLite it then takes no write lock).
        """
        with session_scope(self.engine, write=write) as session:
            yield session

    def dispose(self) -> None:
        """Close the pooled connections (the engine stays usable)."""
        self.engine.dispose()


_OPEN: OrderedDict[tuple[int, str], Database] = OrderedDict()
_OPEN_LOCK = threading.Lock()


def database_for(
    url: str | URL,
    *,
    embedded: bool = False,
    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
) -> Database:
    """The :class:`Database` of this process for ``url`` (made on first use).

    Engines are kept per process id, so a forked worker never shares its parent's
    connections; beyond :data:`MAX_OPEN_DATABASES` the least recently used is disposed.
    """
    parsed = database_url(url) if isinstance(url, str) else url
    key = (os.getpid(), parsed.render_as_string(hide_password=False))
    with _OPEN_LOCK:
        found = _OPEN.get(key)
        if found is not None:
            _OPEN.move_to_end(key)
            return found
        database = Database(parsed, embedded=embedded, busy_timeout_ms=busy_timeout_ms)
        _OPEN[key] = database
        while len(_OPEN) > MAX_OPEN_DATABASES:
            _, evicted = _OPEN.popitem(last=False)
            evicted.dispose()
        return database


def _forget_inherited() -> None:
    """In a forked child: drop the parent's pools without closing their connections.

    The child opens its own (:func:`database_for` keys engines by process id); closing an
    inherited connection would end the parent's session on the server.
    """
    for database in list(_OPEN.values()):
        database.engine.dispose(close=False)
    _OPEN.clear()


os.register_at_fork(after_in_child=_forget_inherited)


def close_all() -> None:
    """Dispose and forget every open database of this process (tests, shutdown)."""
    with _OPEN_LOCK:
        for database in _OPEN.values():
            database.dispose()
        _OPEN.clear()


#: PostgreSQL connections an engine keeps open, and how many more it may open at once.
POOL_SIZE = 20
POOL_OVERFLOW = 20


def engine_for(url: str | URL) -> Engine:
    """The engine of :func:`database_for` ``url`` (the SQLite file's folder is created)."""
    return database_for(url).engine


def _create_engine(url: URL, busy_timeout_ms: int) -> Engine:
    if url.get_backend_name() != "sqlite":
        # A web process runs up to 40 requests in worker threads at once: with SQLAlchemy's
        # default pool (5 + 10 overflow) the overflow connections were opened and closed per
        # request, a new PostgreSQL backend each time. Up to POOL_SIZE idle ones are kept.
        return create_engine(
            url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW
        )
    if url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        # The driver's own transaction handling is off; "begin" below starts each one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if url.database and url.database != ":memory:":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        write = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


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

    Safe to call again: an up-to-date database is left as it is.

    Raises
    ------
    StoreUnavailable
        When the database cannot be reached.
    """
    config = alembic_config(engine)
    try:
        with engine.execution_options(**{_WRITE: True}).begin() as connection:
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


def known_revision(revision: str) -> bool:
    """True when ``revision`` is one of the migrations shipped with this version."""
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:  # "Can't locate revision identified by ..."
        return False


def head_revision() -> str | None:
    """The newest revision shipped with this version of Tanzuji."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@contextmanager
def session_scope(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """One transaction on ``engine``: commit at the end of the block, roll back on an error.

    ``write=False`` for reading only (on SQLite it takes no write lock).
    """
    bind = engine.execution_options(**{_WRITE: True}) if write else engine
    session = Session(bind, expire_on_commit=False)
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
    "Database",
    "close_all",
    "current_revision",
    "database_for",
    "database_url",
    "default_sqlite_path",
    "display_url",
    "engine_for",
    "head_revision",
    "load_all_tables",
    "session_scope",
    "upgrade",
]
