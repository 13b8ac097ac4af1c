"""``tanzuji report | charts | declare | compare`` — documents from a model or a certificate.

Thin: each command reads the files it is given, calls :mod:`tanzuji.services.report`, and
writes or prints what comes back.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table as RichTable

from tanzuji.cli.app import app, console, context, write_output
from tanzuji.cli.inputs import model_input, read_bytes
from tanzuji.context import Context
from tanzuji.errors import DeclarationError
from tanzuji.report.compare import Comparison
from tanzuji.services import report as service

LANG = typer.Option("both", "--lang", help="Language: zh, en or both (中文 / English).")
MC = typer.Option(0, "--mc", min=0, help="Monte Carlo iterations (0 = none).")
SEED = typer.Option(0, "--seed", help="Random seed of the Monte Carlo run.")
CUTOFF = typer.Option(0.01, "--cutoff", min=0.0, max=0.99, help="Relative Sankey cut-off.")
GWP = typer.Option(None, "--gwp", help="GWP100 set (model files).")
PCR = typer.Option(None, "--pcr", help="PCR whose calculation rules apply (model files).")


def _context(*sources: str) -> Context:
    """The command's Context; the database is needed when a source is a certificate id."""
    return context(need_database=any(not Path(s).exists() for s in sources))


def study_source(
    ctx: Context,
    source: str,
    *,
    gwp: str | None = None,
    pcr: str | None = None,
    cutoff: float = service.DEFAULT_SANKEY_CUTOFF,
    mc: int = 0,
    seed: int = 0,
) -> service.StudySource:
    """A model file when ``source`` is a path that exists, else a certificate id."""
    path = Path(source)
    options = {"sankey_cutoff": cutoff, "monte_carlo_iterations": mc, "seed": seed}
    if path.exists():
        model = model_input(path, ctx.limits)
        return service.StudySource(model=model, gwp_set=gwp, pcr=pcr, **options)
    return service.StudySource(certificate_id=source, **options)


def print_notes(notes: list[str]) -> None:
    for note in notes:
        console.print(f"[yellow]warning 注意[/] {note}", highlight=False)


@app.command()
def report(
    source: str = typer.Argument(..., help="Product model file, or a certificate id."),
    fmt: str = typer.Option("html", "--format", help="html, pdf or xlsx."),
    lang: str = LANG,
    out: Path = typer.Option(None, "--out", help="Output file (default PRODUCT-report.FORMAT)."),
    gwp: str = GWP,
    pcr: str = PCR,
    cutoff: float = CUTOFF,
    mc: int = MC,
    seed: int = SEED,
) -> None:
    """The CFP study report (ISO 14067 clause 7, GB/T 24067) 产品碳足迹研究报告."""
    ctx = _context(source)
    request = service.ReportRequest(
        source=study_source(ctx, source, gwp=gwp, pcr=pcr, cutoff=cutoff, mc=mc, seed=seed),
        format=fmt,
        lang=lang,
    )
    document = service.report(ctx, request)
    print_notes(document.notes)
    target = out or Path(document.filename)
    size = len(document.content)
    write_output(document.content, target, f"report ({fmt}, {lang}, {size:,} bytes)")


@app.command()
def charts(
    source: str = typer.Argument(..., help="Product model file, or a certificate id."),
    out: Path = typer.Option(Path("charts"), "--out", help="Directory to write into."),
    lang: str = LANG,
    gwp: str = GWP,
    pcr: str = PCR,
    cutoff: float = CUTOFF,
    mc: int = MC,
    seed: int = SEED,
    png: bool = typer.Option(False, "--png", help="Also write a PNG of every chart."),
) -> None:
    """Every chart as SVG (+PNG), its data as CSV and JSON, and an interactive page 图表."""
    ctx = _context(source)
    request = service.ChartsRequest(
        source=study_source(ctx, source, gwp=gwp, pcr=pcr, cutoff=cutoff, mc=mc, seed=seed),
        lang=lang,
        png=png,
    )
    drawn = service.charts(ctx, request)
    print_notes(drawn.notes)
    for name, content in sorted(drawn.files.items()):
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    console.print(f"{drawn.charts} charts written to {out} (open {out / 'index.html'})")


