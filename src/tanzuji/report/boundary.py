"""The system boundary diagram of a study (ISO 14067:2018 6.3.4, 7.3): stages and processes.

One column per life-cycle stage in life-cycle order; each process of the model is a box in the
column of its stage, with the number of emission factors it uses; stages of the life cycle the
model does not cover are drawn grey outside the dashed system boundary (the model's cut-off
exclusions are listed in the report beside it). Drawn as a Vega-Lite specification like every
other chart, so the same font and renderer serve the study report's SVG.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from tanzuji.model.schema import LIFE_CYCLE_STAGES, Model
from tanzuji.report import terms, vega
from tanzuji.report.tables import Table

COLUMN_PX = 124.0
COLUMN_GAP_PX = 10.0
HEADER_PX = 34.0
BOX_PX = 34.0
LINE_PX = 12.0
BOX_GAP_PX = 6.0
FONT_PX = 8.5
#: Most lines of one name in a box (a longer name ends with "…"; the full name is in the
#: ``system_boundary`` table and the report's tables).
MAX_NAME_LINES = 3
INCLUDED_FILL = "#e8f1fa"
EXCLUDED_FILL = "#eeeeee"


def _stages(model: Model) -> list[str]:
    used = [p.life_cycle_stage for p in model.processes]
    return terms.stage_order(list(dict.fromkeys([*LIFE_CYCLE_STAGES, *used])))


def _width_em(text: str) -> float:
    """Estimated width of ``text`` in ems: CJK (wide) characters 1, others 0.56 (Noto Sans)."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.56 for c in text)


def wrap(text: str, width_px: float, font_px: float = FONT_PX, lines: int = MAX_NAME_LINES):
    """``text`` in lines that fit ``width_px``: Latin breaks at spaces (or within a word
    longer than a line), Chinese between any two characters; at most ``lines`` lines, the
    last ending with "…" when the text is longer."""
    room = width_px / font_px
    out: list[str] = []
    rest = text.strip()
    while rest and len(out) < lines:
        cut = len(rest)
        while _width_em(rest[:cut]) > room:
            cut -= 1
        if cut < len(rest):
            space = rest.rfind(" ", 0, cut + 1)
            wide = unicodedata.east_asian_width(rest[cut - 1]) in "WF"
            if space > 0 and not wide:
                cut = space
        out.append(rest[: max(cut, 1)].rstrip())
        rest = rest[max(cut, 1) :].lstrip()
    if rest:
        last = out[-1]
        while last and _width_em(last + "…") > room:
            last = last[:-1]
        out[-1] = last.rstrip() + "…"
    return out or [""]


def _names(zh: str, en: str, lang: str, width_px: float = COLUMN_PX - 12) -> list[str]:
    """The name wrapped to the box; both names, each on its own lines, when bilingual."""
    if lang == "both" and zh and en and zh != en:
        return [*wrap(zh, width_px, lines=2), *wrap(en, width_px, lines=2)]
    return wrap(terms.pick(zh, en, lang), width_px)


def boundary_rows(model: Model, lang: str) -> list[dict]:
    """Boxes (stage headers and processes) and their labels, in pixels."""
    boxes: list[dict[str, Any]] = []
    lines = 2 if lang == "both" else 1
    header_px = HEADER_PX + LINE_PX * (lines - 1)
    used = {p.life_cycle_stage for p in model.processes}
    for column, stage in enumerate(_stages(model)):
        x0 = column * (COLUMN_PX + COLUMN_GAP_PX)
        included = stage in used
        boxes.append(
            {
                "kind": "stage" if included else "excluded",
                "stage": stage,
                "x0": x0,
                "x1": x0 + COLUMN_PX,
                "y0": 0.0,
                "y1": header_px,
                "text": [
                    *_names(*terms.STAGES.get(stage, (stage, stage)), lang),
                    *([] if included else [terms.pick("（未包括）", "(not included)", lang)]),
                ],
            }
        )
        y = header_px + BOX_GAP_PX
        for process in (p for p in model.processes if p.life_cycle_stage == stage):
            factors = sorted({e.factor or e.match or "" for e in process.inputs} - {""})
            text = [
                *_names(process.name.zh or "", process.name.en or "", lang),
                terms.pick(f"{len(factors)} 个因子", f"{len(factors)} factor(s)", lang),
            ]
            height = BOX_PX + LINE_PX * (len(text) - 2)
            boxes.append(
                {
                    "kind": "process",
                    "stage": stage,
                    "x0": x0 + 4,
                    "x1": x0 + COLUMN_PX - 4,
                    "y0": y,
                    "y1": y + height,
                    "text": text,
                }
            )
            y += height + BOX_GAP_PX
    return boxes


