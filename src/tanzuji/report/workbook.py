"""The whole result as an Excel workbook (openpyxl).

Sheets: ``summary`` (product, unit, total, lines of ISO 14067 7.2, identity), ``inputs``
(every input of the model as written, with its factor, amount per functional unit, kg CO2e and
citation), ``factors`` (each factor with version, release, content hash and citation),
``inventory`` (by gas), ``stages`` (by stage, and by stage and gas), ``processes`` (direct and
cradle-to-gate per activity), ``hotspots`` (by process and by factor), ``data_quality`` and
``monte_carlo`` (summary and top contributors, when the result has them).

Spreadsheet formula injection: a text cell starting with ``=``, ``+``, ``-`` or ``@`` would be
stored by openpyxl as a *formula*; every text cell is written as a string instead, with
``quotePrefix`` set (how Excel itself marks text that looks like a formula), so a factor named
``=HYPERLINK(...)`` shows as text and never runs (OWASP "CSV Injection"). Numbers stay numbers.

The cell values are reproducible; the file's bytes are not (openpyxl stamps the save time).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font

from tanzuji.factors.spreadsheet import FORMULA_TRIGGERS
from tanzuji.report import contributions, terms
from tanzuji.report.study import ISO14067_LINES, StudyInputs

HEADER = Font(bold=True)


def _put(sheet: Any, row: int, column: int, value: Any) -> None:
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = TYPE_STRING  # never a formula, whatever the first character
        if value.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True
    else:
        cell.value = value


def _sheet(
    book: Workbook, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    sheet = book.create_sheet(title)
    for j, name in enumerate(header, start=1):
        _put(sheet, 1, j, name)
        sheet.cell(row=1, column=j).font = HEADER
    for i, row in enumerate(rows, start=2):
        for j, value in enumerate(row, start=1):
            _put(sheet, i, j, value)
    sheet.freeze_panes = "A2"


def _summary(inputs: StudyInputs) -> list[tuple[str, Any]]:
    fp = inputs.footprint
    rows: list[tuple[str, Any]] = [
        ("product_id", fp.product_id),
        ("product_name_zh", fp.product_name_zh),
        ("product_name_en", fp.product_name_en),
        (
            "functional_unit",
            f"{fp.functional_unit.get('amount', 1):g} {fp.functional_unit.get('unit', '')}",
        ),
        ("gwp_set", fp.gwp_set),
        ("total_kg_co2e", fp.total_kg_co2e),
    ]
    rows += [(field, getattr(fp.iso14067, field)) for field, *_ in ISO14067_LINES]
    rows += [
        ("biogenic_carbon_content_kg", fp.biogenic_carbon_content_kg),
        ("model_sha256", fp.inputs.model_sha256),
        ("factors_sha256", fp.inputs.factors_sha256),
        ("tanzuji", str(fp.engine.get("tanzuji", ""))),
    ]
    if inputs.certificate is not None:
        rows.append(("certificate_id", inputs.certificate.certificate_id))
    return rows


def _model_inputs(inputs: StudyInputs) -> list[tuple[Any, ...]]:
    """Every input of the model as written, joined to its (process, factor) result."""
    used = {item.key: item for item in contributions.factor_inputs(inputs.footprint)}
    citations = {f.id: f.source for f in inputs.footprint.inputs.factors}
    rows = []
    for process in inputs.model.processes:
        for k, exchange in enumerate(process.inputs):
            link = exchange.factor or exchange.process or exchange.match or ""
            kind = "factor" if exchange.factor else "process" if exchange.process else "match"
            item = used.get((process.id, exchange.factor or ""))
            rows.append(
                (
                    process.id,
                    process.life_cycle_stage,
                    k,
                    kind,
                    link,
                    str(exchange.amount),
                    exchange.unit,
                    exchange.primary,
                    item.amount if item else None,
                    item.unit if item else None,
                    item.kg_co2e_per_unit if item else None,
                    item.kg_co2e if item else None,
                    citations.get(exchange.factor or "", ""),
                    exchange.comment or "",
                )
            )
    return rows


def workbook_bytes(inputs: StudyInputs, lang: str = "en") -> bytes:
    """The ``.xlsx`` bytes of the whole result."""
    terms.check_language(lang)
    fp = inputs.footprint
    book = Workbook()
    book.remove(book.worksheets[0])  # the empty sheet a new workbook starts with
    _sheet(book, "summary", ("field", "value"), _summary(inputs))
    _sheet(
        book,
        "inputs",
        (
            "process",
            "stage",
            "input_index",
            "links_to",
            "id",
            "amount_as_written",
            "unit",
            "primary",
            "factor_amount_per_fu",
            "factor_unit",
            "kg_co2e_per_unit",
            "kg_co2e_per_fu_process_factor",
            "citation",
            "comment",
        ),
        _model_inputs(inputs),
    )
    _sheet(
        book,
        "factors",
        ("id", "version", "release", "sha256", "illustrative", "citation"),
        [
            (f.id, f.version, f.release, f.sha256, f.illustrative, f.source)
            for f in fp.inputs.factors
        ],
    )
    _sheet(
        book,
        "inventory",
        ("gas", "origin", "aircraft", "removal", "mass_kg", "gwp100", "kg_co2e"),
        [
            (g.gas, g.origin, g.aircraft, g.removal, g.mass_kg, g.gwp100, g.kg_co2e)
            for g in fp.by_gas
        ],
    )
    stages = terms.stage_order(list(fp.by_stage))
    _sheet(
        book,
        "stages",
        ("life_cycle_stage", "name", "kg_co2e"),
        [(s, terms.stage_name(s, lang), fp.by_stage[s]) for s in stages],
    )
    _sheet(
        book,
        "stages_by_gas",
        ("life_cycle_stage", "gas", "origin", "aircraft", "removal", "mass_kg", "kg_co2e"),
        [
            (c.life_cycle_stage, c.gas, c.origin, c.aircraft, c.removal, c.mass_kg, c.kg_co2e)
            for c in fp.by_stage_gas or []
        ],
    )
    _sheet(
        book,
        "processes",
        (
            "id",
            "name_zh",
            "name_en",
            "stage",
            "kind",
            "amount",
            "unit",
            "direct_kg_co2e",
            "cradle_to_gate_kg_co2e",
        ),
        [
            (
                p.id,
                p.name_zh,
                p.name_en,
                p.life_cycle_stage,
                p.kind,
                p.amount,
                p.unit,
                p.direct_kg_co2e,
                p.upstream_kg_co2e,
            )
            for p in fp.by_process
        ],
    )
    _sheet(
        book,
        "hotspots",
        ("by", "id", "name_zh", "name_en", "kg_co2e", "share"),
        [
            (
                by,
                h.id,
                h.name_zh,
                h.name_en,
                h.kg_co2e,
                h.kg_co2e / fp.total_kg_co2e if fp.total_kg_co2e else None,
            )
            for by, items in (
                ("process", contributions.by_process(fp)),
                ("factor", contributions.by_factor(fp)),
            )
            for h in items
        ],
    )
    dq = fp.data_quality
    _sheet(
        book,
        "data_quality",
        ("indicator", "value"),
        []
        if dq is None
        else [
            ("dqr", dq.dqr),
            ("level", dq.level),
            ("level_zh", dq.level_zh),
            ("ter", dq.ter),
            ("ger", dq.ger),
            ("tir", dq.tir),
            ("p", dq.p),
            ("primary_data_share_percent", dq.primary_data_share),
            ("coverage", dq.coverage),
            ("processes_rated", ", ".join(dq.processes_rated)),
        ],
    )
    _monte_carlo(book, inputs)
    book.properties.creator = "Tanzuji"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _monte_carlo(book: Workbook, inputs: StudyInputs) -> None:
    summary = inputs.footprint.uncertainty
    columns = ("row", "mean", "median", "sd", "p2_5", "p97_5")
    rows = []
    if summary is not None:
        rows.append(("total", *(summary.total[k] for k in columns[1:])))
        rows += [(s, *(v[k] for k in columns[1:])) for s, v in summary.by_stage.items()]
    _sheet(book, "monte_carlo", columns, rows)
    _sheet(
        book,
        "sensitivity",
        ("location", "process", "distribution", "spearman", "variance_share"),
        []
        if summary is None
        else [
            (c.location, c.process, c.distribution, c.spearman, c.variance_share)
            for c in summary.top_contributors
        ],
    )
