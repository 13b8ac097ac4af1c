"""The CFP study report (ISO 14067 clause 7): sections, numbers in the PDF text, reproducibility.

PDF rendering is slow (WeasyPrint lays out and subsets the CJK font): each example is rendered
once per module, in English and in the bilingual layout.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest
from markupsafe import escape

from tanzuji.factors.starter import StarterFactorSource
from tanzuji.footprint import calculate
from tanzuji.model.files import load_model
from tanzuji.pcr.checks import check_model
from tanzuji.report import documents, study

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NAMES = ("lfp_battery_pack", "pv_module", "cotton_tshirt")
#: The section headings of clause 7 the English report must carry (study.html.j2).
SECTIONS_EN = (
    "1 Goal and scope",
    "2 Functional or declared unit and reference flow",
    "3 System boundary",
    "4 Data sources",
    "5 Data quality",
    "6 Allocation",
    "7 Electricity",
    "8 Results",
    "9 Separately reported values",
    "10 Uncertainty and sensitivity",
    "11 Limitations",
    "12 PCR conformance",
    "13 Verification statement and certificate",
)
SECTIONS_ZH = (
    "目标与范围",
    "系统边界",
    "数据来源",
    "数据质量",
    "分配",
    "电力处理",
    "结果",
    "局限性",
)


def study_inputs(name: str) -> study.StudyInputs:
    loaded = load_model(EXAMPLES / f"{name}.yaml")
    footprint = calculate(loaded, factor_source=StarterFactorSource(), tree_cutoff=0.01)
    return study.StudyInputs(footprint, loaded.model, check_model(loaded, footprint))


@pytest.fixture(scope="module")
def inputs() -> dict[str, study.StudyInputs]:
    return {name: study_inputs(name) for name in NAMES}


@pytest.fixture(scope="module")
def pdf_text(inputs) -> dict[tuple[str, str], str]:
    """Text layer of each example's PDF: bilingual for the battery, English for the others."""
    out = {}
    for name in NAMES:
        lang = "both" if name == "lfp_battery_pack" else "en"
        pdf = documents.study_document(inputs[name], "pdf", lang)
        assert pdf.startswith(b"%PDF-")
        reader = pypdf.PdfReader(io.BytesIO(pdf))
        out[name] = "\n".join(page.extract_text() for page in reader.pages)
        if lang == "both":
            fonts = {
                str(font.get_object()["/BaseFont"])
                for page in reader.pages
                for font in page["/Resources"]["/Font"].values()
            }
            out["fonts"] = " ".join(sorted(fonts))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_every_section_is_present(inputs, name):
    html = documents.study_document(inputs[name], "html", "en").decode()
    for heading in SECTIONS_EN:
        assert f"<h2>{heading}" in html, heading
    footprint = inputs[name].footprint
    for factor in footprint.inputs.factors:  # each factor with its citation
        assert factor.id in html
        assert str(escape(factor.source)) in html
    for svg in ("System boundary", "Carbon footprint by life-cycle stage and gas", "Supply-chain"):
        assert svg in html
    zh = documents.study_document(inputs[name], "html", "zh").decode()
    for heading in SECTIONS_ZH:
        assert heading in zh


@pytest.mark.parametrize("name", NAMES)
def test_pdf_text_carries_the_results_numbers(inputs, pdf_text, name):
    """Total, each stage and each ISO 14067 7.2 line appear in the PDF text as printed (4
    significant digits) and read back to the result within that precision."""
    text = pdf_text[name]
    footprint = inputs[name].footprint
    values = [footprint.total_kg_co2e, *footprint.by_stage.values()]
    values += [v for v in footprint.iso14067.model_dump().values()]
    for value in values:
        printed = study.number(value)
        assert printed in text, (printed, value)
        assert float(printed) == pytest.approx(value, rel=5e-4, abs=0)
    total_line = re.search(r"Total\s+([0-9.e+-]+)\s+100\.0 %", text)  # the stage table
    assert total_line and float(total_line.group(1)) == pytest.approx(
        footprint.total_kg_co2e, rel=5e-4
    )


def test_bilingual_pdf_embeds_the_cjk_font(pdf_text):
    text = pdf_text["lfp_battery_pack"]
    assert "产品碳足迹研究报告" in text and "Carbon footprint of a product" in text
    assert "原材料获取" in text  # a stage name, from the template and the charts
    assert "+Noto-Sans-CJK-SC" in pdf_text["fonts"]  # an embedded subset (ABCDEF+name)


def test_html_is_byte_identical_across_runs(inputs):
    first = documents.study_document(inputs["cotton_tshirt"], "html", "both")
    again = documents.study_document(study_inputs("cotton_tshirt"), "html", "both")
    assert first == again
    # another process (fresh JavaScript runtime in vl-convert, fresh hash seeds)
    script = (
        "import sys, hashlib; sys.path.insert(0, sys.argv[1]);"
        "from test_report_study import study_inputs;"
        "from tanzuji.report import documents;"
        "print(hashlib.sha256(documents.study_document("
        "study_inputs('cotton_tshirt'), 'html', 'both')).hexdigest())"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        check=True,
    )
    import hashlib

    assert out.stdout.strip() == hashlib.sha256(first).hexdigest()


def test_report_without_certificate_says_so(inputs):
    html = documents.study_document(inputs["pv_module"], "html", "en").decode()
    assert "has not been verified by a third party" in html


def test_unknown_format_and_language_are_clear_errors(inputs):
    from tanzuji.errors import ReportError

    with pytest.raises(ReportError, match="unknown report format 'docx'"):
        documents.study_document(inputs["pv_module"], "docx", "en")
    with pytest.raises(ReportError, match="unknown report language 'fr'"):
        documents.study_document(inputs["pv_module"], "html", "fr")


