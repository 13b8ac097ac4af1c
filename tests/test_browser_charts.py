"""The vendored Vega stack draws every chart of a result in a real browser, offline.

A page embedding every chart of a result as the platform's pages and ``tanzuji report
charts`` do (``vega.vendor_scripts`` and ``vega.embed_html``) is opened from disk in Chromium
with every network request refused: each chart must become an SVG with marks, and no script
may fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from tanzuji.factors.starter import StarterFactorSource
from tanzuji.footprint import calculate
from tanzuji.model.files import load_model
from tanzuji.report import charts, vega

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def tshirt():
    loaded = load_model(EXAMPLES / "cotton_tshirt.yaml")
    return calculate(loaded, factor_source=StarterFactorSource(), tree_cutoff=0.01), loaded


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_chart_bundle_renders_offline_in_chromium(page, journey, tmp_path, tshirt, lang):
    footprint, loaded = tshirt
    drawn = charts.footprint_charts(footprint, lang, model=loaded.model)
    (tmp_path / "vendor").mkdir()
    for name in vega.VENDOR_SCRIPTS:
        (tmp_path / "vendor" / name).write_bytes((vega.VENDOR_DIR / name).read_bytes())
    embeds = "\n".join(vega.embed_html(c.spec, c.name.replace("_", "-")) for c in drawn)
    (tmp_path / "index.html").write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8">{vega.vendor_scripts("vendor")}'
        f"</head><body>{embeds}</body></html>",
        encoding="utf-8",
    )
    outside: list[str] = []

    def refuse_network(route):
        if not route.request.url.startswith("file://"):
            outside.append(route.request.url)
            return route.abort()
        return route.continue_()

    page.route("**/*", refuse_network)
    page.goto((tmp_path / "index.html").as_uri())
    ids = [c.name.replace("_", "-") for c in drawn]
    for element_id in ids:
        page.wait_for_selector(f"#{element_id} svg .mark-rect, #{element_id} svg .mark-path")
    journey.shot(page, f"charts-{lang}")
    assert page.locator(".tanzuji-chart svg.marks").count() == len(ids)
    assert page.script_errors == []
    assert outside == []
