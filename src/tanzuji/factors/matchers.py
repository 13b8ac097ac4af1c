"""Matchers a product model uses to choose a factor for a ``match:`` input.

A matcher answers :meth:`FactorMatcher.match` (ranked :class:`~tanzuji.factors.match.Candidate`
objects, as :meth:`FactorIndex.match <tanzuji.factors.match.FactorIndex.match>`) and names the
release its factors come from, so that a footprint records where a matched factor came from
exactly as it does for a factor named by id:

- :class:`StarterMatcher` — the in-memory index over the built-in starter factors (release
  ``builtin``); the index is built once per process, on first use (segmenting the Chinese
  names with jieba takes about a second).
- :class:`DatabaseMatcher` — :meth:`FactorDatabase.match
  <tanzuji.factors.database.FactorDatabase.match>` over the published factors, or over the
  versions pinned in one release.

Which matcher a calculation uses is decided once, at the edge, together with the source of
factor ids (:class:`~tanzuji.factors.selection.FactorSelection`, built by
:class:`tanzuji.context.Context`), so that ``factor:`` and ``match:`` inputs come from the same
versions.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from tanzuji.factors.match import Candidate, FactorIndex
from tanzuji.factors.starter import BUILTIN_RELEASE, load_starter

if TYPE_CHECKING:
    from tanzuji.factors.database import FactorDatabase


class FactorMatcher(Protocol):
    """What ``tanzuji.model.compile`` needs to resolve a ``match:`` input.

    Attributes
    ----------
    release : str or None
        Release recorded on the factors this matcher picks (``builtin`` for the starter data,
        a database release name, or None for the newest published database versions).
    """

    @property
    def release(self) -> str | None:
        """Release recorded on the factors this matcher picks."""
        ...

    def match(
        self,
        text: str,
        amount: float | None = None,
        unit: str | None = None,
        geography: str | None = None,
        year: int | None = None,
    ) -> list[Candidate]:
        """Candidates for an activity, best first; empty when nothing fits."""
        ...


@lru_cache(maxsize=1)
def starter_index() -> FactorIndex:
    """The in-memory index over :func:`~tanzuji.factors.starter.load_starter` (built once)."""
    return FactorIndex(load_starter())


class StarterMatcher:
    """Matches activity text against the built-in starter factors (no database needed)."""

    release: str | None = BUILTIN_RELEASE

    def match(
        self,
        text: str,
        amount: float | None = None,
        unit: str | None = None,
        geography: str | None = None,
        year: int | None = None,
    ) -> list[Candidate]:
        return starter_index().match(text, amount=amount, unit=unit, geography=geography, year=year)


class DatabaseMatcher:
    """Matches activity text against the factor database.

    Parameters
    ----------
    database : FactorDatabase
        An opened (migrated) factor database.
    release : str, optional
        Match against the versions pinned in this release; default: the newest published
        versions (as :class:`~tanzuji.factors.database.DatabaseFactorSource` resolves ids).
    """

    def __init__(self, database: FactorDatabase, release: str | None = None) -> None:
        self.database = database
        self.release = release or None

    def match(
        self,
        text: str,
        amount: float | None = None,
        unit: str | None = None,
        geography: str | None = None,
        year: int | None = None,
    ) -> list[Candidate]:
        return self.database.match(
            text, amount=amount, unit=unit, geography=geography, year=year, release=self.release
        )


class DatabaseOrStarterMatcher:
    """The factor database when it holds factors, else the built-in starter factors.

    The unpinned choice (no release named): ids resolve from the newest published versions of
    the database and fall back to the built-in data, so matching uses the database once it has
    been loaded and the built-in index before. The database is asked once, on the first match.
    """

    def __init__(self, database: FactorDatabase) -> None:
        self.database = database
        self._chosen: FactorMatcher | None = None

    def chosen(self) -> FactorMatcher:
        """The matcher answering (decided on first use)."""
        if self._chosen is None:
            has_factors = self.database.indexed_count() > 0
            self._chosen = DatabaseMatcher(self.database) if has_factors else StarterMatcher()
        return self._chosen

    @property
    def release(self) -> str | None:
        return self.chosen().release

    def match(
        self,
        text: str,
        amount: float | None = None,
        unit: str | None = None,
        geography: str | None = None,
        year: int | None = None,
    ) -> list[Candidate]:
        return self.chosen().match(text, amount=amount, unit=unit, geography=geography, year=year)


__all__ = ["DatabaseMatcher", "DatabaseOrStarterMatcher", "FactorMatcher", "StarterMatcher"]
