"""``tanzuji pcr`` — product category rules: list, show, check a model (产品种类规则)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.cells import cell_len
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from tanzuji.cli.app import app, console, context
from tanzuji.cli.inputs import model_input, read_bytes
from tanzuji.errors import PcrError
from tanzuji.limits import InputLimits
from tanzuji.pcr.checks import PARAMETERS, SEVERITY_ORDER, CheckReport
from tanzuji.pcr.schema import Pcr, Threshold
from tanzuji.services import pcr as service

pcr_app = typer.Typer(
    help="Product category rules 产品种类规则: list, show, check a model against its PCR.",
    no_args_is_help=True,
)
app.add_typer(pcr_app, name="pcr")

_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}
#: Terminal cells of the widest severity label ("warning 警告"), and the message indent.
_SEVERITY_CELLS = 12
_INDENT = 4


def _pcr_ref(ref: str, limits: InputLimits) -> str | service.PcrDocument:
    """A PCR id / ``id@version``, or the document of a PCR file the user named."""
    if ref.endswith((".yaml", ".yml", ".json")) or Path(ref).is_file():
        raw = read_bytes(Path(ref), "PCR file", PcrError, limits)
        try:
            return service.PcrDocument(name=ref, text=raw.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise PcrError(f"{ref} is not UTF-8 text; save it as UTF-8") from None
    return ref


def _pcr_from(ref: str) -> Pcr:
    """A PCR by ``id``/``id@version``, or from a file path."""
    return service.show(_pcr_ref(ref, context().limits))


@pcr_app.command("list")
def list_pcrs() -> None:
    """List the shipped PCRs (列出产品种类规则)."""
    table = Table(show_header=True, header_style="bold", title="PCRs 产品种类规则")
    table.add_column("id@version", no_wrap=True)
    table.add_column("name 名称")
    table.add_column("unit · boundary 单位·边界")
    table.add_column("encodes 依据")
    for pcr in service.list_pcrs():
        table.add_row(
            pcr.ref,
            f"{pcr.name.text('zh')}\n{pcr.name.text('en')}",
            f"{pcr.unit.amount:g} {pcr.unit.unit} ({pcr.unit.kind})\n{pcr.boundary}",
            _short(pcr.standard[0].title),
        )
    console.print(table)
    console.print("details 详情: tanzuji pcr show ID", highlight=False)


def _short(title: str, limit: int = 40) -> str:
    """The head of a standard's title (its number and first words)."""
    head = title.split(" — ")[0].split(" concerning ")[0].split(" Product category")[0]
    return head if len(head) <= limit else head[: limit - 1] + "…"


def _threshold(value: Threshold) -> str:
    shown = "—" if value.value is None else f"{100 * value.value:g} %"
    if value.status == "parameter":
        return f"{shown} [yellow](parameter 参数: {value.note})[/]"
    return f"{shown} ({value.source})"


