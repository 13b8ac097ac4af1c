"""``tanzuji factors ...`` — the emission-factor database (排放因子数据库).

The database is the ``database_url`` setting (``TANZUJI_DATABASE_URL``), else the SQLite file
``tanzuji.db`` in ``data_dir``, created on first use. Each command parses its arguments, calls
:mod:`tanzuji.services.factors` and prints the result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from tanzuji.cli.app import app, console, console_err, context
from tanzuji.cli.inputs import read_bytes
from tanzuji.errors import FactorImportError
from tanzuji.factors.database import IMPORTERS, ImportReport
from tanzuji.factors.match import Candidate, candidates_json
from tanzuji.factors.record import FactorRecord
from tanzuji.services import factors as service
from tanzuji.services import library as library_service
from tanzuji.services.factors import STARTER_REVIEWER, ExportFormat

factors_app = typer.Typer(
    help="The emission-factor database: import, review, release, export (排放因子数据库).",
    no_args_is_help=True,
)
release_app = typer.Typer(
    help="Named, immutable snapshots of the published factors (因子库版本).",
    no_args_is_help=True,
)
factors_app.add_typer(release_app, name="release")
app.add_typer(factors_app, name="factors")

__all__ = ["STARTER_REVIEWER", "factors_app"]


def exclude_licence_option(what: str = "factors") -> Any:
    """``--exclude-licence PATTERN`` (repeatable): licences this deployment does not accept.

    Typed ``Any`` like ``typer.Option`` itself, so it can default a ``list[str]`` parameter.
    """
    return typer.Option(
        None,
        "--exclude-licence",
        help=f"Leave out {what} whose licence matches (licence id, glob or words, e.g. "
        "LicenseRef-IPCC-Copyright, 'non-commercial'); repeatable.",
    )


@factors_app.command("import")
def import_(
    file: Path = typer.Argument(..., help="File of factor records."),
    fmt: str = typer.Option(
        None, "--format", help=f"One of {', '.join(IMPORTERS)} (default: detected)."
    ),
    status: str = typer.Option(
        None, "--status", help="Initial status of every imported version (default: draft)."
    ),
    reviewer: str = typer.Option(
        None, "--reviewer", help="Reviewer, needed with --status published."
    ),
    exclude_licence: list[str] = exclude_licence_option(),
    columns: list[str] = typer.Option(
        [], "--map", help="Foreign columns: FIELD=COLUMN,... e.g. value=CO2e,unit=Unit."
    ),
    constants: list[str] = typer.Option(
        [], "--set", help="A value for every row: FIELD=TEXT,... e.g. licence='CC BY 4.0'."
    ),
    mapping: str = typer.Option(None, "--mapping", help="Use the saved column mapping NAME."),
    save_mapping: str = typer.Option(None, "--save-mapping", help="Save the mapping as NAME."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Preview what would be imported; write nothing."
    ),
) -> None:
    """Import FILE in one transaction: all records or none (导入因子).

    A record identical to a factor's newest version is skipped; a changed one becomes a new
    version; a record under an excluded licence is skipped and logged. A table with foreign
    columns is read through a column mapping (--map, --set, --mapping; docs/importers.md); a
    JSON-LD or ILCD file of flows, flow properties and unit groups goes into the reference tables.
    """
    from tanzuji.cli.library import print_preview, print_reference
    from tanzuji.factors.importers.mapped_table import parse

    ctx = context(need_database=True)
    if file.is_dir():
        raise FactorImportError(
            f"cannot import {file}: it is a folder; import a file (zip a package folder first)"
        )
    content = read_bytes(file, "factor file", FactorImportError, ctx.limits)
    excluded = tuple(exclude_licence or ())
    if columns or constants or mapping or save_mapping or dry_run:
        request = library_service.FactorTableRequest(
            name=file.name,
            content=content,
            columns=parse(columns, "--map"),
            constants=parse(constants, "--set"),
            mapping_name=mapping,
            save_as=save_mapping,
            dry_run=dry_run,
            status=status,
            reviewer=reviewer,
            exclude_licences=excluded,
        )
        result = library_service.import_factor_table(ctx, request)
        print_preview(result)
        if result.report is not None:
            print_import(result.report)
        if result.saved_version is not None:
            console.print(
                f"mapping 映射 {save_mapping!r} saved as version {result.saved_version}",
                highlight=False,
            )
        if dry_run and result.preview.problems:
            raise typer.Exit(1)
        return
    outcome = library_service.import_factor_file(
        ctx,
        service.ImportRequest(
            name=file.name,
            content=content,
            format=fmt,
            status=status,
            reviewer=reviewer,
            exclude_licences=excluded,
        ),
    )
    if outcome.reference is not None:
        console.print(
            f"{file.name} holds reference data, no factor: imported into the reference tables "
            "(参考数据已导入)",
            highlight=False,
        )
        print_reference(outcome.reference)
    elif outcome.factors is not None:
        print_import(outcome.factors)


def print_import(report: ImportReport) -> None:
    table = Table(
        title=f"import 导入 #{report.import_id}: {report.source_name} "
        f"({report.started_at:%Y-%m-%d %H:%M} UTC)"
    )
    for header in ("# 序号", "factor id 因子", "version 版本", "action 操作", "reason 原因"):
        table.add_column(header)
    for e in report.entries:
        table.add_row(str(e.position), e.factor_id, str(e.version or ""), e.action, e.reason)
    console.print(table)
    console.print(
        f"imported 导入 {report.imported} · skipped 跳过 {report.skipped}", highlight=False
    )


@factors_app.command("load-starter")
def load_starter_command(
    sets: list[str] = typer.Option(
        [],
        "--with",
        help="also load an optional shipped set (可选数据集), e.g. gbt51366 "
        "(GB/T 51366-2019 building materials and freight); repeatable",
    ),
) -> None:
    """Load the shipped starter factors as published (初始数据): China grid, IPCC 2006, ..."""
    print_import(service.load_starter(context(need_database=True), sets=sets or ()))


def _print_candidates(found: service.Candidates, title: str) -> None:
    if found.source == "builtin":
        console_err.print(
            "no factor database yet (尚无因子数据库): searched the shipped starter data in "
            "memory; `tanzuji factors load-starter` creates the database",
            highlight=False,
        )
    candidates: list[Candidate] = found.candidates
    if not candidates:
        console.print(
            f"{title}: no factor found 未找到因子 (no factor shares a word with the text and has "
            "a unit convertible from the activity's unit 无匹配词或单位不可换算)"
        )
        return
    table = Table(title=title)
    for header in ("factor id 因子", "name 名称", "unit 单位", "confidence 置信度", "why 依据"):
        table.add_column(header)
    for c in candidates:
        r = c.record
        name = " / ".join(n for n in (r.name_zh, r.name_en) if n)
        table.add_row(r.id, name, r.unit, f"{c.confidence:.3f}", c.explanation)
    console.print(table)


@factors_app.command()
def search(
    text: str = typer.Argument(..., help="Words in Chinese or English."),
    unit_dimension: str = typer.Option(
        None, "--unit-dimension", help="Only factors whose unit has the dimension of this unit."
    ),
    geo: str = typer.Option(None, "--geo", help="ISO 3166 code or grid region, e.g. CN-GD."),
    year: int = typer.Option(None, "--year", help="Reference year."),
    boundary: str = typer.Option(None, "--boundary", help="e.g. cradle_to_gate."),
    status: str = typer.Option(
        None, "--status", help="draft, under_review, published or deprecated."
    ),
    release: str = typer.Option(None, "--release", help="Search this release's factors."),
    limit: int = typer.Option(20, "--limit", help="Number of hits."),
    exclude_licence: list[str] = exclude_licence_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the hits as JSON."),
) -> None:
    """Full-text search of the factors, Chinese or English, with filters (搜索因子)."""
    request = service.SearchRequest(
        text=text,
        unit_dimension=unit_dimension,
        geography=geo,
        year=year,
        boundary=boundary,
        status=status,
        release=release,
        limit=limit,
        exclude_licences=tuple(exclude_licence or ()),
    )
    found = service.search(context(), request)
    if as_json:
        typer.echo(candidates_json(found.candidates, request.model_dump(mode="json")))
        return
    _print_candidates(found, f"search 搜索: {text}")


@factors_app.command()
def match(
    text: str = typer.Argument(..., help="Activity text, e.g. '外购电力 广东 2023'."),
    amount: float = typer.Option(None, "--amount", help="Activity amount in --unit."),
    unit: str = typer.Option(None, "--unit", help="Activity unit, e.g. kWh."),
    geo: str = typer.Option(None, "--geo", help="ISO 3166 code or grid region, e.g. CN-GD."),
    year: int = typer.Option(None, "--year", help="Activity year."),
    release: str = typer.Option(None, "--release", help="Match against this release."),
    limit: int = typer.Option(5, "--limit", help="Number of candidates."),
    exclude_licence: list[str] = exclude_licence_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the candidates as JSON."),
) -> None:
    """Propose factors for an activity, with confidence and why (匹配因子).

    Uses the published factors of the database (or those of --release) through its search
    index; without a database, the shipped starter data in memory.
    """
    request = service.MatchRequest(
        text=text,
        amount=amount,
        unit=unit,
        geography=geo,
        year=year,
        release=release,
        limit=limit,
        exclude_licences=tuple(exclude_licence or ()),
    )
    found = service.match(context(), request)
    if as_json:
        typer.echo(candidates_json(found.candidates, request.model_dump(mode="json")))
        return
    _print_candidates(found, f"match 匹配: {text}")


@factors_app.command("imports")
def imports_(
    last: int = typer.Option(10, "--last", help="How many of the latest imports to list."),
) -> None:
    """The import log: what each import brought in, what it skipped and why (导入记录)."""
    for report in service.imports(context(need_database=True), last):
        print_import(report)


@factors_app.command()
def show(
    factor_id: str = typer.Argument(..., metavar="ID", help="Factor id."),
    version: int = typer.Option(None, "--version", help="Version (default: the newest)."),
    release: str = typer.Option(None, "--release", help="The version pinned in this release."),
    as_json: bool = typer.Option(False, "--json", help="Print the record as JSON."),
) -> None:
    """Show one version of a factor (查看因子)."""
    record = service.show(context(need_database=True), factor_id, version, release)
    if as_json:
        typer.echo(record.model_dump_json(indent=2))
        return
    console.print(record_table(record))


def record_table(record: FactorRecord) -> Table:
    """Field / value table of a record, bilingual field labels."""
    table = Table(title=f"{record.id} v{record.version}", show_header=True)
    table.add_column("field 字段")
    table.add_column("value 值")
    source = record.source
    rows = [
        ("name 名称", " / ".join(n for n in (record.name_zh, record.name_en) if n)),
        ("activity 活动", record.activity),
        ("unit 单位", record.unit),
        ("heating value 热值基准", HEATING_VALUES.get(record.heating_value or "", "")),
        ("kg CO2e per unit 每单位", "" if record.kg_co2e is None else f"{record.kg_co2e:g}"),
        (
            "gases 气体 (kg/unit)",
            "; ".join(
                f"{g.gas} {g.origin}{' aircraft' if g.aircraft else ''} {g.amount_kg:g}"
                for g in record.gases
            ),
        ),
        ("GWP set 全球变暖潜势", record.gwp_set or ""),
        ("boundary 系统边界", record.boundary),
        ("geography 地理范围", record.geography),
        ("year 年份", "" if record.year is None else str(record.year)),
        ("valid 有效期", f"{record.valid_from or ''} .. {record.valid_to or ''}"),
        (
            "source 来源",
            "; ".join(
                str(p)
                for p in (
                    source.publisher,
                    source.document,
                    source.table,
                    source.url,
                    source.doi,
                    source.accessed,
                )
                if p
            ),
        ),
        ("licence 许可", record.licence),
        ("pedigree 数据质量", str(record.pedigree.as_tuple()) if record.pedigree else ""),
        (
            "uncertainty 不确定性",
            record.uncertainty.model_dump_json(exclude_none=True) if record.uncertainty else "",
        ),
        ("classification 分类", ", ".join(f"{k} {v}" for k, v in record.classification.items())),
        ("status 状态", record.status),
        ("reviewer 审核人", record.reviewer or ""),
        ("reviewed 审核时间", str(record.reviewed_at or "")),
        ("created 创建时间", str(record.created_at or "")),
        ("comment 备注", record.comment),
    ]
    for label, value in rows:
        if value:
            table.add_row(label, value)
    return table


#: How ``factors show`` names the heating-value basis of a fuel factor.
HEATING_VALUES = {"HHV": "HHV (GCV, gross 高位热值)", "LHV": "LHV (NCV, net 低位热值)"}


@factors_app.command()
def history(factor_id: str = typer.Argument(..., metavar="ID", help="Factor id.")) -> None:
    """Every version of a factor, what changed, its status moves and releases (历史)."""
    table = Table(title=f"{factor_id}: history 历史")
    for header in (
        "version 版本",
        "status 状态",
        "changed fields 修改字段",
        "status moves 状态变更",
        "releases 版本库",
        "sha256",
    ):
        table.add_column(header)
    for entry in service.history(context(need_database=True), factor_id):
        moves = "\n".join(
            f"{c.from_status or '-'} -> {c.to_status} {c.reviewer or ''} "
            f"{c.changed_at:%Y-%m-%d %H:%M}"
            for c in entry.status_changes
        )
        table.add_row(
            str(entry.record.version),
            entry.record.status,
            ", ".join(entry.changed_fields) or ("(first)" if entry.record.version == 1 else ""),
            moves,
            ", ".join(entry.releases),
            entry.content_hash[:12],
        )
    console.print(table)


@factors_app.command()
def review(
    factor_id: str = typer.Argument(..., metavar="ID", help="Factor id."),
    status: str = typer.Option(
        ..., "--status", help="under_review, published, draft (send back) or deprecated."
    ),
    reviewer: str = typer.Option(..., "--reviewer", help="Name of the reviewer (审核人)."),
    version: int = typer.Option(None, "--version", help="Version (default: the newest)."),
    note: str = typer.Option("", "--note", help="Why (kept in the status log)."),
) -> None:
    """Move a factor version along draft -> under_review -> published -> deprecated (审核)."""
    request = service.ReviewRequest(
        factor_id=factor_id, status=status, reviewer=reviewer, version=version, note=note
    )
    record = service.review(context(need_database=True), request)
    console.print(
        f"{record.id} v{record.version}: status 状态 {record.status} "
        f"(reviewer 审核人 {record.reviewer})",
        highlight=False,
    )


@release_app.command("create")
def release_create(
    name: str = typer.Argument(..., help="Release name, e.g. 2026.1."),
    note: str = typer.Option("", "--note", help="What the release is for."),
    created_by: str = typer.Option(None, "--by", help="Who made it."),
    exclude_licence: list[str] = exclude_licence_option(),
) -> None:
    """Snapshot the newest published version of every factor as release NAME (发布版本)."""
    info = service.create_release(
        context(need_database=True), name, note, created_by, tuple(exclude_licence or ())
    )
    console.print(
        f"release 版本 {info.name}: {info.member_count} factors 因子, sha256 {info.content_hash}",
        highlight=False,
    )


@release_app.command("list")
def release_list() -> None:
    """All releases (版本列表)."""
    table = Table(title="releases 因子库版本")
    for header in ("name 名称", "created 创建时间", "factors 因子数", "by 创建人", "sha256"):
        table.add_column(header)
    for info in service.releases(context(need_database=True)):
        table.add_row(
            info.name,
            f"{info.created_at:%Y-%m-%d %H:%M}",
            str(info.member_count),
            info.created_by or "",
            info.content_hash[:12],
        )
    console.print(table)


@factors_app.command()
def export(
    fmt: ExportFormat = typer.Option(
        ExportFormat.csv,
        "--format",
        help="csv (import template), jsonld (openLCA zip), json (Tanzuji records) or "
        "factor-csv (a model's factor_files CSV).",
    ),
    release: str = typer.Option(None, "--release", help="Export this release's members."),
    output: Path = typer.Option(None, "--output", "-o", help="File to write (default: stdout)."),
) -> None:
    """Export the newest version of every factor, or a release (导出)."""
    if fmt is ExportFormat.jsonld and output is None:
        raise typer.BadParameter("jsonld writes a zip file; give --output FILE.zip")
    exported = service.export(context(need_database=True), fmt, release)
    if output is None:
        typer.echo(exported.content.decode("utf-8"), nl=False)
        return
    output.write_bytes(exported.content)
    console.print(f"{exported.count} factors 因子 -> {output}", highlight=False)
