"""The link report of a library version: one row per linking decision, as CSV or JSON.

Every technosphere exchange that needs a provider is linked or reported with its reason
(:mod:`tanzuji.library.linking`); the report lists each decision with the process, flow,
amounts, provider or candidates, so a practitioner can check what the import decided.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from tanzuji.library import elementary, linking
from tanzuji.library.model import Library

#: Columns of the link report, in order.
REPORT_COLUMNS = (
    "process_id",
    "process",
    "location",
    "position",
    "flow_id",
    "flow",
    "flow_type",
    "direction",
    "amount",
    "unit",
    "amount_ref",
    "reference_unit",
    "decision",
    "linked",
    "provider_id",
    "provider",
    "candidates",
    "note",
    "unit_note",
)


def report_rows(
    library: Library, linked: linking.Linking, mappings: dict[str, elementary.GasMapping]
) -> list[dict[str, Any]]:
    """One row per linking decision, in process and exchange order."""
    processes = {p.id: p for p in library.processes}
    columns = {c.id: c for c in linked.columns}

    def label(column_id: str) -> str:
        column = columns.get(column_id)
        if column is None:
            return column_id
        name = processes[column.process].name
        return f"{name} / {library.flows[column.product].name}" if "#" in column_id else name

    rows = []
    for decision in sorted(linked.decisions, key=lambda d: (processes[d.process].name, d.position)):
        process = processes[decision.process]
        exchange = process.exchanges[decision.position]
        flow = library.flows[decision.flow]
        rows.append(
            {
                "process_id": process.id,
                "process": process.name,
                "location": process.location,
                "position": decision.position,
                "flow_id": flow.id,
                "flow": flow.name,
                "flow_type": flow.flow_type,
                "direction": "input" if exchange.is_input else "output",
                "amount": exchange.amount,
                "unit": exchange.unit,
                "amount_ref": exchange.amount_ref,
                "reference_unit": flow.reference_unit,
                "decision": decision.decision,
                "linked": decision.linked,
                "provider_id": decision.provider,
                "provider": label(decision.provider) if decision.provider else "",
                "candidates": "; ".join(f"{label(c)} ({c})" for c in decision.candidates),
                "note": decision.note,
                "unit_note": exchange.unit_note,
            }
        )
    return rows


def report_bytes(rows: list[dict[str, Any]], header: Mapping[str, Any], *, as_csv: bool) -> bytes:
    """The rows as CSV (``as_csv``), else as JSON with ``header`` (library, version, hash,
    rules, counts) before the decisions."""
    if as_csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=REPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue().encode("utf-8")
    document = {"format": "tanzuji-library-links", **header, "decisions": rows}
    return json.dumps(document, indent=1, ensure_ascii=False, default=str).encode("utf-8")


__all__ = ["REPORT_COLUMNS", "report_bytes", "report_rows"]