@app.command()
def declare(
    model: Path = typer.Argument(..., help="Battery model file (per kWh over the service life)."),
    info: Path = typer.Option(..., "--info", help="Declaration details YAML (manufacturer, ...)."),
    fmt: str = typer.Option("json", "--format", help="json or pdf."),
    out: Path = typer.Option(None, "--out", help="Output file."),
    lang: str = LANG,
) -> None:
    """Battery carbon-footprint declaration, Regulation (EU) 2023/1542 Art. 7 电池碳足迹声明."""
    ctx = context()
    raw = read_bytes(info, "declaration details", DeclarationError, ctx.limits)
    try:
        details = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DeclarationError(f"{info} is not UTF-8 text (byte {exc.start})") from None
    request = service.DeclarationRequest(
        model=model_input(model, ctx.limits),
        details=details,
        details_name=str(info),
        format=fmt,
        lang=lang,
    )
    document = service.declare(ctx, request)
    print_notes(document.notes)
    write_output(document.content, out or Path(document.filename), f"declaration ({fmt})")


@app.command()
def compare(
    a: str = typer.Argument(..., help="First model file or certificate id (A)."),
    b: str = typer.Argument(..., help="Second model file or certificate id (B)."),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
    out: Path = typer.Option(None, "--out", help="Write an HTML or PDF comparison report."),
    lang: str = LANG,
    gwp: str = GWP,
) -> None:
    """Two results side by side by stage and process, the difference explained 对比."""
    ctx = _context(a, b)
    request = service.CompareRequest(
        a=study_source(ctx, a, gwp=gwp),
        b=study_source(ctx, b, gwp=gwp),
        labels=(a, b),
        format=out.suffix.lstrip(".").lower() if out is not None and not as_json else None,
        lang=lang,
    )
    result = service.compare(ctx, request)
    if as_json:
        typer.echo(result.comparison.model_dump_json(indent=2))
        return
    print_comparison(result.comparison, lang)
    if out is not None and result.document is not None:
        write_output(result.document.content, out, f"comparison ({out.suffix.lstrip('.')})")


def print_comparison(result: Comparison, lang: str) -> None:
    console.print(
        f"A {result.labels[0]}: {result.a_total:,.4g} · B {result.labels[1]}: "
        f"{result.b_total:,.4g} · B − A {result.delta_total:+,.4g} kg CO2e "
        f"({result.delta_percent:+.1f} %)",
        highlight=False,
    )
    for title, rows in (("stage 阶段", result.by_stage), ("process 过程", result.by_process)):
        table = RichTable(title=title, header_style="bold")
        for column in ("", "A", "B", "B − A"):
            table.add_column(column, justify="right" if column else "left")
        for row in rows:
            if row.a_kg_co2e or row.b_kg_co2e:
                table.add_row(
                    row.name,
                    f"{row.a_kg_co2e:,.4g}",
                    f"{row.b_kg_co2e:,.4g}",
                    f"{row.delta_kg_co2e:+,.4g}",
                )
        console.print(table)
    table = RichTable(
        title="what moved it 差异来源 (activity + factor effects)", header_style="bold"
    )
    for column in ("input 输入", "activity 活动量", "factor 因子", "total 合计"):
        table.add_column(column, justify="left" if column.startswith("input") else "right")
    for d in result.drivers[:15]:
        table.add_row(
            f"{d.process_id} ← {d.factor_id}",
            f"{d.activity_effect:+,.4g}",
            f"{d.factor_effect:+,.4g}",
            f"{d.delta_kg_co2e:+,.4g}",
        )
    console.print(table)
    for line in result.explanation(lang):
        console.print(line, highlight=False, markup=False)