@pcr_app.command("show")
def show(
    ref: str = typer.Argument(..., help="PCR id, id@version, or a PCR file."),
    as_json: bool = typer.Option(False, "--json", help="Print the PCR as JSON."),
) -> None:
    """Show one PCR: unit, stages, inputs and rules (查看产品种类规则)."""
    pcr = _pcr_from(ref)
    if as_json:
        typer.echo(pcr.model_dump_json(indent=2, exclude_none=True))
        return
    console.print(f"[bold]{pcr.ref}[/]  {pcr.name.text('zh')} / {pcr.name.text('en')}")
    category = pcr.category
    console.print(
        f"category 类别: {category.name.text('zh')} / {category.name.text('en')} · CPC "
        f"{', '.join(category.cpc) or '—'} · HS {', '.join(category.hs) or '—'}"
    )
    unit = pcr.unit
    console.print(
        f"{unit.kind} unit 单位: {unit.amount:g} {unit.unit} ({unit.dimension}) — "
        f"{unit.description.text('zh')} / {unit.description.text('en')}"
    )
    console.print(f"boundary 系统边界: {pcr.boundary}")
    stages = Table(show_header=True, header_style="bold", title="stages 生命周期阶段")
    stages.add_column("PCR stage 阶段")
    stages.add_column("model life_cycle_stage")
    stages.add_column("required 必需")
    for stage in pcr.stages:
        stages.add_row(
            f"{stage.name.text('zh')} / {stage.name.text('en')}",
            ", ".join(stage.model_stages),
            "yes 是" if stage.mandatory else "no 否",
        )
    for excluded in pcr.excluded_stages:
        stages.add_row(
            f"[red]excluded 排除[/]: {excluded.reason.text('zh')} / {excluded.reason.text('en')}",
            excluded.model_stage,
            "must be absent 不得出现",
        )
    console.print(stages)
    inputs = Table(show_header=True, header_style="bold", title="inputs 输入")
    inputs.add_column("input 输入")
    inputs.add_column("unit 单位")
    inputs.add_column("required 必需")
    inputs.add_column("recognised by 识别方式")
    for rule, required in [(r, True) for r in pcr.inputs.required] + [
        (r, False) for r in pcr.inputs.optional
    ]:
        inputs.add_row(
            f"{rule.name.text('zh')} / {rule.name.text('en')}",
            rule.unit,
            "yes 是" if required else "optional 可选",
            "; ".join(
                part
                for part in (
                    f"factor {', '.join(rule.factor)}" if rule.factor else "",
                    f"words {', '.join(rule.keywords)}" if rule.keywords else "",
                    f"stages {', '.join(rule.stages)}" if rule.stages else "",
                )
                if part
            ),
        )
    console.print(inputs)
    rules = Table(show_header=True, header_style="bold", title="rules 规则")
    rules.add_column("rule 规则")
    rules.add_column("value 取值")
    rules.add_row("cut-off per flow 单项取舍", _threshold(pcr.cutoff.per_flow))
    rules.add_row("cut-off total 取舍合计", _threshold(pcr.cutoff.total))
    rules.add_row(
        "allocation 分配",
        f"hierarchy {' > '.join(pcr.allocation.hierarchy)}; allowed "
        f"{', '.join(pcr.allocation.allowed)} ({pcr.allocation.source})",
    )
    for name, value in calculation_rules(pcr):
        rules.add_row(name, escape(value))
    rules.add_row("GWP set 全球变暖潜势", f"{', '.join(pcr.gwp_sets)} — {pcr.gwp_note or ''}")
    rules.add_row("DQR max 数据质量上限", _threshold(pcr.data_quality.dqr_max))
    rules.add_row(
        "primary data 初级数据",
        f"stages {', '.join(pcr.data_quality.primary_data_stages) or '—'} "
        f"({pcr.data_quality.primary_severity})",
    )
    reporting = pcr.reporting
    shown = [
        name
        for name, on in (
            ("per stage 分阶段", reporting.per_stage),
            ("biogenic 生物源", reporting.biogenic_separately),
            ("biogenic carbon content 生物碳含量", reporting.biogenic_carbon_content),
            ("aircraft 航空", reporting.aircraft_separately),
            ("dLUC 土地利用变化", reporting.dluc_separately),
        )
        if on
    ]
    rules.add_row("report apart 单独报告", ", ".join(shown))
    console.print(rules)
    console.print("[bold]encodes 依据标准[/]")
    for citation in pcr.standard:
        detail = ", ".join(
            str(x) for x in (citation.publisher, citation.year, citation.clause) if x is not None
        )
        console.print(f"  [{citation.verified}] {citation.title} ({detail})", highlight=False)
    for note in pcr.notes:
        console.print(f"  note 注: {note}", highlight=False)


def calculation_rules(pcr: Pcr) -> list[tuple[str, str]]:
    """Rows for the calculation rules a PCR sets (docs/pcr.md "Calculation rules"): the
    allocation for every process, credits, end of life and the reported electricity result."""
    rows = []
    if pcr.allocation.calculation:
        rows.append(
            ("allocation in calculation 计算分配", f"{pcr.allocation.calculation} (every process)")
        )
    if pcr.allocation.end_of_life:
        rows.append(("allocation at end of life 报废分配", pcr.allocation.end_of_life))
    if pcr.credits:
        rows.append(
            (
                "credits 抵扣",
                f"substitution {pcr.credits.substitution}, recycling {pcr.credits.recycling} "
                f"(include: counted in the declared value; separate: reported apart) "
                f"({pcr.credits.source})",
            )
        )
    if pcr.end_of_life:
        eol = pcr.end_of_life
        rows.append(
            (
                "end of life 报废处理",
                f"{eol.method} for every material; none modelled: {eol.missing_severity} "
                f"[{eol.verified}] ({eol.source})" + (f" — {eol.note}" if eol.note else ""),
            )
        )
    if pcr.electricity:
        power = pcr.electricity
        residual = "; residual mix required 须提供剩余组合" if power.residual_mix_required else ""
        rows.append(
            (
                "electricity 电力",
                f"{power.reported}-based result declared (both reported){residual} "
                f"[{power.verified}] ({power.source})" + (f" — {power.note}" if power.note else ""),
            )
        )
    return rows


