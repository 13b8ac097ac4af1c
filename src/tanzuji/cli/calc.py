"""``tanzuji calc`` — the footprint of a product model (parse, call the service, print)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table
from rich.tree import Tree

from tanzuji.cli.app import app, console, context, write_output
from tanzuji.cli.inputs import model_input
from tanzuji.footprint import Footprint, SweepResult, TreeOut
from tanzuji.report import terms
from tanzuji.services import calculation, report


class By(StrEnum):
    stage = "stage"
    process = "process"
    gas = "gas"


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
    scenario_name: str = typer.Option(
        None, "--scenario", help="Named parameter set of the model (scenarios:)."
    ),
    sweep_text: str = typer.Option(
        None, "--sweep", help="Sweep one parameter: NAME=START:STOP:STEP or NAME=V1,V2,..."
    ),
    pcr: str = typer.Option(
        None, "--pcr", help="Apply this PCR's calculation rules (default: the model's PCR)."
    ),
    allocation: str = typer.Option(
        None,
        "--allocation",
        help="Allocation for all processes: default, physical, economic, causal, none, "
        "substitution.",
    ),
    xlsx: Path = typer.Option(None, "--xlsx", help="Also write the whole result to this .xlsx."),
) -> None:
    """Compute the carbon footprint of MODEL per functional unit (计算碳足迹)."""
    ctx = context()
    setup = {
        "model": model_input(model, ctx.limits),
        "gwp_set": gwp,
        "pcr": pcr,
        "allocation": allocation,
        "scenario": scenario_name,
    }
    if sweep_text is not None:
        swept = calculation.sweep(ctx, calculation.SweepRequest(**setup, sweep=sweep_text))
        print_note(swept.note, as_json)
        if as_json:
            typer.echo(swept.table.model_dump_json(indent=2))
        else:
            print_sweep(swept.table)
        return
    tree_cutoff = None
    if tree or cutoff is not None:
        tree_cutoff = cutoff if cutoff is not None else float(ctx.settings.tree_cutoff)
    request = calculation.CalculationRequest(
        **setup, tree_cutoff=tree_cutoff, monte_carlo_iterations=mc, seed=seed
    )
    with monte_carlo_progress(mc, show=bool(mc) and not as_json) as advance:
        result = calculation.calculate(ctx, request, progress=advance)
    footprint = result.footprint
    print_note(result.note, as_json)
    if xlsx is not None:
        book = report.workbook(
            ctx, report.WorkbookRequest(model=setup["model"], footprint=footprint)
        )
        write_output(book.content, xlsx, "workbook", quiet=as_json)
    if as_json:
        typer.echo(footprint.to_json())
        return
    print_footprint(footprint, by, zh=ctx.settings.language == "zh")
    print_modelling(footprint)
    print_quality(footprint)
    if footprint.uncertainty is not None:
        print_uncertainty(footprint.uncertainty)
    if tree and footprint.tree is not None:
        console.print(render_tree(footprint.tree, footprint.total_kg_co2e))


def print_note(note: str | None, as_json: bool) -> None:
    """Why the calculation rules differ from those asked for (not with ``--json``)."""
    if note and not as_json:
        console.print(f"[yellow]note 注意[/] {note}", highlight=False)


@contextmanager
def monte_carlo_progress(iterations: int, show: bool) -> Iterator[Callable[[int], None]]:
    """A rich progress bar for ``iterations`` Monte Carlo iterations; yields ``advance(k)``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not show,
        transient=True,
    ) as bar:
        task = bar.add_task("Monte Carlo 蒙特卡洛", total=max(iterations, 1))
        yield lambda k: bar.advance(task, k)


def _fu(footprint: Footprint) -> str:
    fu = footprint.functional_unit
    return f"{fu['amount']:g} {fu['unit']}"


def print_footprint(footprint: Footprint, by: By = By.stage, zh: bool = False) -> None:
    """A readable table of one footprint."""
    total = footprint.total_kg_co2e
    title = (
        f"{footprint.product_name_zh} / {footprint.product_name_en}: "
        f"[bold]{total:,.4g} kg CO2e[/] per {_fu(footprint)} ({footprint.gwp_set})"
    )
    console.print(title)
    table = Table(show_header=True, header_style="bold")
    # stages and processes hold the burdens; credits are on their own line (print_modelling)
    basis = footprint.credits.burdens_kg_co2e if footprint.credits else total
    share = (lambda v: f"{100 * v / basis:.1f} %") if basis else (lambda v: "-")
    if by is By.stage:
        table.add_column("life-cycle stage 生命周期阶段")
        table.add_column("kg CO2e", justify="right")
        table.add_column("share 占比", justify="right")
        for stage, value in sorted(footprint.by_stage.items(), key=lambda kv: -abs(kv[1])):
            table.add_row(stage, f"{value:,.6g}", share(value))
    elif by is By.process:
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
            soft_wrap=True,  # one line per match, whatever the terminal width
        )
    for mismatch in footprint.gwp_set_mismatches or []:
        of = "an unstated GWP set 未注明" if mismatch.gwp_set == "unknown" else mismatch.gwp_set
        console.print(
            f"[yellow]warning 注意[/] factor 因子 {mismatch.factor_id} v{mismatch.version} "
            f"is CO2e of {of}, "
            f"not {footprint.gwp_set} (GWP 值集不一致), added as published: "
            f"{mismatch.kg_co2e:,.4g} kg CO2e",
            highlight=False,
            soft_wrap=True,
        )
    illustrative = [f.id for f in footprint.inputs.factors if f.illustrative]
    if illustrative:
        console.print(
            f"[yellow]warning 注意[/] {len(illustrative)} factor(s) are illustrative, not sourced "
            f"(示意值，无来源): {', '.join(illustrative)}",
            soft_wrap=True,
        )


