"""Checking a product model and its footprint against a PCR.

Each rule kind is one function ``(CheckContext) -> list[Finding]`` in :data:`RULE_KINDS`; a
finding names its rule (``kind.check``), severity, location (``file:line path`` from the
model's :class:`~tanzuji.model.files.SourceMap`) and a message in Chinese and English. An
``error`` finding will block certification. The semantics of every rule are in docs/pcr.md.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from tanzuji import gases, units
from tanzuji.engine.recycling import pef_defaults
from tanzuji.errors import PcrError
from tanzuji.factors.base import FactorSource
from tanzuji.footprint import Footprint, calculate
from tanzuji.model import formula
from tanzuji.model.compile import material_process
from tanzuji.model.files import LoadedModel, SourceMap
from tanzuji.model.schema import Emission, Exchange, Model, Process
from tanzuji.pcr.calculation import rules_of
from tanzuji.pcr.registry import get_pcr, split_ref
from tanzuji.pcr.schema import InputRule, Pcr, Severity, Threshold

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
#: Names of the thresholds that ``parameters`` may set or override at check time.
PARAMETERS = ("cutoff.per_flow", "cutoff.total", "data_quality.dqr_max")
#: Words that mark air transport in a process (ISO 14067:2018 7.2: aircraft GHG apart).
_AIR = re.compile(
    r"air[-_ ]?(?:freight|cargo|transport|shipment)|aircraft|\bflights?\b|空运|航空", re.IGNORECASE
)
REMOVAL_ORIGINS = ("biogenic", "land_management")


class Finding(BaseModel):
    """One result of one rule."""

    rule: str
    severity: Severity
    location: str | None
    message_en: str
    message_zh: str

    @property
    def kind(self) -> str:
        return self.rule.split(".", 1)[0]


class CheckReport(BaseModel):
    """All findings of one model against one PCR version."""

    pcr: str
    pcr_name_en: str
    pcr_name_zh: str
    model_file: str
    model_sha256: str
    gwp_set: str
    total_kg_co2e: float
    functional_unit: dict[str, Any]
    findings: list[Finding]

    @property
    def passed(self) -> bool:
        """True when no finding is an error (errors block certification)."""
        return not any(f.severity == "error" for f in self.findings)

    def counts(self) -> dict[str, int]:
        out = {"error": 0, "warning": 0, "info": 0}
        for finding in self.findings:
            out[finding.severity] += 1
        return out


@dataclass
class CheckContext:
    """What every rule sees: the model with its source map, the PCR, the result, parameters."""

    loaded: LoadedModel
    pcr: Pcr
    footprint: Footprint
    parameters: Mapping[str, float] = field(default_factory=dict)

    @property
    def model(self) -> Model:
        return self.loaded.model

    @property
    def smap(self) -> SourceMap:
        return self.loaded.source_map

    def where(self, *path: str | int) -> str:
        return self.smap.where(tuple(path))

    def finding(
        self, rule: str, severity: Severity, location: str | None, en: str, zh: str
    ) -> Finding:
        return Finding(
            rule=rule, severity=severity, location=location, message_en=en, message_zh=zh
        )

    def threshold(self, name: str, rule: Threshold) -> float | None:
        """The value of a threshold: the check-time parameter if given, else the PCR's."""
        if name in self.parameters:
            return float(self.parameters[name])
        return rule.value


def _pct(x: float) -> str:
    return f"{100 * x:.3g} %"


# -- functional unit --------------------------------------------------------------------------
def check_functional_unit(ctx: CheckContext) -> list[Finding]:
    """The model's unit has the PCR unit's dimension; kind and size as the PCR says."""
    fu, rule = ctx.model.product.functional_unit, ctx.pcr.unit
    out = []
    at = ctx.where("product", "functional_unit", "unit")
    if not units.convertible(fu.unit, rule.unit):
        out.append(
            ctx.finding(
                "functional_unit.dimension",
                "error",
                at,
                f"functional unit is {fu.amount:g} {fu.unit!r}; the PCR prescribes "
                f"{rule.amount:g} {rule.unit} ({rule.dimension}: {rule.description.text('en')}); "
                f"use a unit of dimension {rule.dimension}",
                f"功能单位为 {fu.amount:g} {fu.unit!r}；PCR 规定为 {rule.amount:g} {rule.unit}"
                f"（{rule.dimension}：{rule.description.text('zh')}），请使用该量纲的单位",
            )
        )
    else:
        model_in_rule = units.convert(fu.amount, fu.unit, rule.unit)
        if abs(model_in_rule - rule.amount) > 1e-9 * rule.amount:
            scale = rule.amount / model_in_rule
            out.append(
                ctx.finding(
                    "functional_unit.unit",
                    "info",
                    at,
                    f"results are per {fu.amount:g} {fu.unit}; the PCR declares per "
                    f"{rule.amount:g} {rule.unit}: multiply by {scale:.6g} to compare",
                    f"结果按 {fu.amount:g} {fu.unit} 计；PCR 按 {rule.amount:g} {rule.unit} 声明，"
                    f"比较时乘以 {scale:.6g}",
                )
            )
    if fu.kind != rule.kind:
        out.append(
            ctx.finding(
                "functional_unit.kind",
                "warning",
                ctx.where("product", "functional_unit", "kind"),
                f"the model declares a {fu.kind} unit; the PCR asks for a {rule.kind} unit "
                "(ISO 14067:2018 6.3.2)",
                f"模型声明的是{_KIND_ZH[fu.kind]}；PCR 要求{_KIND_ZH[rule.kind]}"
                "（ISO 14067:2018 6.3.2）",
            )
        )
    return out