def _parse_params(values: list[str]) -> dict[str, float]:
    params: dict[str, float] = {}
    for text in values:
        name, sep, raw = text.partition("=")
        if not sep:
            raise PcrError(f"--param {text!r}: expected NAME=VALUE, NAME one of {list(PARAMETERS)}")
        try:
            params[name.strip()] = float(raw)
        except ValueError:
            raise PcrError(f"--param {text!r}: value {raw!r} is not a number") from None
    return params


def print_verdict(report: CheckReport) -> None:
    """One line: PASS or FAIL, the PCR version checked against, and the finding counts."""
    counts = report.counts()
    verdict = "[bold green]PASS 通过[/]" if report.passed else "[bold red]FAIL 未通过[/]"
    console.print(
        f"{verdict}  {Path(report.model_file).name} — {report.pcr}: {counts['error']} error(s) "
        f"错误, {counts['warning']} warning(s) 警告, {counts['info']} info 提示",
        highlight=False,
    )


def print_report(report: CheckReport) -> None:
    """The verdict, then one finding per entry, errors first.

    Each finding is a line ``severity  rule  location`` followed by its Chinese and English
    messages, indented; a list reads in an 80-column terminal where a table does not.
    """
    counts = report.counts()
    verdict = "[bold green]PASS 通过[/]" if report.passed else "[bold red]FAIL 未通过[/]"
    console.print(
        f"{report.model_file} checked against 依据 [bold]{report.pcr}[/] "
        f"({report.pcr_name_zh} / {report.pcr_name_en}): {verdict} — "
        f"{counts['error']} error(s) 错误, {counts['warning']} warning(s) 警告, "
        f"{counts['info']} info 提示",
        highlight=False,
    )
    fu = report.functional_unit
    console.print(
        f"footprint 碳足迹: {report.total_kg_co2e:,.6g} kg CO2e per {fu['amount']:g} {fu['unit']} "
        f"({report.gwp_set})",
        highlight=False,
    )
    width = max(20, console.width - _INDENT)
    for finding in sorted(report.findings, key=lambda f: SEVERITY_ORDER[f.severity]):
        style = _SEVERITY_STYLE[finding.severity]
        severity = f"{finding.severity} {_SEVERITY_ZH[finding.severity]}"
        severity += " " * (_SEVERITY_CELLS - cell_len(severity))
        console.print(
            f"[{style}]{severity}[/] {escape(finding.rule)}  {escape(finding.location or '')}",
            highlight=False,
        )
        for message in (finding.message_zh, finding.message_en):
            for line in Text(message).wrap(console, width):
                line.rstrip()
                console.print(Text(" " * _INDENT) + line, highlight=False)


@pcr_app.command("check")
def check_command(
    model: Path = typer.Argument(..., help="Product model file (YAML or JSON)."),
    pcr: str = typer.Option(
        None, "--pcr", help="PCR id, id@version or file (default: the model's product.pcr)."
    ),
    gwp: str = typer.Option(
        None, "--gwp", help="GWP100 set for the footprint (default: one the PCR prescribes)."
    ),
    param: list[str] = typer.Option(
        None, "--param", help=f"Set a PCR parameter, NAME=VALUE; NAME in {', '.join(PARAMETERS)}."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Check MODEL against its PCR; exit code 1 when a finding is an error (检查模型)."""
    ctx = context()
    ref = _pcr_ref(pcr, ctx.limits) if pcr else None
    request = service.PcrCheckRequest(
        model=model_input(model, ctx.limits),
        pcr=ref if isinstance(ref, str) else None,
        pcr_document=ref if isinstance(ref, service.PcrDocument) else None,
        parameters=_parse_params(param or []),
        gwp_set=gwp,
    )
    report = service.check(ctx, request)
    if as_json:
        payload = report.model_dump(mode="json")
        payload["passed"] = report.passed
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print_report(report)
    if not report.passed:
        raise typer.Exit(code=1)
