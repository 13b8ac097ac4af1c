"""The data behind a chart or a report table, downloadable as CSV and JSON.

CSV cells are neutralised against spreadsheet formula injection by the one function every
exporter uses, :func:`tanzuji.factors.spreadsheet.neutralise` (OWASP "CSV Injection"): a text
cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading ``'`` so a
spreadsheet shows it as text instead of evaluating it. Numbers are written as numbers (a
removal of ``-0.31`` stays ``-0.31``).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from tanzuji.factors.spreadsheet import neutralise


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return neutralise(str(value))


@dataclass(frozen=True)
class Table:
    """Rows of named columns, in a fixed order (so exports are reproducible).

    Parameters
    ----------
    name : str
        File stem of the exports (``stages``, ``pareto_process``).
    columns : tuple of str
        Column names, in order; every row has exactly these keys.
    rows : list of dict
        The data; values are numbers, text, booleans or None.
    units : dict, optional
        Unit of a column, by name (``kg_co2e`` -> ``kg CO2e per FU``).
    """

    name: str
    columns: tuple[str, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)
    units: dict[str, str] = field(default_factory=dict)

    def to_csv(self) -> str:
        """CSV text (UTF-8, ``\\n`` line ends, formula cells neutralised)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([_cell(row.get(c)) for c in self.columns])
        return out.getvalue()

    def to_json(self) -> str:
        """JSON text: ``{"name", "columns", "units", "rows"}`` with sorted keys."""
        payload = {
            "name": self.name,
            "columns": list(self.columns),
            "units": self.units,
            "rows": [{c: row.get(c) for c in self.columns} for row in self.rows],
        }
        return json.dumps(payload, ensure_ascii=False, sort_keys=True, indent=1)
