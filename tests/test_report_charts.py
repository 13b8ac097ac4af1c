"""Charts, the Sankey layout, chart data exports, vendored scripts, comparison, workbook."""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

from tanzuji.engine.sensitivity import UncertaintyContributor, UncertaintySummary
from tanzuji.errors import ReportError
from tanzuji.factors.starter import StarterFactorSource
from tanzuji.footprint import Footprint, SankeyOut, calculate
from tanzuji.model.files import load_model
from tanzuji.report import charts, compare, contributions, sankey, vega, workbook
from tanzuji.report.study import StudyInputs
from tanzuji.report.tables import Table

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def tshirt() -> tuple[Footprint, object]:
    loaded = load_model(EXAMPLES / "cotton_tshirt.yaml")
    return calculate(loaded, factor_source=StarterFactorSource(), tree_cutoff=0.01), loaded


def test_groupings_sum_to_the_total(tshirt):
    footprint, _ = tshirt
    total = footprint.total_kg_co2e
    assert sum(h.kg_co2e for h in contributions.by_process(footprint)) == pytest.approx(total)
    assert sum(h.kg_co2e for h in contributions.by_factor(footprint)) == pytest.approx(total)
    stage_gas = sum(c.kg_co2e for c in footprint.by_stage_gas)
    assert stage_gas == pytest.approx(total)
    for stage, value in footprint.by_stage.items():
        cells = [c.kg_co2e for c in footprint.by_stage_gas if c.life_cycle_stage == stage]
        assert sum(cells) == pytest.approx(value, abs=1e-12)


def test_factor_inputs_name_the_factor_and_its_process(tshirt):
    footprint, _ = tshirt
    items = contributions.factor_inputs(footprint)
    assert {i.process_id for i in items} <= {p.id for p in footprint.by_process}
    electricity = [i for i in items if i.factor_id == "cn-mee.electricity.2022.cn-ecg.avg"]
    assert electricity and all(i.unit == "kWh" for i in electricity)
    # MEE 2022 East China grid average 0.5617 kg CO2/kWh (examples/README.md, the MEE table)
    assert electricity[0].kg_co2e_per_unit == pytest.approx(0.5617, rel=1e-9)
    assert "(" not in electricity[0].name_en.removeprefix("Purchased grid electricity")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_chart_renders_with_its_labels(tshirt, lang):
    footprint, loaded = tshirt
    drawn = charts.footprint_charts(footprint, lang, model=loaded.model)
    names = [c.name for c in drawn]
    assert names == [
        "stages_by_gas",
        "stages_by_origin",
        "pareto_process",
        "pareto_factor",
        "sankey",
    ]
    for chart in drawn:
        svg = chart.svg()
        assert svg.startswith("<svg") and "<text" in svg
        assert f'font-family="{vega.FONT_FAMILY}"' in svg
        assert chart.tables and all(t.rows for t in chart.tables)
    stage_svg = drawn[0].svg()
    assert ("原材料获取" if lang == "zh" else "Raw material acquisition") in stage_svg
    # the removal of fibre carbon stacks below zero
    origin_rows = drawn[1].tables[0].rows
    assert any(r["kg_co2e"] < 0 for r in origin_rows)


def test_sankey_nodes_and_links_conserve_flow():
    """Without cut-off, every node (no loops here) has cradle-to-gate = its direct + the links
    into it (docs/architecture.md, Sankey)."""
    loaded = load_model(EXAMPLES / "cotton_tshirt.yaml")
    footprint = calculate(loaded, factor_source=StarterFactorSource(), tree_cutoff=0.0)
    chart = charts.sankey_chart(footprint, cutoff=0.0)
    nodes = {r["id"]: r for r in chart.tables[0].rows}
    links = chart.tables[1].rows
    assert len(nodes) == len(footprint.sankey.nodes) > 10
    for node_id, node in nodes.items():
        into = sum(link["kg_co2e"] for link in links if link["target"] == node_id)
        assert node["direct_kg_co2e"] + into == pytest.approx(node["value"], rel=1e-9, abs=1e-15)
    root = footprint.sankey.nodes[0]["id"]
    assert nodes[root]["column"] == max(n["column"] for n in nodes.values())


