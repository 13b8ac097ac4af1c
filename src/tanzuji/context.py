"""The explicit context every service operation runs in.

Nothing below the edges reads the environment, a config file or a global setting: an edge
(the CLI now; the web app and the job runner later) reads the settings once, builds one
:class:`Context` and passes it to :mod:`tanzuji.services`. A Context says

- which database (``database``: one SQLAlchemy engine per process and URL, schema checked once
  per process; ``None`` while no database exists and none is needed);
- which factors a calculation may use (``factors``: ids and ``match:`` texts from the same
  versions — a pinned release, ``builtin``, or the newest published with the built-in starter
  data as fallback);
- which process library resolves ``library:NAME/ID`` model inputs (``library``: the stored
  libraries of ``database``; ``None`` without one);
- which signing keys (``keys``: a :class:`~tanzuji.certify.keys.KeyProvider` — key files in
  ``data_dir/keys`` or a key handed in as a secret; the edge chooses with
  :func:`~tanzuji.certify.keys.open_key_provider` and its environment), which clock
  (``clock``), which settings (``settings``, a typed snapshot) and who acts (``actor``, a user
  with one role in one organisation).

It is immutable; :meth:`Context.with_actor` and :meth:`Context.with_release` make variants. A
web request builds one per request from the app's settings snapshot (cheap: the database is
shared, nothing is read from disk but the user row); a job builds one from the settings and
the user who queued it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from tanzuji.certify.keys import FileKeyring, KeyProvider
from tanzuji.certify.records import Actor
from tanzuji.engine.montecarlo import MonteCarloOptions
from tanzuji.engine.solver import SolverOptions
from tanzuji.errors import NotFound, PermissionDenied, StoreUnavailable
from tanzuji.factors.base import ChainedSource
from tanzuji.factors.matchers import DatabaseMatcher, DatabaseOrStarterMatcher, StarterMatcher
from tanzuji.factors.selection import FactorSelection, builtin_selection
from tanzuji.factors.starter import BUILTIN_RELEASE, StarterFactorSource
from tanzuji.library.foreground import LibrarySource
from tanzuji.limits import InputLimits
from tanzuji.settings import Settings
from tanzuji.store import db
from tanzuji.store.factor_repository import DatabaseFactorSource, FactorDatabase
from tanzuji.store.library import DatabaseLibrarySource

if TYPE_CHECKING:
    from tanzuji.scale.snapshot import SnapshotCache


def utc_now() -> dt.datetime:
    """The current UTC time to the second (the default clock)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def open_database(settings: Settings, *, create: bool = False) -> db.Database | None:
    """The database named by ``settings``, its schema checked (once per process).

    ``database_url`` names one: it must exist and be at the newest revision (else
    :class:`~tanzuji.errors.DatabaseBehind` names ``tanzuji db upgrade``). Without it, the
    embedded SQLite file in ``data_dir`` is used when it exists or when ``create`` is true;
    it is created and upgraded automatically. Returns ``None`` when there is no database and
    ``create`` is false.
    """
    url = str(settings.database_url or "")
    timeout = int(settings.database_busy_timeout_ms)
    if url:
        return db.database_for(url, busy_timeout_ms=timeout).ensure_current()
    path = db.default_sqlite_path(settings.data_path)
    if not create and not path.is_file():
        return None
    database = db.database_for(
        db.database_url(None, settings.data_path), embedded=True, busy_timeout_ms=timeout
    )
    return database.ensure_current()


def select_factors(database: db.Database | None, release: str | None) -> FactorSelection:
    """The factors a calculation may use (see :mod:`tanzuji.factors.selection`).

    Raises
    ------
    NotFound
        When a database release is named and there is no database.
    """
    if release == BUILTIN_RELEASE:
        return builtin_selection()
    if database is None:
        if release:
            raise NotFound(
                f"factor release {release!r} needs the factor database and there is none yet; "
                "load the starter data with `tanzuji factors load-starter` and create a release "
                "(`tanzuji factors release create NAME`), or use release builtin"
            )
        return FactorSelection(None, StarterFactorSource(), StarterMatcher())
    factors = FactorDatabase(database.engine)
    if release:
        return FactorSelection(
            release,
            DatabaseFactorSource(database.engine, default_release=release),
            DatabaseMatcher(factors, release),
        )
    return FactorSelection(
        None,
        ChainedSource([DatabaseFactorSource(database.engine), StarterFactorSource()]),
        DatabaseOrStarterMatcher(factors),
    )


def input_limits(settings: Settings) -> InputLimits:
    """Input size limits from the settings ``max_*``."""
    return InputLimits(
        max_upload_bytes=int(settings.max_upload_bytes),
        max_unpacked_bytes=int(settings.max_unpacked_bytes),
        max_document_nodes=int(settings.max_document_nodes),
    )


def solver_options(settings: Settings) -> SolverOptions:
    """Technosphere solver options from the settings ``solver_*`` and ``use_umfpack``."""
    return SolverOptions(
        max_residual=float(settings.solver_max_residual),
        dense_block_max=int(settings.solver_dense_block_max),
        use_umfpack=bool(settings.use_umfpack),
    )


def monte_carlo_options(settings: Settings) -> MonteCarloOptions:
    """Monte Carlo options from the settings ``mc_*``."""
    return MonteCarloOptions(
        tolerance=float(settings.mc_tolerance),
        max_refinements=int(settings.mc_max_refinements),
        dense_block_max=int(settings.mc_dense_block_max),
        single_precision=bool(settings.mc_single_precision),
        batch_size=int(settings.mc_batch_size),
    )


