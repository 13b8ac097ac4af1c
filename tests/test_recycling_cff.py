"""Recycled content and end of life: the Circular Footprint Formula, cut-off, avoided burden.

No worked example with numbers of the PEF method (Recommendation (EU) 2021/2279) could be read
here, so every expected value is the formula of 2021/2279 Annex I 4.4.8.1 evaluated by hand
in the comments, with E values chosen for the test (not data):

    Ev = E*v = 10, Erecycled = 1, ErecyclingEoL = 0.5 (kg CO2e/kg), EER = 0.2 (kg CO2e/kg),
    ESE,heat = 0.06 kg CO2e/MJ, ESE,elec = 0.5 kg CO2e/kWh = 0.5/3.6 per MJ, ED = 0.05,
    A = 0.2, B = 0, R1 = 0.3, R2 = 0.6, R3 = 0.2, Qsin/Qp = 1, Qsout/Qp = 0.9,
    LHV = 20 MJ/kg, XER,heat = 0.3, XER,elec = 0.2.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from tanzuji.engine import recycling
from tanzuji.errors import InvalidAmount, ModelError
from tanzuji.footprint import calculate
from tanzuji.model.files import load_model_text
from tanzuji.model.rules import CalculationRules

TOL = 1e-12
PARAMS = recycling.Parameters(
    A=0.2, B=0, R1=0.3, R2=0.6, R3=0.2, Qsin_Qp=1, Qsout_Qp=0.9,
    LHV_mj_per_kg=20, X_er_heat=0.3, X_er_elec=0.2,
)  # fmt: skip
E = {
    "E_v": 10.0, "E_v_star": 10.0, "E_recycled": 1.0, "E_recycling_eol": 0.5, "E_er": 0.2,
    "E_se_heat": 0.06, "E_se_elec": 0.5 / 3.6, "E_d": 0.05,
}  # fmt: skip

# Per kg, by hand:
#   material: (1 - 0.3) 10 + 0.3 (0.2 x 1 + 0.8 x 10 x 1) = 7 + 2.46 = 9.46
#             + (1 - 0.2) 0.6 (0.5 - 10 x 0.9) = 0.48 x (-8.5) = -4.08
#   energy:   (1 - 0) 0.2 (0.2 - 20 x 0.3 x 0.06 - 20 x 0.2 x 0.5/3.6) = 0.2 (0.2 - 0.36 - 0.5556)
#   disposal: (1 - 0.6 - 0.2) 0.05 = 0.01
CFF_PER_KG = 9.46 - 4.08 + 0.2 * (0.2 - 0.36 - 20 * 0.2 * 0.5 / 3.6) + 0.01  # 5.246889
# credits: E*v 0.48 x 0.9 x 10 = 4.32; heat 0.2 x 20 x 0.3 x 0.06 = 0.072;
# electricity 0.2 x 20 x 0.2 x 0.5 / 3.6 = 0.1111; burdens 9.46 + 0.24 + 0.04 + 0.01 = 9.75
CFF_CREDITS_PER_KG = 4.32 + 0.072 + 0.2 * 20 * 0.2 * 0.5 / 3.6
CUT_OFF_PER_KG = 0.7 * 10 + 0.3 * 1 + 0.2 * 0.2 + 0.2 * 0.05  # 7.35: A = 1, no credits
# avoided burden, A = 0, B = 0: 0.7 x 10 + 0.3 x 10 + 0.6 (0.5 - 9) + energy + 0.01
AVOIDED_BURDEN_PER_KG = 10 + 0.6 * (0.5 - 9) + 0.2 * (0.2 - 0.36 - 20 * 0.2 * 0.5 / 3.6) + 0.01


def value(method: str) -> float:
    return sum(
        (-1 if t.credit else 1) * t.amount * E[t.name] for t in recycling.terms(method, PARAMS)
    )


@pytest.mark.parametrize(
    ("method", "expected"),
    [("cff", CFF_PER_KG), ("cut_off", CUT_OFF_PER_KG), ("avoided_burden", AVOIDED_BURDEN_PER_KG)],
)
def test_terms_add_up_to_the_formula(method, expected):
    assert value(method) == pytest.approx(expected, rel=TOL)


def test_a_one_is_cut_off_and_a_zero_avoided_burden_for_the_material_part():
    # JRC 2023: "A = 1 -> cut-off; A = 0 -> avoided burden" (data/cff_parameters.csv)
    one = {t.name: t.amount for t in recycling.terms("cff", replace(PARAMS, A=1.0))}
    cut = {t.name: t.amount for t in recycling.terms("cut_off", PARAMS)}
    assert {k: one[k] for k in ("E_v", "E_recycled")} == {k: cut[k] for k in ("E_v", "E_recycled")}
    zero = recycling.terms("cff", replace(PARAMS, A=0.0))
    assert sum((-1 if t.credit else 1) * t.amount * E[t.name] for t in zero) == pytest.approx(
        AVOIDED_BURDEN_PER_KG, rel=TOL
    )


def test_cited_defaults():
    defaults = recycling.pef_defaults()
    assert defaults["A.low_supply"].value == 0.2
    assert defaults["A.high_supply"].value == 0.8
    assert defaults["B.default"].value == 0.0
    for row in defaults.values():
        assert row.source and row.clause and row.url and row.verified in ("S", "K")


MODEL = """
product:
  id: tray
  name: {zh: 塑料托盘, en: Plastic tray}
  functional_unit: {unit: piece}
  reference_flow: {process: disposal}
parameters:
  r1: 0.3
