"""Two results side by side — by stage, by process — and what moved the difference.

The difference of two footprints is decomposed over their factor inputs (one per process and
factor, :func:`tanzuji.report.contributions.factor_inputs`). For an input with amount ``q`` of
the factor's unit per functional unit and CO2e per unit ``e`` (``kg / q`` in each result):

    Δ = q_B e_B − q_A e_A = (q_B − q_A) e_A  +  q_B (e_B − e_A)
        activity effect                     factor effect

(a two-factor additive decomposition, exact: the two terms sum to Δ). An input present in only
one result is all activity effect. Direct emissions written in processes are compared per
process. The sum over all rows equals the difference of the totals. The explanation also lists
what changed in the inputs: factor versions and contents (content hashes), parameters, the
model's hash and the GWP set.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from tanzuji.errors import ReportError
from tanzuji.footprint import Footprint
from tanzuji.report import charts, contributions, terms

#: The explanation names the inputs that together make this share of |Δ| (largest first).
EXPLAINED_SHARE = 0.9


class Row(BaseModel):
    key: str
    name: str
    a_kg_co2e: float
    b_kg_co2e: float

    @property
    def delta_kg_co2e(self) -> float:
        return self.b_kg_co2e - self.a_kg_co2e


class Driver(BaseModel):
    """One factor input's part of the difference (kg CO2e per functional unit)."""

    process_id: str
    factor_id: str
    name: str
    unit: str
    a_amount: float
    b_amount: float
    a_kg_co2e_per_unit: float | None
    b_kg_co2e_per_unit: float | None
    activity_effect: float
    factor_effect: float

    @property
    def delta_kg_co2e(self) -> float:
        return self.activity_effect + self.factor_effect


class FactorChange(BaseModel):
    factor_id: str
    a: str | None = Field(description="version (and first 12 hex of the content hash) in A")
    b: str | None


class Comparison(BaseModel):
    """A and B by stage and process, the drivers of B − A, and the inputs that changed."""

    labels: tuple[str, str]
    unit: str
    gwp_sets: tuple[str, str]
    a_total: float
    b_total: float
    by_stage: list[Row]
    by_process: list[Row]
    drivers: list[Driver]
    factor_changes: list[FactorChange]
    parameter_changes: dict[str, tuple[float | None, float | None]]
    same_model: bool

    @property
    def delta_total(self) -> float:
        return self.b_total - self.a_total

    @property
    def delta_percent(self) -> float:
        return 100 * self.delta_total / self.a_total if self.a_total else 0.0

    def explanation(self, lang: str = "both") -> list[str]:
        """Sentences saying what moved the difference, largest first."""
        return explain(self, lang)


def _rows(
    a: dict[str, float], b: dict[str, float], names: dict[str, str], order: list[str]
) -> list[Row]:
    return [
        Row(key=k, name=names.get(k, k), a_kg_co2e=a.get(k, 0.0), b_kg_co2e=b.get(k, 0.0))
        for k in order
    ]


def _by_stage(a: Footprint, b: Footprint, lang: str) -> list[Row]:
    stages = terms.stage_order(list({*a.by_stage, *b.by_stage}))
    names = {s: terms.stage_name(s, lang) for s in stages}
    return _rows(a.by_stage, b.by_stage, names, stages)


def _by_process(a: Footprint, b: Footprint, lang: str) -> list[Row]:
    values_a = {h.id: h.kg_co2e for h in contributions.by_process(a)}
    values_b = {h.id: h.kg_co2e for h in contributions.by_process(b)}
    names = {h.id: terms.pick(h.name_zh, h.name_en, lang) for h in contributions.by_process(b)}
    names.update(
        {h.id: terms.pick(h.name_zh, h.name_en, lang) for h in contributions.by_process(a)}
    )
    keys = sorted(
        {*values_a, *values_b}, key=lambda k: (-abs(values_b.get(k, 0.0) - values_a.get(k, 0.0)), k)
    )
    return _rows(values_a, values_b, names, keys)


