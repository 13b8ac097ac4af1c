"""The charts of a footprint: one Vega-Lite specification each, with the data behind it.

Every builder is a pure function from a result to a :class:`Chart`: the specification (data
inline, so it renders offline and the same way in a page and in a document) and the
:class:`~tanzuji.report.tables.Table` (s) it draws, which the platform offers as CSV and JSON.
Render with :meth:`Chart.svg` (static) or :func:`tanzuji.report.vega.embed_html` (interactive).

Charts: life-cycle stages stacked by gas or by origin (ISO 14067:2018 7.3), hotspot Pareto by
process and by factor, the supply-chain Sankey, the Monte Carlo histogram with its 95 %
interval, the sensitivity tornado (squared-Spearman ranking of :mod:`tanzuji.engine.sensitivity`),
and the comparison of two results by stage and by process.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from tanzuji.engine.sensitivity import UncertaintySummary
from tanzuji.errors import ReportError
from tanzuji.footprint import Footprint
from tanzuji.model.schema import Model
from tanzuji.report import contributions, sankey, terms, vega
from tanzuji.report.tables import Table

#: Default drawing sizes (pixels at 96 dpi; an A4 page's text block is about 640 px wide).
WIDTH_PX = 520
#: The Sankey's drawing area (labels of the last column fall right of it).
SANKEY_WIDTH_PX = 540
#: Least room for the labels of the Sankey's right-most column (the reference product), px.
SANKEY_LAST_LABEL_PX = 150
HEIGHT_PX = 260
#: Pareto charts show the largest rows and sum the rest into one "other" row.
PARETO_ROWS = 12
#: Histogram bins of a Monte Carlo run (numpy.histogram over the run's range).
HISTOGRAM_BINS = 40
#: Colours: Tableau 10 (Vega's default categorical scheme), named for what they show.
INTERVAL_COLOUR = "#e45756"
DETERMINISTIC_COLOUR = "#54a24b"
RETURN_LINK_COLOUR = "#b279a2"
SUPPLY_LINK_COLOUR = "#9ecae9"
KG = "kg CO2e"


@dataclass(frozen=True)
class Chart:
    """A chart: its name, its Vega-Lite specification and the data it draws."""

    name: str
    spec: dict[str, Any]
    tables: tuple[Table, ...]

    def svg(self) -> str:
        """The static SVG (vl-convert with the package's CJK font)."""
        return vega.render_svg(self.spec)


#: d3-format's en-US number locale with an ASCII minus sign (see ``_base``).
NUMBER_LOCALE = {
    "decimal": ".",
    "thousands": ",",
    "grouping": [3],
    "currency": ["$", ""],
    "minus": "-",
}


def _base(title: str, lang: str, width: int = WIDTH_PX, height: int | None = HEIGHT_PX) -> dict:
    spec: dict[str, Any] = {
        "$schema": vega.VEGA_LITE_SCHEMA,
        "title": title,
        "width": width,
        "background": "white",
        "config": {
            "font": vega.FONT_FAMILY,
            "view": {"stroke": None},
            "title": {"fontSize": 13, "anchor": "start", "fontWeight": "normal"},
            "axis": {"labelFontSize": 10, "titleFontSize": 10, "titleFontWeight": "normal"},
            "legend": {"labelFontSize": 10, "titleFontSize": 10, "titleFontWeight": "normal"},
            # d3-format writes negative numbers with U+2212, which the shipped GB 2312 font
            # subset lacks (a fallback font drew it bold italic); the ASCII hyphen-minus is in
            # every font and is what the tables of the report print.
            "locale": {"number": NUMBER_LOCALE},
        },
    }
    if height is not None:
        spec["height"] = height
    return spec


def burdens(footprint: Footprint) -> float:
    """What the contributions add up to: the total, or the burdens when credits are reported
    apart (stages, processes, the Sankey and the Monte Carlo runs hold the burdens; docs/
    model.md "Avoided products"), so shares are of 100 % and the histogram's deterministic
    line is the value the runs sample."""
    return footprint.credits.burdens_kg_co2e if footprint.credits else footprint.total_kg_co2e


def _unit_label(footprint: Footprint, lang: str) -> str:
    fu = footprint.functional_unit
    per = terms.pick("每", "per", lang)
    return f"{KG} {per} {fu.get('amount', 1):g} {fu.get('unit', '')}".strip()


# -- stages -------------------------------------------------------------------------------------
def _component(cell: Any, by: str, lang: str) -> str:
    removal = terms.pick("清除", "removal", lang) if cell.removal else ""
    aircraft = terms.pick("航空", "aircraft", lang) if cell.aircraft else ""
    if by == "origin":
        parts = [terms.origin_name(cell.origin, lang), removal, aircraft]
    else:
        parts = [cell.gas, terms.origin_name(cell.origin, lang), removal, aircraft]
    return " ".join(p for p in parts if p)


def _stage_label(stage: str, lang: str) -> str:
    """A stage's axis label; bilingual labels break into two lines at ``|`` (labelExpr)."""
    if lang == "both":
        zh, en = terms.STAGES.get(stage, (stage, stage.replace("_", " ")))
        return f"{zh}|{en}"
    return terms.stage_name(stage, lang)


def stage_rows(footprint: Footprint, by: Literal["gas", "origin"], lang: str) -> list[dict]:
    """kg CO2e by life-cycle stage and component (gas or origin), in life-cycle order."""
    stages = terms.stage_order(list(footprint.by_stage))
    cells: dict[tuple[str, str], float] = {}
    if footprint.by_stage_gas is None:
        total = terms.pick("合计", "total", lang)
        for stage in stages:
            cells[(stage, total)] = footprint.by_stage[stage]
    else:
        for cell in footprint.by_stage_gas:
            key = (cell.life_cycle_stage, _component(cell, by, lang))
            cells[key] = cells.get(key, 0.0) + cell.kg_co2e
    rank = {stage: i for i, stage in enumerate(stages)}
    return [
        {
            "life_cycle_stage": stage,
            "stage": _stage_label(stage, lang),
            "stage_order": rank[stage],
            "component": component,
            "kg_co2e": value,
            "stage_net_kg_co2e": footprint.by_stage.get(stage, 0.0),
        }
        for (stage, component), value in sorted(
            cells.items(), key=lambda kv: (rank[kv[0][0]], kv[0][1])
        )
    ]


def stages(footprint: Footprint, by: Literal["gas", "origin"] = "gas", lang: str = "en") -> Chart:
    """Stacked bars: kg CO2e per life-cycle stage, stacked by gas or by origin (ISO 14067 7.3).

    Removals stack below zero; a black diamond marks each stage's net value.
    """
    if by not in ("gas", "origin"):
        raise ReportError(f"stages chart: stack by 'gas' or 'origin', not {by!r}")
    rows = stage_rows(footprint, by, lang)
    title = terms.pick(
        "各生命周期阶段的碳足迹（按气体）" if by == "gas" else "各生命周期阶段的碳足迹（按来源）",
        f"Carbon footprint by life-cycle stage and {by}",
        lang,
    )
    order = [_stage_label(s, lang) for s in terms.stage_order(list(footprint.by_stage))]
    legend = terms.pick("气体" if by == "gas" else "来源", by, lang)
    y_title = _unit_label(footprint, lang)
    x = {
        "field": "stage",
        "type": "nominal",
        "sort": order,
        "title": None,
        "axis": {"labelAngle": 0, "labelLimit": 150, "labelExpr": "split(datum.label, '|')"},
    }
    spec = _base(title, lang)
    spec["data"] = {"values": rows}
    spec["layer"] = [
        {
            "mark": {"type": "bar", "width": {"band": 0.6}},
            "encoding": {
                "x": x,
                "y": {
                    "field": "kg_co2e",
                    "type": "quantitative",
                    "aggregate": "sum",
                    "title": y_title,
                    "stack": "zero",
                },
                "color": {
                    "field": "component",
                    "type": "nominal",
                    "title": legend,
                    "scale": {"scheme": "tableau10"},
                },
                "tooltip": [
                    {"field": "stage", "title": terms.pick("阶段", "stage", lang)},
                    {"field": "component", "title": legend},
                    {"field": "kg_co2e", "aggregate": "sum", "title": KG, "format": ".4~g"},
                ],
            },
        },
        {
            "mark": {
                "type": "point",
                "shape": "diamond",
                "filled": True,
                "color": "black",
                "size": 50,
            },
            "encoding": {
                "x": x,
                "y": {"field": "stage_net_kg_co2e", "type": "quantitative", "aggregate": "max"},
                "tooltip": [
                    {
                        "field": "stage_net_kg_co2e",
                        "aggregate": "max",
                        "title": terms.pick("净值", "net", lang),
                        "format": ".4~g",
                    }
                ],
            },
        },
    ]
    table = Table(
        f"stages_by_{by}",
        ("life_cycle_stage", "stage", "component", "kg_co2e", "stage_net_kg_co2e"),
        rows,
        {"kg_co2e": y_title, "stage_net_kg_co2e": y_title},
    )
    return Chart(f"stages_by_{by}", spec, (table,))


# -- hotspot Pareto ---------------------------------------------------------------------------
def pareto_rows(
    hotspots: Sequence[contributions.Hotspot], total: float, lang: str, top: int = PARETO_ROWS
) -> list[dict]:
    """The ``top`` rows by |kg CO2e| and one "other" row; share and cumulative share of total."""
    shown = list(hotspots[:top])
    rest = hotspots[top:]
    rows = []
    cumulative = 0.0
    for rank, h in enumerate(shown):
        cumulative += h.kg_co2e
        rows.append(
            {
                "rank": rank + 1,
                "id": h.id,
                "name": terms.pick(h.name_zh, h.name_en, lang),
                "life_cycle_stage": h.life_cycle_stage,
                "kg_co2e": h.kg_co2e,
                "share": h.kg_co2e / total if total else None,
                "cumulative_share": cumulative / total if total else None,
            }
        )
    if rest:
        other = sum(h.kg_co2e for h in rest)
        cumulative += other
        rows.append(
            {
                "rank": len(shown) + 1,
                "id": "other",
                "name": terms.pick(f"其他（{len(rest)} 项）", f"other ({len(rest)} rows)", lang),
                "life_cycle_stage": None,
                "kg_co2e": other,
                "share": other / total if total else None,
                "cumulative_share": cumulative / total if total else None,
            }
        )
    return rows


def pareto(
    footprint: Footprint, of: Literal["process", "factor"] = "process", lang: str = "en"
) -> Chart:
    """Hotspots: horizontal bars by |kg CO2e| with the share and the cumulative share."""
    if of == "process":
        hotspots = contributions.by_process(footprint)
        title = terms.pick("热点过程（帕累托）", "Hotspots by process (Pareto)", lang)
    elif of == "factor":
        hotspots = contributions.by_factor(footprint)
        title = terms.pick("热点排放因子（帕累托）", "Hotspots by emission factor (Pareto)", lang)
    else:
        raise ReportError(f"Pareto chart of 'process' or 'factor', not {of!r}")
    rows = pareto_rows(hotspots, burdens(footprint), lang)
    for row in rows:
        share, cumulative = row["share"], row["cumulative_share"]
        row["label"] = (
            f"{100 * share:.1f} % · Σ {100 * cumulative:.1f} %" if share is not None else ""
        )
    y = {
        "field": "name",
        "type": "nominal",
        "sort": {"field": "rank"},
        "title": None,
        "axis": {"labelLimit": 230},
    }
    spec = _base(title, lang, width=300, height=None)
    spec["height"] = {"step": 20}
    spec["data"] = {"values": rows}
    # in the shared data (not a layer's own transform), so both layers keep the rank order
    spec["transform"] = [{"calculate": "max(datum.kg_co2e, 0)", "as": "label_x"}]
    spec["layer"] = [
        {
            "mark": {"type": "bar", "color": "#4c78a8"},
            "encoding": {
                "y": y,
                "x": {
                    "field": "kg_co2e",
                    "type": "quantitative",
                    "title": _unit_label(footprint, lang),
                },
                "tooltip": [
                    {"field": "name", "title": terms.pick("名称", "name", lang)},
                    {"field": "kg_co2e", "title": KG, "format": ".4~g"},
                    {
                        "field": "label",
                        "title": terms.pick("占比 · 累计", "share · cumulative", lang),
                    },
                ],
            },
        },
        {
            "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 9},
            "encoding": {
                "y": y,
                "x": {"field": "label_x", "type": "quantitative"},
                "text": {"field": "label"},
            },
        },
    ]
    table = Table(
        f"pareto_{of}",
        ("rank", "id", "name", "life_cycle_stage", "kg_co2e", "share", "cumulative_share"),
        rows,
        {
            "kg_co2e": _unit_label(footprint, lang),
            "share": "fraction of total",
            "cumulative_share": "fraction of total",
        },
    )
    return Chart(f"pareto_{of}", spec, (table,))


# -- Sankey ------------------------------------------------------------------------------------
def sankey_chart(footprint: Footprint, cutoff: float = 0.01, lang: str = "en") -> Chart:
    """The supply-chain Sankey: nodes by cradle-to-gate kg CO2e, links by what they carry.

    Parameters
    ----------
    cutoff : float
        Nodes whose |cradle-to-gate| is below ``cutoff`` x |total| are left out (with their
        links); the result's own Sankey cut-off (``calc --cutoff``) applies first.

    Raises
    ------
    ReportError
        When the result has no Sankey (compute it with a tree cut-off).
    """
    if footprint.sankey is None:
        raise ReportError(
            "this result has no Sankey; compute it with a supply-chain cut-off "
            "(`tanzuji calc MODEL --cutoff 0.01`, or tree_cutoff in footprint.calculate)"
        )
    if not 0.0 <= cutoff < 1.0:
        raise ReportError(f"Sankey cut-off must be in [0, 1), found {cutoff}")
    stage_of = {p.id: p.life_cycle_stage for p in footprint.by_process}
    limit = cutoff * abs(burdens(footprint))
    nodes = [
        {
            "id": n["id"],
            "name": terms.pick(n.get("name_zh", ""), n.get("name_en", ""), lang),
            "stage": terms.stage_name(stage_of.get(n["id"], ""), lang),
            "value": n["upstream_kg_co2e"],
            "direct_kg_co2e": n["direct_kg_co2e"],
        }
        for i, n in enumerate(footprint.sankey.nodes)
        if i == 0 or abs(n["upstream_kg_co2e"]) >= limit
    ]
    kept = {n["id"] for n in nodes}
    links = [
        link
        for link in footprint.sankey.links
        if link["source"] in kept and link["target"] in kept and link["kg_co2e"] != 0
    ]
    drawn = sankey.layout(nodes, links, width_px=SANKEY_WIDTH_PX, height_px=300)
    columns = max((n["column"] for n in drawn.nodes), default=0)
    label_px = max(SANKEY_WIDTH_PX / max(columns, 1) - 2 * sankey.NODE_WIDTH_PX, 60)
    # The right-most column has no links to its right: its labels get the right padding,
    # at least SANKEY_LAST_LABEL_PX, so the reference product's name is not cut.
    last_label_px = max(label_px, SANKEY_LAST_LABEL_PX)
    stage_domain = [
        terms.stage_name(s, lang)
        for s in terms.stage_order(sorted({stage_of.get(n["id"], "") for n in nodes}))
    ]
    total = burdens(footprint)
    for n in drawn.nodes:
        share = f" ({100 * n['value'] / total:.0f} %)" if total else ""
        n["label"] = [n["name"], f"{n['value']:.3g}{share}"]
    title = terms.pick(
        f"供应链桑基图（截断 {100 * cutoff:g} %）",
        f"Supply-chain Sankey ({KG}, cut-off {100 * cutoff:g} %)",
        lang,
    )
    pixels = {"type": "quantitative", "scale": None, "axis": None}
    spec = _base(title, lang, width=int(drawn.width), height=int(drawn.height))
    spec["padding"] = {"left": 5, "right": int(last_label_px) + 5, "top": 5, "bottom": 5}
    link_tooltip = [
        {"field": "source", "title": terms.pick("供应方", "supplier", lang)},
        {"field": "target", "title": terms.pick("使用方", "consumer", lang)},
        {"field": "kg_co2e", "title": KG, "format": ".4~g"},
    ]
    spec["layer"] = [
        {
            "data": {"values": drawn.points},
            "transform": [{"filter": "datum.kind !== 'return'"}],
            "mark": {"type": "area", "opacity": 0.5, "interpolate": "linear"},
            "encoding": {
                "x": {"field": "x", **pixels},
                "y": {"field": "y_top", "stack": None, **pixels},
                "y2": {"field": "y_bottom"},
                "detail": {"field": "link"},
                "color": {
                    "condition": {
                        "test": "datum.kind === 'removal'",
                        "value": DETERMINISTIC_COLOUR,
                    },
                    "value": SUPPLY_LINK_COLOUR,
                },
                "tooltip": link_tooltip,
            },
        },
        {
            "data": {"values": drawn.points},
            "transform": [{"filter": "datum.kind === 'return'"}],
            "mark": {
                "type": "line",
                "strokeCap": "butt",
                "opacity": 0.5,
                "color": RETURN_LINK_COLOUR,
            },
            "encoding": {
                "x": {"field": "x", **pixels},
                "y": {"field": "y", **pixels},
                "detail": {"field": "link"},
                "order": {"field": "order", "type": "quantitative"},
                "strokeWidth": {
                    "field": "width",
                    "type": "quantitative",
                    "scale": None,
                    "legend": None,
                },
                "tooltip": link_tooltip,
            },
        },
        {
            "data": {"values": drawn.nodes},
            "mark": {"type": "rect", "stroke": "white", "strokeWidth": 0.5},
            "encoding": {
                "x": {"field": "x0", **pixels},
                "x2": {"field": "x1"},
                "y": {"field": "y0", **pixels},
                "y2": {"field": "y1"},
                "color": {
                    "field": "stage",
                    "type": "nominal",
                    "scale": {"scheme": "tableau10", "domain": stage_domain},
                    "title": terms.pick("阶段", "stage", lang),
                    "legend": {"orient": "bottom", "direction": "horizontal"},
                },
                "tooltip": [
                    {"field": "name", "title": terms.pick("名称", "name", lang)},
                    {
                        "field": "value",
                        "title": terms.pick("摇篮到大门 kg CO2e", "cradle-to-gate kg CO2e", lang),
                        "format": ".4~g",
                    },
                    {
                        "field": "direct_kg_co2e",
                        "title": terms.pick("直接 kg CO2e", "direct kg CO2e", lang),
                        "format": ".4~g",
                    },
                ],
            },
        },
    ]
    anchors = [{**n, "ym": (n["y0"] + n["y1"]) / 2} for n in drawn.nodes]
    for last, limit in ((False, label_px), (True, last_label_px)):
        spec["layer"].append(
            {
                "data": {
                    "values": vega.text_lines(
                        [a for a in anchors if (a["column"] == columns) is last],
                        "label",
                        "x1",
                        "ym",
                        11.0,
                    )
                },
                "mark": {
                    "type": "text",
                    "align": "left",
                    "baseline": "middle",
                    "dx": 3,
                    "fontSize": 8.5,
                    "limit": limit,
                },
                "encoding": {
                    "x": {"field": "x", **pixels},
                    "y": {"field": "y", **pixels},
                    "text": {"field": "line"},
                },
            }
        )
    if drawn.return_links:
        spec["title"] = {
            "text": title,
            "subtitle": terms.pick(
                f"紫色：闭合回路的 {drawn.return_links} 条回流链接",
                f"purple: {drawn.return_links} link(s) closing a loop",
                lang,
            ),
        }
    node_table = Table(
        "sankey_nodes",
        ("id", "name", "stage", "column", "value", "direct_kg_co2e"),
        [
            {k: n[k] for k in ("id", "name", "stage", "column", "value", "direct_kg_co2e")}
            for n in drawn.nodes
        ],
        {
            "value": "kg CO2e per FU, cradle-to-gate (loop-corrected)",
            "direct_kg_co2e": "kg CO2e per FU",
        },
    )
    link_table = Table(
        "sankey_links",
        ("source", "target", "kg_co2e", "returning"),
        [
            {k: link[k] for k in ("source", "target", "kg_co2e", "returning")}
            for link in drawn.links
        ],
        {"kg_co2e": "kg CO2e per FU carried by the link"},
    )
    return Chart("sankey", spec, (node_table, link_table))


# -- uncertainty ------------------------------------------------------------------------------
def histogram(
    scores: np.ndarray,
    summary: UncertaintySummary,
    deterministic_kg_co2e: float,
    lang: str = "en",
    bins: int = HISTOGRAM_BINS,
    without_credits: bool = False,
) -> Chart:
    """Monte Carlo histogram with the 95 % interval (2.5 and 97.5 percentiles) and the median.

    Parameters
    ----------
    scores : array
        The total of every iteration (``MonteCarloResult.scores``), kg CO2e per FU.
    summary : UncertaintySummary
        Its statistics (:func:`tanzuji.engine.sensitivity.summarize`).
    deterministic_kg_co2e : float
        The footprint computed with the mean values, drawn for comparison: the burdens when
        credits are reported apart (the runs sample the burdens), with ``without_credits``.
    """
    values = np.asarray(scores, dtype=float)
    if values.size < 2:
        raise ReportError(
            f"a histogram needs at least 2 Monte Carlo iterations, found {values.size}"
        )
    counts, edges = np.histogram(values, bins=bins)
    rows = [
        {"bin_start": float(edges[i]), "bin_end": float(edges[i + 1]), "count": int(counts[i])}
        for i in range(counts.size)
    ]
    stats = summary.total
    marks = [
        {
            "statistic": "p2_5",
            "label": terms.pick("2.5 %", "2.5 %", lang),
            "kg_co2e": stats["p2_5"],
        },
        {
            "statistic": "median",
            "label": terms.pick("中位数", "median", lang),
            "kg_co2e": stats["median"],
        },
        {"statistic": "p97_5", "label": "97.5 %", "kg_co2e": stats["p97_5"]},
        {
            "statistic": "deterministic",
            "label": terms.pick("确定性结果", "deterministic", lang)
            + (terms.pick("（不含抵扣）", " (without credits)", lang) if without_credits else ""),
            "kg_co2e": deterministic_kg_co2e,
        },
    ]
    title = terms.pick(
        f"蒙特卡洛分布（{summary.iterations} 次，种子 {summary.seed}）与 95 % 区间",
        f"Monte Carlo distribution ({summary.iterations} runs, seed {summary.seed}), 95 % interval",
        lang,
    )
    spec = _base(title, lang)
    spec["layer"] = [
        {
            "data": {"values": rows},
            "mark": {"type": "bar", "color": "#4c78a8", "binSpacing": 0},
            "encoding": {
                "x": {
                    "field": "bin_start",
                    "type": "quantitative",
                    "bin": {"binned": True},
                    "title": KG,
                },
                "x2": {"field": "bin_end"},
                "y": {
                    "field": "count",
                    "type": "quantitative",
                    "title": terms.pick("次数", "iterations", lang),
                },
                "tooltip": [
                    {"field": "bin_start", "format": ".4~g"},
                    {"field": "bin_end", "format": ".4~g"},
                    {"field": "count"},
                ],
            },
        },
        {
            "data": {"values": marks},
            "mark": {"type": "rule", "strokeDash": [4, 3], "strokeWidth": 1.5},
            "encoding": {
                "x": {"field": "kg_co2e", "type": "quantitative"},
                "color": {
                    "field": "label",
                    "type": "nominal",
                    "title": None,
                    "scale": {
                        "domain": [m["label"] for m in marks],
                        "range": [INTERVAL_COLOUR, "black", INTERVAL_COLOUR, DETERMINISTIC_COLOUR],
                    },
                },
                "tooltip": [{"field": "label"}, {"field": "kg_co2e", "format": ".4~g"}],
            },
        },
    ]
    tables = (
        Table(
            "montecarlo_histogram",
            ("bin_start", "bin_end", "count"),
            rows,
            {"bin_start": "kg CO2e per FU", "bin_end": "kg CO2e per FU"},
        ),
        Table(
            "montecarlo_statistics",
            ("statistic", "label", "kg_co2e"),
            marks,
            {"kg_co2e": "kg CO2e per FU"},
        ),
    )
    return Chart("montecarlo_histogram", spec, tables)


_LOCATION = re.compile(
    r"^(?P<file>.*):(?P<line>\d+) processes\[(?P<p>\d+)\]\.(?P<kind>inputs|emissions)\[(?P<i>\d+)\]"
)


def input_label(process: str, location: str, model: Model | None = None) -> str:
    """A short name of an uncertain input: its process, what it links to, its line."""
    found = _LOCATION.match(location)
    if found is None:
        return f"{process} · {location}"
    line = f"L{found['line']}"
    if model is None:
        return f"{process} · {line}"
    try:
        owner = model.processes[int(found["p"])]
        if found["kind"] == "inputs":
            exchange = owner.inputs[int(found["i"])]
            target = exchange.factor or exchange.process or exchange.match or "?"
        else:
            target = owner.emissions[int(found["i"])].gas
    except IndexError:
        return f"{process} · {line}"
    return f"{process} ← {target} · {line}"


def tornado(summary: UncertaintySummary, lang: str = "en", model: Model | None = None) -> Chart:
    """Sensitivity tornado: Spearman rank correlation of each uncertain input with the total.

    Bars run left (negative correlation) or right (positive), longest on top; the label gives
    the input's share of variance (squared Spearman, normalised; :mod:`tanzuji.engine.sensitivity`).
    """
    if not summary.top_contributors:
        raise ReportError("the uncertainty summary lists no contributors to variance")
    rows = [
        {
            "rank": i + 1,
            "input": input_label(c.process, c.location, model),
            "process": c.process,
            "location": c.location,
            "distribution": c.distribution,
            "spearman": c.spearman,
            "variance_share": c.variance_share,
            "label": f"{100 * c.variance_share:.1f} %",
        }
        for i, c in enumerate(summary.top_contributors)
    ]
    title = terms.pick(
        "敏感性（斯皮尔曼秩相关；标注为方差占比）",
        "Sensitivity: Spearman rank correlation with the total (label: share of variance)",
        lang,
    )
    y = {
        "field": "input",
        "type": "nominal",
        # an explicit order: layers with their own filters would otherwise merge their
        # domains alphabetically
        "sort": [r["input"] for r in rows],
        "title": None,
        "axis": {"labelLimit": 260},
    }
    spec = _base(title, lang, width=280, height=None)
    spec["height"] = {"step": 20}
    spec["data"] = {"values": rows}
    spec["layer"] = [
        {
            "mark": "bar",
            "encoding": {
                "y": y,
                "x": {
                    "field": "spearman",
                    "type": "quantitative",
                    "scale": {"domain": [-1, 1]},
                    "title": terms.pick("斯皮尔曼 ρ", "Spearman ρ", lang),
                },
                "color": {
                    "condition": {"test": "datum.spearman < 0", "value": DETERMINISTIC_COLOUR},
                    "value": "#4c78a8",
                },
                "tooltip": [
                    {"field": "input"},
                    {"field": "distribution"},
                    {"field": "spearman", "format": ".3f"},
                    {"field": "label", "title": "variance"},
                ],
            },
        },
        # the share of variance beside the end of each bar (right of a positive bar, left
        # of a negative one), never over the bar
        *(
            {
                "transform": [{"filter": f"datum.spearman {test}"}],
                "mark": {"type": "text", "align": align, "dx": dx, "fontSize": 9},
                "encoding": {
                    "y": y,
                    "x": {"field": "spearman", "type": "quantitative"},
                    "text": {"field": "label"},
                },
            }
            for test, align, dx in ((">= 0", "left", 3), ("< 0", "right", -3))
        ),
    ]
    table = Table(
        "sensitivity",
        ("rank", "process", "location", "distribution", "spearman", "variance_share"),
        rows,
        {"variance_share": "fraction of the variance (squared Spearman, normalised)"},
    )
    return Chart("sensitivity_tornado", spec, (table,))


# -- comparison ---------------------------------------------------------------------------------
def comparison(
    rows: list[dict[str, Any]], labels: tuple[str, str], of: str, unit: str, lang: str = "en"
) -> Chart:
    """Two results side by side: grouped bars per stage or process (``rows`` from
    :func:`tanzuji.report.compare.compare`: ``key``, ``name``, ``a_kg_co2e``, ``b_kg_co2e``)."""
    long = []
    for rank, row in enumerate(rows):
        for variant, field in ((labels[0], "a_kg_co2e"), (labels[1], "b_kg_co2e")):
            long.append(
                {
                    "rank": rank,
                    "key": row["key"],
                    "name": row["name"],
                    "variant": variant,
                    "kg_co2e": row[field],
                }
            )
    title = terms.pick(
        "两结果比较（按阶段）" if of == "stage" else "两结果比较（按过程）",
        f"Comparison by {of}",
        lang,
    )
    spec = _base(title, lang, width=300, height=None)
    spec["height"] = {"step": 12}
    spec["data"] = {"values": long}
    spec["mark"] = "bar"
    spec["encoding"] = {
        "y": {
            "field": "name",
            "type": "nominal",
            "sort": {"field": "rank"},
            "title": None,
            "axis": {"labelLimit": 230},
        },
        "yOffset": {"field": "variant", "sort": list(labels)},
        "x": {"field": "kg_co2e", "type": "quantitative", "title": unit},
        "color": {"field": "variant", "type": "nominal", "sort": list(labels), "title": None},
        "tooltip": [
            {"field": "name"},
            {"field": "variant"},
            {"field": "kg_co2e", "format": ".4~g"},
        ],
    }
    table = Table(
        f"comparison_{of}",
        ("key", "name", "a_kg_co2e", "b_kg_co2e", "delta_kg_co2e"),
        rows,
        {"a_kg_co2e": unit, "b_kg_co2e": unit, "delta_kg_co2e": unit},
    )
    return Chart(f"comparison_{of}", spec, (table,))


def footprint_charts(
    footprint: Footprint,
    lang: str = "en",
    *,
    sankey_cutoff: float = 0.01,
    scores: np.ndarray | None = None,
    model: Model | None = None,
) -> list[Chart]:
    """Every chart a footprint supports, in report order (Sankey when the result has one,
    histogram when ``scores`` are given, tornado when it carries an uncertainty summary)."""
    charts = [
        stages(footprint, "gas", lang),
        stages(footprint, "origin", lang),
        pareto(footprint, "process", lang),
        pareto(footprint, "factor", lang),
    ]
    if footprint.sankey is not None:
        charts.append(sankey_chart(footprint, sankey_cutoff, lang))
    if footprint.uncertainty is not None:
        if scores is not None:
            charts.append(
                histogram(
                    scores,
                    footprint.uncertainty,
                    burdens(footprint),
                    lang,
                    without_credits=footprint.credits is not None,
                )
            )
        if footprint.uncertainty.top_contributors:
            charts.append(tornado(footprint.uncertainty, lang, model))
    return charts


def bundle(drawn: list[Chart], png: bool = False) -> dict[str, bytes]:
    """The files of a chart folder by relative path: each chart as SVG (and PNG), its
    Vega-Lite specification, the data behind it as CSV and JSON, the vendored scripts and an
    ``index.html`` that shows every chart interactively from them (no network)."""
    files: dict[str, bytes] = {}
    embeds = []
    for chart in drawn:
        svg = chart.svg()
        files[f"{chart.name}.svg"] = svg.encode("utf-8")
        files[f"{chart.name}.vl.json"] = json.dumps(
            chart.spec, ensure_ascii=False, sort_keys=True, indent=1
        ).encode("utf-8")
        if png:
            files[f"{chart.name}.png"] = vega.svg_to_png(svg)
        for table in chart.tables:
            files[f"{table.name}.csv"] = table.to_csv().encode("utf-8")
            files[f"{table.name}.json"] = table.to_json().encode("utf-8")
        embeds.append(vega.embed_html(chart.spec, chart.name.replace("_", "-")))
    for name in vega.VENDOR_SCRIPTS:
        files[f"vendor/{name}"] = (vega.VENDOR_DIR / name).read_bytes()
    page = (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>charts</title>\n'
        f"{vega.vendor_scripts('vendor')}\n</head><body>\n"
        + "\n".join(embeds)
        + "\n</body></html>\n"
    )
    files["index.html"] = page.encode("utf-8")
    return files
