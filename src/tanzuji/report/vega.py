"""One Vega-Lite specification, two renderings: static SVG for documents, interactive in pages.

Static: :func:`render_svg` runs the specification through vl-convert (Vega and Vega-Lite in an
embedded JavaScript runtime; no network, no browser), with the CJK font the package ships
(Noto Sans CJK SC, GB 2312 subset, SIL OFL 1.1, ``tanzuji/data/fonts``) registered so Chinese
labels render on any machine. The SVG keeps its text as text (searchable, selectable, and in a
PDF's text layer); WeasyPrint embeds the same font when the SVG is inside a PDF.

Interactive: :func:`embed_html` returns the HTML that shows the same specification with
vega-embed, from the JavaScript files vendored in ``static/vendor`` (the versions vl-convert
bundles; see the README there), served by the web platform from :data:`VENDOR_DIR`.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from tanzuji.errors import ReportError

FONT_DIR = Path(__file__).resolve().parents[1] / "data" / "fonts"
FONT_FILE = FONT_DIR / "NotoSansSC-Regular-GB2312.otf"
#: The family name inside FONT_FILE (its OpenType name table, name id 1).
FONT_FAMILY = "Noto Sans CJK SC"
VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor"
#: The vendored files in load order (vega-embed needs vega and vega-lite as globals).
VENDOR_SCRIPTS = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")
#: Vega-Lite major version of the specifications (vl-convert 1.9 bundles 6.4).
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
VEGA_LITE_VERSION = "6.4"


@cache
def _converter() -> Any:
    """vl-convert with the package's CJK font registered (once per process)."""
    import vl_convert

    if not FONT_FILE.is_file():
        raise ReportError(f"the chart font {FONT_FILE} is missing from the installation")
    vl_convert.register_font_directory(str(FONT_DIR))
    return vl_convert


def render_svg(spec: dict[str, Any]) -> str:
    """The static SVG of a Vega-Lite specification (text as text, font ``FONT_FAMILY``).

    Raises
    ------
    ReportError
        When Vega-Lite rejects the specification (the message says why).
    """
    converter = _converter()
    try:
        svg = converter.vegalite_to_svg(spec, vl_version=VEGA_LITE_VERSION)
    except ValueError as exc:
        raise ReportError(f"chart {spec.get('name', '?')!r} cannot be rendered: {exc}") from None
    return _first_line_anchored(_strip_xml_declaration(svg))


def _strip_xml_declaration(svg: str) -> str:
    # Inline in HTML an XML declaration is invalid; vl-convert 1.9 writes none, later may.
    return re.sub(r"^<\?xml[^>]*>\s*", "", svg)


def _first_line_anchored(svg: str) -> str:
    """Give the first line of a multi-line label its ``x`` as the other lines have.

    Vega writes ``<tspan>line 1</tspan><tspan x="0" dy="12">line 2</tspan>``; browsers centre
    both lines, WeasyPrint anchors a line only where a ``tspan`` starts a new chunk with ``x``.
    ``x="0"`` is the default position, so the drawing does not change elsewhere.
    """
    return svg.replace("><tspan>", '><tspan x="0">')


def svg_to_png(svg: str, scale: float = 2.0) -> bytes:
    """A PNG of an SVG (for looking at charts and for documents that cannot take SVG)."""
    return _converter().svg_to_png(svg, scale=scale)


def text_lines(
    rows: list[dict[str, Any]], field: str, x: str, y: str, line_px: float
) -> list[dict[str, Any]]:
    """One row per line of the multi-line text ``field``, centred on ``y`` (pixels).

    Renderers disagree on multi-line SVG text (``<tspan>`` with ``text-anchor``): WeasyPrint
    places the lines of a centred label apart. One text element per line draws the same
    everywhere.
    """
    out = []
    for row in rows:
        lines = [line for line in row[field] if line]
        top = row[y] - line_px * (len(lines) - 1) / 2
        out += [{"x": row[x], "y": top + k * line_px, "line": line} for k, line in enumerate(lines)]
    return out


def vendor_scripts(static_url: str) -> str:
    """The ``<script>`` tags loading the vendored libraries from ``static_url`` (once a page)."""
    base = static_url.rstrip("/")
    return "\n".join(
        f'<script src="{html.escape(base)}/{name}"></script>' for name in VENDOR_SCRIPTS
    )


def embed_html(spec: dict[str, Any], element_id: str) -> str:
    """A ``<div>`` and the script that renders ``spec`` in it with vega-embed.

    The page must load :func:`vendor_scripts` first. The actions menu offers SVG/PNG export
    only: the "open in editor" action would send the data to an online editor.
    """
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", element_id):
        raise ReportError(f"chart element id {element_id!r} must be a plain HTML id")
    # </script> inside the JSON would end the script element early.
    payload = json.dumps(spec, ensure_ascii=False, sort_keys=True).replace("</", "<\\/")
    options = {
        "actions": {"export": True, "source": False, "compiled": False, "editor": False},
        "renderer": "svg",
    }
    return (
        f'<div id="{element_id}" class="tanzuji-chart"></div>\n'
        f"<script>vegaEmbed('#{element_id}', {payload}, "
        f"{json.dumps(options, sort_keys=True)}).catch(console.error);</script>"
    )


def font_face_css(font_url: str) -> str:
    """The ``@font-face`` rule that gives a page the charts' font (served at ``font_url``)."""
    return (
        f"@font-face {{ font-family: '{FONT_FAMILY}'; "
        f"src: url('{html.escape(font_url)}') format('opentype'); }}"
    )
