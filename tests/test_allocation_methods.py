"""Allocation chosen per calculation (physical, economic, causal, none, substitution) and
per-exchange (causal) factors, against openLCA's published test cases and by hand.

The openLCA numbers are copied from the tests named in each function: the olca-ipc.py
``tests/test_allocation.py`` (GreenDelta/olca-ipc.py, commit 9322cb34534a) and olca-core's
``org/openlca/core/math/AllocationTest.java`` (GreenDelta/olca-modules, snapshot a20094aff697).
Every emission is fossil CO2 (GWP100 1), so kg CO2e equal the kg of openLCA's flow ``e``.
"""

from __future__ import annotations

import pytest

from tanzuji.errors import AllocationError, InvalidAmount
from tanzuji.footprint import calculate
from tanzuji.model.files import load_model_text
from tanzuji.model.rules import CalculationRules

TOL = 1e-12

# olca-ipc.py tests/test_allocation.py: process P makes 1 kg p (reference) and 1 kg q and
# emits 1 kg e. Physical factors p 0.25 / q 0.75, economic 0.4 / 0.6, causal factors of e
# 0.1 / 0.9; the calculation asks for 500 g of p.
OLCA_IPC_CASE = """
product:
  id: p
  name: p
  functional_unit: {unit: kg}
  reference_flow: {process: P, amount: 500, unit: g}
processes:
  - id: P
    name: P
    life_cycle_stage: production
    reference_product: {amount: 1, unit: kg, mass_kg: 0.25, price: 0.4}
    co_products:
      - {id: q, amount: 1, unit: kg, mass_kg: 0.75, price: 0.6}
    allocation: mass
    emissions:
      - {gas: CO2, amount: 1, allocation: {P: 0.1, q: 0.9}}
"""


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("physical", 0.25 / 2),  # 0.5 kg x 0.25 x 1 kg e = 0.125
        ("economic", 0.4 / 2),  # 0.5 x 0.4 (price 0.4 x 1 kg of 0.4 + 0.6) = 0.2
        ("causal", 0.1 / 2),  # 0.5 x 0.1 (the causal factor of e) = 0.05
        ("default", 0.1 / 2),  # the process's own rule plus its causal factors = 0.05
        ("none", 0.5),  # no allocation: 0.5 x 1 = 0.5
    ],
)
def test_olca_ipc_allocation_case(method, expected):
    loaded = load_model_text(OLCA_IPC_CASE, "olca.yaml")
    footprint = calculate(loaded, rules=CalculationRules(allocation=method))
    assert footprint.total_kg_co2e == pytest.approx(expected, abs=TOL)


def test_result_records_the_rules_it_used():
    loaded = load_model_text(OLCA_IPC_CASE, "olca.yaml")
    rules = CalculationRules(allocation="economic", source="PCR x@1")
    footprint = calculate(loaded, rules=rules)
    assert footprint.rules["allocation"] == "economic"
    assert footprint.rules["source"] == "PCR x@1"
    assert calculate(loaded).rules is None  # defaults are not written out


@pytest.mark.parametrize(
    "co_product",
    [
        "      - {id: p2, amount: 3, unit: kg}\n",  # AllocationTest.testProducts
        "      - {id: p2, amount: 3, unit: kg, share: '3 * param / 100'}\n",  # testFormula
    ],
)
def test_olca_core_allocation_test(co_product):
    # olca-core AllocationTest: p1 1 kg (reference), p2 3 kg, 2 kg CO2, physical 0.25 / 0.75;
    # the total for 1 kg p1 is 2 x 0.25 = 0.5. By mass: 1 / (1 + 3) = 0.25. testFormula
    # writes the factors as "param / 100" and "3 * param / 100" with param = 25.
    uses_shares = "share" in co_product
    text = (
        "product: {id: p1, name: p1, functional_unit: {unit: kg}, "
        "reference_flow: {process: P}}\n"
        "parameters: {param: 25}\n"
        "processes:\n"
        "  - id: P\n    name: P\n    life_cycle_stage: production\n"
        "    reference_product: {amount: 1, unit: kg"
        + (", share: 'param / 100'}\n" if uses_shares else "}\n")
        + "    co_products:\n"
        + co_product
        + f"    allocation: {'shares' if uses_shares else 'mass'}\n"
        + "    emissions: [{gas: CO2, amount: 2}]\n"
    )
    footprint = calculate(load_model_text(text, "t.yaml"), rules=CalculationRules("physical"))
    assert footprint.total_kg_co2e == pytest.approx(0.5, abs=1e-16)