_KIND_ZH = {"functional": "功能单位", "declared": "声明单位"}


# -- stages and boundary ----------------------------------------------------------------------
def _stage_index(model: Model) -> dict[str, list[int]]:
    present: dict[str, list[int]] = {}
    for i, process in enumerate(model.processes):
        present.setdefault(process.life_cycle_stage, []).append(i)
    return present


def check_stages(ctx: CheckContext) -> list[Finding]:
    """Mandatory PCR stages are present, excluded stages absent, other stages known."""
    present = _stage_index(ctx.model)
    materials = ctx.model.materials or []
    # a material is two processes: its own stage and end of life (docs/model.md "Recycling")
    covered = set(present) | {m.life_cycle_stage for m in materials}
    covered |= {"end_of_life"} if materials else set()
    excluded = {e.model_stage: e for e in ctx.pcr.excluded_stages}
    out = []
    for stage in ctx.pcr.stages:
        if stage.mandatory and not any(s in covered for s in stage.model_stages):
            values = " / ".join(stage.model_stages)
            out.append(
                ctx.finding(
                    "stages.mandatory_missing",
                    "error",
                    ctx.where("processes"),
                    f"mandatory stage '{stage.name.text('en')}' has no process; add a process "
                    f"with life_cycle_stage {values}",
                    f"缺少必需阶段“{stage.name.text('zh')}”："
                    f"请添加 life_cycle_stage 为 {values} 的过程",
                )
            )
    for model_stage, indices in present.items():
        if model_stage in excluded:
            reason = excluded[model_stage].reason
            for i in indices:
                out.append(
                    ctx.finding(
                        "stages.excluded_present",
                        "error",
                        ctx.where("processes", i, "life_cycle_stage"),
                        f"process {ctx.model.processes[i].id!r} is in stage {model_stage!r}, which "
                        f"the PCR excludes: {reason.text('en')}",
                        f"过程 {ctx.model.processes[i].id!r} 属于 PCR 排除的阶段 {model_stage!r}："
                        f"{reason.text('zh')}",
                    )
                )
        elif ctx.pcr.stage_of(model_stage) is None:
            out.append(
                ctx.finding(
                    "stages.unmapped",
                    "warning",
                    ctx.where("processes", indices[0], "life_cycle_stage"),
                    f"stage {model_stage!r} is not a stage of this PCR "
                    f"({_stage_list(ctx.pcr)}); its emissions count in the total but the PCR "
                    "does not name them",
                    f"阶段 {model_stage!r} 不属于本 PCR 的阶段（{_stage_list(ctx.pcr)}）；"
                    "其排放计入总量但 PCR 未定义该阶段",
                )
            )
    return out


def _stage_list(pcr: Pcr) -> str:
    return ", ".join(s for stage in pcr.stages for s in stage.model_stages)


def check_boundary(ctx: CheckContext) -> list[Finding]:
    """The model states the PCR's system boundary (product.boundary)."""
    declared = ctx.model.product.boundary
    expected = ctx.pcr.boundary
    if declared is None:
        return [
            ctx.finding(
                "boundary.undeclared",
                "warning",
                ctx.where("product"),
                f"the model does not state its system boundary; the PCR requires {expected} "
                "(set product.boundary; ISO 14067:2018 6.3.4)",
                f"模型未声明系统边界；PCR 要求 {expected}（请设置 product.boundary；"
                "ISO 14067:2018 6.3.4）",
            )
        ]
    if declared != expected:
        return [
            ctx.finding(
                "boundary.mismatch",
                "error",
                ctx.where("product", "boundary"),
                f"the model states boundary {declared}; the PCR requires {expected}",
                f"模型声明的系统边界为 {declared}；PCR 要求 {expected}",
            )
        ]
    return []


# -- inputs -----------------------------------------------------------------------------------
def _exchanges(model: Model) -> Iterator[tuple[tuple[str | int, ...], Process, Exchange]]:
    """Every input (path, process, exchange), and each material's virgin and recycled inputs
    as inputs of its material process (stage ``life_cycle_stage`` of the material)."""
    for i, process in enumerate(model.processes):
        for k, exchange in enumerate(process.inputs):
            yield ("processes", i, "inputs", k), process, exchange
    for m, material in enumerate(model.materials or []):
        holder = material_process(material, "material")
        words = " ".join(filter(None, [material.id, material.name.en, material.name.zh]))
        for term in ("E_v", "E_recycled"):
            link = getattr(material, term)
            if link is not None:
                exchange = Exchange.model_construct(
                    process=link.process, factor=link.factor, match=None, amount=1.0,
                    unit="kg", comment=words,
                )  # fmt: skip
                yield ("materials", m, term), holder, exchange


