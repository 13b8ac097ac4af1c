"""``share`` of a product and ``biogenic_carbon_content_kg`` may be formulas (docs/model.md:
"any amount may be a formula"), with errors naming file:line as for other amounts (issue 8).
"""

from __future__ import annotations

import pytest

from tanzuji.errors import FormulaError, InvalidAmount
from tanzuji.footprint import calculate
from tanzuji.model.files import load_model_text

# Line numbers: product 1-6 (biogenic carbon on line 6), parameters 7-9, processes 10,
# reference_product of ginning on line 14, its co-product on line 16.
MODEL = """\
product:
  id: lint
  name: {{en: Cotton lint, zh: 皮棉}}
  functional_unit: {{unit: kg}}
  reference_flow: {{process: ginning}}
  biogenic_carbon_content_kg: {carbon}
parameters:
  lint_share: 0.8
  carbon_fraction: 0.42
processes:
  - id: ginning
    name: {{en: Ginning, zh: 轧花}}
    life_cycle_stage: production
    reference_product: {{amount: 1, unit: kg, share: {share}}}
    co_products:
      - {{id: seed, amount: 1, unit: kg, share: {seed_share}}}
    allocation: shares
    emissions:
      - {{gas: CO2, amount: 10}}
"""


def run(share='"lint_share"', seed_share='"1 - lint_share"', carbon='"carbon_fraction * 1"'):
    text = MODEL.format(share=share, seed_share=seed_share, carbon=carbon)
    return calculate(load_model_text(text, "m.yaml"))


def test_shares_and_biogenic_carbon_as_formulas():
    # 10 kg CO2 split 0.8 / (1 - 0.8) = 0.2: lint carries 0.8 * 10 = 8 kg CO2e.
    # Biogenic carbon: 0.42 * 1 = 0.42 kg C per kg lint.
    fp = run()
    assert fp.total_kg_co2e == pytest.approx(8.0, rel=1e-12)
    assert fp.biogenic_carbon_content_kg == pytest.approx(0.42, rel=1e-12)


def test_numbers_still_work_and_give_the_same_result():
    fp = run(share="0.8", seed_share="0.2", carbon="0.42")
    assert fp.total_kg_co2e == pytest.approx(8.0, rel=1e-12)
    assert fp.biogenic_carbon_content_kg == 0.42


def test_share_formula_out_of_range_names_the_line():
    with pytest.raises(
        InvalidAmount,
        match=r"^m\.yaml:14 processes\[0\]\.reference_product\.share: share is 1\.6 "
        r"\('2 \* lint_share'\); it must be between 0 and 1",
    ):
        run(share='"2 * lint_share"')


def test_share_formula_with_unknown_parameter_names_the_line():
    with pytest.raises(
        FormulaError,
        match=r"^m\.yaml:16 processes\[0\]\.co_products\[0\]\.share: .*unknown parameter "
        r"'seed_fraction'",
    ):
        run(seed_share='"seed_fraction"')


def test_negative_biogenic_carbon_names_the_line():
    with pytest.raises(
        InvalidAmount,
        match=r"^m\.yaml:6 product\.biogenic_carbon_content_kg: biogenic_carbon_content_kg is "
        r"-0\.42 .*it must be >= 0",
    ):
        run(carbon='"-carbon_fraction"')


def test_biogenic_carbon_absent_stays_absent():
    text = MODEL.format(share="0.8", seed_share="0.2", carbon="0").replace(
        "  biogenic_carbon_content_kg: 0\n", ""
    )
    fp = calculate(load_model_text(text, "m.yaml"))
    assert fp.biogenic_carbon_content_kg is None
    assert "biogenic_carbon_content_kg" not in fp.to_json()