def print_modelling(footprint: Footprint) -> None:
    """Credits, both electricity results, per-unit results, stage groups and the parameter
    set, each on its own line (ISO 14067:2018 6.4.6: credits never hidden in a total)."""
    credits = footprint.credits
    if credits is not None:
        console.print(
            f"credits 抵扣 {credits.credits_kg_co2e:,.6g} kg CO2e (counted in the total "
            f"计入总量: {credits.counted_kg_co2e:,.6g}) · burdens 排放 "
            f"{credits.burdens_kg_co2e:,.6g} · net 净值 {credits.net_kg_co2e:,.6g}",
            highlight=False,
        )
        for item in credits.items:
            counted = "counted 计入" if item.counted else "reported apart 单列，不计入"
            console.print(
                f"  {item.kind} {item.target_name_en} {item.amount:,.6g} {item.unit}: "
                f"{item.kg_co2e:,.6g} kg CO2e, {counted} ({item.location})",
                markup=False,
                highlight=False,
            )
    electricity = footprint.electricity
    if electricity is not None:
        console.print(
            f"electricity 电力: location-based 基于位置 {electricity.location_based_kg_co2e:,.6g}"
            f" · market-based 基于市场 {electricity.market_based_kg_co2e:,.6g} kg CO2e "
            f"(reported 采用 {electricity.reported})",
            highlight=False,
        )
        for use in electricity.inputs:
            for i in use.instruments:
                state = (
                    "counted 计入" if i.qualifies else "not counted 不计入: " + "; ".join(i.reasons)
                )
                console.print(
                    f"  {i.type} {i.registry} {i.serial_prefix}{i.serial_start or ''}"
                    f"{'-' + str(i.serial_end) if i.serial_end is not None else ''}: "
                    f"{i.counted:,.6g} {use.unit} {state}",
                    markup=False,
                    highlight=False,
                )
            for note in use.notes:
                console.print(f"  note 注意: {note}", markup=False, highlight=False)
    for label, result in (
        ("declared unit 声明单位", footprint.per_declared_unit),
        ("sales unit 销售单位", footprint.per_sales_unit),
    ):
        if result is not None:
            name = result.name_zh or result.name_en or f"{result.amount:g} {result.unit}"
            console.print(
                f"per {label} {name}: {result.total_kg_co2e:,.6g} kg CO2e "
                f"({result.functional_units:g} functional units)",
                highlight=False,
            )
    groups = footprint.by_stage_analysis_groups
    if groups and any(
        abs(groups.get(k, 0) - v) > 1e-9 * (abs(v) + 1) for k, v in footprint.by_stage.items()
    ):
        console.print(
            "stages with upstream (analysis groups) 含上游的阶段: "
            + ", ".join(f"{k} {v:,.6g}" for k, v in groups.items()),
            highlight=False,
        )
    for name, value in (footprint.analysis_groups or {}).items():
        console.print(f"analysis group 分析组 {name}: {value:,.6g} kg CO2e", highlight=False)
    if footprint.inputs.parameter_set != "baseline":
        console.print(f"parameter set 参数集: {footprint.inputs.parameter_set}", highlight=False)


def print_sweep(table: SweepResult) -> None:
    """One row per value of the swept parameter."""
    fu = table.functional_unit
    grid = Table(
        title=f"sweep 参数扫描 {table.parameter} ({table.base_parameter_set}; kg CO2e per "
        f"{fu.get('amount', 1):g} {fu.get('unit', '')}, {table.gwp_set})",
        header_style="bold",
    )
    # stages in life-cycle order; cells fold rather than lose digits to an ellipsis
    stages = terms.stage_order(sorted({s for row in table.rows for s in row.by_stage}))
    grid.add_column(table.parameter, justify="right", overflow="fold")
    grid.add_column("total 合计", justify="right", overflow="fold")
    if any(row.credits_kg_co2e is not None for row in table.rows):
        grid.add_column("credits 抵扣", justify="right", overflow="fold")
    for stage in stages:
        grid.add_column(stage, justify="right", overflow="fold")
    for row in table.rows:
        # 4 significant digits, as the reports print them (--json has the full values)
        cells = [f"{row.value:g}", f"{row.total_kg_co2e:,.4g}"]
        if len(grid.columns) > 2 + len(stages):
            cells.append(f"{row.credits_kg_co2e or 0:,.4g}")
        cells += [f"{row.by_stage.get(s, 0.0):,.4g}" for s in stages]
        grid.add_row(*cells)
    console.print(grid)


def render_tree(node: TreeOut, total: float, parent: Tree | None = None) -> Tree:
    share = 100 * node.cumulative_kg_co2e / total if total else 0.0
    label = f"{node.name_en}: {node.cumulative_kg_co2e:,.4g} kg CO2e ({share:.1f} %)"
    branch = Tree(label) if parent is None else parent.add(label)
    for child in node.children:
        render_tree(child, total, branch)
    return branch


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