def _haystack(ctx: CheckContext, exchange: Exchange) -> str:
    parts = [exchange.factor or "", exchange.process or "", exchange.comment or ""]
    if exchange.factor:
        for factor in ctx.model.factors:
            if factor.id == exchange.factor:
                parts += [factor.name.en or "", factor.name.zh or ""]
    return " ".join(parts).lower()


def _matches(ctx: CheckContext, rule: InputRule, process: Process, exchange: Exchange) -> bool:
    if rule.stages and process.life_cycle_stage not in rule.stages:
        return False
    if exchange.factor and any(
        fnmatch.fnmatch(exchange.factor.lower(), pattern.lower()) for pattern in rule.factor
    ):
        return True
    text = _haystack(ctx, exchange)
    return any(keyword.lower() in text for keyword in rule.keywords)


def check_required_inputs(ctx: CheckContext) -> list[Finding]:
    """Required inputs are present, and required and optional inputs are in a unit of the
    right dimension."""
    out = []
    rules = [(r, True) for r in ctx.pcr.inputs.required] + [
        (r, False) for r in ctx.pcr.inputs.optional
    ]
    for rule, required in rules:
        found = [(at, e) for at, p, e in _exchanges(ctx.model) if _matches(ctx, rule, p, e)]
        if required and not found:
            scope = f" in stage(s) {', '.join(rule.stages)}" if rule.stages else ""
            scope_zh = f"（阶段 {', '.join(rule.stages)}）" if rule.stages else ""
            out.append(
                ctx.finding(
                    "required_inputs.missing",
                    "error",
                    ctx.where("processes"),
                    f"required input '{rule.name.text('en')}' ({rule.unit}){scope} not found; "
                    f"expected a factor matching {rule.factor or '-'} or the words "
                    f"{rule.keywords or '-'}",
                    f"缺少必需输入“{rule.name.text('zh')}”（{rule.unit}）{scope_zh}；"
                    f"应有匹配 {rule.factor or '-'} 的因子或含关键词 {rule.keywords or '-'} 的输入",
                )
            )
        for at, exchange in found:
            if units.convertible(exchange.unit, rule.unit):
                continue
            out.append(
                ctx.finding(
                    "required_inputs.unit" if required else "required_inputs.optional_unit",
                    "error" if required else "warning",
                    ctx.where(*at, "unit"),
                    f"input '{rule.name.text('en')}' is given in {exchange.unit!r}; the PCR asks "
                    f"for {rule.unit} or a unit convertible to it",
                    f"输入“{rule.name.text('zh')}”的单位为 {exchange.unit!r}；PCR 要求 {rule.unit}",
                )
            )
    return out


# -- cut-off ----------------------------------------------------------------------------------
def exclusion_shares(model: Model, total_kg_co2e: float) -> list[float | None]:
    """Share of each declared exclusion in the complete (uncut) footprint.

    ``estimated_share`` is taken as given. ``estimated_kg_co2e`` is divided by the complete
    footprint: the model's total plus every exclusion given in kg CO2e. None when neither is
    given or the complete footprint is not positive.
    """
    exclusions = model.exclusions or []
    extra = sum(e.estimated_kg_co2e or 0.0 for e in exclusions if e.estimated_share is None)
    complete = total_kg_co2e + extra
    shares: list[float | None] = []
    for exclusion in exclusions:
        if exclusion.estimated_share is not None:
            shares.append(exclusion.estimated_share)
        elif exclusion.estimated_kg_co2e is not None and complete > 0:
            shares.append(exclusion.estimated_kg_co2e / complete)
        else:
            shares.append(None)
    return shares


