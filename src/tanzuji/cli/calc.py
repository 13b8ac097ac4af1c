"""``tanzuji calc`` — the footprint of a product model."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table
from rich.tree import Tree

from tanzuji import settings
from tanzuji.cli.app import app, console
from tanzuji.errors import UnknownFactor
from tanzuji.factors.base import FactorData, FactorSource
from tanzuji.factors.starter import StarterFactorSource
from tanzuji.footprint import Footprint, TreeOut, calculate
from tanzuji.model.files import load_model


class By(StrEnum):
    stage = "stage"
    process = "process"
    gas = "gas"


#: Extra factor sources (e.g. the factor database) register a callable here:
#: () -> FactorSource or None. They are tried in order, after a model's inline and CSV factors.
FACTOR_SOURCE_HOOKS: list = []


def starter_source() -> StarterFactorSource:
    """The starter factors built into Tanzuji: resolves starter ids without a database."""
    return StarterFactorSource()


class SourcesInOrder:
    """Factor sources tried in order; a miss names what each source said."""

    def __init__(self, sources: list[FactorSource]) -> None:
        self.sources = sources

    def resolve(self, ref: str) -> FactorData:
        misses = []
        for source in self.sources:
            try:
                return source.resolve(ref)
            except UnknownFactor as exc:
                misses.append(exc.message)
        raise UnknownFactor("; ".join(misses) or f"unknown factor {ref!r}")


def default_factor_source() -> SourcesInOrder:
    """The registered sources in order (the factor database), then the built-in starter data.

    A starter id resolves from the database when the database holds it (newest published
    version, or the ``factor_release`` release) and from the built-in data otherwise, e.g. on
    a fresh machine; each factor in a result records its release (``builtin`` for the latter).
    """
    sources = [source for hook in FACTOR_SOURCE_HOOKS if (source := hook()) is not None]
    return SourcesInOrder([*sources, starter_source()])


@app.command()
def calc(
    model: Path = typer.Argument(..., help="Product model file (YAML or JSON)."),
    gwp: str = typer.Option(None, "--gwp", help="GWP100 set: AR4, AR5 or AR6 (default AR6)."),
    by: By = typer.Option(By.stage, "--by", help="Breakdown to print: stage, process or gas."),
    tree: bool = typer.Option(False, "--tree", help="Print the supply-chain tree (hotspots)."),
    cutoff: float = typer.Option(
        None,
        "--cutoff",
        min=0.0,
        max=1.0,
        help="Relative cut-off of the tree (default: setting tree_cutoff).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the full result as JSON."),
    mc: int = typer.Option(
        0, "--mc", min=0, help="Monte Carlo iterations for the uncertainty (0 = none)."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed of the Monte Carlo run."),
    xlsx: Path = typer.Option(None, "--xlsx", help="Also write the whole result to this .xlsx."),
) -> None:
    """Compute the carbon footprint of MODEL per functional unit (计算碳足迹)."""
    loaded = load_model(model)
    tree_cutoff = None
    if tree or as_json:
        tree_cutoff = cutoff if cutoff is not None else float(settings.get("tree_cutoff"))
    footprint = calculate(
        loaded,
        gwp_set=gwp,
        factor_source=default_factor_source(),
        tree_cutoff=tree_cutoff if (tree or cutoff is not None) else None,
        tree_max_nodes=int(settings.get("tree_max_nodes")),
    )
    if mc:
        footprint.uncertainty = run_monte_carlo(loaded, gwp, mc, seed, show=not as_json)
    if xlsx is not None:
        write_workbook(footprint, loaded, xlsx, quiet=as_json)
    if as_json:
        typer.echo(footprint.to_json())
        return
    print_footprint(footprint, by)
    print_quality(footprint)
    if footprint.uncertainty is not None:
        print_uncertainty(footprint.uncertainty)
    if tree and footprint.tree is not None:
        console.print(render_tree(footprint.tree, footprint.total_kg_co2e))


def write_workbook(footprint: Footprint, loaded, path: Path, quiet: bool = False) -> None:
    """The whole result as an Excel workbook (:mod:`tanzuji.report.workbook`)."""
    from tanzuji.report.study import StudyInputs
    from tanzuji.report.workbook import workbook_bytes

    path.write_bytes(workbook_bytes(StudyInputs(footprint, loaded.model)))
    if not quiet:
        console.print(f"workbook written to {path}")


def _fu(footprint: Footprint) -> str:
    fu = footprint.functional_unit
    return f"{fu['amount']:g} {fu['unit']}"


def print_footprint(footprint: Footprint, by: By = By.stage) -> None:
    """A readable table of one footprint."""
    total = footprint.total_kg_co2e
    title = (
        f"{footprint.product_name_zh} / {footprint.product_name_en}: "
        f"[bold]{total:,.4g} kg CO2e[/] per {_fu(footprint)} ({footprint.gwp_set})"
    )
    console.print(title)
    table = Table(show_header=True, header_style="bold")
    share = (lambda v: f"{100 * v / total:.1f} %") if total else (lambda v: "-")
    if by is By.stage:
        table.add_column("life-cycle stage 生命周期阶段")
        table.add_column("kg CO2e", justify="right")
        table.add_column("share 占比", justify="right")
        for stage, value in sorted(footprint.by_stage.items(), key=lambda kv: -abs(kv[1])):
            table.add_row(stage, f"{value:,.6g}", share(value))
    elif by is By.process:
        zh = settings.get("language") == "zh"
        table.add_column("process or factor 过程/因子", max_width=70)
        table.add_column("stage 阶段")
        table.add_column("direct kg CO2e 直接", justify="right")
        table.add_column("share 占比", justify="right")
        table.add_column("cradle-to-gate kg CO2e 累计", justify="right")
        for p in footprint.by_process:
            if p.direct_kg_co2e == 0 and p.upstream_kg_co2e == 0:
                continue
            table.add_row(
                (p.name_zh if zh else p.name_en) + (" [factor]" if p.kind == "factor" else ""),
                p.life_cycle_stage,
                f"{p.direct_kg_co2e:,.6g}",
                share(p.direct_kg_co2e),
                f"{p.upstream_kg_co2e:,.6g}",
            )
    else:
        table.add_column("gas 气体")
        table.add_column("origin 来源")
        table.add_column("mass kg", justify="right")
        table.add_column("GWP100", justify="right")
        table.add_column("kg CO2e", justify="right")
        for g in footprint.by_gas:
            tag = g.origin + (" aircraft" if g.aircraft else "") + (" removal" if g.removal else "")
            table.add_row(g.gas, tag, f"{g.mass_kg:,.6g}", f"{g.gwp100:g}", f"{g.kg_co2e:,.6g}")
    console.print(table)
    iso = footprint.iso14067
    console.print(
        f"fossil 化石 {iso.fossil_ghg_emissions:,.4g} · biogenic emissions 生物源排放 "
        f"{iso.biogenic_ghg_emissions:,.4g} · biogenic removals 生物源清除 "
        f"{iso.biogenic_ghg_removals:,.4g} · dLUC 土地利用变化 "
        f"{iso.land_use_change_ghg_emissions:,.4g} · aircraft 航空 "
        f"{iso.aircraft_ghg_emissions:,.4g} kg CO2e"
    )
    for m in footprint.matched_exchanges or []:
        console.print(
            f"matched 文本匹配 {m.location}: {m.text!r} -> {m.factor_id} v{m.version}"
            f"{'@' + m.release if m.release else ''} (confidence 置信度 {m.confidence:.2f}; "
            f"{m.explanation})",
            markup=False,
        )
    for m in footprint.gwp_set_mismatches or []:
        of = "an unstated GWP set 未注明" if m.gwp_set == "unknown" else m.gwp_set
        console.print(
            f"[yellow]warning 注意[/] factor 因子 {m.factor_id} v{m.version} is CO2e of {of}, "
            f"not {footprint.gwp_set} (GWP 值集不一致), added as published: "
            f"{m.kg_co2e:,.4g} kg CO2e",
            highlight=False,
        )
    illustrative = [f.id for f in footprint.inputs.factors if f.illustrative]
    if illustrative:
        console.print(
            f"[yellow]warning 注意[/] {len(illustrative)} factor(s) are illustrative, not sourced "
            f"(示意值，无来源): {', '.join(illustrative)}"
        )


def render_tree(node: TreeOut, total: float, parent: Tree | None = None) -> Tree:
    share = 100 * node.cumulative_kg_co2e / total if total else 0.0
    label = f"{node.name_en}: {node.cumulative_kg_co2e:,.4g} kg CO2e ({share:.1f} %)"
    branch = Tree(label) if parent is None else parent.add(label)
    for child in node.children:
        render_tree(child, total, branch)
    return branch


def run_monte_carlo(loaded, gwp: str | None, iterations: int, seed: int, show: bool = True):
    """Monte Carlo of a loaded model with a rich progress bar; returns the uncertainty block."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from tanzuji import gases
    from tanzuji.engine.montecarlo import MonteCarlo
    from tanzuji.engine.sensitivity import summarize
    from tanzuji.model.compile import compile_model

    compiled = compile_model(loaded, default_factor_source())
    engine = MonteCarlo(compiled.system, gases.check_gwp_set(gwp))
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not show,
        transient=True,
    ) as bar:
        task = bar.add_task("Monte Carlo 蒙特卡洛", total=iterations)
        result = engine.run(iterations, seed, progress=lambda k: bar.advance(task, k))
    return summarize(result)


