"""``tanzuji factors ...`` — the emission-factor database (排放因子数据库).

The database is the ``database_url`` setting (``TANZUJI_DATABASE_URL``), else the SQLite file
``tanzuji.db`` in ``data_dir``; it is created and migrated on first use. Other modules add
commands to :data:`factors_app` (search, match).
"""

from __future__ import annotations

import tempfile
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from tanzuji import settings
from tanzuji.cli.app import app, console
from tanzuji.cli.calc import FACTOR_SOURCE_HOOKS
from tanzuji.errors import NotFound
from tanzuji.factors.database import (
    IMPORTERS,
    DatabaseFactorSource,
    FactorDatabase,
    ImportReport,
    export_factor_csv,
    export_json,
)
from tanzuji.factors.exporters import export_csv, export_jsonld
from tanzuji.factors.record import FactorRecord
from tanzuji.store import db

if TYPE_CHECKING:
    from tanzuji.factors.match import Candidate, FactorIndex


def candidates_json(candidates: list[Candidate], query: dict[str, object]) -> str:
    from tanzuji.factors.match import candidates_json as render  # jieba loads on use

    return render(candidates, query)


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


class ExportFormat(StrEnum):
    csv = "csv"
    jsonld = "jsonld"
    json = "json"
    factor_csv = "factor-csv"


def open_database() -> FactorDatabase:
    """The configured factor database, created and migrated to the newest schema."""
    return FactorDatabase.open()


def database_source() -> DatabaseFactorSource | None:
    """``calc`` and ``demo`` hook: the database when one is configured or exists, else None.

    A fresh machine without a database keeps working with inline and CSV factors only.
    """
    if not db.database_configured():
        return None
    engine = db.engine_for()
    db.upgrade(engine)
    return DatabaseFactorSource(engine, settings.get("factor_release") or None)


FACTOR_SOURCE_HOOKS.append(database_source)

#: Reviewer recorded for the shipped starter factors (each keeps its own cited source).
STARTER_REVIEWER = "Tanzuji starter data (sources cited per factor)"


def load_starter_data(database: FactorDatabase) -> ImportReport:
    """Import the shipped starter factors as published (unchanged ones are skipped)."""
    from tanzuji.factors.starter import load_starter

    return database.add_records(
        load_starter(), "tanzuji starter data", status="published", reviewer=STARTER_REVIEWER
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
    exclude_licence: list[str] = typer.Option(
        None,
        "--exclude-licence",
        help="Leave out factors whose licence matches (licence id, glob or words, e.g. "
        "LicenseRef-IPCC-Copyright, 'non-commercial'); repeatable.",
    ),
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
    from tanzuji.cli.library import factor_import

    factor_import(
        file,
        fmt,
        status,
        reviewer,
        columns,
        constants,
        mapping,
        save_mapping,
        dry_run,
        exclude_licences=exclude_licence or (),
    )


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
def load_starter_command() -> None:
    """Load the shipped starter factors as published (初始数据): China grid, IPCC 2006, ..."""
    print_import(load_starter_data(open_database()))


def _searcher(release: str | None, *, quiet: bool = False) -> FactorDatabase | FactorIndex:
    """The database (its search index) when one exists, else the starter data in memory
    (``quiet``: without the notice, for JSON output)."""
    if db.database_configured():
        database = open_database()
        if database.indexed_count() == 0:
            raise NotFound(
                "the factor database has no factors to search; load the starter data with "
                "`tanzuji factors load-starter` or import and publish factors"
            )
        return database
    if release:
        raise NotFound(
            f"release {release!r} needs a factor database and there is none yet; load the "
            "starter data with `tanzuji factors load-starter` and create a release"
        )
    from tanzuji.factors.match import FactorIndex  # imported on use: jieba loads slowly
    from tanzuji.factors.starter import load_starter

    if not quiet:
        console.print(
            "no factor database yet (尚无因子数据库): searching the shipped starter data in "
            "memory; `tanzuji factors load-starter` creates the database",
            highlight=False,
        )
    return FactorIndex(load_starter())


def _print_candidates(candidates: list[Candidate], title: str) -> None:
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
    exclude_licence: list[str] = typer.Option(
        None,
        "--exclude-licence",
        help="Leave out factors whose licence matches (licence id, glob or words, e.g. "
        "LicenseRef-IPCC-Copyright, 'non-commercial'); repeatable.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the hits as JSON."),
) -> None:
    """Full-text search of the factors, Chinese or English, with filters (搜索因子)."""
    searcher = _searcher(release, quiet=as_json)
    filters = {
        "unit_dimension": unit_dimension,
        "geography": geo,
        "year": year,
        "boundary": boundary,
        "status": status,
        "limit": limit,
        "exclude_licences": exclude_licence or (),
    }
    if release:
        filters["release"] = release
    hits = searcher.search(text, **filters)
    if as_json:
        typer.echo(candidates_json(hits, {"text": text, **filters, "release": release}))
        return
    _print_candidates(hits, f"search 搜索: {text}")