def check_cutoff(ctx: CheckContext) -> list[Finding]:
    """Declared exclusions stay within the per-flow and total cut-off limits."""
    exclusions = ctx.model.exclusions or []
    if not exclusions:
        return []
    rule = ctx.pcr.cutoff
    per_flow = ctx.threshold("cutoff.per_flow", rule.per_flow)
    total = ctx.threshold("cutoff.total", rule.total)
    out = []
    for name, value, threshold in (
        ("cutoff.per_flow", per_flow, rule.per_flow),
        ("cutoff.total", total, rule.total),
    ):
        if value is None:
            out.append(
                ctx.finding(
                    "cutoff.parameter_unset",
                    "info",
                    ctx.where("exclusions"),
                    f"the PCR leaves {name} as a parameter ({threshold.note}); exclusions are not "
                    f"compared with it — set it with --param {name}=FRACTION",
                    f"PCR 将 {name} 作为参数（{threshold.note}）；未据此检查排除项——"
                    f"可用 --param {name}=比例 设置",
                )
            )
    shares = exclusion_shares(ctx.model, ctx.footprint.total_kg_co2e)
    for j, (exclusion, share) in enumerate(zip(exclusions, shares, strict=True)):
        if share is None:
            out.append(
                ctx.finding(
                    "cutoff.no_estimate",
                    "warning",
                    ctx.where("exclusions", j),
                    f"exclusion {exclusion.id!r} has no estimate; give estimated_share or "
                    "estimated_kg_co2e (ISO 14067:2018 6.3.4.3: the effect of cut-offs shall be "
                    "assessed)",
                    f"排除项 {exclusion.id!r} 未给出估算；请给出 estimated_share 或 "
                    "estimated_kg_co2e（ISO 14067:2018 6.3.4.3 要求评估取舍的影响）",
                )
            )
        elif per_flow is not None and share > per_flow:
            key = (
                "estimated_share" if exclusion.estimated_share is not None else "estimated_kg_co2e"
            )
            out.append(
                ctx.finding(
                    "cutoff.per_flow",
                    "error",
                    ctx.where("exclusions", j, key),
                    f"exclusion {exclusion.id!r} is {_pct(share)} of the footprint; the PCR allows "
                    f"at most {_pct(per_flow)} per flow ({rule.per_flow.source}) — model it",
                    f"排除项 {exclusion.id!r} 占碳足迹 {_pct(share)}，超过 PCR 单项上限 "
                    f"{_pct(per_flow)}（{rule.per_flow.source}）——请纳入模型",
                )
            )
    summed = sum(s for s in shares if s is not None)
    if total is not None and summed > total:
        out.append(
            ctx.finding(
                "cutoff.total",
                "error",
                ctx.where("exclusions"),
                f"exclusions add up to {_pct(summed)} of the footprint; the PCR allows at most "
                f"{_pct(total)} in total ({rule.total.source})",
                f"排除项合计占碳足迹 {_pct(summed)}，超过 PCR 总上限 {_pct(total)}"
                f"（{rule.total.source}）",
            )
        )
    return out


# -- allocation -------------------------------------------------------------------------------
def check_allocation(ctx: CheckContext) -> list[Finding]:
    """Multi-output processes use an allocation method the PCR allows."""
    rule = ctx.pcr.allocation
    out = []
    physical_first = (
        "physical" in rule.hierarchy
        and "economic" in rule.hierarchy
        and rule.hierarchy.index("physical") < rule.hierarchy.index("economic")
    )
    if rule.calculation not in (None, "default", "causal"):
        return [
            ctx.finding(
                "allocation.calculation",
                "info",
                ctx.where("processes"),
                f"the PCR allocates every multi-output process by {rule.calculation} "
                f"({rule.source}); the processes' own rules are not used",
                f"PCR 规定所有多产出过程按 {rule.calculation} 处理（{rule.source}），"
                "不采用各过程自身的分配规则",
            )
        ]
    for i, process in enumerate(ctx.model.processes):
        if not process.co_products:
            continue
        at = ctx.where("processes", i, "allocation")
        method = process.allocation
        if method not in rule.allowed:
            out.append(
                ctx.finding(
                    "allocation.method_not_allowed",
                    "error",
                    at,
                    f"process {process.id!r} allocates by {method}; the PCR allows "
                    f"{', '.join(rule.allowed)} ({rule.source})",
                    f"过程 {process.id!r} 按 {method} 分配；PCR 仅允许 {', '.join(rule.allowed)}"
                    f"（{rule.source}）",
                )
            )
        elif method == "economic" and physical_first:
            out.append(
                ctx.finding(
                    "allocation.economic_needs_justification",
                    "warning",
                    at,
                    f"process {process.id!r} allocates by economic value; the hierarchy puts "
                    "physical relationships first — document why they cannot be used "
                    "(ISO 14067:2018 6.4.6.2)",
                    f"过程 {process.id!r} 采用经济价值分配；分配层级优先物理关系——"
                    "请说明不能使用物理分配的理由（ISO 14067:2018 6.4.6.2）",
                )
            )
    return out


# -- credits, end of life, electricity ------------------------------------------------------------
def check_credits(ctx: CheckContext) -> list[Finding]:
    """Credits are reported apart; the PCR says whether they count in the declared value."""
    credits = ctx.footprint.credits
    if credits is None:
        return []
    at = f"{ctx.smap.file} (result credits)"
    rule = ctx.pcr.credits
    if rule is None:
        return [
            ctx.finding(
                "credits.rule_missing",
                "warning",
                at,
                f"the result has credits of {credits.credits_kg_co2e:.6g} kg CO2e but the PCR "
                "does not say whether they count; they are reported apart and, by default, not "
                "in the declared value (ISO 14067:2018 6.4.6)",
                f"结果含抵扣 {credits.credits_kg_co2e:.6g} kg CO2e，PCR 未规定是否计入；"
                "已单独报告，默认不计入声明值（ISO 14067:2018 6.4.6）",
            )
        ]
    counted = credits.counted_kg_co2e
    return [
        ctx.finding(
            "credits.reported",
            "info",
            at,
            f"credits {credits.credits_kg_co2e:.6g} kg CO2e reported apart; {counted:.6g} count "
            f"in the declared value (substitution: {rule.substitution}, recycling: "
            f"{rule.recycling}; {rule.source})",
            f"抵扣 {credits.credits_kg_co2e:.6g} kg CO2e 已单独报告，其中 {counted:.6g} 计入声明值"
            f"（替代：{rule.substitution}，回收：{rule.recycling}；{rule.source}）",
        )
    ]


