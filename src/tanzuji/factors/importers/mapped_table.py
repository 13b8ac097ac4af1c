"""Factor tables with foreign columns, read through a column mapping.

A table that does not use the template's column names (``docs/importers.md``) is read with a
:class:`ColumnMapping`: for each record field, the column that holds it (``value=CO2e factor``)
or a constant for every row (``licence=CC BY 4.0``). A column named like a template column is
used as it is; other columns are ignored and listed in the preview. Field names are the
template's columns plus a few aliases (:data:`ALIASES`: ``value`` is ``kg_co2e``, ``name`` is
``name_en``, ``publisher`` is ``source_publisher`` ...).

:func:`preview` reads the whole table without raising: every row that would be imported, the
first few as records, and one message per problem (row, column, what was found). :func:`read`
is the import: it raises one :class:`~tanzuji.errors.FactorImportError` listing every problem,
so nothing is written unless every row is good.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from tanzuji.errors import FactorImportError, TanzujiError
from tanzuji.factors.importers import ImportResult, table
from tanzuji.factors.record import FactorRecord

#: Field names a mapping may use besides the template columns, and the column they mean.
ALIASES = {
    "value": "kg_co2e",
    "co2e": "kg_co2e",
    "name": "name_en",
    "publisher": "source_publisher",
    "document": "source_document",
    "table": "source_table",
    "url": "source_url",
    "accessed": "source_accessed",
    "doi": "source_doi",
    "license": "licence",
    "region": "geography",
}
FIELDS = frozenset(table.COLUMNS) | frozenset(table.OPTIONAL_COLUMNS)


@dataclass(frozen=True)
class ColumnMapping:
    """Record field -> table column, and record field -> constant text."""

    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)

    def merged(self, other: ColumnMapping) -> ColumnMapping:
        """This mapping with ``other``'s entries on top (a saved mapping, then the options)."""
        return ColumnMapping(
            {**self.columns, **other.columns}, {**self.constants, **other.constants}
        )


def parse(pairs: str | list[str], what: str = "--map") -> dict[str, str]:
    """``"value=CO2e,unit=Unit"`` (or a list of such) -> ``{"kg_co2e": "CO2e", "unit": "Unit"}``.

    A value with a comma is quoted: ``source_document="Table 2, 2023"``.

    Raises
    ------
    FactorImportError
        An entry is not ``FIELD=VALUE`` or names an unknown field.
    """
    texts = [pairs] if isinstance(pairs, str) else list(pairs)
    out: dict[str, str] = {}
    for text in texts:
        for entry in _split(text):
            name, sep, value = entry.partition("=")
            name = name.strip()
            if not sep or not name:
                raise FactorImportError(
                    f"{what} entry {entry!r} is not FIELD=VALUE; expected e.g. "
                    "value=CO2e,unit=Unit",
                    field=what,
                    found=entry,
                )
            out[canonical(name, what)] = value.strip().strip('"').strip("'")
    return out


def _split(text: str) -> list[str]:
    return [p for p in re.findall(r'(?:[^,"\']|"[^"]*"|\'[^\']*\')+', text) if p.strip()]


def canonical(name: str, what: str = "--map") -> str:
    """The template column a field name means (an alias resolved)."""
    lowered = name.strip().lower()
    column = ALIASES.get(lowered, lowered)
    if column not in FIELDS:
        raise FactorImportError(
            f"{what} names field {name!r}, which a factor record does not have; expected one of "
            f"{', '.join(sorted(FIELDS | set(ALIASES)))}",
            field=what,
            found=name,
        )
    return column


@dataclass
class Preview:
    """What importing a table with a mapping would do (nothing is written)."""

    rows: int
    records: list[FactorRecord]
    problems: list[str]
    used: dict[str, str]
    ignored: list[str]

    @property
    def first(self) -> list[FactorRecord]:
        return self.records[:5]


def preview(path: Path, mapping: ColumnMapping) -> Preview:
    """Read every row of ``path`` through ``mapping`` and collect the problems (no raise)."""
    header, rows, where = _table(path)
    header_problems = _header_problems(header, mapping)
    problems = list(header_problems)
    used = {c: c for c in header if c in FIELDS and c not in mapping.columns}
    used |= {f: c for f, c in mapping.columns.items()}
    ignored = [h for h in header if h and h not in used.values()]
    records: list[FactorRecord] = []
    count = 0
    seen: dict[str, int] = {}
    for number, values in enumerate(rows, start=2):
        raw = dict(zip(header, (table._cell(v) for v in values), strict=False))
        if not any(raw.values()):
            continue
        count += 1
        if header_problems:  # every row would fail the same way: report the header once
            continue
        row = {f: raw.get(c, "") for f, c in used.items()} | dict(mapping.constants)
        location = f"{where}: row {number}"
        try:
            record = table.row_record(row, location)
        except TanzujiError as exc:
            problems.append(str(exc))
            continue
        if record.id in seen:
            problems.append(f"{location}: id {record.id!r} repeats row {seen[record.id]}")
            continue
        seen[record.id] = number
        records.append(record)
    if count == 0:
        problems.append(f"{where}: no data rows under the header")
    return Preview(count, records, problems, used, ignored)


def read(path: Path, mapping: ColumnMapping) -> ImportResult:
    """The records of ``path`` read through ``mapping``.

    Raises
    ------
    FactorImportError
        Listing every problem of the table (nothing is imported).
    """
    return ImportResult(records=records_of(preview(path, mapping), str(path)))


def records_of(result: Preview, where: str) -> list[FactorRecord]:
    """The records of a previewed table, or one error listing every problem of it.

    Raises
    ------
    FactorImportError
        The preview found problems (nothing may be imported).
    """
    if result.problems:
        shown = "\n  ".join(result.problems[:50])
        more = f"\n  ... and {len(result.problems) - 50} more" if len(result.problems) > 50 else ""
        raise FactorImportError(
            f"{len(result.problems)} problem(s) in {Path(where).name} read with the column "
            f"mapping; nothing was imported (没有导入任何记录):\n  {shown}{more}",
            location=where,
            problems=result.problems,
        )
    return result.records


def _table(path: Path) -> tuple[list[str], list[list], str]:
    rows, where = table.table_rows(Path(path))
    return [str(h or "").strip() for h in rows[0]], rows[1:], where


def _header_problems(header: list[str], mapping: ColumnMapping) -> list[str]:
    problems = []
    for name, column in mapping.columns.items():
        if column not in header:
            problems.append(
                f"--map {name}={column} names column {column!r}, which the header does not "
                f"have; the header has: {', '.join(h for h in header if h)}"
            )
    for name in table._REQUIRED:
        if name not in mapping.columns and name not in mapping.constants and name not in header:
            problems.append(
                f"field {name!r} is required and neither mapped (--map {name}=COLUMN), given "
                f"(--set {name}=VALUE) nor a column of the table"
            )
    has_amount = any(
        n in mapping.columns or n in mapping.constants or n in header
        for n in ("kg_co2e", "other_gases", *table.GAS_COLUMNS)
    )
    if not has_amount:
        problems.append(
            "no amount: map kg_co2e (value=COLUMN) or a gas column such as co2_fossil_kg"
        )
    return problems
