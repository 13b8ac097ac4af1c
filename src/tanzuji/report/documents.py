"""HTML (Jinja2) and PDF (WeasyPrint) renderings of the report documents.

The HTML is self-contained (styles inline, charts as inline SVG, the data of each chart as
``data:`` links) and reproducible: the same inputs give the same bytes. It names its font by
family only; the PDF renderer adds an ``@font-face`` rule pointing at the font file the package
ships, so WeasyPrint embeds (a subset of) it and Chinese renders on any machine. WeasyPrint lays
text out with Pango; the PDF keeps text as text, so its numbers can be searched and extracted.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup

from tanzuji.errors import ReportError
from tanzuji.report import terms, vega
from tanzuji.report.charts import Chart


@cache
def environment() -> jinja2.Environment:
    """The template environment (autoescaped; an undefined name is an error)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("tanzuji.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
    )


def stylesheet() -> str:
    return environment().loader.get_source(environment(), "base.css")[0]  # type: ignore[union-attr]


def _data_uri(text: str, mime: str) -> str:
    return f"data:{mime};charset=utf-8;base64," + base64.b64encode(text.encode()).decode()


def download_links(charts: dict[str, Chart], enabled: bool) -> Callable[[str], Markup]:
    """A template function giving the CSV/JSON links of a chart's data (HTML only)."""

    def links(name: str) -> Markup:
        if not enabled or name not in charts:
            return Markup("")
        parts = []
        for table in charts[name].tables:
            csv = _data_uri(table.to_csv(), "text/csv")
            js = _data_uri(table.to_json(), "application/json")
            parts.append(
                f'<a download="{table.name}.csv" href="{csv}">{table.name}.csv</a> · '
                f'<a download="{table.name}.json" href="{js}">{table.name}.json</a>'
            )
        return Markup('<div class="downloads">data: ' + " · ".join(parts) + "</div>")

    return links


def render(template: str, content: dict[str, Any], lang: str, *, for_pdf: bool = False) -> str:
    """Render ``template`` with the report ``content`` in ``lang`` (zh, en, both)."""
    terms.check_language(lang)
    charts = content.get("results", {}).get("charts", {})
    return (
        environment()
        .get_template(template)
        .render(
            c=content,
            lang=lang,
            t=lambda zh, en: terms.pick(zh, en, lang),
            css=stylesheet(),
            charts=charts,
            downloads=download_links(charts, enabled=not for_pdf),
        )
    )


def html_to_pdf(html: str) -> bytes:
    """The PDF of an HTML document (A4), with the package's CJK font embedded."""
    import weasyprint

    font = vega.FONT_FILE
    if not font.is_file():
        raise ReportError(f"the report font {font} is missing from the installation")
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    face = weasyprint.CSS(
        string=f"@font-face {{ font-family: '{vega.FONT_FAMILY}'; src: url('{font.as_uri()}'); }}",
        font_config=fonts,
    )
    out = io.BytesIO()
    # No base URL: the documents reference nothing outside themselves.
    weasyprint.HTML(string=html).write_pdf(out, stylesheets=[face], font_config=fonts)
    return out.getvalue()


#: Formats of the study report.
FORMATS = ("html", "pdf", "xlsx")


def study_document(inputs: Any, fmt: str = "html", lang: str = "both") -> bytes:
    """The CFP study report of ``inputs`` (:class:`~tanzuji.report.study.StudyInputs`) as bytes.

    This is the one call a service makes: ``html`` (UTF-8, self-contained), ``pdf`` (A4,
    fonts embedded) or ``xlsx`` (the whole result, :mod:`tanzuji.report.workbook`).

    Raises
    ------
    ReportError
        For an unknown format or language, or inputs a section cannot be made from.
    """
    from tanzuji.report import study

    if fmt not in FORMATS:
        raise ReportError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")
    terms.check_language(lang)
    if fmt == "xlsx":
        from tanzuji.report import workbook

        return workbook.workbook_bytes(inputs, lang)
    content = study.study_content(inputs, lang)
    html = render("study.html.j2", content, lang, for_pdf=fmt == "pdf")
    if fmt == "html":
        return html.encode("utf-8")
    return html_to_pdf(html)
