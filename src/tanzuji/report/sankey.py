"""Layout of the supply-chain Sankey: columns, node boxes and link paths, in pixels.

Vega-Lite has no Sankey mark, so the layout is computed here (as d3-sankey does) and drawn as
plain marks: nodes as rectangles, links as thick lines following a cubic Bézier (d3-sankey's
``sankeyLinkHorizontal`` with a stroke width proportional to the value).

- The reference product sits in the right-most column; each supplier sits left of the consumers
  it supplies (longest path from the reference product over supply links).
- Links are bands of constant vertical thickness along the curve (drawn as areas, so the
  band's bounds are exact); return links are drawn as thick lines.
- Loops: a depth-first walk from the reference product marks the links that close a loop
  (a supplier already on the walk's path); those are left out of the column assignment and
  drawn as *return links* that leave the supplier to the right, run under the diagram and
  enter the consumer from the left, in their own colour.
- The node height is its cradle-to-gate kg CO2e (loop-corrected upstream) or, when larger, the
  sum of its links; removals (negative values) draw with their absolute value and are marked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Drawing constants, pixels.
NODE_WIDTH_PX = 10.0
NODE_GAP_PX = 14.0
BEZIER_SAMPLES = 24
RETURN_MARGIN_PX = 18.0
#: Room a node's two-line label needs, so small nodes do not print over each other.
LABEL_ROW_PX = 26.0


@dataclass
class SankeyLayout:
    """Positions of a laid-out Sankey (pixels, y down)."""

    nodes: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    points: list[dict[str, Any]] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0
    return_links: int = 0


def _return_links(
    root: str, suppliers: dict[str, list[str]], order: dict[str, int]
) -> set[tuple[str, str]]:
    """Links (supplier, consumer) that close a loop in a depth-first walk from ``root``."""
    closing: set[tuple[str, str]] = set()
    state: dict[str, int] = {}  # 1 on the path, 2 done
    stack: list[tuple[str, int]] = [(root, 0)]
    state[root] = 1
    while stack:
        node, i = stack[-1]
        children = sorted(suppliers.get(node, []), key=lambda n: order[n])
        if i < len(children):
            stack[-1] = (node, i + 1)
            child = children[i]
            if state.get(child) == 1:
                closing.add((child, node))
            elif child not in state:
                state[child] = 1
                stack.append((child, 0))
        else:
            state[node] = 2
            stack.pop()
    return closing


def _depths(
    root: str, suppliers: dict[str, list[str]], closing: set[tuple[str, str]]
) -> dict[str, int]:
    """Longest distance from ``root`` over supply links that do not close a loop."""
    depth = {root: 0}
    changed = True
    # Bellman-Ford style relaxation on a DAG: at most n rounds.
    for _ in range(len(suppliers) + 1):
        if not changed:
            break
        changed = False
        for consumer in list(depth):
            for supplier in suppliers.get(consumer, []):
                if (supplier, consumer) in closing:
                    continue
                if depth.get(supplier, -1) < depth[consumer] + 1:
                    depth[supplier] = depth[consumer] + 1
                    changed = True
    return depth


def _bezier(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    t = np.linspace(0.0, 1.0, BEZIER_SAMPLES)
    xm = (x0 + x1) / 2
    # control points (xm, y0) and (xm, y1), as d3.linkHorizontal
    x = (1 - t) ** 3 * x0 + 3 * (1 - t) ** 2 * t * xm + 3 * (1 - t) * t**2 * xm + t**3 * x1
    y = (1 - t) ** 3 * y0 + 3 * (1 - t) ** 2 * t * y0 + 3 * (1 - t) * t**2 * y1 + t**3 * y1
    return list(zip(x.tolist(), y.tolist(), strict=True))


def _return_path(
    x0: float, y0: float, x1: float, y1: float, bottom: float
) -> list[tuple[float, float]]:
    """Out to the right of the supplier, under the diagram, into the consumer from the left."""
    m = RETURN_MARGIN_PX
    return [
        (x0, y0),
        (x0 + m, y0),
        (x0 + m, bottom),
        (x1 - m, bottom),
        (x1 - m, y1),
        (x1, y1),
    ]


def layout(
    nodes: list[dict[str, Any]],
    links: list[dict[str, Any]],
    width_px: float = 600.0,
    height_px: float = 340.0,
) -> SankeyLayout:
    """Lay out ``nodes`` (first = the reference product) and ``links`` (source supplies target).

    Parameters
    ----------
    nodes : list of dict
        ``id`` and ``value`` (kg CO2e, any sign) plus anything to carry through.
    links : list of dict
        ``source``, ``target`` (node ids) and ``kg_co2e``.
    width_px, height_px : float
        The drawing area.
    """
    if not nodes:
        return SankeyLayout(width=width_px, height=height_px)
    ids = [n["id"] for n in nodes]
    order = {nid: i for i, nid in enumerate(ids)}
    root = ids[0]
    suppliers: dict[str, list[str]] = {nid: [] for nid in ids}
    for link in links:
        suppliers[link["target"]].append(link["source"])
    closing = _return_links(root, suppliers, order)
    depth = _depths(root, suppliers, closing)
    max_depth = max(depth.values())
    column = {nid: max_depth - depth.get(nid, max_depth) for nid in ids}
    inflow: dict[str, float] = {nid: 0.0 for nid in ids}
    outflow: dict[str, float] = {nid: 0.0 for nid in ids}
    for link in links:
        inflow[link["target"]] += abs(link["kg_co2e"])
        outflow[link["source"]] += abs(link["kg_co2e"])
    size = {n["id"]: max(abs(n["value"]), inflow[n["id"]], outflow[n["id"]]) for n in nodes}
    columns: dict[int, list[str]] = {}
    for nid in ids:
        columns.setdefault(column[nid], []).append(nid)
    tallest = max(sum(size[n] for n in col) for col in columns.values()) or 1.0
    most_gaps = max(len(col) - 1 for col in columns.values())
    scale = max(height_px - most_gaps * NODE_GAP_PX, height_px * 0.3) / tallest
    step = (width_px - NODE_WIDTH_PX) / max(max_depth, 1)
    y0: dict[str, float] = {}
    targets: dict[str, list[str]] = {nid: [] for nid in ids}
    for link in links:
        targets[link["source"]].append(link["target"])
    for c in sorted(columns, reverse=True):
        # Order a column by where its consumers are (fewer crossings), then by size.
        def place(nid: str) -> tuple[float, float, int]:
            ys = [y0[t] for t in targets[nid] if t in y0]
            return (min(ys) if ys else 0.0, -size[nid], order[nid])

        y = 0.0
        for nid in sorted(columns[c], key=place):
            y0[nid] = y
            y += max(size[nid] * scale + NODE_GAP_PX, LABEL_ROW_PX)
    out = SankeyLayout(width=width_px, height=height_px, return_links=len(closing))
    box = {}
    for n in nodes:
        nid = n["id"]
        x = column[nid] * step
        box[nid] = (x, y0[nid], x + NODE_WIDTH_PX, y0[nid] + size[nid] * scale)
        out.nodes.append(
            {
                **n,
                "column": column[nid],
                "x0": x,
                "x1": x + NODE_WIDTH_PX,
                "y0": y0[nid],
                "y1": y0[nid] + size[nid] * scale,
                "removal": n["value"] < 0,
            }
        )
    bottom = max(b[3] for b in box.values()) + RETURN_MARGIN_PX
    out_offset = {nid: 0.0 for nid in ids}
    in_offset = {nid: 0.0 for nid in ids}
    ordered = sorted(
        enumerate(links), key=lambda il: (box[il[1]["target"]][1], box[il[1]["source"]][1], il[0])
    )
    for index, link in ordered:
        s, t = link["source"], link["target"]
        thickness = abs(link["kg_co2e"]) * scale
        ys = box[s][1] + out_offset[s] + thickness / 2
        yt = box[t][1] + in_offset[t] + thickness / 2
        out_offset[s] += thickness
        in_offset[t] += thickness
        returning = (s, t) in closing or column[s] >= column[t]
        path = (
            _return_path(box[s][2], ys, box[t][0], yt, bottom + thickness / 2)
            if returning
            else _bezier(box[s][2], ys, box[t][0], yt)
        )
        name = f"link{index}"
        out.links.append(
            {
                "link": name,
                "source": s,
                "target": t,
                "kg_co2e": link["kg_co2e"],
                "returning": returning,
                "width": max(thickness, 0.5),
            }
        )
        half = max(thickness, 0.5) / 2
        for k, (px, py) in enumerate(path):
            out.points.append(
                {
                    "link": name,
                    "order": k,
                    "x": round(px, 3),
                    "y": round(py, 3),
                    "y_top": round(py - half, 3),
                    "y_bottom": round(py + half, 3),
                    "width": round(2 * half, 3),
                    "kind": "return"
                    if returning
                    else ("removal" if link["kg_co2e"] < 0 else "supply"),
                    "source": s,
                    "target": t,
                    "kg_co2e": link["kg_co2e"],
                }
            )
        if returning:
            out.height = max(out.height, bottom + thickness + 2)
    out.height = max(out.height, height_px, bottom - RETURN_MARGIN_PX)
    return out
