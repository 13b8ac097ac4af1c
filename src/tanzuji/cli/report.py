"""``tanzuji report | charts | declare | compare`` — documents from a model or a certificate.

Thin: each command gathers the explicit inputs (a footprint, its model, the PCR check, the
certificate) and calls one function of :mod:`tanzuji.report`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import typer
from rich.table import Table as RichTable

from tanzuji import gases, settings
from tanzuji.cli.app import app, console
from tanzuji.cli.calc import default_factor_source
from tanzuji.errors import PcrError, ReportError
from tanzuji.footprint import Footprint, calculate
from tanzuji.model.files import LoadedModel, load_model, load_model_text
from tanzuji.report import charts as chart_builders
from tanzuji.report.study import StudyInputs

LANG = typer.Option("both", "--lang", help="Language: zh, en or both (中文 / English).")
MC = typer.Option(0, "--mc", min=0, help="Monte Carlo iterations (0 = none).")
SEED = typer.Option(0, "--seed", help="Random seed of the Monte Carlo run.")
CUTOFF = typer.Option(0.01, "--cutoff", min=0.0, max=0.99, help="Relative Sankey cut-off.")


def _monte_carlo(loaded: LoadedModel, gwp_set: str, iterations: int, seed: int):
    from tanzuji.engine.montecarlo import MonteCarlo
    from tanzuji.engine.sensitivity import summarize
    from tanzuji.model.compile import compile_model

    compiled = compile_model(loaded, default_factor_source())
    result = MonteCarlo(compiled.system, gwp_set).run(iterations, seed)
    return summarize(result), result.scores


def _pcr_check(loaded: LoadedModel, footprint: Footprint, pcr: str | None = None):
    from tanzuji.pcr.checks import check_model

    if not (pcr or loaded.model.product.pcr):
        return None
    try:
        return check_model(loaded, footprint, pcr=pcr)
    except PcrError as exc:
        console.print(f"[yellow]warning 注意[/] no PCR check 未做规则检查: {exc}", markup=True)
        return None


def model_inputs(path: Path, gwp: str | None, cutoff: float, mc: int, seed: int) -> StudyInputs:
    """Study inputs computed from a model file (factor database, then built-in factors)."""
    loaded = load_model(path)
    chosen = gases.check_gwp_set(gwp)
    footprint = calculate(
        loaded,
        gwp_set=chosen,
        factor_source=default_factor_source(),
        tree_cutoff=cutoff,
        tree_max_nodes=int(settings.get("tree_max_nodes")),
    )
    scores = None
    if mc:
        footprint.uncertainty, scores = _monte_carlo(loaded, chosen, mc, seed)
    return StudyInputs(footprint, loaded.model, _pcr_check(loaded, footprint), None, scores, cutoff)


def certificate_inputs(certificate_id: str, cutoff: float) -> StudyInputs:
    """Study inputs of an issued certificate: the stored model version, footprint and PCR."""
    from tanzuji.cli.certify import open_store, stored_certificate

    store = open_store()
    application = store.by_certificate(certificate_id)
    version = application.current_model
    if version is None:
        raise ReportError(f"certificate {certificate_id} has no stored model version")
    loaded = load_model_text(version.model_text, f"{application.id} model v{version.version}")
    footprint = Footprint.model_validate(version.footprint)
    check = _pcr_check(loaded, footprint, f"{application.pcr_id}@{application.pcr_version}")
    return StudyInputs(
        footprint, loaded.model, check, stored_certificate(store, certificate_id), None, cutoff
    )


def study_inputs(source: str, gwp: str | None, cutoff: float, mc: int, seed: int) -> StudyInputs:
    """A model file when ``source`` is a path that exists, else a certificate id."""
    path = Path(source)
    if path.exists():
        return model_inputs(path, gwp, cutoff, mc, seed)
    if mc:
        raise ReportError("--mc applies to a model file, not to a stored certificate")
    return certificate_inputs(source, cutoff)


def write_bytes(data: bytes, out: Path, what: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    console.print(f"{what} written to {out} ({len(data):,} bytes)")


@app.command()
def report(
    source: str = typer.Argument(..., help="Product model file, or a certificate id."),
    fmt: str = typer.Option("html", "--format", help="html, pdf or xlsx."),
    lang: str = LANG,
    out: Path = typer.Option(None, "--out", help="Output file (default SOURCE-NAME.FORMAT)."),
    gwp: str = typer.Option(None, "--gwp", help="GWP100 set (model files)."),
    cutoff: float = CUTOFF,
    mc: int = MC,
    seed: int = SEED,
) -> None:
    """The CFP study report (ISO 14067 clause 7, GB/T 24067) 产品碳足迹研究报告."""
    from tanzuji.report.documents import study_document

    inputs = study_inputs(source, gwp, cutoff, mc, seed)
    data = study_document(inputs, fmt, lang)
    target = out or Path(f"{inputs.footprint.product_id}-report.{fmt}")
    write_bytes(data, target, f"report ({fmt}, {lang})")


@app.command()
def charts(
    source: str = typer.Argument(..., help="Product model file, or a certificate id."),
    out: Path = typer.Option(Path("charts"), "--out", help="Directory to write into."),
    lang: str = LANG,
    gwp: str = typer.Option(None, "--gwp", help="GWP100 set (model files)."),
    cutoff: float = CUTOFF,
    mc: int = MC,
    seed: int = SEED,
    png: bool = typer.Option(False, "--png", help="Also write a PNG of every chart."),
) -> None:
    """Every chart as SVG (+PNG), its data as CSV and JSON, and an interactive page 图表."""
    from tanzuji.report import terms, vega

    terms.check_language(lang)
    inputs = study_inputs(source, gwp, cutoff, mc, seed)
    drawn = chart_builders.footprint_charts(
        inputs.footprint, lang, sankey_cutoff=cutoff, scores=inputs.scores, model=inputs.model
    )
    out.mkdir(parents=True, exist_ok=True)
    embeds = []
    for chart in drawn:
        svg = chart.svg()
        (out / f"{chart.name}.svg").write_text(svg, encoding="utf-8")
        (out / f"{chart.name}.vl.json").write_text(
            json.dumps(chart.spec, ensure_ascii=False, sort_keys=True, indent=1), encoding="utf-8"
        )
        if png:
            (out / f"{chart.name}.png").write_bytes(vega.svg_to_png(svg))
        for table in chart.tables:
            (out / f"{table.name}.csv").write_text(table.to_csv(), encoding="utf-8")
            (out / f"{table.name}.json").write_text(table.to_json(), encoding="utf-8")
        embeds.append(vega.embed_html(chart.spec, chart.name.replace("_", "-")))
    vendor = out / "vendor"
    vendor.mkdir(exist_ok=True)
    for name in vega.VENDOR_SCRIPTS:
        shutil.copyfile(vega.VENDOR_DIR / name, vendor / name)
    page = (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>charts</title>\n'
        f"{vega.vendor_scripts('vendor')}\n</head><body>\n"
        + "\n".join(embeds)
        + "\n</body></html>\n"
    )
    (out / "index.html").write_text(page, encoding="utf-8")
    console.print(f"{len(drawn)} charts written to {out} (open {out / 'index.html'})")


@app.command()
def declare(
    model: Path = typer.Argument(..., help="Battery model file (per kWh over the service life)."),
    info: Path = typer.Option(..., "--info", help="Declaration details YAML (manufacturer, ...)."),
    fmt: str = typer.Option("json", "--format", help="json or pdf."),
    out: Path = typer.Option(None, "--out", help="Output file."),
    lang: str = LANG,
) -> None:
    """Battery carbon-footprint declaration, Regulation (EU) 2023/1542 Art. 7 电池碳足迹声明."""
    from tanzuji.report import declaration

    details = declaration.load_details(info)
    loaded = load_model(model)
    footprint = calculate(loaded, factor_source=default_factor_source())
    declared = declaration.declare(footprint, details)
    if fmt == "json":
        data = declaration.to_json(declared).encode("utf-8")
    elif fmt == "pdf":
        data = declaration.to_pdf(declared, lang)
    else:
        raise ReportError(f"unknown declaration format {fmt!r}; expected json or pdf")
    write_bytes(data, out or Path(f"{declared.declaration_id}.{fmt}"), f"declaration ({fmt})")


@app.command()
def compare(
    a: str = typer.Argument(..., help="First model file or certificate id (A)."),
    b: str = typer.Argument(..., help="Second model file or certificate id (B)."),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
    out: Path = typer.Option(None, "--out", help="Write an HTML or PDF comparison report."),
    lang: str = LANG,
    gwp: str = typer.Option(None, "--gwp", help="GWP100 set (model files)."),
) -> None:
    """Two results side by side by stage and process, the difference explained 对比."""
    from tanzuji.report import compare as comparing

    first = study_inputs(a, gwp, 0.01, 0, 0)
    second = study_inputs(b, gwp, 0.01, 0, 0)
    result = comparing.compare(first.footprint, second.footprint, (a, b))
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    print_comparison(result, lang)
    if out is not None:
        fmt = out.suffix.lstrip(".").lower()
        write_bytes(comparing.document(result, fmt, lang), out, f"comparison ({fmt})")


def print_comparison(result, lang: str) -> None:
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