def print_quality(footprint: Footprint) -> None:
    """One line with the PEF data quality rating and the primary data share."""
    dq = footprint.data_quality
    if dq is None:
        return
    console.print(
        f"data quality 数据质量: DQR {dq.dqr:.2f} ({dq.level_zh} / {dq.level}) · "
        f"TeR {dq.ter:.2f} GeR {dq.ger:.2f} TiR {dq.tir:.2f} P {dq.p:.2f} · "
        f"primary data 初级数据 {dq.primary_data_share:.1f} %"
    )


def print_uncertainty(summary) -> None:
    """The 95 % interval overall and per stage, and the top contributors to variance."""
    table = Table(
        title=f"uncertainty 不确定性 ({summary.iterations} iterations, seed {summary.seed})",
        header_style="bold",
    )
    for column in ("", "mean 均值", "median 中位数", "sd 标准差", "2.5 %", "97.5 %"):
        table.add_column(column, justify="right" if column else "left")

    def row(name: str, s: dict[str, float]) -> None:
        table.add_row(name, *(f"{s[k]:,.4g}" for k in ("mean", "median", "sd", "p2_5", "p97_5")))

    row("total 合计", summary.total)
    for stage, stats in summary.by_stage.items():
        row(stage, stats)
    console.print(table)
    top = Table(title="top contributors to uncertainty 不确定性主要来源", header_style="bold")
    top.add_column("exchange 交换 (file:line)")
    top.add_column("process 过程")
    top.add_column("distribution 分布")
    top.add_column("share of variance 方差占比", justify="right")
    for c in summary.top_contributors:
        top.add_row(c.location, c.process, c.distribution, f"{100 * c.variance_share:.1f} %")
    console.print(top)
