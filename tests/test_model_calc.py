"""Models end to end: hand arithmetic on small models, and clear errors with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tanzuji.errors import DanglingReference, FormulaError, InvalidAmount, ModelError, UnitMismatch
from tanzuji.factors.base import FactorData, FactorFlow
from tanzuji.footprint import calculate
from tanzuji.model.files import load_model, load_model_text

DATA = Path(__file__).parent / "data"


def test_widget_by_hand():
    fp = calculate(load_model(DATA / "widget.yaml"))
    # steel: 2 kg = 0.002 t; 1800 kg CO2/t * 0.002 = 3.6; 500 kWh/t * 0.002 * 0.5 = 0.5
    # assembly: 2 * 5 = 10 kWh * 0.5 = 5.0; 1 g CH4 fossil * 29.8 (AR6) = 0.0298
    assert fp.total_kg_co2e == pytest.approx(3.6 + 0.5 + 5.0 + 0.0298, rel=1e-12)
    assert fp.by_stage["raw_materials"] == pytest.approx(4.1, rel=1e-12)
    assert fp.by_stage["production"] == pytest.approx(5.0298, rel=1e-12)
    assert fp.gwp_set == "AR6"
    assert len(fp.inputs.model_sha256) == 64


def test_widget_ar5_changes_methane_only():
    fp = calculate(load_model(DATA / "widget.yaml"), gwp_set="AR5")
    # AR5 fossil methane 30 (GHG Protocol table): 0.001 kg * 30 = 0.03
    assert fp.total_kg_co2e == pytest.approx(9.1 + 0.03, rel=1e-12)


def _model(body: str) -> str:
    return (
        "product:\n  id: p\n  name: P\n  functional_unit: {unit: kg}\n"
        "  reference_flow: {process: a}\n" + body
    )


def test_dangling_reference_has_line():
    text = _model(
        "processes:\n"
        "  - id: a\n    name: A\n    life_cycle_stage: production\n"
        "    reference_product: {unit: kg}\n"
        "    inputs:\n      - {process: nowhere, amount: 1, unit: kg}\n"
    )
    with pytest.raises(DanglingReference, match=r"m.yaml:12 processes\[0\].inputs\[0\].process"):
        calculate(load_model_text(text, "m.yaml"))


def test_unit_mismatch_names_both_units():
    text = _model(
        "processes:\n"
        "  - id: a\n    name: A\n    life_cycle_stage: production\n"
        "    reference_product: {unit: kg}\n"
        "    emissions:\n      - {gas: CO2, amount: 1, unit: kWh}\n"
    )
    with pytest.raises(UnitMismatch, match=r"'kWh'.*'kg'"):
        calculate(load_model_text(text, "m.yaml"))


def test_zero_reference_amount_refused():
    text = _model(
        "processes:\n"
        "  - id: a\n    name: A\n    life_cycle_stage: production\n"
        "    reference_product: {unit: kg, amount: 0}\n"
    )
    with pytest.raises(InvalidAmount, match=r"reference_product.amount"):
        calculate(load_model_text(text, "m.yaml"))


def test_schema_error_lists_line():
    text = _model("processes:\n  - id: a\n    name: A\n    reference_product: {unit: kg}\n")
    with pytest.raises(ModelError, match=r"m.yaml:7 processes\[0\].life_cycle_stage"):
        load_model_text(text, "m.yaml")


def test_formula_never_evals():
    text = _model(
        "parameters:\n  x: \"__import__('os').system('true')\"\n"
        "processes:\n  - id: a\n    name: A\n    life_cycle_stage: production\n"
        "    reference_product: {unit: kg}\n"
    )
    with pytest.raises(FormulaError, match="not allowed"):
        calculate(load_model_text(text, "m.yaml"))


class _TwoVersions:
    """A factor source where 'grid@2025.1' is version 1 (0.5 kg/kWh) and 'grid' version 2 (0.6)."""

    def resolve(self, ref: str) -> FactorData:
        version, value, release = ("1", 0.5, "2025.1") if ref == "grid@2025.1" else ("2", 0.6, None)
        return FactorData(
            "grid",
            version,
            "kWh",
            (FactorFlow("CO2", "fossil", value),),
            name_en="Grid",
            source="test",
            release=release,
        )


def test_two_versions_of_one_factor_stay_apart():
    text = _model(
        "processes:\n"
        "  - id: a\n    name: A\n    life_cycle_stage: production\n"
        "    reference_product: {unit: kg}\n"
        "    inputs:\n"
        "      - {factor: grid@2025.1, amount: 10, unit: kWh}\n"
        "      - {factor: grid, amount: 1, unit: kWh}\n"
    )
    fp = calculate(load_model_text(text, "m.yaml"), factor_source=_TwoVersions())
    # 10 kWh * 0.5 (version 1) + 1 kWh * 0.6 (version 2) = 5.6
    assert fp.total_kg_co2e == pytest.approx(5.6, rel=1e-12)
    assert sorted((f.version, f.release) for f in fp.inputs.factors) == [
        ("1", "2025.1"),
        ("2", None),
    ]