# A hand case for causal factors with an input and an emission: process "refinery" makes
# 2 kg petrol (reference, mass 2) and 1 kg bitumen (mass 1): mass shares 2/3 and 1/3.
# Its 3 kWh of electricity (0.5 kg CO2/kWh) is split by the default rule; its 1.2 kg CO2
# from the cracker only goes to petrol (causal factors petrol 1, bitumen 0).
REFINERY = """
product:
  id: petrol
  name: petrol
  functional_unit: {unit: kg}
  reference_flow: {process: refinery, amount: 2, unit: kg}
processes:
  - id: refinery
    name: refinery
    life_cycle_stage: production
    reference_product: {amount: 2, unit: kg}
    co_products:
      - {id: bitumen, amount: 1, unit: kg, substitutes: {factor: asphalt, amount: 1, unit: kg}}
    allocation: mass
    inputs:
      - {factor: grid, amount: 3, unit: kWh}
    emissions:
      - {gas: CO2, amount: 1.2, allocation: {refinery: 1, bitumen: 0}}
factors:
  - {id: grid, name: grid, unit: kWh, gases: [{gas: CO2, amount: 0.5}], source: test value}
  - {id: asphalt, name: asphalt, unit: kg, gases: [{gas: CO2, amount: 0.3}], source: test value}
"""


def test_causal_factor_on_one_emission_and_default_rule_on_the_rest():
    # 3 kWh x 0.5 x 2/3 = 1.0, plus 1.2 x 1 = 1.2: 2.2 kg CO2e for the 2 kg of petrol.
    footprint = calculate(load_model_text(REFINERY, "r.yaml"))
    assert footprint.total_kg_co2e == pytest.approx(1.0 + 1.2, rel=TOL)
    # physical for the whole calculation ignores the causal factors: (1.5 + 1.2) x 2/3 = 1.8
    physical = calculate(load_model_text(REFINERY, "r.yaml"), rules=CalculationRules("physical"))
    assert physical.total_kg_co2e == pytest.approx((1.5 + 1.2) * 2 / 3, rel=TOL)


def test_substitution_instead_of_allocation():
    # Substitution: petrol carries the whole refinery, 1.5 + 1.2 = 2.7 kg CO2e, and the
    # bitumen replaces 1 kg of asphalt: a credit of -1 x 0.3 = -0.3, reported apart and, by
    # default, not in the total (separate); included, the total is 2.4.
    loaded = load_model_text(REFINERY, "r.yaml")
    separate = calculate(loaded, rules=CalculationRules(allocation="substitution"))
    assert separate.total_kg_co2e == pytest.approx(2.7, rel=TOL)
    assert separate.credits is not None
    (item,) = separate.credits.items
    assert (item.kind, item.counted) == ("substitution", False)
    assert item.kg_co2e == pytest.approx(-0.3, rel=TOL)
    assert item.location.startswith("r.yaml:13 processes[0].co_products[0].substitutes")
    assert separate.credits.net_kg_co2e == pytest.approx(2.4, rel=TOL)
    included = calculate(
        loaded,
        rules=CalculationRules(allocation="substitution", substitution_credits="include"),
    )
    assert included.total_kg_co2e == pytest.approx(2.4, rel=TOL)


def test_substitution_needs_what_each_co_product_replaces():
    text = REFINERY.replace(", substitutes: {factor: asphalt, amount: 1, unit: kg}", "")
    with pytest.raises(AllocationError, match=r"r\.yaml:13 .*names nothing it replaces"):
        calculate(load_model_text(text, "r.yaml"), rules=CalculationRules("substitution"))


def test_substituted_co_product_used_inside_the_model_is_refused():
    road = (
        "  - id: road\n    name: road\n    life_cycle_stage: use\n"
        "    reference_product: {unit: m2}\n"
        "    inputs: [{process: 'refinery#bitumen', amount: 1, unit: kg}]\n"
    )
    text = REFINERY.replace("factors:", road + "factors:", 1)
    with pytest.raises(AllocationError, match=r"credited by substitution .* and also consumed"):
        calculate(load_model_text(text, "r.yaml"), rules=CalculationRules("substitution"))


def test_causal_factors_must_name_every_product_and_sum_to_one():
    bad = REFINERY.replace("{refinery: 1, bitumen: 0}", "{refinery: 0.7, bitumen: 0.2}")
    with pytest.raises(AllocationError, match=r"r\.yaml:18 .*sum to 0\.9"):
        calculate(load_model_text(bad, "r.yaml"))
    unknown = REFINERY.replace("{refinery: 1, bitumen: 0}", "{refinery: 1, tar: 0}")
    with pytest.raises(AllocationError, match=r"unknown \['tar'\]"):
        calculate(load_model_text(unknown, "r.yaml"))
    over = REFINERY.replace("{refinery: 1, bitumen: 0}", "{refinery: 1.5, bitumen: -0.5}")
    with pytest.raises(InvalidAmount, match=r"r\.yaml:18 .*allocation\.refinery.*between 0 and 1"):
        calculate(load_model_text(over, "r.yaml"))


def test_physical_for_a_process_without_masses_names_the_rule():
    text = OLCA_IPC_CASE.replace("unit: kg, mass_kg: 0.25", "unit: piece").replace(
        "unit: kg, mass_kg: 0.75", "unit: piece"
    )
    text = text.replace("amount: 500, unit: g", "amount: 1")
    rules = CalculationRules(allocation="physical", source="PCR x@1")
    with pytest.raises(InvalidAmount, match=r"allocation by mass \(calculation rule 'physical'"):
        calculate(load_model_text(text, "o.yaml"), rules=rules)
