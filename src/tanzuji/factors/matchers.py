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

:func:`default_matcher` picks the database when one is configured or exists (the same rule as
``tanzuji calc`` uses for factor ids), else the starter index.
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

    release: str | None

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


def default_matcher() -> FactorMatcher:
    """The factor database when one is configured or exists, else the starter factors."""
    from tanzuji import settings
    from tanzuji.factors.database import FactorDatabase
    from tanzuji.store import db

    if db.database_configured():
        return DatabaseMatcher(FactorDatabase.open(), settings.get("factor_release") or None)
    return StarterMatcher()


__all__ = ["DatabaseMatcher", "FactorMatcher", "StarterMatcher", "default_matcher"]