def check_end_of_life(ctx: CheckContext) -> list[Finding]:
    """Materials use the PCR's end-of-life method; CFF A values lie in the PEF range."""
    rule = ctx.pcr.end_of_life
    if rule is None:
        return []
    materials = ctx.model.materials or []
    out = []
    if not materials and any(p.life_cycle_stage == "end_of_life" for p in ctx.model.processes):
        out.append(
            ctx.finding(
                "end_of_life.materials_missing",
                rule.missing_severity,
                ctx.where("processes"),
                f"the PCR models recycled content and end of life by {rule.method} "
                f"({rule.source}); list the product's materials under 'materials:' with their "
                'parameters (docs/model.md "Recycling")',
                f"PCR 要求按 {rule.method} 处理再生含量与寿命终止（{rule.source}）；"
                "请在 materials: 中列出产品材料及其参数",
            )
        )
    for m, material in enumerate(materials):
        if material.method != rule.method:
            out.append(
                ctx.finding(
                    "end_of_life.method_replaced",
                    "info",
                    ctx.where("materials", m, "method"),
                    f"material {material.id!r} is written with {material.method}; computed with "
                    f"the PCR's {rule.method}",
                    f"材料 {material.id!r} 写为 {material.method}，"
                    f"按 PCR 规定的 {rule.method} 计算",
                )
            )
        out += _a_range(ctx, m, material, rule.method)
    return out


def _a_range(ctx: CheckContext, m: int, material, method: str) -> list[Finding]:
    """A within the PEF range 0.2..0.8 (data/cff_parameters.csv A.minimum, A.maximum)."""
    if method != "cff" or material.A is None:
        return []
    a = (
        formula.evaluate(material.A, ctx.footprint.inputs.parameters)
        if isinstance(material.A, str)
        else float(material.A)
    )
    defaults = pef_defaults()
    low, high = defaults["A.minimum"], defaults["A.maximum"]
    if low.value <= a <= high.value:
        return []
    return [
        ctx.finding(
            "end_of_life.a_out_of_range",
            "error",
            ctx.where("materials", m, "A"),
            f"material {material.id!r} has A = {a:g}; the PEF method admits {low.value:g} to "
            f"{high.value:g} ({low.source})",
            f"材料 {material.id!r} 的 A = {a:g}；PEF 方法允许 {low.value:g} 至 {high.value:g}",
        )
    ]


def check_electricity(ctx: CheckContext) -> list[Finding]:
    """The declared electricity result is the PCR's; instruments that fail criteria listed."""
    rule, result = ctx.pcr.electricity, ctx.footprint.electricity
    if result is None:
        return []
    out = []
    for use in result.inputs:
        for instrument in use.instruments:
            if instrument.qualifies:
                continue
            out.append(
                ctx.finding(
                    "electricity.instrument_not_counted",
                    "warning",
                    instrument.location,
                    f"{instrument.type} {instrument.registry} does not count in the market-based "
                    f"result: {'; '.join(instrument.reasons)} (GHG Protocol Scope 2 Guidance "
                    "Table 7.1; ISO 14067:2018 6.4.9.4)",
                    f"{instrument.type} {instrument.registry} 不计入基于市场的结果："
                    f"{'；'.join(instrument.reasons)}",
                )
            )
        if rule is not None and rule.residual_mix_required and use.residual_factor_id is None:
            out.append(
                ctx.finding(
                    "electricity.residual_mix_missing",
                    "error",
                    use.location,
                    f"the PCR requires a residual mix for electricity not covered by instruments "
                    f"({rule.source}); give market.residual_mix",
                    f"PCR 要求未被证书覆盖的电力采用剩余电力组合因子（{rule.source}）",
                )
            )
    reported = result.reported
    out.append(
        ctx.finding(
            "electricity.results",
            "info",
            f"{ctx.smap.file} (result electricity)",
            f"location-based {result.location_based_kg_co2e:.6g}, market-based "
            f"{result.market_based_kg_co2e:.6g} kg CO2e; declared: {reported}"
            + (f" ({rule.source})" if rule else " (default, no PCR rule)"),
            f"基于位置 {result.location_based_kg_co2e:.6g}、基于市场 "
            f"{result.market_based_kg_co2e:.6g} kg CO2e；声明采用 {reported}",
        )
    )
    return out


# -- GWP set ----------------------------------------------------------------------------------
def check_gwp_set(ctx: CheckContext) -> list[Finding]:
    """The result was characterised with a GWP set the PCR prescribes."""
    used, allowed = ctx.footprint.gwp_set, ctx.pcr.gwp_sets
    if used in allowed:
        return []
    return [
        ctx.finding(
            "gwp_set.mismatch",
            "error",
            f"{ctx.smap.file} (result gwp_set)",
            f"the result uses GWP100 {used}; the PCR prescribes {', '.join(allowed)} — "
            f"recompute with --gwp {allowed[0]}",
            f"结果采用 GWP100 {used}；PCR 规定 {', '.join(allowed)}——"
            f"请用 --gwp {allowed[0]} 重新计算",
        )
    ]


