"""The battery carbon-footprint declaration (Regulation (EU) 2023/1542 Art. 7) and its schema."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pypdf
import pytest

from tanzuji.errors import DeclarationError
from tanzuji.factors.starter import StarterFactorSource
from tanzuji.footprint import calculate
from tanzuji.model.files import load_model
from tanzuji.report import declaration
from tanzuji.report.study import number

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DETAILS = EXAMPLES / "declarations" / "lfp_battery_pack.yaml"


@pytest.fixture(scope="module")
def battery():
    loaded = load_model(EXAMPLES / "lfp_battery_pack.yaml")
    return calculate(loaded, factor_source=StarterFactorSource())


@pytest.fixture(scope="module")
def declared(battery):
    return declaration.declare(battery, declaration.load_details(DETAILS))


def test_json_validates_against_the_shipped_schema(battery, declared):
    document = json.loads(declaration.to_json(declared))
    # validated here with jsonschema directly, independent of to_json's own check
    schema = json.loads(declaration.SCHEMA_FILE.read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(
        document
    )
    values = document["carbon_footprint"]
    assert values["total_kg_co2e_per_kwh"] == battery.total_kg_co2e
    stages = values["by_life_cycle_stage_kg_co2e_per_kwh"]
    assert set(stages) == set(declaration.ANNEX_II_STAGES.values())  # Annex II point 4
    assert sum(stages.values()) == pytest.approx(battery.total_kg_co2e, rel=1e-12)
    assert stages["main_product_production"] == battery.by_stage["production"]
    # Art. 7(1) a, b, c, f, g
    for key in (
        "manufacturer",
        "battery_model",
        "manufacturing_plant",
        "eu_declaration_of_conformity_id",
        "public_study_url",
    ):
        assert document[key]
    assert document["calculation"]["model_sha256"] == battery.inputs.model_sha256


def test_schema_refuses_an_incomplete_declaration(declared):
    document = json.loads(declaration.to_json(declared))
    del document["carbon_footprint"]["by_life_cycle_stage_kg_co2e_per_kwh"]["distribution"]
    with pytest.raises(DeclarationError, match="carbon_footprint/by_life_cycle_stage"):
        declaration.validate_json(document)
    document = json.loads(declaration.to_json(declared))
    document["public_study_url"] = "not a link"
    with pytest.raises(DeclarationError, match="public_study_url"):
        declaration.validate_json(document)


def test_only_a_per_kwh_result_without_use_stage_can_be_declared(battery):
    details = declaration.load_details(DETAILS)
    tshirt = calculate(
        load_model(EXAMPLES / "cotton_tshirt.yaml"), factor_source=StarterFactorSource()
    )
    with pytest.raises(DeclarationError, match="per 1 piece"):
        declaration.declare(tshirt, details)
    with_use = battery.model_copy(
        update={
            "by_stage": {**battery.by_stage, "use": 0.01},
            "total_kg_co2e": battery.total_kg_co2e + 0.01,
        }
    )
    with pytest.raises(DeclarationError, match="use stage is excluded"):
        declaration.declare(with_use, details)


def test_details_file_errors_name_the_field(tmp_path):
    bad = tmp_path / "details.yaml"
    bad.write_text(DETAILS.read_text("utf-8").replace("country: CN", "country: China"), "utf-8")
    with pytest.raises(DeclarationError, match="country"):
        declaration.load_details(bad)


def test_pdf_carries_the_declared_values(declared):
    pdf = declaration.to_pdf(declared, "both")
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "电池碳足迹声明" in text and "Battery carbon footprint declaration" in text
    assert number(declared.carbon_footprint.total_kg_co2e_per_kwh) in text
    for value in declared.carbon_footprint.by_life_cycle_stage_kg_co2e_per_kwh.values():
        assert number(value) in text
    assert declared.eu_declaration_of_conformity_id in text
    # the method note in both languages (the JSON keeps the English one)
    assert "尚未采用" in text and "is not yet applied" in text


def declaration_pdf(lang: str) -> bytes:
    loaded = load_model(EXAMPLES / "lfp_battery_pack.yaml")
    footprint = calculate(loaded, factor_source=StarterFactorSource())
    return declaration.to_pdf(
        declaration.declare(footprint, declaration.load_details(DETAILS)), lang
    )


def test_pdf_bytes_are_reproducible(declared):
    """No clock in the PDF (no /CreationDate, /ModDate or /ID; WeasyPrint writes them only when
    asked), so the same inputs and versions give the same bytes, in another process too."""
    pdf = declaration.to_pdf(declared, "zh")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert "/ID" not in reader.trailer
    assert not {"/CreationDate", "/ModDate"} & set(reader.metadata)
    script = (
        "import sys, hashlib; sys.path.insert(0, sys.argv[1]);"
        "from test_report_declaration import declaration_pdf;"
        "print(hashlib.sha256(declaration_pdf('zh')).hexdigest())"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == hashlib.sha256(pdf).hexdigest()