@dataclass(frozen=True)
class Context:
    """What a service operation runs with (see the module docstring).

    Attributes
    ----------
    settings : Settings
        The typed settings snapshot the edge read.
    database : Database or None
        The database (its engine shared by the process); ``None`` when none exists yet.
    factors : FactorSelection
        The factor source and matcher over the same versions.
    keys : KeyProvider
        The platform's signing keys (key files or a secret; :mod:`tanzuji.certify.keys`).
    clock : callable
        Returns the current time (UTC); tests pass a fixed one.
    actor : Actor or None
        The user acting, with role and organisation; ``None`` for anonymous reads.
    library : LibrarySource or None
        Resolves ``library:NAME/ID`` model inputs (the stored process libraries of
        ``database``); ``None`` when there is no database.
    """

    settings: Settings
    database: db.Database | None
    factors: FactorSelection
    keys: KeyProvider
    clock: Callable[[], dt.datetime] = utc_now
    actor: Actor | None = None
    library: LibrarySource | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        actor: Actor | str | None = None,
        release: str | None = None,
        need_database: bool = False,
        database: db.Database | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        keys: KeyProvider | None = None,
    ) -> Context:
        """Build the context of one request, command or job.

        Parameters
        ----------
        settings : Settings
            The snapshot the edge read (``tanzuji.settings.load()``).
        actor : Actor or str, optional
            Who acts: a user id is looked up in the database (``users``).
        release : str, optional
            Pin the factors to this release (default: the ``factor_release`` setting; empty
            means unpinned).
        need_database : bool
            Open the database even when the embedded file does not exist yet (it is created).
        database : Database, optional
            Use this database instead of the one the settings name (tests, a web app that
            opened it at start).
        clock : callable, optional
            The clock (default: UTC now, to the second).
        keys : KeyProvider, optional
            The signing keys (default: the key files in ``data_dir/keys``). The command line
            passes :func:`~tanzuji.certify.keys.open_key_provider` of its environment, which
            takes a key handed in as a secret (``TANZUJI_SIGNING_KEY``) when one is set.

        Raises
        ------
        DatabaseBehind, StoreUnavailable
            When the database is older than this version or cannot be reached.
        NotFound
            When the acting user does not exist.
        """
        if database is None:
            database = open_database(settings, create=need_database)
        chosen = str(settings.factor_release or "") if release is None else release
        context = cls(
            settings=settings,
            database=database,
            factors=select_factors(database, chosen or None),
            keys=keys or FileKeyring(settings.data_path / "keys"),
            clock=clock or utc_now,
            library=DatabaseLibrarySource(database.engine) if database is not None else None,
        )
        if isinstance(actor, str):
            return context.with_user(actor)
        return context.with_actor(actor) if actor is not None else context

    # variants ----------------------------------------------------------------------------
    def with_actor(self, actor: Actor | None) -> Context:
        """The same context acted in by ``actor``."""
        return replace(self, actor=actor)

    def with_user(self, user_id: str) -> Context:
        """The same context acted in by the stored user ``user_id`` (``public``: anyone)."""
        from tanzuji.store.organisations import OrganisationRepository, public_actor

        if user_id == "public":
            return self.with_actor(public_actor())
        with self.unit_of_work(write=False) as session:
            return self.with_actor(OrganisationRepository(session).actor(user_id))

    def with_release(self, release: str | None) -> Context:
        """The same context with the factors pinned to ``release`` (``None``: unpinned)."""
        return replace(self, factors=select_factors(self.database, release))

    # what services read -------------------------------------------------------------------
    def now(self) -> dt.datetime:
        """The current time from the context's clock."""
        return self.clock()

    @property
    def data_dir(self) -> Path:
        return self.settings.data_path

    @property
    def limits(self) -> InputLimits:
        """Input size limits (settings ``max_*``)."""
        return input_limits(self.settings)

    @property
    def solver_options(self) -> SolverOptions:
        """Technosphere solver options (settings ``solver_*``, ``use_umfpack``)."""
        return solver_options(self.settings)

    @property
    def monte_carlo_options(self) -> MonteCarloOptions:
        """Monte Carlo options (settings ``mc_*``)."""
        return monte_carlo_options(self.settings)

    @property
    def snapshots(self) -> SnapshotCache:
        """The process's cache of snapshot intensities (``data_dir/snapshots``, setting
        ``snapshot_cache_entries``; :mod:`tanzuji.scale.snapshot`)."""
        from tanzuji.scale.snapshot import cache_for

        return cache_for(self.data_dir / "snapshots", int(self.settings.snapshot_cache_entries))

    def require_database(self) -> db.Database:
        """The database, or a clear error when there is none."""
        if self.database is None:
            raise StoreUnavailable(
                "there is no database yet; `tanzuji db upgrade` creates one (or "
                "`tanzuji factors load-starter` with the starter data)"
            )
        return self.database

    def require_actor(self) -> Actor:
        """The acting user, or a clear error when nobody was named."""
        if self.actor is None:
            raise PermissionDenied("this step needs a user: name who acts (--as USER)")
        return self.actor

    def factor_database(self) -> FactorDatabase:
        """The factor database of :attr:`database`."""
        return FactorDatabase(self.require_database().engine)

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction on the context's database (see ``Database.unit_of_work``)."""
        with self.require_database().unit_of_work(write=write) as session:
            yield session


__all__ = [
    "Context",
    "input_limits",
    "monte_carlo_options",
    "open_database",
    "select_factors",
    "solver_options",
    "utc_now",
]
