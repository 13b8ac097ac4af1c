"""Bad model input gets a clear error naming the file, the line and the path of the value.

Each test writes a small model whose line numbers can be counted in the test text; the
expected ``m.yaml:LINE path`` is that count.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tanzuji.errors import (
    AllocationError,
    DanglingReference,
    DuplicateId,
    FactorFileError,
    FormulaError,
    InvalidAmount,
    ModelError,
    ModelFileError,
    UnitMismatch,
    UnknownFactor,
    UnknownGas,
)
from tanzuji.footprint import calculate
from tanzuji.model.files import load_model, load_model_text

# Lines 1-5: the product. Line 6 onwards: what each test appends.
HEAD = (
    "product:\n"  # 1
    "  id: p\n"  # 2
    "  name: {zh: 产品, en: P}\n"  # 3
    "  functional_unit: {unit: kg}\n"  # 4
    "  reference_flow: {process: a, amount: REF}\n"  # 5
)
# A process "a" on lines N..N+3 when placed right after "processes:".
PROCESS_A = (
    "  - id: a\n"
    "    name: {zh: 甲, en: A}\n"
    "    life_cycle_stage: production\n"
    "    reference_product: {amount: AMOUNT, unit: kg}\n"
)
GRID = (
    "factors:\n"
    "  - {id: grid, name: {zh: 电网, en: Grid}, unit: kWh, gases: [{gas: CO2, amount: 0.5}],\n"
    "     source: 'MEE 2022 national average, 0.5366 rounded for the test'}\n"
)


def model(body: str = "", *, ref: str = "1", amount: str = "1", before: str = "") -> str:
    """HEAD (lines 1-5), ``before`` (e.g. parameters), 'processes:', process a, ``body``."""
    return (
        HEAD.replace("REF", ref)
        + before
        + "processes:\n"
        + PROCESS_A.replace("AMOUNT", amount)
        + body
    )


def run(text: str):
    return calculate(load_model_text(text, "m.yaml"))


# --- syntax ------------------------------------------------------------------------------
def test_bad_yaml_syntax_names_the_line():
    with pytest.raises(ModelFileError, match=r"^m\.yaml:3 is not valid YAML/JSON: expected ','"):
        run("product: [\n  id: x\n")


def test_duplicate_key_names_both_key_and_line():
    text = HEAD.replace("  id: p\n", "  id: p\n  id: q\n").replace("REF", "1")
    with pytest.raises(ModelFileError, match=r"^m\.yaml:3 key 'id' appears twice in product"):
        run(text + "processes:\n" + PROCESS_A.replace("AMOUNT", "1"))


def test_duplicate_key_in_json_is_caught_too():
    text = '{"product": {"id": "p",\n "id": "q"}}'
    with pytest.raises(ModelFileError, match=r"^m\.yaml:2 key 'id' appears twice"):
        run(text)


def test_empty_file_says_what_is_expected():
    with pytest.raises(ModelFileError, match=r"m\.yaml is empty; expected a product model"):
        run("")


def test_missing_model_file(tmp_path: Path):
    with pytest.raises(ModelFileError, match=r"cannot read model file .*nothing\.yaml"):
        load_model(tmp_path / "nothing.yaml")


# --- structure ---------------------------------------------------------------------------
def test_duplicate_process_ids():
    # the second "a" starts on line 11 (processes: is line 6, the first a is lines 7-10)
    text = model(PROCESS_A.replace("AMOUNT", "1"))
    with pytest.raises(DuplicateId, match=r"^m\.yaml:11 processes\[1\]\.id: .*'a' is used twice"):
        run(text)


def test_dangling_process_reference():
    text = model("    inputs:\n      - {process: nowhere, amount: 1, unit: kg}\n")
    with pytest.raises(
        DanglingReference,
        match=r"^m\.yaml:12 processes\[0\]\.inputs\[0\]\.process: .*'nowhere'"
        r".*defined processes: a",
    ):
        run(text)


def test_dangling_reference_flow():
    text = model().replace("process: a, amount", "process: b, amount")
    with pytest.raises(
        DanglingReference, match=r"^m\.yaml:5 product\.reference_flow\.process: .*'b'"
    ):
        run(text)


def test_unknown_field_is_named():
    text = model("    colour: red\n")
    with pytest.raises(ModelError, match=r"m\.yaml:11 processes\[0\]\.colour: Extra inputs"):
        run(text)


# --- amounts and units -------------------------------------------------------------------
def test_zero_reference_product_amount():
    with pytest.raises(
        InvalidAmount,
        match=r"^m\.yaml:10 processes\[0\]\.reference_product\.amount: product amount is 0",
    ):
        run(model(amount="0"))


def test_negative_reference_flow_amount():
    with pytest.raises(
        InvalidAmount, match=r"^m\.yaml:5 product\.reference_flow\.amount: .* is -2; it must be > 0"
    ):
        run(model(ref="-2"))


def test_unit_mismatch_names_both_units_and_the_exchange():
    text = model("    inputs:\n      - {factor: grid, amount: 1, unit: km}\n" + GRID)
    with pytest.raises(
        UnitMismatch, match=r"^m\.yaml:12 processes\[0\]\.inputs\[0\]: cannot convert 'km'.*'kWh'"
    ):
        run(text)


def test_negative_fossil_emission_is_refused():
    text = model("    emissions:\n      - {gas: CO2, amount: -1, origin: fossil}\n")
    with pytest.raises(
        InvalidAmount,
        match=r"^m\.yaml:12 processes\[0\]\.emissions\[0\]\.amount: emission of CO2 \(fossil\) "
        r"is negative",
    ):
        run(text)


def test_negative_biogenic_co2_is_a_removal_not_an_error():
    text = model("    emissions:\n      - {gas: CO2, amount: -1, origin: biogenic}\n")
    fp = run(text)
    assert fp.iso14067.biogenic_ghg_removals == -1.0  # 1 kg CO2 x GWP 1


def test_negative_input_is_an_avoided_product_not_an_error():
    # -3 kWh is 3 kWh of grid electricity avoided: a credit of 3 x 0.5 = 1.5 kg CO2e reported
    # on its own line and, under the default rules, kept out of the total (docs/model.md).
    text = model("    inputs:\n      - {factor: grid, amount: -3, unit: kWh}\n" + GRID)
    fp = run(text)
    assert fp.total_kg_co2e == 0.0
    assert fp.credits is not None
    assert fp.credits.items[0].location.startswith("m.yaml:12 processes[0].inputs[0]")
    assert fp.credits.items[0].kg_co2e == pytest.approx(-1.5, rel=1e-12)


def test_negative_avoided_amount_is_refused():
    text = model("    avoided:\n      - {factor: grid, amount: -3, unit: kWh}\n" + GRID)
    with pytest.raises(InvalidAmount, match=r"^m\.yaml:12 processes\[0\]\.avoided\[0\]\.amount"):
        run(text)


# --- factors and gases -------------------------------------------------------------------
def test_unknown_factor():
    text = model("    inputs:\n      - {factor: nope, amount: 1, unit: kWh}\n" + GRID)
    with pytest.raises(
        UnknownFactor,
        match=r"^m\.yaml:12 processes\[0\]\.inputs\[0\]\.factor: unknown factor 'nope'"
        r".*factor_files",
    ):
        run(text)


def test_unknown_gas_in_an_emission():
    text = model("    emissions:\n      - {gas: XYZ, amount: 1}\n")
    with pytest.raises(
        UnknownGas, match=r"^m\.yaml:12 processes\[0\]\.emissions\[0\]\.gas: unknown greenhouse gas"
    ):
        run(text)


def test_unknown_gas_in_an_inline_factor():
    text = model("    inputs:\n      - {factor: grid, amount: 1, unit: kWh}\n" + GRID).replace(
        "gas: CO2", "gas: FOO"
    )
    with pytest.raises(UnknownGas, match=r"^m\.yaml:14 factors\[0\]: unknown greenhouse gas 'FOO'"):
        run(text)


def test_inline_factor_without_source():
    text = model("    inputs:\n      - {factor: grid, amount: 1, unit: kWh}\n" + GRID).replace(
        "source: 'MEE 2022 national average, 0.5366 rounded for the test'", "source: ''"
    )
    with pytest.raises(ModelError, match=r"m\.yaml:15 factors\[0\]\.source: String should have"):
        run(text)


def test_factor_csv_errors_name_file_row_and_column(tmp_path: Path):
    (tmp_path / "f.csv").write_text(
        "id,name_en,name_zh,unit,gas,origin,amount_kg,source\n"
        "grid,Grid,电网,kWh,CO2,fossil,0.5366,MEE 2022\n"
        "grid,Grid,电网,kWh,BAD,fossil,0.1,MEE 2022\n"
        "heat,Heat,热,MJ,CO2,fossil,lots,IPCC 2006\n",
        encoding="utf-8",
    )
    (tmp_path / "m.yaml").write_text(model(before="factor_files: [f.csv]\n"), encoding="utf-8")
    with pytest.raises(FactorFileError) as caught:
        calculate(load_model(tmp_path / "m.yaml"))
    message = str(caught.value)
    assert "f.csv:3 unknown greenhouse gas 'BAD'" in message
    assert "f.csv:4 column 'amount_kg' is 'lots'; expected a number" in message
    assert "m.yaml:6 factor_files[0]" in message


def test_missing_factor_csv(tmp_path: Path):
    (tmp_path / "m.yaml").write_text(model(before="factor_files: [gone.csv]\n"), encoding="utf-8")
    with pytest.raises(
        FactorFileError, match=r"m\.yaml:6 factor_files\[0\]: cannot read factor file"
    ):
        calculate(load_model(tmp_path / "m.yaml"))


# --- formulas ----------------------------------------------------------------------------
def test_parameters_in_a_cycle():
    before = 'parameters:\n  x: "y * 2"\n  y: "x + 1"\n'  # lines 6-8
    with pytest.raises(
        FormulaError,
        match=r"^m\.yaml:7 parameters\.x: parameters refer to each other in a cycle: "
        r"x -> y -> x",
    ):
        run(model(amount="x", before=before))


def test_formula_with_unknown_parameter():
    with pytest.raises(
        FormulaError,
        match=r"^m\.yaml:10 processes\[0\]\.reference_product\.amount: formula 'nope \* 2' refers "
        r"to unknown parameter 'nope'",
    ):
        run(model(amount='"nope * 2"'))


def test_formula_never_reaches_python():
    with pytest.raises(FormulaError, match=r"uses Call, which is not allowed"):
        run(model(amount="\"__import__('os').system('true')\""))


def test_formula_dividing_by_zero():
    before = "parameters:\n  capacity_kwh: 0\n"
    with pytest.raises(
        FormulaError, match=r"^m\.yaml:5 product\.reference_flow\.amount: .*divides"
    ):
        run(model(ref='"1 / capacity_kwh"', before=before))


# --- co-products and allocation ----------------------------------------------------------
def test_co_products_without_allocation():
    text = model("    co_products:\n      - {id: b, amount: 1, unit: kg}\n")
    with pytest.raises(ModelError, match=r"m\.yaml:7 processes\[0\]: .*needs 'allocation'"):
        run(text)


def test_shares_not_summing_to_one():
    text = model(
        "    co_products:\n      - {id: b, amount: 1, unit: kg, share: 0.2}\n"
        "    allocation: shares\n"
    ).replace("{amount: 1, unit: kg}", "{amount: 1, unit: kg, share: 0.7}")
    with pytest.raises(
        AllocationError,
        match=r"^m\.yaml:13 processes\[0\]\.allocation: allocation shares \[0\.7, 0\.2\] sum to "
        r"0\.9; they must sum to 1",
    ):
        run(text)


def test_mass_allocation_needs_a_mass():
    text = model(
        "    co_products:\n      - {id: b, amount: 3, unit: piece}\n    allocation: mass\n"
    )
    with pytest.raises(
        InvalidAmount,
        match=r"^m\.yaml:12 processes\[0\]\.co_products\[0\]: allocation by mass needs 'mass_kg'",
    ):
        run(text)
