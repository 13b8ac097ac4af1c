"""``tanzuji report | charts | declare | compare`` and ``calc --xlsx``, in process."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from tanzuji import settings
from tanzuji.cli import app
from tanzuji.cli.inputs import model_input
from tanzuji.context import Context
from tanzuji.report.study import number
from tanzuji.services import demo

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
BATTERY = EXAMPLES / "lfp_battery_pack.yaml"
runner = CliRunner()


def run(*args, ok: bool = True):
    result = runner.invoke(app, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, (result.output, result.exception)
    return result


def test_report_html_of_a_model(tmp_path):
    out = tmp_path / "battery.html"
    run("report", BATTERY, "--format", "html", "--lang", "en", "--out", out, "--mc", 50)
    html = out.read_text("utf-8")
    assert "1 Goal and scope" in html and "Monte Carlo distribution (50 runs, seed 0)" in html
    assert "stages_by_gas.csv" in html  # the chart data, downloadable


def test_report_of_a_certificate(tmp_path):
    # the demo's certification step issues one certificate in this test's data_dir; the report
    # reads it back from the store alone (model version, certified footprint, certificate)
    ctx = Context.from_settings(settings.load(), need_database=True).with_release("builtin")
    done = demo.certify(ctx, model_input(BATTERY, ctx.limits))
    issued = [done.issued.certificate_id]
    out = tmp_path / "certificate.html"
    run("report", issued[0], "--format", "html", "--lang", "both", "--out", out)
    html = out.read_text("utf-8")
    assert issued[0] in html and "核查声明与证书 Verification statement and certificate" in html
    assert number(done.issued.model_versions[-1].total_kg_co2e) in html  # the certified value
    assert "This report has not been verified" not in html
    missing = run("report", "GBA-CFL-1999-000009", "--out", tmp_path / "x.html", ok=False)
    assert missing.exit_code == 1


def test_charts_directory(tmp_path):
    out = tmp_path / "charts"
    run("charts", BATTERY, "--out", out, "--lang", "zh", "--mc", 30)
    names = {p.name for p in out.iterdir()}
    for chart in ("stages_by_gas", "pareto_process", "sankey", "montecarlo_histogram"):
        assert f"{chart}.svg" in names and f"{chart}.vl.json" in names
    assert {"sankey_nodes.csv", "sankey_links.json", "index.html"} <= names
    assert {"vega.min.js", "vega-lite.min.js", "vega-embed.min.js"} <= {
        p.name for p in (out / "vendor").iterdir()
    }
    page = (out / "index.html").read_text("utf-8")
    assert 'src="vendor/vega.min.js"' in page and "https://cdn" not in page


def test_declare_json(tmp_path):
    out = tmp_path / "d.json"
    run(
        "declare",
        BATTERY,
        "--info",
        EXAMPLES / "declarations" / "lfp_battery_pack.yaml",
        "--out",
        out,
    )
    document = json.loads(out.read_text("utf-8"))
    assert document["regulation"] == "Regulation (EU) 2023/1542, Article 7(1)"
    bad = run(
        "declare",
        EXAMPLES / "cotton_tshirt.yaml",
        "--info",
        EXAMPLES / "declarations" / "lfp_battery_pack.yaml",
        "--out",
        out,
        ok=False,
    )
    assert bad.exit_code == 1


def test_compare_json_and_document(tmp_path):
    text = BATTERY.read_text("utf-8").replace("sea_km: 19500", "sea_km: 25000")
    (tmp_path / "factors.csv").write_bytes((EXAMPLES / "factors.csv").read_bytes())
    variant = tmp_path / "cape.yaml"
    variant.write_text(text, "utf-8")
    result = json.loads(run("compare", BATTERY, variant, "--json").output)
    moved = result["drivers"][0]
    # only the sea leg changed: (25000 - 19500) km x shipped t x the waterborne factor
    assert (moved["process_id"], moved["factor_id"]) == (
        "pack_distribution",
        "us-epa.transport.waterborne-craft.tkm",
    )
    delta = result["b_total"] - result["a_total"]
    assert moved["activity_effect"] == pytest.approx(delta, rel=1e-9)
    assert moved["b_amount"] / moved["a_amount"] == pytest.approx(25000 / 19500)
    out = tmp_path / "compare.html"
    run("compare", BATTERY, variant, "--out", out, "--lang", "en")
    assert "What moved the difference" in out.read_text("utf-8")


def test_calc_xlsx(tmp_path):
    out = tmp_path / "battery.xlsx"
    run("calc", BATTERY, "--xlsx", out)
    book = load_workbook(io.BytesIO(out.read_bytes()))
    assert "inputs" in book.sheetnames and "monte_carlo" in book.sheetnames


def test_a_report_source_is_a_model_or_a_certificate():
    from pydantic import ValidationError

    from tanzuji.services.calculation import ModelInput
    from tanzuji.services.report import StudySource

    model = ModelInput(name="m.yaml", text="x")
    with pytest.raises(ValidationError, match="not both and not neither"):
        StudySource(model=model, certificate_id="GBA-CFL-2026-000001")
    with pytest.raises(ValidationError, match="not both and not neither"):
        StudySource()
    with pytest.raises(ValidationError, match="Monte Carlo applies to a model"):
        StudySource(certificate_id="GBA-CFL-2026-000001", monte_carlo_iterations=10)