def check_gwp_set_consistency(ctx: CheckContext) -> list[Finding]:
    """Factors known only as CO2e of another GWP set than the result's (one finding each),
    when the PCR has a ``gwp_set_consistency`` rule: errors under ``forbid``, else warnings."""
    rule = ctx.pcr.gwp_set_consistency
    if rule is None:  # the result lists them (gwp_set_mismatches); the PCR says nothing
        return []
    severity: Severity = "error" if rule.other_sets == "forbid" else "warning"
    basis = f" ({rule.source})"
    used = ctx.footprint.gwp_set
    return [
        ctx.finding(
            "gwp_set_consistency.other_set",
            severity,
            m.locations[0] if m.locations else None,
            f"factor {m.factor_id} v{m.version} is known only as CO2e of {m.gwp_set}, not "
            f"{used}; its {m.kg_co2e:.4g} kg CO2e were added as published{basis} — use a "
            f"factor with a gas breakdown or one computed with {used}",
            f"因子 {m.factor_id} v{m.version} 仅有 {m.gwp_set} 的 CO2e 值，与结果的 {used} 不一致；"
            f"其 {m.kg_co2e:.4g} kg CO2e 按原值计入{basis}——请改用含分气体数据或按 {used} "
            "计算的因子",
        )
        for m in ctx.footprint.gwp_set_mismatches or []
    ]


# -- data quality -----------------------------------------------------------------------------
def footprint_dqr(footprint: Footprint) -> float | None:
    """The result's DQR if the data-quality module put one on it, else None.

    The ``quality`` module (branch quality-mc) adds ``footprint.data_quality.dqr``; until it is
    merged a footprint has no such field, and this returns None.
    """
    quality = getattr(footprint, "data_quality", None)
    if quality is None:
        return None
    value = quality.get("dqr") if isinstance(quality, Mapping) else getattr(quality, "dqr", None)
    return None if value is None else float(value)


def _flows(process: Process) -> Iterator[tuple[str, int, Exchange | Emission]]:
    for k, exchange in enumerate(process.inputs):
        yield "inputs", k, exchange
    for k, emission in enumerate(process.emissions):
        yield "emissions", k, emission


def check_data_quality(ctx: CheckContext) -> list[Finding]:
    """DQR at most the PCR's ceiling; primary data in the stages the PCR names."""
    rule = ctx.pcr.data_quality
    out = []
    dqr = footprint_dqr(ctx.footprint)
    limit = ctx.threshold("data_quality.dqr_max", rule.dqr_max)
    result_at = f"{ctx.smap.file} (result data_quality.dqr)"
    if dqr is None:
        out.append(
            ctx.finding(
                "data_quality.dqr_unavailable",
                "info",
                result_at,
                "DQR not available for this result; the DQR ceiling was not checked",
                "该结果无数据质量评级（DQR），未检查 DQR 上限",
            )
        )
    elif limit is None:
        out.append(
            ctx.finding(
                "data_quality.dqr_parameter_unset",
                "info",
                result_at,
                f"DQR is {dqr:.2f}; the PCR leaves the ceiling as a parameter "
                f"({rule.dqr_max.note}) — set it with --param data_quality.dqr_max=N",
                f"DQR 为 {dqr:.2f}；PCR 将上限作为参数（{rule.dqr_max.note}）",
            )
        )
    elif dqr > limit:
        out.append(
            ctx.finding(
                "data_quality.dqr_exceeded",
                "error",
                result_at,
                f"DQR is {dqr:.2f}; the PCR requires at most {limit:g} ({rule.dqr_max.source})",
                f"DQR 为 {dqr:.2f}，超过 PCR 上限 {limit:g}（{rule.dqr_max.source}）",
            )
        )
    stages = set(rule.primary_data_stages)
    for i, process in enumerate(ctx.model.processes):
        if process.life_cycle_stage not in stages:
            continue
        for kind, k, flow in _flows(process):
            # A link to another process of the model is checked at that process.
            if flow.primary or (isinstance(flow, Exchange) and flow.process is not None):
                continue
            out.append(
                ctx.finding(
                    "data_quality.primary_missing",
                    rule.primary_severity,
                    ctx.where("processes", i, kind, k),
                    f"{kind[:-1]} {k} of process {process.id!r} (stage "
                    f"{process.life_cycle_stage}) is not primary data; the PCR requires "
                    f"site-specific data in this stage — measure it and mark primary: true",
                    f"过程 {process.id!r}（阶段 {process.life_cycle_stage}）的第 {k} 项"
                    f"{'输入' if kind == 'inputs' else '排放'}不是初级数据；PCR 要求该阶段使用"
                    "现场实测数据——请实测并标注 primary: true",
                )
            )
    return out