def _drivers(a: Footprint, b: Footprint, lang: str) -> list[Driver]:
    inputs_a = {i.key: i for i in contributions.factor_inputs(a)}
    inputs_b = {i.key: i for i in contributions.factor_inputs(b)}
    drivers = []
    for key in sorted({*inputs_a, *inputs_b}):
        ia, ib = inputs_a.get(key), inputs_b.get(key)
        qa, qb = (ia.amount if ia else 0.0), (ib.amount if ib else 0.0)
        ea = ia.kg_co2e_per_unit if ia else None
        eb = ib.kg_co2e_per_unit if ib else None
        kg_a, kg_b = (ia.kg_co2e if ia else 0.0), (ib.kg_co2e if ib else 0.0)
        if ia is not None and ib is not None and ea is not None and eb is not None:
            activity, factor = (qb - qa) * ea, qb * (eb - ea)
        else:  # present in one result only (or unused): all of it is activity
            activity, factor = kg_b - kg_a, 0.0
        ref = ib if ib is not None else ia  # the key came from one of them
        if ref is None:
            continue
        drivers.append(
            Driver(
                process_id=key[0],
                factor_id=key[1],
                name=terms.pick(ref.name_zh, ref.name_en, lang),
                unit=ref.unit,
                a_amount=qa,
                b_amount=qb,
                a_kg_co2e_per_unit=ea,
                b_kg_co2e_per_unit=eb,
                activity_effect=activity,
                factor_effect=factor,
            )
        )
    direct_a = {p.id: p.direct_kg_co2e for p in a.by_process if p.kind != "factor"}
    direct_b = {p.id: p.direct_kg_co2e for p in b.by_process if p.kind != "factor"}
    for pid in sorted({*direct_a, *direct_b}):
        delta = direct_b.get(pid, 0.0) - direct_a.get(pid, 0.0)
        if delta != 0.0:
            drivers.append(
                Driver(
                    process_id=pid,
                    factor_id=contributions.DIRECT_EMISSIONS,
                    name=terms.pick("过程直接排放", "direct emissions", lang),
                    unit="kg CO2e",
                    a_amount=direct_a.get(pid, 0.0),
                    b_amount=direct_b.get(pid, 0.0),
                    a_kg_co2e_per_unit=1.0,
                    b_kg_co2e_per_unit=1.0,
                    activity_effect=delta,
                    factor_effect=0.0,
                )
            )
    return sorted(drivers, key=lambda d: (-abs(d.delta_kg_co2e), d.process_id, d.factor_id))


def _factor_changes(a: Footprint, b: Footprint) -> list[FactorChange]:
    fa = {f.id: f"{f.version} ({f.sha256[:12]})" for f in a.inputs.factors}
    fb = {f.id: f"{f.version} ({f.sha256[:12]})" for f in b.inputs.factors}
    return [
        FactorChange(factor_id=k, a=fa.get(k), b=fb.get(k))
        for k in sorted({*fa, *fb})
        if fa.get(k) != fb.get(k)
    ]


def _parameter_changes(a: Footprint, b: Footprint) -> dict[str, tuple[float | None, float | None]]:
    pa, pb = a.inputs.parameters, b.inputs.parameters
    return {k: (pa.get(k), pb.get(k)) for k in sorted({*pa, *pb}) if pa.get(k) != pb.get(k)}


def compare(
    a: Footprint, b: Footprint, labels: tuple[str, str] = ("A", "B"), lang: str = "both"
) -> Comparison:
    """Compare two footprints of the same functional unit.

    Raises
    ------
    ReportError
        When the functional units differ (amount or unit): the numbers would not be comparable
        (ISO 14067:2018 6.4.7, Annex C).
    """
    fu_a, fu_b = a.functional_unit, b.functional_unit
    if (fu_a.get("amount"), fu_a.get("unit")) != (fu_b.get("amount"), fu_b.get("unit")):
        raise ReportError(
            f"cannot compare: functional units differ ({fu_a.get('amount')} {fu_a.get('unit')} vs "
            f"{fu_b.get('amount')} {fu_b.get('unit')}); compare results of the same unit"
        )
    return Comparison(
        labels=labels,
        unit=f"kg CO2e / {fu_a.get('amount', 1):g} {fu_a.get('unit', '')}",
        gwp_sets=(a.gwp_set, b.gwp_set),
        a_total=a.total_kg_co2e,
        b_total=b.total_kg_co2e,
        by_stage=_by_stage(a, b, lang),
        by_process=_by_process(a, b, lang),
        drivers=_drivers(a, b, lang),
        factor_changes=_factor_changes(a, b),
        parameter_changes=_parameter_changes(a, b),
        same_model=a.inputs.model_sha256 == b.inputs.model_sha256,
    )


