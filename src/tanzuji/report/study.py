"""The CFP study report (ISO 14067:2018 clause 7; GB/T 24067-2024): content from explicit inputs.

:func:`study_content` turns a footprint, the model it was computed from, the PCR check and the
certificate (when there is one) into the sections clause 7 lists, as plain data for the
template (:mod:`tanzuji.report.documents` renders HTML and PDF):

1. goal and scope; 2. functional or declared unit and reference flow; 3. system boundary
(diagram, stages, exclusions and cut-off); 4. data sources (each factor with its citation and
release; primary data; matched inputs); 5. data quality (PEF DQR, primary data share);
6. allocation; 7. electricity; 8. results by stage and by gas with the charts; 9. the separately
reported lines (fossil, biogenic emissions and removals, dLUC, land management, aircraft,
biogenic carbon content, GWP-set mismatches); 10. uncertainty and sensitivity;
11. limitations; 12. PCR conformance; 13. verification statement and certificate.

Nothing here reads a clock, a file or a setting: every date printed comes from the inputs
(the certificate's issue date, the model's reference period), so the same inputs give the
same report, byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tanzuji.certify.certificate import Certificate
from tanzuji.footprint import Footprint
from tanzuji.model.schema import Model
from tanzuji.pcr.checks import CheckReport
from tanzuji.report import boundary, charts, contributions, terms
from tanzuji.report.tables import Table

#: Geographical pedigree score from which a factor counts as a proxy from another region
#: (pedigree matrix: 4 = "slightly similar conditions", docs/quality.md).
PROXY_GEOGRAPHY_SCORE = 4

ISO14067_LINES = (
    ("fossil_ghg_emissions", "化石温室气体排放", "Fossil GHG emissions", "7.2 a"),
    ("biogenic_ghg_emissions", "生物源温室气体排放", "Biogenic GHG emissions", "7.2 b"),
    ("biogenic_ghg_removals", "生物源温室气体清除", "Biogenic GHG removals", "7.2 b"),
    ("land_use_change_ghg_emissions", "直接土地利用变化排放", "dLUC GHG emissions", "7.2 c"),
    ("land_management_ghg_emissions", "土地管理排放", "Land-management GHG emissions", "7.3"),
    ("land_management_ghg_removals", "土地管理清除", "Land-management GHG removals", "7.3"),
    ("aircraft_ghg_emissions", "航空运输排放", "Aircraft GHG emissions", "7.2 e"),
)


@dataclass(frozen=True)
class StudyInputs:
    """Everything a study report is made from (explicit; nothing is looked up).

    Parameters
    ----------
    footprint : Footprint
        The result (with a Sankey when computed with a supply-chain cut-off).
    model : Model
        The model it was computed from.
    pcr_check : CheckReport, optional
        The PCR conformance check of the model and result.
    certificate : Certificate, optional
        The certificate issued for the result (verification statement, dates).
    scores : array, optional
        Monte Carlo totals (``MonteCarloResult.scores``) behind ``footprint.uncertainty``, for
        the histogram.
    sankey_cutoff : float
        Relative cut-off of the Sankey drawn in the report.
    """

    footprint: Footprint
    model: Model
    pcr_check: CheckReport | None = None
    certificate: Certificate | None = None
    scores: np.ndarray | None = None
    sankey_cutoff: float = 0.01


def number(value: float | None) -> str:
    """The one number format of reports: 4 significant digits (``0.04745``, ``3.13``)."""
    if value is None:
        return "–"
    return f"{value:.4g}"


def percent(value: float, total: float) -> str:
    return f"{100 * value / total:.1f} %" if total else "–"


def _t(lang: str):
    return lambda zh, en: terms.pick(zh, en, lang)


# -- sections -----------------------------------------------------------------------------------
def _identity(inputs: StudyInputs, lang: str) -> dict[str, Any]:
    fp, model = inputs.footprint, inputs.model
    product = model.product
    period = product.reference_period
    cert = inputs.certificate
    return {
        "product_name": terms.pick(fp.product_name_zh, fp.product_name_en, lang),
        "product_id": fp.product_id,
        "total": number(fp.total_kg_co2e),
        "total_value": fp.total_kg_co2e,
        "unit": f"{fp.functional_unit.get('amount', 1):g} {fp.functional_unit.get('unit', '')}",
        "gwp_set": fp.gwp_set,
        "study_type": _study_type(product.boundary, lang),
        "pcr": product.pcr or (inputs.pcr_check.pcr if inputs.pcr_check else None),
        "period": f"{period.start.isoformat()} – {period.end.isoformat()}" if period else None,
        "report_date": cert.issued_at[:10] if cert else None,
        "certificate_id": cert.certificate_id if cert else None,
        "tanzuji_version": fp.engine.get("tanzuji"),
        "model_sha256": fp.inputs.model_sha256,
        "factors_sha256": fp.inputs.factors_sha256,
    }


def _study_type(claim: str | None, lang: str) -> str:
    t = _t(lang)
    if claim == "cradle-to-grave":
        return t("产品碳足迹（摇篮到坟墓）", "CFP (cradle to grave)")
    if claim in ("cradle-to-gate", "cradle-to-gate-with-options"):
        return t("部分产品碳足迹（摇篮到大门）", "Partial CFP (cradle to gate)")
    return t("未声明边界", "boundary not stated")


#: Kinds of credit (``CreditItem.kind``; docs/model.md "Avoided products", "Recycling").
CREDIT_KINDS = {
    "avoided_product": ("避免产品", "avoided product"),
    "avoided_waste": ("避免废物处理", "avoided waste treatment"),
    "substitution": ("共生产品替代", "substitution"),
    "recycling": ("回收抵扣（CFF）", "recycling (CFF)"),
    "energy_recovery": ("能量回收抵扣", "energy recovery"),
}
#: Allocation methods of a process (docs/model.md "Co-products and allocation").
ALLOCATION_NAMES = {
    "mass": ("质量分配", "mass"),
    "energy": ("能量分配", "energy"),
    "economic": ("经济价值分配", "economic"),
    "shares": ("给定比例分配", "shares"),
    "substitution": ("替代法（系统扩展）", "substitution"),
    "none": ("不分配", "none"),
}
#: Chinese names of the uncertainty methods the engine reports (engine/sensitivity.py).
METHOD_NAMES = {
    "Monte Carlo; refinement on the mean factorization; squared Spearman sensitivity": (
        "蒙特卡洛模拟（在均值矩阵分解上迭代求精）；以斯皮尔曼秩相关平方表示敏感性"
    ),
}
#: The boundary claims of ``product.boundary`` (ISO 14067:2018 3.1.1.1 / 3.1.1.2 notes).
BOUNDARY_NAMES = {
    "cradle-to-grave": ("从摇篮到坟墓", "cradle to grave"),
    "cradle-to-gate": ("从摇篮到大门", "cradle to gate"),
    "cradle-to-gate-with-options": ("从摇篮到大门（含选项）", "cradle to gate with options"),
}


def _boundary_name(claim: str | None, lang: str) -> str:
    """The boundary claim in words (the model's value itself when it is not a known one)."""
    if not claim:
        return "–"
    return terms.pick(*BOUNDARY_NAMES.get(claim, (claim, claim)), lang) + f" ({claim})"


def _goal(inputs: StudyInputs, lang: str) -> list[str]:
    t = _t(lang)
    fp, product = inputs.footprint, inputs.model.product
    lines = [
        t(
            f"量化{fp.product_name_zh}的产品碳足迹，依据 ISO 14067:2018 与 GB/T 24067-2024，"
            f"以 {fp.gwp_set} 的 GWP100 表示为 kg CO2e。",
            f"Quantify the carbon footprint of {fp.product_name_en} per ISO 14067:2018 and GB/T "
            "24067-2024, "
            f"in kg CO2e with the {fp.gwp_set} GWP100 values.",
        )
    ]
    if product.pcr:
        lines.append(
            t(f"采用产品种类规则 {product.pcr}。", f"Product category rules: {product.pcr}.")
        )
    if inputs.certificate is not None:
        label = inputs.certificate.label.get("type", "")
        lines.append(
            t(
                f"预期用途：粤港澳大湾区碳足迹标识认证（标识类型 {label}）；受众为采购方与公众。",
                f"Intended application: GBA carbon-footprint label certification (label {label}); "
                "audience: buyers and the public.",
            )
        )
    if product.geography:
        lines.append(t(f"地理范围：{product.geography}。", f"Geography: {product.geography}."))
    return lines


def _unit(inputs: StudyInputs, lang: str) -> dict[str, Any]:
    t = _t(lang)
    product = inputs.model.product
    fu = product.functional_unit
    reference = product.reference_flow
    root = next((p for p in inputs.footprint.by_process if p.id == reference.process), None)
    description = ""
    if fu.description is not None:
        description = terms.pick(fu.description.zh or "", fu.description.en or "", lang)
    return {
        "kind": t("功能单位", "Functional unit")
        if fu.kind == "functional"
        else t("声明单位", "Declared unit"),
        "amount": f"{fu.amount:g} {fu.unit}",
        "description": description,
        "reference_process": reference.process,
        "reference_formula": str(reference.amount),
        "reference_amount": f"{number(root.amount)} {root.unit}" if root else str(reference.amount),
    }


def _boundary(inputs: StudyInputs, lang: str) -> dict[str, Any]:
    model = inputs.model
    spec, _ = boundary.diagram(model, lang)
    used = {p.life_cycle_stage for p in model.processes}
    stages = [
        {
            "name": terms.stage_name(s, lang),
            "included": s in used,
            "processes": sum(p.life_cycle_stage == s for p in model.processes),
        }
        for s in terms.stage_order(list({*used, *terms.STAGES}))
    ]
    exclusions = []
    total = inputs.footprint.total_kg_co2e
    for item in model.exclusions or []:
        estimate = "–"
        if item.estimated_share is not None:
            estimate = f"{100 * item.estimated_share:.2g} %"
        elif item.estimated_kg_co2e is not None:
            kg = item.estimated_kg_co2e
            estimate = f"{number(kg)} kg CO2e ({percent(kg, total)})"
        exclusions.append(
            {
                "name": item.name.text("zh" if lang == "zh" else "en") if item.name else item.id,
                "stage": terms.stage_name(item.life_cycle_stage, lang)
                if item.life_cycle_stage
                else "",
                "estimate": estimate,
                "justification": item.justification or "",
            }
        )
    return {
        "claim": _boundary_name(model.product.boundary, lang),
        "stages": stages,
        "exclusions": exclusions,
        "svg": charts.vega.render_svg(spec),
        "cutoff_findings": _findings(inputs, lang, kinds=("cutoff",)),
    }


def _factor_rows(inputs: StudyInputs, lang: str) -> list[dict[str, Any]]:
    fp = inputs.footprint
    used = contributions.factor_inputs(fp)
    by_id: dict[str, list[contributions.FactorInput]] = {}
    for item in used:
        by_id.setdefault(item.factor_id, []).append(item)
    rows = []
    for factor in fp.inputs.factors:
        items = by_id.get(factor.id, [])
        kg = sum(i.kg_co2e for i in items)
        name = terms.pick(items[0].name_zh, items[0].name_en, lang) if items else factor.id
        rows.append(
            {
                "id": factor.id,
                "name": name,
                "version": factor.version,
                "release": factor.release or terms.pick("模型自带", "model's own", lang),
                "processes": ", ".join(sorted({i.process_id for i in items})),
                "kg_co2e": number(kg),
                "kg_value": kg,
                "share": percent(kg, fp.total_kg_co2e),
                "citation": factor.source,
                "illustrative": factor.illustrative,
            }
        )
    return sorted(rows, key=lambda r: (-abs(r["kg_value"]), r["id"]))


def _sources(inputs: StudyInputs, lang: str) -> dict[str, Any]:
    fp = inputs.footprint
    primary = [
        {
            "process": p.id,
            "target": e.factor or e.process or e.match or "",
            "amount": str(e.amount),
            "unit": e.unit,
        }
        for p in inputs.model.processes
        for e in p.inputs
        if e.primary
    ]
    matched = [
        {
            "location": m.location,
            "text": m.text,
            "factor": f"{m.factor_id} v{m.version}",
            "confidence": f"{m.confidence:.2f}",
        }
        for m in fp.matched_exchanges or []
    ]
    releases = sorted({f.release for f in fp.inputs.factors if f.release})
    return {
        "factors": _factor_rows(inputs, lang),
        "primary": primary,
        "matched": matched,
        "releases": releases,
    }


def _quality(inputs: StudyInputs) -> dict[str, Any] | None:
    dq = inputs.footprint.data_quality
    if dq is None:
        return None
    return {
        "dqr": f"{dq.dqr:.2f}",
        "level": dq.level,
        "level_zh": dq.level_zh,
        "ter": f"{dq.ter:.2f}",
        "ger": f"{dq.ger:.2f}",
        "tir": f"{dq.tir:.2f}",
        "p": f"{dq.p:.2f}",
        "primary": f"{dq.primary_data_share:.1f} %",
        "coverage": f"{100 * dq.coverage:.1f} %",
        "rated": ", ".join(dq.processes_rated),
    }


def _allocation(inputs: StudyInputs, lang: str) -> list[dict[str, Any]]:
    rows = []
    for p in inputs.model.processes:
        if not p.co_products:
            continue
        products = [
            p.reference_product.name.text(lang if lang != "both" else "en")
            if p.reference_product.name
            else p.id
        ]
        products += [
            c.name.text(lang if lang != "both" else "en") if c.name else c.id for c in p.co_products
        ]
        rows.append(
            {
                "process": p.name.text("zh" if lang == "zh" else "en"),
                "method": terms.pick(
                    *ALLOCATION_NAMES.get(p.allocation or "", (p.allocation or "",) * 2), lang
                ),
                "products": ", ".join(products),
            }
        )
    return rows


def _electricity(inputs: StudyInputs, lang: str) -> dict[str, Any] | None:
    """Both electricity results and each input with market data (``Footprint.electricity``:
    location-based with grid averages, market-based with the contractual instruments that meet
    the quality criteria; ISO 14067:2018 6.4.9.4, GHG Protocol Scope 2 dual reporting). None
    when no input of the model carries market data (then the grid factors are the only
    electricity data, listed with the other factors in section 4)."""
    result = inputs.footprint.electricity
    if result is None:
        return None
    names = {
        item.factor_id: terms.pick(item.name_zh, item.name_en, lang)
        for item in contributions.factor_inputs(inputs.footprint)
    }  # a factor the reported result does not use (the grid, market-based) shows its id
    citations = {f.id: f.source for f in inputs.footprint.inputs.factors}
    rows, instruments, notes = [], [], []
    for use in result.inputs:
        residual = use.residual_factor_id
        rows.append(
            {
                "process": use.process,
                "location": use.location,
                "amount": f"{number(use.amount)} {use.unit}",
                "grid": names.get(use.grid_factor_id, use.grid_factor_id),
                "grid_citation": citations.get(use.grid_factor_id, ""),
                "covered": f"{number(use.amount - use.residual_amount)} {use.unit}",
                "residual": f"{number(use.residual_amount)} {use.unit}",
                "residual_factor": names.get(residual, residual)
                if residual
                else terms.pick("电网平均（无剩余组合）", "grid average (no residual mix)", lang),
            }
        )
        for i in use.instruments:
            serials = ""
            if i.serial_start is not None:
                serials = f"{i.serial_prefix}{i.serial_start}–{i.serial_prefix}{i.serial_end}"
            instruments.append(
                {
                    "process": use.process,
                    "type": i.type,
                    "registry": i.registry,
                    "serials": serials or i.contract_id or "",
                    "amount": f"{number(i.amount)} {use.unit}",
                    "counted": f"{number(i.counted)} {use.unit}",
                    "factor": names.get(i.factor_id, i.factor_id),
                    "status": terms.pick("计入", "counted", lang)
                    if i.qualifies
                    else terms.pick("不计入：", "not counted: ", lang) + "; ".join(i.reasons),
                }
            )
        notes += use.notes
    return {
        "reported": result.reported,
        "location": number(result.location_based_kg_co2e),
        "market": number(result.market_based_kg_co2e),
        "inputs": rows,
        "instruments": instruments,
        "notes": notes,
    }


def _credits(inputs: StudyInputs, lang: str) -> dict[str, Any] | None:
    """Credits reported apart from the burdens (ISO 14067:2018 6.4.6): what the stages hold
    (burdens), the credits, the part counted in the declared total under the rules."""
    credits = inputs.footprint.credits
    if credits is None:
        return None
    return {
        "burdens": number(credits.burdens_kg_co2e),
        "credits": number(credits.credits_kg_co2e),
        "counted": number(credits.counted_kg_co2e),
        "net": number(credits.net_kg_co2e),
        "entries": [
            {
                "kind": terms.pick(*CREDIT_KINDS.get(item.kind, (item.kind, item.kind)), lang),
                "name": terms.pick(item.target_name_zh, item.target_name_en, lang),
                "amount": f"{number(item.amount)} {item.unit}",
                "kg_co2e": number(item.kg_co2e),
                "counted": item.counted,
                "location": item.location,
            }
            for item in credits.items
        ],
    }


def _per_unit(inputs: StudyInputs, lang: str) -> list[dict[str, str]]:
    """The footprint per the PCR's declared unit and per sales unit, when the result has them."""
    rows = []
    fp = inputs.footprint
    for label, result in (
        (terms.pick("声明单位", "declared unit", lang), fp.per_declared_unit),
        (terms.pick("销售单位", "sales unit", lang), fp.per_sales_unit),
    ):
        if result is not None:
            name = terms.pick(result.name_zh or "", result.name_en or "", lang) or (
                f"{result.amount:g} {result.unit}"
            )
            rows.append({"label": label, "unit": name, "kg_co2e": number(result.total_kg_co2e)})
    return rows


def _results(inputs: StudyInputs, lang: str) -> dict[str, Any]:
    fp = inputs.footprint
    total = fp.total_kg_co2e
    if fp.credits is not None:  # stages and gases hold the burdens; credits are apart
        total = fp.credits.burdens_kg_co2e
    stages = [
        {
            "stage": terms.stage_name(s, lang),
            "id": s,
            "kg_co2e": number(fp.by_stage[s]),
            "value": fp.by_stage[s],
            "share": percent(fp.by_stage[s], total),
        }
        for s in terms.stage_order(list(fp.by_stage))
    ]
    gases = [
        {
            "gas": g.gas,
            "origin": terms.origin_name(g.origin, lang)
            + (terms.pick(" 清除", " removal", lang) if g.removal else "")
            + (terms.pick(" 航空", " aircraft", lang) if g.aircraft else ""),
            "mass_kg": number(g.mass_kg),
            "gwp": f"{g.gwp100:g}",
            "kg_co2e": number(g.kg_co2e),
            "share": percent(g.kg_co2e, total),
        }
        for g in fp.by_gas
        if g.kg_co2e != 0 or g.mass_kg != 0
    ]
    drawn = charts.footprint_charts(
        fp, lang, sankey_cutoff=inputs.sankey_cutoff, scores=inputs.scores, model=inputs.model
    )
    return {
        "stages": stages,
        "gases": gases,
        "charts": {c.name: c for c in drawn},
        "svgs": {c.name: c.svg() for c in drawn},
        "hotspots": _hotspots(fp, lang),
    }


def _hotspots(fp: Footprint, lang: str) -> list[dict[str, Any]]:
    return [
        {
            "name": terms.pick(h.name_zh, h.name_en, lang),
            "kg_co2e": number(h.kg_co2e),
            "share": percent(h.kg_co2e, fp.total_kg_co2e),
        }
        for h in contributions.by_process(fp)[:10]
    ]


def _lines(inputs: StudyInputs, lang: str) -> dict[str, Any]:
    fp = inputs.footprint
    rows = [
        {
            "name": terms.pick(zh, en, lang),
            "clause": clause,
            "kg_co2e": number(getattr(fp.iso14067, field)),
        }
        for field, zh, en, clause in ISO14067_LINES
    ]
    mismatches = [
        {
            "factor": f"{m.factor_id} v{m.version}",
            "gwp_set": m.gwp_set,
            "kg_co2e": number(m.kg_co2e),
        }
        for m in fp.gwp_set_mismatches or []
    ]
    carbon = fp.biogenic_carbon_content_kg
    return {
        "rows": rows,
        "biogenic_carbon": number(carbon) if carbon is not None else None,
        "mismatches": mismatches,
    }


def _uncertainty(inputs: StudyInputs, lang: str) -> dict[str, Any] | None:
    summary = inputs.footprint.uncertainty
    if summary is None:
        return None

    def row(name: str, s: dict[str, float]) -> dict[str, str]:
        return {
            "name": name,
            **{k: number(s[k]) for k in ("mean", "median", "sd", "p2_5", "p97_5")},
        }

    rows = [row(terms.pick("合计", "total", lang), summary.total)]
    rows += [
        row(terms.stage_name(s, lang), summary.by_stage[s])
        for s in terms.stage_order(list(summary.by_stage))
    ]
    contributors = [
        {
            "input": charts.input_label(c.process, c.location, inputs.model),
            "distribution": c.distribution,
            "spearman": f"{c.spearman:.3f}",
            "share": f"{100 * c.variance_share:.1f} %",
        }
        for c in summary.top_contributors
    ]
    return {
        "iterations": summary.iterations,
        "seed": summary.seed,
        "method": terms.pick(
            METHOD_NAMES.get(summary.method, summary.method), summary.method, lang
        ),
        "rows": rows,
        "contributors": contributors,
    }


def _limitations(inputs: StudyInputs, lang: str) -> list[str]:
    t = _t(lang)
    fp = inputs.footprint
    items = [
        t(
            "本研究仅涉及气候变化一种影响类别，不反映其他环境影响（ISO 14067:2018 附录 A）。",
            "The study covers climate change only; it says nothing of other environmental impacts "
            "(ISO 14067:2018 Annex A).",
        ),
    ]
    illustrative = [f.id for f in fp.inputs.factors if f.illustrative]
    if illustrative:
        items.append(
            t(
                f"以下因子为示意值、无来源：{', '.join(illustrative)}。",
                f"Illustrative, unsourced factors: {', '.join(illustrative)}.",
            )
        )
    proxies = sorted(
        {
            e.factor
            for p in inputs.model.processes
            for e in p.inputs
            if e.factor and e.pedigree and e.pedigree.geographical >= PROXY_GEOGRAPHY_SCORE
        }
    )
    if proxies:
        items.append(
            t(
                f"以下因子为其他地区的代用数据（地理相关性评分 ≥ {PROXY_GEOGRAPHY_SCORE}）："
                f"{', '.join(proxies)}。",
                f"Factors used as proxies from other regions (geographical score ≥ "
                f"{PROXY_GEOGRAPHY_SCORE}): {', '.join(proxies)}.",
            )
        )
    if fp.data_quality is not None and fp.data_quality.dqr > 3.0:
        items.append(
            t(
                f"数据质量评级 DQR {fp.data_quality.dqr:.2f}（{fp.data_quality.level_zh}）。",
                f"Data quality rating DQR {fp.data_quality.dqr:.2f} ({fp.data_quality.level}).",
            )
        )
    if fp.gwp_set_mismatches:
        items.append(
            t(
                "部分因子仅以其他 GWP 值集的 CO2e 给出，按原值计入（见第 9 节）。",
                "Some factors are CO2e of another GWP set, added as published (section 9).",
            )
        )
    if fp.uncertainty is None:
        items.append(
            t(
                "未进行定量不确定性分析（蒙特卡洛）。",
                "No quantitative uncertainty analysis (Monte Carlo) was run.",
            )
        )
    if inputs.model.exclusions:
        items.append(
            t(
                "截断排除的流程见第 3 节，其影响为估计值。",
                "Cut-off exclusions (section 3) enter as estimates of their effect.",
            )
        )
    return items


def _findings(inputs: StudyInputs, lang: str, kinds: tuple[str, ...] | None = None) -> list[dict]:
    if inputs.pcr_check is None:
        return []
    return [
        {
            "rule": f.rule,
            "severity": f.severity,
            "location": f.location or "",
            "message": terms.pick(f.message_zh, f.message_en, lang),
        }
        for f in inputs.pcr_check.findings
        if kinds is None or f.kind in kinds
    ]


def _pcr(inputs: StudyInputs, lang: str) -> dict[str, Any] | None:
    check = inputs.pcr_check
    if check is None:
        return None
    return {
        "pcr": check.pcr,
        "name": terms.pick(check.pcr_name_zh, check.pcr_name_en, lang),
        "counts": check.counts(),
        "passed": check.passed,
        "findings": _findings(inputs, lang),
    }


def _verification(inputs: StudyInputs) -> dict[str, Any] | None:
    cert = inputs.certificate
    if cert is None:
        return None
    return {
        "certificate_id": cert.certificate_id,
        "version": cert.version,
        "application_id": cert.application_id,
        "company": cert.company.get("name", ""),
        "verifier": ", ".join(
            v for v in (cert.verifier.get("name"), cert.verifier.get("body")) if v
        ),
        "decision_maker": cert.decision_maker.get("name", ""),
        "label": cert.label.get("type", ""),
        "valid_from": cert.validity.valid_from.isoformat(),
        "valid_until": cert.validity.valid_until.isoformat(),
        "issued_at": cert.issued_at,
        "footprint": number(cert.footprint_kg_co2e),
        "sha256": cert.sha256(),
        "factor_release": cert.factor_release,
        "pcr": f"{cert.pcr.get('id', '')}@{cert.pcr.get('version', '')}",
        # issue 8: what the label value counts, the surveillance plan, the factor waivers
        "removals": _removals_line(cert.removals),
        "surveillance_due": ", ".join((cert.surveillance or {}).get("due", [])),
        "waivers": [
            {
                "factor": f"{w['factor_id']}@{w['version']}",
                "concerns": ", ".join(w["concerns"]),
                "reason": w["reason"],
                "by": w["waived_by"],
            }
            for w in cert.factor_waivers or []
        ],
    }


def _removals_line(removals: dict[str, Any] | None) -> str | None:
    """The label value rule and both values, as one line (None on older certificates)."""
    if not removals:
        return None
    return (
        f"{number(removals['with_removals_kg_co2e'])} / "
        f"{number(removals['without_removals_kg_co2e'])} kg CO2e — {removals['rule']}"
    )


def study_content(inputs: StudyInputs, lang: str = "both") -> dict[str, Any]:
    """The sections of the study report as plain data (numbers already formatted)."""
    terms.check_language(lang)
    return {
        "lang": lang,
        "identity": _identity(inputs, lang),
        "goal": _goal(inputs, lang),
        "unit": _unit(inputs, lang),
        "boundary": _boundary(inputs, lang),
        "sources": _sources(inputs, lang),
        "quality": _quality(inputs),
        "allocation": _allocation(inputs, lang),
        "allocation_findings": _findings(inputs, lang, kinds=("allocation",)),
        "electricity": _electricity(inputs, lang),
        "rules": inputs.footprint.rules,
        "results": _results(inputs, lang),
        "credits": _credits(inputs, lang),
        "per_unit": _per_unit(inputs, lang),
        "lines": _lines(inputs, lang),
        "uncertainty": _uncertainty(inputs, lang),
        "limitations": _limitations(inputs, lang),
        "pcr": _pcr(inputs, lang),
        "verification": _verification(inputs),
    }


def chart_tables(inputs: StudyInputs, lang: str = "en") -> list[Table]:
    """The data behind every chart of the report (for CSV/JSON downloads)."""
    drawn = charts.footprint_charts(
        inputs.footprint,
        lang,
        sankey_cutoff=inputs.sankey_cutoff,
        scores=inputs.scores,
        model=inputs.model,
    )
    return [table for chart in drawn for table in chart.tables]