def test_sankey_draws_a_loop_as_a_return_link():
    # a -> b -> a (a loop), b -> root; values by hand, kg CO2e
    nodes = [
        {"id": "root", "value": 10.0},
        {"id": "b", "value": 8.0},
        {"id": "a", "value": 6.0},
    ]
    links = [
        {"source": "b", "target": "root", "kg_co2e": 8.0},
        {"source": "a", "target": "b", "kg_co2e": 6.0},
        {"source": "b", "target": "a", "kg_co2e": 1.0},
    ]
    drawn = sankey.layout(nodes, links)
    assert drawn.return_links == 1
    returning = [link for link in drawn.links if link["returning"]]
    assert [(r["source"], r["target"]) for r in returning] == [("b", "a")]
    column = {n["id"]: n["column"] for n in drawn.nodes}
    assert column["a"] < column["b"] < column["root"]


def test_sankey_chart_of_a_loop_renders():
    footprint = Footprint.model_construct(
        product_id="p",
        functional_unit={"amount": 1, "unit": "kg"},
        total_kg_co2e=10.0,
        by_process=[],
        sankey=SankeyOut(
            nodes=[
                {
                    "id": "root",
                    "name_en": "Root",
                    "name_zh": "根",
                    "direct_kg_co2e": 2.0,
                    "upstream_kg_co2e": 10.0,
                },
                {
                    "id": "b",
                    "name_en": "B",
                    "name_zh": "乙",
                    "direct_kg_co2e": 1.0,
                    "upstream_kg_co2e": 8.0,
                },
                {
                    "id": "a",
                    "name_en": "A",
                    "name_zh": "甲",
                    "direct_kg_co2e": 6.0,
                    "upstream_kg_co2e": 6.0,
                },
            ],
            links=[
                {"source": "b", "target": "root", "kg_co2e": 8.0},
                {"source": "a", "target": "b", "kg_co2e": 6.0},
                {"source": "b", "target": "a", "kg_co2e": 1.0},
            ],
        ),
    )
    chart = charts.sankey_chart(footprint, 0.0, "both")
    svg = chart.svg()
    assert "甲 A" in svg and charts.RETURN_LINK_COLOUR in svg


def test_sankey_needs_a_tree_cutoff():
    loaded = load_model(EXAMPLES / "pv_module.yaml")
    footprint = calculate(loaded, factor_source=StarterFactorSource())
    with pytest.raises(ReportError, match="no Sankey"):
        charts.sankey_chart(footprint)


def test_histogram_and_tornado():
    rng = np.random.default_rng(1)
    scores = rng.lognormal(0.0, 0.1, 400)
    summary = UncertaintySummary(
        iterations=400,
        seed=1,
        total={"mean": 1.0, "median": 1.0, "sd": 0.1, "p2_5": 0.82, "p97_5": 1.21},
        by_stage={},
        fresh_factorizations=0,
        top_contributors=[
            UncertaintyContributor(
                location="m.yaml:9 processes[0].inputs[1]",
                process="p",
                distribution="lognormal",
                spearman=-0.5,
                variance_share=0.2,
            ),
            UncertaintyContributor(
                location="m.yaml:7 processes[0].inputs[0]",
                process="p",
                distribution="lognormal",
                spearman=0.9,
                variance_share=0.8,
            ),
        ],
    )
    hist = charts.histogram(scores, summary, 1.0)
    bins = hist.tables[0].rows
    assert sum(b["count"] for b in bins) == 400
    assert bins[0]["bin_start"] == scores.min() and bins[-1]["bin_end"] == scores.max()
    assert "97.5 %" in hist.svg()
    tornado = charts.tornado(summary)
    assert [r["spearman"] for r in tornado.tables[0].rows] == [-0.5, 0.9]  # summary's order
    assert "80.0 %" in tornado.svg()
    with pytest.raises(ReportError, match="at least 2"):
        charts.histogram(scores[:1], summary, 1.0)


def test_csv_cells_are_neutralised():
    # the chart tables use the exporters' one function (factors.spreadsheet; its own cases in
    # test_export_injection.py): formula text is quoted, numbers (a removal) stay numbers
    table = Table("t", ("name", "kg"), [{"name": "=1+1", "kg": -0.31}])
    assert table.to_csv() == "name,kg\n'=1+1,-0.31\n"
    assert json.loads(table.to_json())["rows"] == [{"name": "=1+1", "kg": -0.31}]


