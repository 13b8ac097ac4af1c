"""``tanzuji library ...`` — the background process library (背景过程数据库).

Thin commands: parse options, read the files named, call :mod:`tanzuji.services.library`,
print. The database is the one ``tanzuji factors`` uses (``database_url`` setting, else
``tanzuji.db`` in ``data_dir``); ``library:NAME/ID`` model inputs resolve from it in every
command that computes a model (the Context's ``library``).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import typer
from rich.table import Table

from tanzuji.cli.app import app, console, context, write_output
from tanzuji.cli.inputs import read_bytes
from tanzuji.errors import LibraryError
from tanzuji.factors.importers import limits as import_limits
from tanzuji.library.linking import LINKED, UNLINKED, LinkingRules
from tanzuji.library.shipped import About, parse_about, read_derived, shipped_about, shipped_derived
from tanzuji.library.sources import members
from tanzuji.limits import InputLimits
from tanzuji.services import library as service
from tanzuji.store.library import LibraryVersionInfo

library_app = typer.Typer(
    help="Background process library: import, link, solve, derive factors (背景过程数据库).",
    no_args_is_help=True,
)
app.add_typer(library_app, name="library")


def read_about(reference: str, limits: InputLimits) -> About:
    """An about file named by path, else a shipped one by name (``uslci``)."""
    path = Path(reference)
    if path.is_file():
        return parse_about(read_bytes(path, "about file", LibraryError, limits), str(path))
    return shipped_about(reference)


def _about(
    about: str | None,
    title: str | None,
    publisher: str | None,
    licence: str | None,
    notice: Path | None,
    limits: InputLimits,
) -> About:
    if about:
        return read_about(about, limits)
    if not (title and publisher and licence):
        raise LibraryError(
            "say what the library is and under which terms: --about NAME|FILE (e.g. --about "
            "uslci), or --title, --publisher and --licence (with --notice FILE for its notice) / "
            "请说明数据库来源与许可"
        )
    text = ""
    if notice:
        text = read_bytes(notice, "notice file", LibraryError, limits).decode("utf-8")
    return About(title=title, publisher=publisher, licence=licence, notice=text)


def read_package(path: Path, limits: InputLimits) -> list[service.PackageFile]:
    """The files of a package the user named: a folder, a zip archive or one file."""
    with import_limits.applied(limits):
        return service.package_of(list(members(path)))


def write_report(info: LibraryVersionInfo, rows: list[dict], path: Path) -> Path:
    """The link report to ``path``: CSV for ``.csv``, JSON for any other suffix."""
    content = service.report_file(info, rows, as_csv=path.suffix.lower() == ".csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@library_app.command("import")
def import_(
    path: Path = typer.Argument(
        ..., help="Package: folder, zip or file (JSON-LD, EcoSpold, ILCD, SimaPro)."
    ),
    name: str = typer.Option(
        ..., "--name", help="Library name, e.g. uslci; each import is a new version."
    ),
    about: str = typer.Option(None, "--about", help="About file (JSON) or a shipped one: uslci."),
    title: str = typer.Option(None, "--title", help="Title, when no --about."),
    publisher: str = typer.Option(None, "--publisher", help="Publisher, when no --about."),
    licence: str = typer.Option(None, "--licence", help="Licence, when no --about."),
    notice: Path = typer.Option(None, "--notice", help="File with the data provider's notice."),
    fmt: str = typer.Option(None, "--format", help="jsonld, ecospold1, ecospold2, ilcd, simapro."),
    co_products: str = typer.Option("ignore", "--co-products", help="ignore or allocate."),
    prefer_location: bool = typer.Option(
        False,
        "--prefer-location",
        help="Among several producers take the one in the consumer's location.",
    ),
    prefer: list[str] = typer.Option(
        [], "--prefer", help="Preferred provider process id (repeat, in order)."
    ),
    match_names: bool = typer.Option(
        False,
        "--match-names",
        help="Link a flow without producer to the producer of a flow of the same name.",
    ),
    link_lci_results: bool = typer.Option(
        False, "--link-lci-results", help="Link the inputs of aggregated LCI results too."
    ),
    cutoff_prefix: str = typer.Option(
        "CUTOFF", "--cutoff-prefix", help="Flows named so are cut off ('' for none)."
    ),
    report: Path = typer.Option(
        None, "--report", help="Write every linking decision to FILE (.csv or .json)."
    ),
) -> None:
    """Import a process library, map its flows and units, link providers (导入过程数据库)."""
    if co_products not in ("ignore", "allocate"):
        raise LibraryError(f"--co-products {co_products!r}; expected ignore or allocate")
    rules = LinkingRules(
        co_products=co_products,  # type: ignore[arg-type]
        prefer_same_location=prefer_location,
        preferred_providers=tuple(prefer),
        match_names=match_names,
        link_lci_results=link_lci_results,
        cutoff_prefix=cutoff_prefix,
    )
    ctx = context(need_database=True)
    request = service.LibraryImportRequest(
        name=name,
        about=_about(about, title, publisher, licence, notice, ctx.limits),
        files=read_package(path, ctx.limits),
        format=fmt,
        rules=rules,
        source_name=str(path),
        with_report=report is not None,
    )
    summary = service.import_library(ctx, request)
    print_import(summary)
    if report is not None and summary.report is not None:
        write_report(summary.info, summary.report, report)
        console.print(f"link report 链接报告: {report}", highlight=False)


def print_import(summary: service.ImportSummary) -> None:
    info = summary.info
    counts = info.counts
    console.print(
        f"library 过程数据库 [bold]{info.name}[/] v{info.version} ({info.format}): "
        f"{counts['processes']} processes 过程, {counts['flows']} flows 流, "
        f"{counts['exchanges']} exchanges 交换",
        highlight=False,
    )
    console.print(decision_table(summary.decisions))
    gas = summary.gas_flows
    console.print(
        f"elementary flows 基本流: {gas.get('ghg', 0)} greenhouse-gas 温室气体, "
        f"{gas.get('uncharacterised', 0)} halocarbons without GWP 无GWP; "
        f"units 单位: {summary.unit_problems} not convertible, {summary.unit_notes} unit factors "
        "corrected by tanzuji.units",
        highlight=False,
    )
    times = ", ".join(f"{k} {v:.2f} s" for k, v in summary.seconds.items())
    console.print(f"time 用时: {times}", highlight=False)


def decision_table(decisions: dict[str, int]) -> Table:
    table = Table(title="linking decisions 链接决策")
    for header in ("decision 决策", "exchanges 交换数", "linked 已链接"):
        table.add_column(header)
    order = sorted(LINKED) + list(UNLINKED) + ["co_product_allocated", "co_product_ignored"]
    for kind in order + sorted(set(decisions) - set(order)):
        if kind in decisions:
            table.add_row(kind, str(decisions[kind]), "yes 是" if kind in LINKED else "no 否")
    return table


@library_app.command("list")
def list_() -> None:
    """The stored libraries and their versions (过程数据库列表)."""
    infos = service.libraries(context(need_database=True))
    table = Table(title="libraries 过程数据库")
    for header in (
        "name 名称",
        "version 版本",
        "format 格式",
        "processes 过程",
        "imported 导入时间",
        "title 标题",
    ):
        table.add_column(header)
    for info in infos:
        table.add_row(
            info.name,
            str(info.version),
            info.format,
            str(info.counts.get("processes", "")),
            f"{info.created_at:%Y-%m-%d %H:%M}",
            info.title,
        )
    console.print(table)


@library_app.command()
def show(
    name: str = typer.Argument(..., help="Library name."),
    version: int = typer.Option(None, "--version", help="Version (default: the newest)."),
    notice: bool = typer.Option(False, "--notice", help="Print the data provider's entire notice."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """One library version: source, licence, counts, rules, derivations (查看过程数据库)."""
    view = service.library(context(need_database=True), name, version)
    info, runs = view.info, view.derivations
    if notice:
        typer.echo(info.notice or "(no notice recorded)")
        return
    payload = {
        "name": info.name,
        "version": info.version,
        "title": info.title,
        "publisher": info.publisher,
        "url": info.url,
        "licence": info.licence,
        "format": info.format,
        "source": info.source_name,
        "content_hash": info.content_hash,
        "rules": info.rules,
        "counts": info.counts,
        "derivations": runs,
    }
    if as_json:
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
        return
    table = Table(title=f"{info.name} v{info.version}")
    table.add_column("field 字段")
    table.add_column("value 值")
    for key, value in payload.items():
        table.add_row(key, value if isinstance(value, str) else json.dumps(value, default=str))
    console.print(table)


@library_app.command()
def links(
    name: str = typer.Argument(..., help="Library name."),
    version: int = typer.Option(None, "--version", help="Version (default: the newest)."),
    decision: list[str] = typer.Option([], "--decision", help="Only these decisions (repeat)."),
    output: Path = typer.Option(None, "--output", help="Write the report to FILE (.csv or .json)."),
    limit: int = typer.Option(30, "--limit", help="Rows printed (without --output)."),
) -> None:
    """The link report: every linking decision and its reason (链接报告)."""
    info, rows = service.link_report(context(need_database=True), name, version)
    if decision:
        rows = [r for r in rows if r["decision"] in decision]
    if output:
        write_report(info, rows, output)
        console.print(f"{len(rows)} decisions written to {output}", highlight=False)
        return
    table = Table(title=f"{info.name} v{info.version}: {len(rows)} decisions 链接决策")
    for header in (
        "process 过程",
        "flow 流",
        "decision 决策",
        "provider / candidates 提供者",
        "note 说明",
    ):
        table.add_column(header)
    for row in rows[:limit]:
        table.add_row(
            row["process"],
            row["flow"],
            row["decision"],
            row["provider"] or row["candidates"],
            row["note"],
        )
    console.print(table)


@library_app.command()
def derive(
    name: str = typer.Argument(..., help="Library name."),
    version: int = typer.Option(None, "--version", help="Version (default: the newest)."),
    gwp: str = typer.Option(
        None, "--gwp", help="GWP set of kg_co2e: AR4, AR5 or AR6 (default: setting gwp_set)."
    ),
    reviewer: str = typer.Option(
        None, "--reviewer", help="Publish the derived factors, signed off by this reviewer."
    ),
    release: str = typer.Option(
        None, "--release", help="Then create this factor release (needs --reviewer)."
    ),
    export: Path = typer.Option(
        None, "--export", help="Also write the factors with provenance and notice to FILE (JSON)."
    ),
    about: str = typer.Option(
        None, "--about", help="About file or shipped name, for the citation in --export."
    ),
) -> None:
    """Solve the library and publish every process's cradle-to-gate intensity as a factor
    (从过程数据库推导因子)."""
    ctx = context(need_database=True)
    request = service.DeriveRequest(
        name=name, version=version, gwp_set=gwp, reviewer=reviewer, release=release
    )
    summary = service.derive_factors(ctx, request)
    info = summary.info
    console.print(
        f"derived 推导 {summary.factors} factors from {info.name} v{info.version} in "
        f"{summary.gwp_set} (derivation #{summary.derivation_id}); skipped 跳过 "
        f"{len(summary.skipped)}; status {'published' if reviewer else 'draft'}",
        highlight=False,
    )
    if summary.factor_import is not None:
        report = summary.factor_import
        console.print(
            f"factor import 因子导入 #{report.import_id}: {report.imported} new or changed, "
            f"{report.skipped} unchanged or skipped",
            highlight=False,
        )
    if summary.release is not None:
        console.print(
            f"release 版本 {summary.release.name}: {summary.release.member_count} factors",
            highlight=False,
        )
    times = ", ".join(f"{k} {v:.3f} s" for k, v in summary.seconds.items())
    console.print(f"time 用时: {times}", highlight=False)
    if export:
        described = read_about(about, ctx.limits) if about else service.about_of(info)
        content = service.derived_file(summary, described, compress=export.suffix == ".gz")
        write_output(content, export, "derived factors 推导因子")


@library_app.command()
def shipped() -> None:
    """Derived factors shipped with Tanzuji (随附的推导因子)."""
    table = Table(title="shipped derived factors 随附推导因子")
    for column in ("name 名称", "factors 因子", "library 数据库", "GWP", "file 文件"):
        table.add_column(column)
    for name, path in shipped_derived().items():
        header, records = read_derived(path)
        table.add_row(
            name,
            str(len(records)),
            str(header.get("library_title", "")),
            str(header.get("gwp_set", "")),
            path.name,
        )
    console.print(table)


@library_app.command("load-shipped")
def load_shipped(
    name: str = typer.Argument(..., help="Shipped derived factors, e.g. uslci-ar6."),
    reviewer: str = typer.Option(
        None, "--reviewer", help="Publish them, signed off by this reviewer."
    ),
) -> None:
    """Import shipped derived factors into the factor database (导入随附推导因子)."""
    from tanzuji.cli.factors import print_import as print_factor_import

    ctx = context(need_database=True)
    print_factor_import(service.load_shipped(ctx, name, reviewer=reviewer))


@library_app.command()
def reference(
    path: Path = typer.Argument(..., help="Flows, flow properties, unit groups (JSON-LD or ILCD)."),
    fmt: str = typer.Option(None, "--format", help="jsonld or ilcd (default: detected)."),
) -> None:
    """Import reference data: flows, flow properties, unit groups (导入参考数据)."""
    ctx = context(need_database=True)
    files = read_package(path, ctx.limits)
    print_reference(service.import_reference(ctx, files, fmt=fmt, source_name=str(path)))


def print_reference(counts: dict[str, dict[str, int]]) -> None:
    table = Table(title="reference data 参考数据")
    for header in ("table 表", "new 新增", "new version 新版本", "unchanged 未变"):
        table.add_column(header)
    for name, c in counts.items():
        table.add_row(name, str(c["new"]), str(c["new_version"]), str(c["unchanged"]))
    console.print(table)


# -- tanzuji factors import: the preview of a mapped table -------------------------------------


def print_preview(result: service.TableImport) -> None:
    preview = result.preview
    title = "dry run 预览 (nothing written 未写入)" if result.report is None else "mapping 映射"
    console.print(f"[bold]{title}[/]: {preview.rows} data rows 数据行", highlight=False)
    used = ", ".join(f"{f}<-{c!r}" for f, c in sorted(preview.used.items()))
    consts = ", ".join(f"{f}={v!r}" for f, v in sorted(result.mapping.constants.items()))
    console.print(f"columns used 使用列: {used or 'none'}", highlight=False)
    if consts:
        console.print(f"constants 常量: {consts}", highlight=False)
    if preview.ignored:
        console.print(f"columns ignored 忽略列: {', '.join(preview.ignored)}", highlight=False)
    counts = Counter(result.actions.values())
    console.print(
        f"would import 将导入: {counts.get('new', 0)} new 新增, "
        f"{counts.get('new_version', 0)} new versions 新版本, "
        f"{counts.get('unchanged', 0)} unchanged 未变",
        highlight=False,
    )
    if preview.first:
        table = Table(title="first rows 前几行")
        for header in ("id", "name 名称", "unit 单位", "kg CO2e", "gases 气体", "action 操作"):
            table.add_column(header)
        for r in preview.first:
            gases = "; ".join(f"{g.gas} {g.amount_kg:g}" for g in r.gases)
            value = "" if r.kg_co2e is None else f"{r.kg_co2e:g}"
            table.add_row(r.id, r.name_en or r.name_zh, r.unit, value, gases, result.actions[r.id])
        console.print(table)
    if preview.problems:
        console.print(f"[bold red]{len(preview.problems)} problem(s) 问题[/]:", highlight=False)
        for problem in preview.problems[:50]:
            console.print(f"  {problem}", highlight=False, soft_wrap=True)
