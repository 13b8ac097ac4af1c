"""Parameter sets (scenarios, sweeps) and results per declared unit and per sales unit.

Hand case: a PET bottle of 25 g made from rPET (share ``rpet_share``, 1.2 kg CO2e/kg, test
value) and virgin PET (3.0 kg CO2e/kg, test value); the functional unit is 1 piece (one bottle)
and the PCR declares per 1 kg of bottles.
"""

from __future__ import annotations

import pytest

from tanzuji.errors import ModelError
from tanzuji.footprint import calculate, sweep
from tanzuji.model.files import load_model_text
from tanzuji.model.rules import CalculationRules
from tanzuji.model.scenarios import parse_sweep, scenario

TOL = 1e-12
MODEL = """
product:
  id: bottle
  name: {zh: 饮料瓶, en: Drink bottle}
  functional_unit: {unit: piece}
  reference_flow: {process: blowing}
  mass_per_unit_kg: 0.025
  sales_unit: {name: {zh: 一箱（24 瓶）, en: one case of 24}, unit: case, functional_units: 24}
parameters:
  rpet_share: 0.25
  bottle_kg: 0.025
scenarios:
  all_virgin: {rpet_share: 0}
  half: {rpet_share: "2 * 0.25"}
processes:
  - id: blowing
    name: blowing
    life_cycle_stage: production
    reference_product: {unit: piece}
    inputs:
      - {factor: rpet, amount: "bottle_kg * rpet_share", unit: kg}
      - {factor: pet, amount: "bottle_kg * (1 - rpet_share)", unit: kg}
factors:
  - {id: rpet, name: rPET, unit: kg, gases: [{gas: CO2, amount: 1.2}], source: test value}
  - {id: pet, name: PET, unit: kg, gases: [{gas: CO2, amount: 3.0}], source: test value}
"""


def per_bottle(share: float) -> float:
    return 0.025 * (share * 1.2 + (1 - share) * 3.0)


def loaded():
    return load_model_text(MODEL, "bottle.yaml")


def test_baseline_names_its_parameter_set():
    footprint = calculate(loaded())
    # 0.025 x (0.25 x 1.2 + 0.75 x 3.0) = 0.025 x 2.55 = 0.06375
    assert footprint.total_kg_co2e == pytest.approx(0.06375, rel=TOL)
    assert footprint.inputs.parameter_set == "baseline"


@pytest.mark.parametrize(("name", "share"), [("all_virgin", 0.0), ("half", 0.5)])
def test_scenarios(name, share):
    footprint = calculate(loaded(), parameter_set=scenario(loaded().model, name))
    assert footprint.total_kg_co2e == pytest.approx(per_bottle(share), rel=TOL)
    assert footprint.inputs.parameter_set == name
    assert footprint.inputs.parameters["rpet_share"] == share


def test_unknown_scenario_and_unknown_parameter():
    with pytest.raises(ModelError, match="no scenario 'x'; defined scenarios: all_virgin, half"):
        scenario(loaded().model, "x")
    bad = MODEL.replace("all_virgin: {rpet_share: 0}", "all_virgin: {rpet: 0}")
    with pytest.raises(ModelError, match=r"scenario 'all_virgin' sets parameter\(s\) rpet"):
        scenario(load_model_text(bad, "b.yaml").model, "all_virgin")


def test_sweep_table():
    spec = parse_sweep("rpet_share=0:1:0.1")
    assert spec.values == (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    table = sweep(loaded(), spec.parameter, spec.values)
    assert [row.value for row in table.rows] == list(spec.values)
    for row in table.rows:
        assert row.total_kg_co2e == pytest.approx(per_bottle(row.value), rel=TOL)
        assert row.parameter_set == f"baseline, rpet_share={row.value:g}"
    # over a scenario: the other parameters come from it
    over = sweep(loaded(), "bottle_kg", (0.05,), base=scenario(loaded().model, "half"))
    assert over.rows[0].total_kg_co2e == pytest.approx(0.05 * (0.5 * 1.2 + 0.5 * 3.0), rel=TOL)
    assert over.rows[0].parameter_set == "half, bottle_kg=0.05"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rpet_share", "is not understood"),
        ("rpet_share=1:0:0.1", "STOP >= START"),
        ("rpet_share=0:1:0", "step must be > 0"),
        ("rpet_share=0:1e9:1", "at most 10000"),
        ("rpet_share=a,b", "is not understood"),
        ("rpet_share=0:1", "a range has 3 parts START:STOP:STEP, found 2"),
        ("rpet_share=0:1:0.1:5", "a range has 3 parts START:STOP:STEP, found 4"),
    ],
)
def test_bad_sweeps(text, message):
    with pytest.raises(ModelError, match=message):
        parse_sweep(text)


def test_sweep_of_an_undefined_parameter():
    with pytest.raises(ModelError, match=r"the sweep sets parameter\(s\) nope"):
        sweep(loaded(), "nope", (1.0,))


def test_per_declared_unit_and_per_sales_unit():
    rules = CalculationRules(declared_unit=(1.0, "kg"))
    footprint = calculate(loaded(), rules=rules)
    per_piece = 0.06375
    # 1 kg of bottles is 1 / 0.025 = 40 bottles: 40 x 0.06375 = 2.55 kg CO2e per kg
    assert footprint.per_declared_unit.functional_units == pytest.approx(40.0, rel=TOL)
    assert footprint.per_declared_unit.total_kg_co2e == pytest.approx(2.55, rel=TOL)
    # one case holds 24 bottles: 24 x 0.06375 = 1.53
    sales = footprint.per_sales_unit
    assert (sales.unit, sales.name_zh, sales.functional_units) == ("case", "一箱（24 瓶）", 24)
    assert sales.total_kg_co2e == pytest.approx(24 * per_piece, rel=TOL)


def test_declared_unit_of_the_same_dimension_converts_and_unrelated_gives_none():
    rules = CalculationRules(declared_unit=(12.0, "piece"))
    footprint = calculate(loaded(), rules=rules)
    assert footprint.per_declared_unit.total_kg_co2e == pytest.approx(12 * 0.06375, rel=TOL)
    energy = calculate(loaded(), rules=CalculationRules(declared_unit=(1.0, "kWh")))
    assert energy.per_declared_unit is None


def test_sales_unit_must_hold_functional_units():
    bad = MODEL.replace("functional_units: 24", "functional_units: '24 - 24'")
    with pytest.raises(ModelError, match=r"bottle\.yaml:8 product\.sales_unit\.functional_units"):
        calculate(load_model_text(bad, "bottle.yaml"))