def explain(result: Comparison, lang: str = "both") -> list[str]:
    """Plain sentences: the total change, the inputs behind most of it, what changed."""
    t = lambda zh, en: terms.pick(zh, en, lang)  # noqa: E731
    lines = [
        t(
            f"B − A = {result.delta_total:+.4g} kg CO2e（{result.delta_percent:+.1f} %）。",
            f"B − A = {result.delta_total:+.4g} kg CO2e ({result.delta_percent:+.1f} %).",
        )
    ]
    if result.gwp_sets[0] != result.gwp_sets[1]:
        lines.append(
            t(
                f"两结果的 GWP 值集不同（{result.gwp_sets[0]} / {result.gwp_sets[1]}）。",
                f"The GWP sets differ ({result.gwp_sets[0]} / {result.gwp_sets[1]}).",
            )
        )
    size = sum(abs(d.delta_kg_co2e) for d in result.drivers)
    covered = 0.0
    for d in result.drivers:
        if size == 0 or covered >= EXPLAINED_SHARE * size or d.delta_kg_co2e == 0:
            break
        covered += abs(d.delta_kg_co2e)
        what = []
        amounts = f"{d.a_amount:.4g} → {d.b_amount:.4g} {d.unit} ({d.activity_effect:+.4g})"
        if d.activity_effect:
            what.append(t(f"活动量 {amounts}", f"amount {amounts}"))
        if d.factor_effect:
            ea, eb = d.a_kg_co2e_per_unit or 0.0, d.b_kg_co2e_per_unit or 0.0
            values = f"{ea:.4g} → {eb:.4g} kg CO2e/{d.unit} ({d.factor_effect:+.4g})"
            what.append(t(f"因子 {values}", f"factor {values}"))
        lines.append(
            f"{d.process_id} ← {d.factor_id}: {d.delta_kg_co2e:+.4g} kg CO2e; " + "; ".join(what)
        )
    for change in result.factor_changes:
        lines.append(
            t(
                f"因子 {change.factor_id}: A {change.a or '无'} → B {change.b or '无'}",
                f"factor {change.factor_id}: A {change.a or 'absent'} → B {change.b or 'absent'}",
            )
        )
    for name, (va, vb) in result.parameter_changes.items():
        lines.append(t(f"参数 {name}: {va} → {vb}", f"parameter {name}: {va} → {vb}"))
    return lines


def comparison_charts(result: Comparison, lang: str = "both", top: int = 12) -> list[charts.Chart]:
    """Grouped bars by stage and by process (the ``top`` processes by |B − A|)."""

    def rows(items: list[Row]) -> list[dict[str, Any]]:
        return [
            {
                "key": r.key,
                "name": r.name,
                "a_kg_co2e": r.a_kg_co2e,
                "b_kg_co2e": r.b_kg_co2e,
                "delta_kg_co2e": r.delta_kg_co2e,
            }
            for r in items
        ]

    return [
        charts.comparison(rows(result.by_stage), result.labels, "stage", result.unit, lang),
        charts.comparison(
            rows(result.by_process[:top]), result.labels, "process", result.unit, lang
        ),
    ]


def document(result: Comparison, fmt: str, lang: str = "both") -> bytes:
    """The comparison as an HTML or PDF document (tables, charts, explanation)."""
    from tanzuji.report import documents

    if fmt not in ("html", "pdf"):
        raise ReportError(f"comparison documents are html or pdf, not {fmt!r}")
    drawn = comparison_charts(result, lang)
    content = {
        "result": result,
        "explanation": explain(result, lang),
        "results": {"charts": {c.name: c for c in drawn}, "svgs": {c.name: c.svg() for c in drawn}},
    }
    html = documents.render("compare.html.j2", content, lang, for_pdf=fmt == "pdf")
    return html.encode("utf-8") if fmt == "html" else documents.html_to_pdf(html)
