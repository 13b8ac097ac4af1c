"""A bill of materials becomes a model naming the chosen factors, the choice recorded."""

from __future__ import annotations

import pytest
import yaml

from tanzuji.context import Context
from tanzuji.errors import ModelError, UnknownFactor
from tanzuji.model.bom import BomProduct, BomRow, Choice, lines_of_xlsx, model_of_bom
from tanzuji.services import modelling
from tanzuji.settings import Settings

CSG_2023 = "cn-mee.electricity.2023.cn-csg.avg"
PET = "desnz2023.material-use.plastic.plastics-pet-incl-forming.primary-material-production.t"
PRODUCT = BomProduct(id="bottle-x", name_zh="瓶", name_en="Bottle", pcr="vehicle-parts-catenax")


def builtin_context() -> Context:
    """No database: the built-in starter factors (what a fresh installation has)."""
    return Context.from_settings(Settings.defaults().replace(factor_release="builtin"))


def test_rows_become_a_chain_of_stage_processes_with_the_choice_recorded():
    rows = [
        BomRow(stage="production", text="外购电力 广东", amount=3, unit="kWh", primary=True,
               factor_id=CSG_2023, suggested_id=CSG_2023, confidence=0.83),
        BomRow(stage="raw_materials", text="PET", amount=0.2, unit="kg", factor_id=PET,
               suggested_id="some.other.factor", confidence=0.4),
    ]  # fmt: skip
    assert [r.choice for r in rows] == [Choice.accepted, Choice.overridden]
    model = model_of_bom(PRODUCT, rows)
    production, raw = model["processes"]
    assert model["product"]["reference_flow"]["process"] == "stage_production"
    assert production["inputs"][0] == {
        "process": "stage_raw_materials",
        "amount": 1,
        "unit": "piece",
    }
    assert production["inputs"][1] == {
        "factor": CSG_2023,
        "amount": 3,
        "unit": "kWh",
        "primary": True,
        "comment": f"BOM: '外购电力 广东'; suggestion {CSG_2023} accepted (confidence 0.83)",
    }
    assert raw["inputs"][0]["comment"] == (
        f"BOM: 'PET'; suggestion some.other.factor (confidence 0.40) overridden by {PET}"
    )


def test_bom_model_footprint_is_the_hand_sum_of_its_rows():
    rows = [
        BomRow(stage="production", text="electricity", amount=3, unit="kWh", factor_id=CSG_2023),
        BomRow(stage="raw_materials", text="PET", amount=0.2, unit="kg", factor_id=PET),
    ]
    built = modelling.model_from_bom(
        builtin_context(), modelling.BomRequest(product=PRODUCT, rows=rows)
    )
    # MEE/NBS 2023 Southern grid average 0.4042 kg CO2/kWh (starter data, cn-mee); DESNZ 2023
    # PET primary production 4018.4834 kg CO2e/t (starter data, desnz2023): per kg / 1000.
    production = 3 * 0.4042
    raw_materials = 0.2 * 4018.4834060710423 / 1000
    assert built.footprint.by_stage == pytest.approx(
        {"production": production, "raw_materials": raw_materials}, rel=1e-9
    )
    assert built.footprint.total_kg_co2e == pytest.approx(production + raw_materials, rel=1e-9)
    assert yaml.safe_load(built.model.text)["product"]["pcr"] == "vehicle-parts-catenax"


def test_unknown_chosen_factor_is_refused_naming_it():
    rows = [BomRow(stage="production", text="x", amount=1, unit="kWh", factor_id="no.such.factor")]
    with pytest.raises(UnknownFactor, match=r"no\.such\.factor"):
        modelling.model_from_bom(
            builtin_context(), modelling.BomRequest(product=PRODUCT, rows=rows)
        )


def test_bad_rows_are_refused_with_the_field():
    with pytest.raises(ValueError, match="stage 'assembly' is not a life-cycle stage"):
        BomRow(stage="assembly", text="x", amount=1, unit="kg", factor_id="f")
    with pytest.raises(ValueError, match="greater than 0"):
        BomRow(stage="use", text="x", amount=0, unit="kg", factor_id="f")


def test_suggestions_rank_factors_with_confidence():
    found = modelling.suggest_factors(
        builtin_context(),
        modelling.SuggestRequest(
            lines=[
                modelling.BomLine(text="外购电力 广东", amount=3, unit="kWh", geography="CN-GD")
            ],
            limit=3,
        ),
    )
    (row,) = found
    assert row.row == 0 and len(row.candidates) == 3
    confidences = [c.confidence for c in row.candidates]
    assert confidences == sorted(confidences, reverse=True)
    assert (
        row.candidates[0].id.startswith("cn-mee.electricity.") and "cn-gd" in row.candidates[0].id
    )
    assert row.candidates[0].gases_kg_per_unit["CO2"] > 0


def _workbook(rows: list[list[object]]) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_bill_of_materials_reads_chinese_and_english_headers():
    content = _workbook(
        [
            ["阶段", "物料", "数量", "单位", "地区", "factor_id"],
            ["生产", "外购电力", 3, "kWh", "CN-GD", None],
            [None, None, None, None, None, None],
            ["raw_materials", "PET", "0.2", "kg", None, PET],
        ]
    )
    assert lines_of_xlsx(content, "bom.xlsx") == [
        {"stage": "production", "text": "外购电力", "amount": 3.0, "unit": "kWh",
         "geography": "CN-GD", "year": None, "factor_id": None, "primary": False},
        {"stage": "raw_materials", "text": "PET", "amount": 0.2, "unit": "kg",
         "geography": None, "year": None, "factor_id": PET, "primary": False},
    ]  # fmt: skip


def test_xlsx_errors_name_the_sheet_row_and_column():
    bad_amount = _workbook([["stage", "text", "amount", "unit"], ["use", "washing", "many", "kWh"]])
    with pytest.raises(ModelError, match=r"bom.xlsx sheet 'Sheet' row 2 column amount: 'many'"):
        lines_of_xlsx(bad_amount, "bom.xlsx")
    no_unit = _workbook([["stage", "text", "amount"], ["use", "washing", 1]])
    with pytest.raises(ModelError, match=r"row 1: no column unit"):
        lines_of_xlsx(no_unit, "bom.xlsx")
    with pytest.raises(ModelError, match=r"not an .xlsx workbook"):
        lines_of_xlsx(b"stage,text\n", "bom.xlsx")