processes:
  - id: moulding
    name: moulding
    life_cycle_stage: production
    reference_product: {unit: piece}
    inputs: [{process: plastic, amount: 2, unit: kg}]
  - id: disposal
    name: disposal
    life_cycle_stage: end_of_life
    reference_product: {unit: piece}
    inputs:
      - {process: moulding, amount: 1, unit: piece}
      - {process: "plastic#end_of_life", amount: 2, unit: kg}
materials:
  - id: plastic
    name: {zh: 塑料, en: plastic}
    method: METHOD
    A: 0.2
    A_source: "test value (PEF rule value 0.2, data/cff_parameters.csv A.low_supply)"
    R1: r1
    R2: 0.6
    R3: 0.2
    Qsout_Qp: 0.9
    LHV_mj_per_kg: 20
    X_er_heat: 0.3
    X_er_elec: 0.2
    E_v: {factor: virgin}
    E_recycled: {factor: recycled}
    E_recycling_eol: {factor: recycling}
    E_er: {factor: incineration}
    E_se_heat: {factor: heat}
    E_se_elec: {factor: power}
    E_d: {factor: landfill}
factors:
  - {id: virgin, name: virgin, unit: kg, gases: [{gas: CO2, amount: 10}], source: test}
  - {id: recycled, name: recycled, unit: kg, gases: [{gas: CO2, amount: 1}], source: test}
  - {id: recycling, name: recycling, unit: kg, gases: [{gas: CO2, amount: 0.5}], source: test}
  - {id: incineration, name: inc, unit: kg, gases: [{gas: CO2, amount: 0.2}], source: test}
  - {id: heat, name: heat, unit: MJ, gases: [{gas: CO2, amount: 0.06}], source: test}
  - {id: power, name: power, unit: kWh, gases: [{gas: CO2, amount: 0.5}], source: test}
  - {id: landfill, name: landfill, unit: kg, gases: [{gas: CO2, amount: 0.05}], source: test}
"""


def run(method: str = "cff", rules: CalculationRules | None = None, text: str = MODEL):
    loaded = load_model_text(text.replace("METHOD", method), "tray.yaml")
    return calculate(loaded, rules=rules or CalculationRules())


@pytest.mark.parametrize(
    ("method", "per_kg"),
    [("cff", CFF_PER_KG), ("cut_off", CUT_OFF_PER_KG), ("avoided_burden", AVOIDED_BURDEN_PER_KG)],
)
def test_model_with_two_kg_of_material(method, per_kg):
    footprint = run(method)
    assert footprint.total_kg_co2e == pytest.approx(2 * per_kg, rel=TOL)


def test_cff_credits_are_listed_and_stay_in_the_end_of_life_stage():
    footprint = run()
    credits = footprint.credits
    kinds = sorted((i.kind, round(i.kg_co2e, 9)) for i in credits.items)
    assert kinds == [
        ("energy_recovery", round(-2 * 0.2 * 20 * 0.2 * 0.5 / 3.6, 9)),
        ("energy_recovery", round(-2 * 0.072, 9)),
        ("recycling", round(-2 * 4.32, 9)),
    ]
    assert all(i.counted for i in credits.items)
    assert credits.by_stage == {"end_of_life": pytest.approx(-2 * CFF_CREDITS_PER_KG)}
    assert credits.burdens_kg_co2e == pytest.approx(2 * 9.75, rel=TOL)
    # by_stage holds the burdens: material 2 x 9.46 in raw materials, the rest at end of life
    assert footprint.by_stage["raw_materials"] == pytest.approx(2 * 9.46, rel=TOL)
    assert footprint.by_stage["end_of_life"] == pytest.approx(2 * (0.24 + 0.04 + 0.01), rel=TOL)


def test_recycling_credits_kept_apart_when_the_rules_say_so():
    footprint = run(rules=CalculationRules(recycling_credits="separate"))
    assert footprint.total_kg_co2e == pytest.approx(2 * 9.75, rel=TOL)
    assert footprint.credits.net_kg_co2e == pytest.approx(2 * CFF_PER_KG, rel=TOL)


def test_rules_can_force_one_method():
    footprint = run("cff", CalculationRules(end_of_life="cut_off"))
    assert footprint.total_kg_co2e == pytest.approx(2 * CUT_OFF_PER_KG, rel=TOL)


def test_parameter_of_the_formula_is_a_formula():
    # R1 = r1 = 0.3; with r1 = 0 the material part is 10 (virgin only): 9.46 -> 10.0
    text = MODEL.replace("  r1: 0.3", "  r1: 0")
    footprint = run(text=text)
    assert footprint.total_kg_co2e == pytest.approx(2 * (CFF_PER_KG - 9.46 + 10.0), rel=TOL)


def test_bad_parameters_name_the_material():
    too_much = MODEL.replace("R3: 0.2", "R3: 0.5")
    with pytest.raises(InvalidAmount, match=r"tray\.yaml:\d+ materials\[0\]\.R3: R2 \+ R3 is 1\.1"):
        run(text=too_much)
    outside = MODEL.replace("A: 0.2", "A: 1.2")
    with pytest.raises(InvalidAmount, match=r"materials\[0\]\.A: A is 1\.2"):
        run(text=outside)
    no_landfill = MODEL.replace("    E_d: {factor: landfill}\n", "")
    with pytest.raises(ModelError, match=r"1 - R2 - R3 of E_d is 0\.2 per kg, but 'E_d' is not"):
        run(text=no_landfill)
    no_source = MODEL.replace(
        '    A_source: "test value (PEF rule value 0.2, data/cff_parameters.csv A.low_supply)"\n',
        "",
    )
    with pytest.raises(ModelError, match=r"materials\[0\]: Value error, give 'A_source'"):
        run(text=no_source)
