"""The whole result as an Excel workbook (openpyxl).

Sheets: ``summary`` (product, unit, total, lines of ISO 14067 7.2, the credits and
electricity totals, the result per declared and per sales unit, parameter set, identity),
``inputs`` (every input of the model as written, with its factor, amount per functional unit,
kg CO2e and citation), ``factors`` (each factor with version, release, content hash and
citation), ``inventory`` (by gas), ``stages`` (by stage in both semantics, and by stage and
gas), ``analysis_groups``, ``processes`` (direct and cradle-to-gate per activity),
``hotspots`` (by process and by factor), ``credits`` (each avoided product, substitution or
end-of-life credit with its file:line, counted or not; ISO 14067:2018 6.4.6),
``electricity`` (location- and market-based results, each input with market data and each
contractual instrument with the Scope 2 criteria it fails; ISO 14067:2018 6.4.9.4),
``data_quality``, ``monte_carlo`` and ``sensitivity``. A sheet whose data the result lacks
has its header row only.

Spreadsheet formula injection: a text cell starting with ``=``, ``+``, ``-`` or ``@`` would be
stored by openpyxl as a *formula*; every text cell is written as a string instead, with
``quotePrefix`` set (how Excel itself marks text that looks like a formula), so a factor named
``=HYPERLINK(...)`` shows as text and never runs (OWASP "CSV Injection"). Numbers stay numbers.

Reproducible bytes: openpyxl stamps the save time in ``docProps/core.xml`` and in every zip
entry; :func:`_fixed_times` rewrites both with the document's date (the certificate's issue
date, else the end of the model's reference period, else none: the dates are left out), so the
same inputs give the same file.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font

from tanzuji.factors.spreadsheet import FORMULA_TRIGGERS
from tanzuji.report import charts, contributions, terms
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
    if fp.credits is not None:
        rows += [
            ("burdens_kg_co2e", fp.credits.burdens_kg_co2e),
            ("credits_kg_co2e", fp.credits.credits_kg_co2e),
            ("credits_counted_kg_co2e", fp.credits.counted_kg_co2e),
            ("net_kg_co2e", fp.credits.net_kg_co2e),
        ]
    if fp.electricity is not None:
        rows += [
            ("electricity_reported", fp.electricity.reported),
            ("location_based_kg_co2e", fp.electricity.location_based_kg_co2e),
            ("market_based_kg_co2e", fp.electricity.market_based_kg_co2e),
        ]
    for label, unit in (("declared_unit", fp.per_declared_unit), ("sales_unit", fp.per_sales_unit)):
        if unit is not None:
            name = unit.name_en or f"{unit.amount:g} {unit.unit}"
            rows += [
                (label, name),
                (f"{label}_functional_units", unit.functional_units),
                (f"{label}_kg_co2e", unit.total_kg_co2e),
            ]
    rows += [
        ("parameter_set", fp.inputs.parameter_set),
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
    groups = fp.by_stage_analysis_groups or {}
    _sheet(
        book,
        "stages",
        ("life_cycle_stage", "name", "kg_co2e_direct", "kg_co2e_analysis_group"),
        [(s, terms.stage_name(s, lang), fp.by_stage[s], groups.get(s)) for s in stages],
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
                h.kg_co2e / charts.burdens(fp) if charts.burdens(fp) else None,
            )
            for by, items in (
                ("process", contributions.by_process(fp)),
                ("factor", contributions.by_factor(fp)),
            )
            for h in items
        ],
    )
    _sheet(
        book,
        "analysis_groups",
        ("group", "kg_co2e"),
        sorted((fp.analysis_groups or {}).items()),
    )
    _credits(book, inputs)
    _electricity(book, inputs)
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
    return _fixed_times(out.getvalue(), _document_date(inputs))


def _document_date(inputs: StudyInputs) -> str | None:
    """The date the workbook carries: the certificate's issue date, else the end of the
    reference period (the same dates the study report prints), else None."""
    if inputs.certificate is not None:
        return inputs.certificate.issued_at[:10]
    period = inputs.model.product.reference_period
    return period.end.isoformat() if period else None


#: Date of every zip entry (the zip format's earliest date; the entries' times carry nothing).
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
_CORE_DATE = re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>")


def _fixed_times(xlsx: bytes, date: str | None) -> bytes:
    """``xlsx`` with the save time replaced: ``date`` (``YYYY-MM-DD``) in the core properties,
    or no dates at all when None, and a fixed time on every zip entry."""

    def core_date(found: re.Match[bytes]) -> bytes:
        if date is None:
            return b""
        tag = found.group(1).decode()
        return f'<dcterms:{tag} xsi:type="dcterms:W3CDTF">{date}T00:00:00Z</dcterms:{tag}>'.encode()

    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == "docProps/core.xml":
                data = _CORE_DATE.sub(core_date, data)
            info = zipfile.ZipInfo(entry.filename, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)
    return out.getvalue()


def _credits(book: Workbook, inputs: StudyInputs) -> None:
    """Credits on their own sheet, never inside a total (ISO 14067:2018 6.4.6)."""
    credits = inputs.footprint.credits
    _sheet(
        book,
        "credits",
        (
            "location",
            "process",
            "life_cycle_stage",
            "kind",
            "avoided_id",
            "avoided_name_zh",
            "avoided_name_en",
            "amount_per_fu",
            "unit",
            "kg_co2e",
            "counted_in_total",
        ),
        []
        if credits is None
        else [
            (
                c.location,
                c.process,
                c.life_cycle_stage,
                c.kind,
                c.target_id,
                c.target_name_zh,
                c.target_name_en,
                c.amount,
                c.unit,
                c.kg_co2e,
                c.counted,
            )
            for c in credits.items
        ],
    )


def _electricity(book: Workbook, inputs: StudyInputs) -> None:
    """Location- and market-based electricity (ISO 14067:2018 6.4.9.4; GHG Protocol Scope 2
    dual reporting): one row per electricity input with market data, then one per instrument.
    Amounts are per run of the process, as in the model and ``Footprint.electricity``."""
    result = inputs.footprint.electricity
    rows: list[tuple[Any, ...]] = []
    if result is not None:
        rows.append(("result", "", "", result.reported, "", "", "", "", "", "", "", ""))
        rows.append(
            (
                "location_based",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                result.location_based_kg_co2e,
                "",
            )
        )
        rows.append(
            ("market_based", "", "", "", "", "", "", "", "", "", result.market_based_kg_co2e, "")
        )
    for use in result.inputs if result is not None else []:
        rows.append(
            (
                "input",
                use.location,
                use.process,
                use.grid_factor_id,
                use.residual_factor_id or "",
                use.amount,
                use.amount - use.residual_amount,
                use.residual_amount,
                use.unit,
                "",
                None,
                "; ".join(use.notes),
            )
        )
        for i in use.instruments:
            serials = (
                f"{i.serial_prefix}{i.serial_start}-{i.serial_prefix}{i.serial_end}"
                if i.serial_start is not None
                else i.contract_id or ""
            )
            rows.append(
                (
                    f"instrument:{i.type}",
                    i.location,
                    use.process,
                    i.factor_id,
                    f"{i.registry} {serials}".strip(),
                    i.amount,
                    i.counted,
                    None,
                    use.unit,
                    "counted" if i.qualifies else "not counted",
                    None,
                    "; ".join(i.reasons),
                )
            )
    _sheet(
        book,
        "electricity",
        (
            "row",
            "location",
            "process",
            "factor",
            "residual_mix_or_registry_serials",
            "amount_per_run",
            "covered_or_counted_per_run",
            "residual_per_run",
            "unit",
            "status",
            "kg_co2e",
            "notes_or_reasons",
        ),
        rows,
    )


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