def test_electricity_section_shows_both_results_from_the_footprint():
    # test_electricity_market.MODEL by hand: location 2000 x 0.5366 = 1073.2; market
    # 1000 x 0.04 (the retired GEC) + 1000 x 0.58 (residual mix) = 620; the I-REC is not
    # retired and counts nothing.
    from tanzuji.model.files import load_model_text
    from test_electricity_market import MODEL

    loaded = load_model_text(
        MODEL.replace("RESIDUAL", "          residual_mix: residual"), "e.yaml"
    )
    footprint = calculate(loaded)
    content = study.study_content(study.StudyInputs(footprint, loaded.model), "en")
    section = content["electricity"]
    assert (section["reported"], section["location"], section["market"]) == (
        "market",
        "1073",
        "620",
    )
    (row,) = section["inputs"]
    assert (row["amount"], row["covered"], row["residual"]) == ("2000 kWh", "1000 kWh", "1000 kWh")
    gec, irec = section["instruments"]
    assert (gec["serials"], gec["counted"], gec["status"]) == (
        "GEC-2024-100–GEC-2024-100",
        "1000 kWh",
        "counted",
    )
    assert irec["status"].startswith("not counted: the certificates are not retired")
    html = documents.study_document(study.StudyInputs(footprint, loaded.model), "html", "en")
    text = html.decode("utf-8")
    assert "Location-based (grid averages)" in text and "620 kg CO2e" in text


def test_without_market_data_the_electricity_section_says_so(inputs):
    # the examples name grid factors only: no market block, so no market-based result
    content = study.study_content(inputs["pv_module"], "en")
    assert content["electricity"] is None
    html = documents.study_document(inputs["pv_module"], "html", "en").decode("utf-8")
    assert "declares no market data (contractual instruments)" in html


def test_credits_and_sales_unit_are_reported_apart():
    # examples/pet_bottle.yaml: credits are listed apart and the stage table holds the
    # burdens; the per-sales-unit line is the footprint x functional units in a case
    loaded = load_model(EXAMPLES / "pet_bottle.yaml")
    footprint = calculate(loaded, factor_source=StarterFactorSource())
    assert footprint.credits is not None and footprint.per_sales_unit is not None
    content = study.study_content(study.StudyInputs(footprint, loaded.model), "en")
    assert content["credits"]["burdens"] == study.number(footprint.credits.burdens_kg_co2e)
    assert len(content["credits"]["entries"]) == len(footprint.credits.items)
    assert [u["kg_co2e"] for u in content["per_unit"]] == [
        study.number(footprint.per_sales_unit.total_kg_co2e)
    ]
    html = documents.study_document(study.StudyInputs(footprint, loaded.model), "html", "en")
    assert b"Credits (reported apart)" in html and b"Burdens (without credits)" in html


def test_chinese_report_names_kinds_methods_and_boundary_in_chinese(inputs):
    """What the zh pictures showed in English (docs/reports.md "Looking at the pictures")."""
    loaded = load_model(EXAMPLES / "pet_bottle.yaml")
    footprint = calculate(loaded, factor_source=StarterFactorSource())
    zh = study.study_content(study.StudyInputs(footprint, loaded.model), "zh")
    assert {e["kind"] for e in zh["credits"]["entries"]} == {"避免产品", "回收抵扣（CFF）"}
    shirt = study.study_content(inputs["cotton_tshirt"], "zh")
    assert [a["method"] for a in shirt["allocation"]] == ["经济价值分配"]
    html = documents.study_document(inputs["lfp_battery_pack"], "html", "zh").decode()
    assert "声明的边界：从摇篮到坟墓 (cradle-to-grave)" in html


def test_monte_carlo_of_a_result_with_credits_is_read_against_the_burdens():
    # examples/pet_bottle.yaml writes no uncertainty: every run gives the burdens (the runs
    # sample the burdens, docs/model.md), 4.486, not the declared 3.573 with credits.
    from tanzuji.engine.montecarlo import MonteCarlo
    from tanzuji.engine.sensitivity import summarize
    from tanzuji.model.compile import compile_model
    from tanzuji.report import charts

    loaded = load_model(EXAMPLES / "pet_bottle.yaml")
    source = StarterFactorSource()
    footprint = calculate(loaded, factor_source=source, tree_cutoff=0.01)
    runs = MonteCarlo(compile_model(loaded, source).system, footprint.gwp_set).run(20, 1)
    footprint.uncertainty = summarize(runs)
    burdens = footprint.credits.burdens_kg_co2e
    assert charts.burdens(footprint) == burdens
    assert runs.scores == pytest.approx([burdens] * 20, rel=1e-9)
    drawn = {c.name: c for c in charts.footprint_charts(footprint, "en", scores=runs.scores)}
    marks = drawn["montecarlo_histogram"].tables[1].rows
    assert [m["label"] for m in marks][-1] == "deterministic (without credits)"
    assert marks[-1]["kg_co2e"] == burdens
    # the Sankey's reference product carries 100 % of the burdens, not 126 % of the net value
    root = max(drawn["sankey"].tables[0].rows, key=lambda row: row["value"])
    inputs = study.StudyInputs(footprint, loaded.model, None, None, runs.scores)
    html = documents.study_document(inputs, "html", "en").decode()
    assert "The Monte Carlo runs sample the burdens without credits (4.486 kg CO2e)" in html
    assert "No input of the model carries an uncertainty" in html
    assert "(100 %)" in html and root["value"] == pytest.approx(burdens, rel=1e-9)