# -- reporting --------------------------------------------------------------------------------
def check_reporting(ctx: CheckContext) -> list[Finding]:
    """Removals, biogenic carbon, aircraft and dLUC are reported apart as the PCR asks."""
    rule = ctx.pcr.reporting
    fp, iso = ctx.footprint, ctx.footprint.iso14067
    out = []
    stray = [g for g in fp.by_gas if g.removal and g.origin not in REMOVAL_ORIGINS]
    for gas in stray:
        out.append(
            ctx.finding(
                "reporting.removal_not_separate",
                "error",
                f"{ctx.smap.file} (result by_gas {gas.gas} {gas.origin})",
                f"a removal of {gas.kg_co2e:.6g} kg CO2e ({gas.gas}) has origin {gas.origin}; "
                "removals must be biogenic or land-management CO2 and are reported separately "
                "(ISO 14067:2018 6.5.2, 7.2) — fix the origin of the factor or emission",
                f"{gas.gas} 清除量 {gas.kg_co2e:.6g} kg CO2e 的来源为 {gas.origin}；"
                "清除必须是生物源或土地管理 CO2，并单独报告（ISO 14067:2018 6.5.2、7.2）",
            )
        )
    has_biogenic = bool(iso.biogenic_ghg_removals or iso.biogenic_ghg_emissions)
    if rule.biogenic_separately and has_biogenic:
        out.append(
            ctx.finding(
                "reporting.biogenic_separate",
                "info",
                f"{ctx.smap.file} (result iso14067)",
                f"biogenic emissions {iso.biogenic_ghg_emissions:.6g} and removals "
                f"{iso.biogenic_ghg_removals:.6g} kg CO2e are reported separately",
                f"生物源排放 {iso.biogenic_ghg_emissions:.6g} 与清除 "
                f"{iso.biogenic_ghg_removals:.6g} kg CO2e 已单独报告",
            )
        )
    removals = ctx.pcr.removals
    if removals is not None and removals.label_value == "exclude" and iso.biogenic_ghg_removals:
        label = fp.total_kg_co2e - iso.biogenic_ghg_removals
        out.append(
            ctx.finding(
                "reporting.removals_excluded",
                "info",
                f"{ctx.smap.file} (result iso14067)",
                f"the label value leaves out the biogenic removals of "
                f"{iso.biogenic_ghg_removals:.6g} kg CO2e: {label:.6g} kg CO2e, not the total "
                f"{fp.total_kg_co2e:.6g} ({removals.clause})",
                f"标识值不计生物源清除 {iso.biogenic_ghg_removals:.6g} kg CO2e：为 {label:.6g}，"
                f"而非总值 {fp.total_kg_co2e:.6g} kg CO2e",
            )
        )
    if rule.biogenic_carbon_content and ctx.model.product.biogenic_carbon_content_kg is None:
        out.append(
            ctx.finding(
                "reporting.biogenic_carbon_content_missing",
                "error" if iso.biogenic_ghg_removals else "warning",
                ctx.where("product"),
                "the PCR requires the product's biogenic carbon content; set "
                "product.biogenic_carbon_content_kg (kg C per functional unit; 0 if none)",
                "PCR 要求报告产品的生物碳含量；请设置 product.biogenic_carbon_content_kg"
                "（每功能单位 kg C；无则填 0）",
            )
        )
    if rule.aircraft_separately and not iso.aircraft_ghg_emissions:
        for i, process in enumerate(ctx.model.processes):
            text = " ".join(
                [process.id, process.name.en or "", process.name.zh or "", process.comment or ""]
            )
            if _AIR.search(text):
                out.append(
                    ctx.finding(
                        "reporting.aircraft_unflagged",
                        "warning",
                        ctx.where("processes", i),
                        f"process {process.id!r} looks like air transport but no emission is "
                        "flagged aircraft: true; aircraft GHG are reported separately "
                        "(ISO 14067:2018 7.2)",
                        f"过程 {process.id!r} 似为航空运输，但无排放标注 aircraft: true；"
                        "航空运输排放须单独报告（ISO 14067:2018 7.2）",
                    )
                )
    if rule.dluc_separately and iso.land_use_change_ghg_emissions:
        out.append(
            ctx.finding(
                "reporting.dluc_separate",
                "info",
                f"{ctx.smap.file} (result iso14067)",
                f"dLUC emissions {iso.land_use_change_ghg_emissions:.6g} kg CO2e are reported "
                "separately",
                f"直接土地利用变化排放 {iso.land_use_change_ghg_emissions:.6g} kg CO2e 已单独报告",
            )
        )
    return out


