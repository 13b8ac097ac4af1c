"""Which factors a calculation may use: one choice for ``factor:`` ids and ``match:`` texts.

A :class:`FactorSelection` pairs a :class:`~tanzuji.factors.base.FactorSource` (ids) with a
:class:`~tanzuji.factors.matchers.FactorMatcher` (activity texts) over the *same* factor
versions, so a model cannot take one factor from a pinned release and another from newer,
unreleased data. The edge builds it once (:class:`tanzuji.context.Context`):

- pinned to a database release: both resolve and match the versions pinned in it, nothing
  else;
- pinned to ``builtin``: the starter factors shipped with Tanzuji, no database;
- unpinned: the newest published database versions, with the built-in starter factors for
  ids the database lacks (and for matching while the database is empty).
"""

from __future__ import annotations

from dataclasses import dataclass

from tanzuji.factors.base import FactorSource
from tanzuji.factors.matchers import FactorMatcher, StarterMatcher
from tanzuji.factors.starter import BUILTIN_RELEASE, StarterFactorSource

#: The release name an application records when it pins no release (newest published).
UNPINNED = "newest"


@dataclass(frozen=True)
class FactorSelection:
    """A factor source and a matcher over the same factor versions.

    Attributes
    ----------
    release : str or None
        The pinned release (a database release name or ``builtin``); ``None`` when unpinned.
    source : FactorSource
        Resolves ``factor: ID`` references.
    matcher : FactorMatcher
        Chooses the factor of ``match:`` inputs.
    """

    release: str | None
    source: FactorSource
    matcher: FactorMatcher

    @property
    def release_name(self) -> str:
        """The release as an application records it (:data:`UNPINNED` when none)."""
        return self.release or UNPINNED


def builtin_selection() -> FactorSelection:
    """The starter factors shipped with Tanzuji (no database needed)."""
    return FactorSelection(BUILTIN_RELEASE, StarterFactorSource(), StarterMatcher())


__all__ = ["UNPINNED", "FactorSelection", "builtin_selection"]