def diagram(model: Model, lang: str = "en") -> tuple[dict[str, Any], Table]:
    """The Vega-Lite specification of the boundary diagram and its data."""
    boxes = boundary_rows(model, lang)
    inside = [b for b in boxes if b["kind"] != "excluded"]
    frame = {
        "x0": min(b["x0"] for b in inside) - 4,
        "x1": max(b["x1"] for b in inside) + 4,
        "y0": -4.0,
        "y1": max(b["y1"] for b in boxes) + 6,
        "label": terms.pick("系统边界", "system boundary", lang),
    }
    width = max(b["x1"] for b in boxes) + 4
    height = frame["y1"] + 16
    centred = [{**b, "xm": (b["x0"] + b["x1"]) / 2, "ym": (b["y0"] + b["y1"]) / 2} for b in boxes]
    pixels = {"type": "quantitative", "scale": None, "axis": None}
    fill = {
        "field": "kind",
        "type": "nominal",
        "scale": {
            "domain": ["stage", "excluded", "process"],
            "range": [INCLUDED_FILL, EXCLUDED_FILL, "white"],
        },
        "legend": None,
    }
    title = terms.pick("系统边界", "System boundary", lang)
    spec: dict[str, Any] = {
        "$schema": vega.VEGA_LITE_SCHEMA,
        "title": title,
        "width": int(width),
        "height": int(height),
        "background": "white",
        "config": {
            "font": vega.FONT_FAMILY,
            "view": {"stroke": None},
            "title": {"fontSize": 13, "anchor": "start", "fontWeight": "normal"},
        },
        "layer": [
            {
                "data": {"values": [frame]},
                "mark": {
                    "type": "rect",
                    "fill": None,
                    "stroke": "#4c78a8",
                    "strokeDash": [6, 4],
                    "strokeWidth": 1.2,
                },
                "encoding": {
                    "x": {"field": "x0", **pixels},
                    "x2": {"field": "x1"},
                    "y": {"field": "y0", **pixels},
                    "y2": {"field": "y1"},
                },
            },
            {
                "data": {"values": [frame]},
                "mark": {
                    "type": "text",
                    "align": "left",
                    "baseline": "top",
                    "dx": 2,
                    "dy": 3,
                    "fontSize": 9,
                    "color": "#4c78a8",
                },
                "encoding": {
                    "x": {"field": "x0", **pixels},
                    "y": {"field": "y1", **pixels},
                    "text": {"field": "label"},
                },
            },
            {
                "data": {"values": boxes},
                "mark": {"type": "rect", "stroke": "#888", "strokeWidth": 0.8, "cornerRadius": 3},
                "encoding": {
                    "x": {"field": "x0", **pixels},
                    "x2": {"field": "x1"},
                    "y": {"field": "y0", **pixels},
                    "y2": {"field": "y1"},
                    "fill": fill,
                },
            },
            {
                "data": {"values": vega.text_lines(centred, "text", "xm", "ym", LINE_PX)},
                "mark": {
                    "type": "text",
                    "align": "center",
                    "baseline": "middle",
                    "fontSize": FONT_PX,
                    "limit": COLUMN_PX - 8,
                },
                "encoding": {
                    "x": {"field": "x", **pixels},
                    "y": {"field": "y", **pixels},
                    "text": {"field": "line"},
                },
            },
        ],
    }
    table = Table(
        "system_boundary",
        ("kind", "stage", "text"),
        [
            {"kind": b["kind"], "stage": b["stage"], "text": " ".join(t for t in b["text"] if t)}
            for b in boxes
        ],
    )
    return spec, table