def test_workbook_keeps_formula_like_text_as_text(tshirt):
    footprint, loaded = tshirt
    hostile = footprint.model_copy(update={"product_name_en": '=HYPERLINK("http://evil")'})
    data = workbook.workbook_bytes(StudyInputs(hostile, loaded.model))
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames[:4] == ["summary", "inputs", "factors", "inventory"]
    summary = {row[0].value: row[1] for row in book["summary"].iter_rows(min_row=2)}
    cell = summary["product_name_en"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
    assert cell.quotePrefix
    assert summary["total_kg_co2e"].value == footprint.total_kg_co2e
    inputs = list(book["inputs"].iter_rows(min_row=2, values_only=True))
    assert len(inputs) == sum(len(p.inputs) for p in loaded.model.processes)
    cited = [r for r in inputs if r[3] == "factor"]
    assert all(r[12] for r in cited)  # every factor input carries its citation


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the battery example with one line changed, beside a copy of factors.csv."""
    text = (EXAMPLES / "lfp_battery_pack.yaml").read_text("utf-8")
    assert old in text
    (tmp_path / "factors.csv").write_bytes((EXAMPLES / "factors.csv").read_bytes())
    path = tmp_path / "variant.yaml"
    path.write_text(text.replace(old, new), "utf-8")
    return path


def test_compare_decomposes_the_difference(tmp_path):
    base = load_model(EXAMPLES / "lfp_battery_pack.yaml")
    longer = load_model(
        _variant(tmp_path, "full_equivalent_cycles: 3000", "full_equivalent_cycles: 4000")
    )
    source = StarterFactorSource()
    a = calculate(base, factor_source=source)
    b = calculate(longer, factor_source=source)
    result = compare.compare(a, b, ("3000 cycles", "4000 cycles"), "en")
    # every amount scales with 1 / lifetime energy: B = A * 3000 / 4000 (by hand)
    assert result.b_total == pytest.approx(a.total_kg_co2e * 3000 / 4000, rel=1e-12)
    assert sum(d.delta_kg_co2e for d in result.drivers) == pytest.approx(result.delta_total)
    assert all(d.factor_effect == pytest.approx(0.0, abs=1e-15) for d in result.drivers)
    assert result.parameter_changes["full_equivalent_cycles"] == (3000.0, 4000.0)
    assert result.by_stage[0].key == "raw_materials"
    lines = result.explanation("en")
    assert lines[0].startswith("B − A = ") and "-25.0 %" in lines[0]
    assert any("hao2017_lfp_battery_kwh" in line for line in lines)


def test_compare_separates_factor_from_activity(tshirt):
    """B = A with one factor's CO2e per unit doubled and its amount unchanged: the whole
    difference is factor effect of that input (q (2e - e) = kg)."""
    a, _ = tshirt
    target = next(p for p in a.by_process if p.kind == "factor" and p.direct_kg_co2e > 0)
    changed = [
        p.model_copy(update={"direct_kg_co2e": 2 * p.direct_kg_co2e}) if p.id == target.id else p
        for p in a.by_process
    ]
    b = a.model_copy(
        update={"by_process": changed, "total_kg_co2e": a.total_kg_co2e + target.direct_kg_co2e}
    )
    result = compare.compare(a, b)
    top = result.drivers[0]
    assert (top.process_id, top.factor_id) == contributions.split_factor_column(target.id)[::2][
        ::-1
    ]
    assert top.factor_effect == pytest.approx(target.direct_kg_co2e, rel=1e-12)
    assert top.activity_effect == 0.0
    assert result.delta_total == pytest.approx(target.direct_kg_co2e)


def test_compare_refuses_different_units(tshirt):
    a, _ = tshirt
    b = a.model_copy(update={"functional_unit": {"amount": 1, "unit": "kg"}})
    with pytest.raises(ReportError, match="functional units differ"):
        compare.compare(a, b)


def test_vendored_scripts_are_the_recorded_files_and_load_locally():
    readme = (vega.VENDOR_DIR / "README.md").read_text("utf-8")
    recorded = dict(
        (name, digest) for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", readme, re.M)
    )
    assert set(recorded) == set(vega.VENDOR_SCRIPTS)
    for name, digest in recorded.items():
        assert hashlib.sha256((vega.VENDOR_DIR / name).read_bytes()).hexdigest() == digest
    for licence in ("LICENSE-vega.txt", "LICENSE-vega-lite.txt", "LICENSE-vega-embed.txt"):
        assert "Redistribution" in (vega.VENDOR_DIR / licence).read_text("utf-8")
    tags = vega.vendor_scripts("/static/tanzuji/vendor")
    assert re.findall(r'src="([^"]+)"', tags) == [
        f"/static/tanzuji/vendor/{n}" for n in vega.VENDOR_SCRIPTS
    ]


def test_embed_snippet_keeps_data_inside_the_page():
    spec = {"mark": "bar", "data": {"values": [{"name": "</script><b>x"}]}}
    snippet = vega.embed_html(spec, "chart-1")
    assert "</script><b>" not in snippet  # escaped inside the JSON
    assert '"editor": false' in snippet
    with pytest.raises(ReportError, match="plain HTML id"):
        vega.embed_html(spec, "x'); alert(1); ('")