# -- the PCR reference ------------------------------------------------------------------------
def check_reference(ctx: CheckContext) -> list[Finding]:
    """The model names the PCR it is checked against (product.pcr)."""
    named = ctx.model.product.pcr
    if named is None:
        return [
            ctx.finding(
                "pcr.unnamed",
                "warning",
                ctx.where("product"),
                f"the model does not name its PCR; set product.pcr: {ctx.pcr.ref}",
                f"模型未指明所用 PCR；请设置 product.pcr: {ctx.pcr.ref}",
            )
        ]
    pcr_id, version = split_ref(named)
    at = ctx.where("product", "pcr")
    if pcr_id != ctx.pcr.id or (version is not None and version != ctx.pcr.version):
        return [
            ctx.finding(
                "pcr.mismatch",
                "error",
                at,
                f"the model names PCR {named!r} but is checked against {ctx.pcr.ref}",
                f"模型指明的 PCR 为 {named!r}，但按 {ctx.pcr.ref} 检查",
            )
        ]
    if version is None:
        return [
            ctx.finding(
                "pcr.version_resolved",
                "info",
                at,
                f"the model names {named!r} without a version; checked against {ctx.pcr.ref} "
                f"(write product.pcr: {ctx.pcr.ref} to pin it)",
                f"模型指明 {named!r} 未写版本；按 {ctx.pcr.ref} 检查"
                f"（可写 {ctx.pcr.ref} 固定版本）",
            )
        ]
    return []


#: Every rule kind, in the order findings are reported.
RULE_KINDS: dict[str, Callable[[CheckContext], list[Finding]]] = {
    "pcr": check_reference,
    "functional_unit": check_functional_unit,
    "stages": check_stages,
    "boundary": check_boundary,
    "required_inputs": check_required_inputs,
    "cutoff": check_cutoff,
    "allocation": check_allocation,
    "credits": check_credits,
    "end_of_life": check_end_of_life,
    "electricity": check_electricity,
    "gwp_set": check_gwp_set,
    "gwp_set_consistency": check_gwp_set_consistency,
    "data_quality": check_data_quality,
    "reporting": check_reporting,
}


def default_gwp_set(pcr: Pcr) -> str:
    """The GWP set a check computes with when none is given: the setting's default if the PCR
    allows it, else the PCR's first set."""
    default = gases.check_gwp_set(None)
    return default if default in pcr.gwp_sets else pcr.gwp_sets[0]


def resolve_pcr(loaded: LoadedModel, pcr: Pcr | str | None = None) -> Pcr:
    """The PCR to check against: given (object or reference), else the model's product.pcr."""
    if isinstance(pcr, Pcr):
        return pcr
    ref = pcr or loaded.model.product.pcr
    if not ref:
        raise PcrError(
            f"{loaded.source_map.where(('product',))}: the model names no PCR; set product.pcr "
            "(e.g. battery-eu-2023@1.0) or pass one (`tanzuji pcr check --pcr ID`)"
        )
    return get_pcr(ref)


def check_model(
    loaded: LoadedModel,
    footprint: Footprint | None = None,
    *,
    pcr: Pcr | str | None = None,
    parameters: Mapping[str, float] | None = None,
    gwp_set: str | None = None,
    factor_source: FactorSource | None = None,
) -> CheckReport:
    """Run every rule of a PCR on a model and its footprint.

    Parameters
    ----------
    loaded : LoadedModel
        From :func:`tanzuji.model.files.load_model`.
    footprint : Footprint, optional
        Its result; computed with :func:`tanzuji.footprint.calculate` when not given.
    pcr : Pcr or str, optional
        The PCR (object, ``id`` or ``id@version``); default the model's ``product.pcr``.
    parameters : mapping, optional
        Values for the PCR's parameter thresholds, by name (:data:`PARAMETERS`).
    gwp_set, factor_source
        Passed to :func:`~tanzuji.footprint.calculate` when the footprint is computed here;
        without ``gwp_set`` the footprint uses :func:`default_gwp_set` of the PCR.

    Raises
    ------
    PcrError, UnknownPcr
        When no PCR is named, the named one does not exist or a parameter name is unknown.
    """
    chosen = resolve_pcr(loaded, pcr)
    params = dict(parameters or {})
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        raise PcrError(f"unknown PCR parameter(s) {unknown}; expected one of {list(PARAMETERS)}")
    if footprint is None:
        footprint = calculate(
            loaded,
            gwp_set=gwp_set or default_gwp_set(chosen),
            factor_source=factor_source,
            rules=rules_of(chosen),
        )
    ctx = CheckContext(loaded, chosen, footprint, params)
    findings = [finding for rule in RULE_KINDS.values() for finding in rule(ctx)]
    return CheckReport(
        pcr=chosen.ref,
        pcr_name_en=chosen.name.text("en"),
        pcr_name_zh=chosen.name.text("zh"),
        model_file=loaded.source_map.file,
        model_sha256=loaded.content_hash,
        gwp_set=footprint.gwp_set,
        total_kg_co2e=footprint.total_kg_co2e,
        functional_unit=footprint.functional_unit,
        findings=findings,
    )


def check(
    loaded: LoadedModel,
    footprint: Footprint | None = None,
    **options: Any,
) -> list[Finding]:
    """The findings of :func:`check_model` (same options)."""
    return check_model(loaded, footprint, **options).findings


__all__ = [
    "PARAMETERS",
    "RULE_KINDS",
    "CheckContext",
    "CheckReport",
    "Finding",
    "check",
    "check_model",
    "exclusion_shares",
    "footprint_dqr",
]
