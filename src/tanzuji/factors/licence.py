"""Licences of factors, and excluding sources by licence (``--exclude-licence``).

A factor's ``licence`` field is free text (the terms as the publisher states them). Tanzuji's
own data and builders start it with one or more licence identifiers and a colon: an SPDX
identifier where one exists (``OGL-UK-3.0``, ``MIT``, ``CC0-1.0``) or an SPDX-style
``LicenseRef-...`` otherwise (``LicenseRef-IPCC-Copyright``), several joined by ``AND``::

    OGL-UK-3.0: Open Government Licence v3.0 (UK DESNZ) ...
    LicenseRef-IPCC-Copyright: "You may freely download and copy the material ..."

A deployment decides which terms it can accept: :func:`excluded` says whether a licence falls
under one of the operator's exclusion patterns; :func:`partition` splits records. The store's
search, match, import and release take the same patterns.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tanzuji.factors.record import FactorRecord

_ID = r"[A-Za-z0-9][A-Za-z0-9.+\-]*"
_PREFIX = re.compile(rf"^\s*({_ID}(?:\s+(?:AND|OR|WITH)\s+{_ID})*)\s*:")
_GLOB = re.compile(r"[*?\[]")


def licence_ids(licence: str) -> tuple[str, ...]:
    """The licence identifiers at the start of a licence field (before the first colon).

    Examples
    --------
    >>> licence_ids("OGL-UK-3.0 AND Apache-2.0: Open Government Licence ...")
    ('OGL-UK-3.0', 'Apache-2.0')
    >>> licence_ids("free text without identifiers")
    ()
    """
    match = _PREFIX.match(licence)
    if not match:
        return ()
    return tuple(t for t in match.group(1).split() if t not in ("AND", "OR", "WITH"))


def excluded(licence: str, patterns: Iterable[str]) -> str | None:
    """The first pattern that excludes a factor of this licence, else ``None``.

    A pattern excludes a licence when, ignoring case, it equals one of the licence's
    identifiers (:func:`licence_ids`), matches one as a glob (``LicenseRef-*``), or occurs in
    the licence text (``non-commercial``).
    """
    text = licence.lower()
    ids = [i.lower() for i in licence_ids(licence)]
    for pattern in patterns:
        wanted = pattern.strip().lower()
        if not wanted:
            continue
        if _GLOB.search(wanted):
            if any(fnmatch.fnmatchcase(i, wanted) for i in ids) or fnmatch.fnmatchcase(
                text, wanted
            ):
                return pattern
        elif wanted in ids or wanted in text:
            return pattern
    return None


def partition(
    records: Iterable[FactorRecord], patterns: Sequence[str]
) -> tuple[list[FactorRecord], list[tuple[FactorRecord, str]]]:
    """Records kept, and records excluded with the pattern that excluded each."""
    kept: list[FactorRecord] = []
    dropped: list[tuple[FactorRecord, str]] = []
    for record in records:
        hit = excluded(record.licence, patterns) if patterns else None
        if hit is None:
            kept.append(record)
        else:
            dropped.append((record, hit))
    return kept, dropped


def allowed(licences: Iterable[str], patterns: Sequence[str]) -> tuple[str, ...] | None:
    """The licences (of a stored set) no pattern excludes; ``None`` when there are no patterns."""
    if not patterns:
        return None
    return tuple(sorted({lic for lic in licences if excluded(lic, patterns) is None}))


__all__ = ["allowed", "excluded", "licence_ids", "partition"]