@factors_app.command()
def match(
    text: str = typer.Argument(..., help="Activity text, e.g. '外购电力 广东 2023'."),
    amount: float = typer.Option(None, "--amount", help="Activity amount in --unit."),
    unit: str = typer.Option(None, "--unit", help="Activity unit, e.g. kWh."),
    geo: str = typer.Option(None, "--geo", help="ISO 3166 code or grid region, e.g. CN-GD."),
    year: int = typer.Option(None, "--year", help="Activity year."),
    release: str = typer.Option(None, "--release", help="Match against this release."),
    limit: int = typer.Option(5, "--limit", help="Number of candidates."),
    exclude_licence: list[str] = typer.Option(
        None,
        "--exclude-licence",
        help="Leave out factors whose licence matches (licence id, glob or words, e.g. "
        "LicenseRef-IPCC-Copyright, 'non-commercial'); repeatable.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the candidates as JSON."),
) -> None:
    """Propose factors for an activity, with confidence and why (匹配因子).

    Uses the published factors of the database (or those of --release) through its search
    index; without a database, the shipped starter data in memory.
    """
    searcher = _searcher(release, quiet=as_json)
    extra = {"release": release} if release else {}
    candidates = searcher.match(
        text,
        amount=amount,
        unit=unit,
        geography=geo,
        year=year,
        limit=limit,
        exclude_licences=exclude_licence or (),
        **extra,
    )
    if as_json:
        query = {"text": text, "amount": amount, "unit": unit, "geography": geo, "year": year}
        query |= {"limit": limit, "release": release, "exclude_licences": exclude_licence or []}
        typer.echo(candidates_json(candidates, query))
        return
    _print_candidates(candidates, f"match 匹配: {text}")


@factors_app.command("imports")
def imports_(
    last: int = typer.Option(10, "--last", help="How many of the latest imports to list."),
) -> None:
    """The import log: what each import brought in, what it skipped and why (导入记录)."""
    for report in open_database().imports()[-last:]:
        print_import(report)


@factors_app.command()
def show(
    factor_id: str = typer.Argument(..., metavar="ID", help="Factor id."),
    version: int = typer.Option(None, "--version", help="Version (default: the newest)."),
    release: str = typer.Option(None, "--release", help="The version pinned in this release."),
    as_json: bool = typer.Option(False, "--json", help="Print the record as JSON."),
) -> None:
    """Show one version of a factor (查看因子)."""
    record = open_database().get(factor_id, version=version, release=release)
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
        (
            "heating value 热值基准",
            {"HHV": "HHV (GCV, gross 高位热值)", "LHV": "LHV (NCV, net 低位热值)"}.get(
                record.heating_value or "", ""
            ),
        ),
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
    for entry in open_database().history(factor_id):
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
    database = open_database()
    if version is None:
        version = database.get(factor_id).version
    record = database.set_status(factor_id, version, status, reviewer, note)
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
    exclude_licence: list[str] = typer.Option(
        None,
        "--exclude-licence",
        help="Leave out factors whose licence matches (licence id, glob or words, e.g. "
        "LicenseRef-IPCC-Copyright, 'non-commercial'); repeatable.",
    ),
) -> None:
    """Snapshot the newest published version of every factor as release NAME (发布版本)."""
    info = open_database().create_release(
        name, note=note, created_by=created_by, exclude_licences=exclude_licence or ()
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
    for info in open_database().releases():
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
    database = open_database()
    records = database.records(release=release)
    if fmt is ExportFormat.jsonld:
        if output is None:
            raise typer.BadParameter("jsonld writes a zip file; give --output FILE.zip")
        export_jsonld(records, output)
    elif fmt is ExportFormat.csv:
        with tempfile.TemporaryDirectory() as folder:
            text = export_csv(records, Path(folder) / "factors.csv").read_text(encoding="utf-8")
        _write(text, output)
    elif fmt is ExportFormat.json:
        _write(export_json(records, database.release(release) if release else None), output)
    else:
        _write(export_factor_csv(records, release), output)
    if output is not None:
        console.print(f"{len(records)} factors 因子 -> {output}", highlight=False)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
