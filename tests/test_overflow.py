"""Amounts whose products leave the float range are refused with the exchange that caused them.

Issue 8 (security battery): an amount of 1e300 ended in a NumPy overflow warning. The largest
float64 is 1.797e308 (IEEE 754 binary64), so each case below overflows by hand arithmetic:
1e306 kg SF6 x GWP100 25,200 = 2.52e310; an input of 1e300 kg times 1e300 operations = 1e600.
Warnings are errors here: a refused value must not warn first.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tanzuji.engine.calculate import Calculation
from tanzuji.errors import InvalidAmount, NumericOverflow
from tanzuji.footprint import calculate
from tanzuji.model.files import load_model_text

pytestmark = pytest.mark.filterwarnings("error")

MODEL = """
product: {{id: p, name: P, functional_unit: {{unit: kg}}, reference_flow: {{process: a}}}}
processes:
  - id: a
    name: A
    life_cycle_stage: production
    reference_product: {{unit: kg}}
    inputs:
      - {{process: b, amount: {input}, unit: {unit}}}
    emissions:
      - {{gas: SF6, amount: {sf6}}}
  - id: b
    name: B
    life_cycle_stage: production
    reference_product: {{unit: kg}}
    inputs:
      - {{process: c, amount: {chain}, unit: kg}}
    emissions:
      - {{gas: CO2, amount: {co2}}}
  - id: c
    name: C
    life_cycle_stage: raw_materials
    reference_product: {{unit: kg}}
    emissions:
      - {{gas: CO2, amount: 1}}
"""


def run(input="1", unit="kg", sf6="1", chain="1", co2="1"):
    text = MODEL.format(input=input, unit=unit, sf6=sf6, chain=chain, co2=co2)
    return calculate(load_model_text(text, "m.yaml"), tree_cutoff=0.01)


def test_large_but_finite_amounts_still_compute():
    # 1e300 kg SF6 x 25,200 = 2.52e304 kg CO2e plus 1 + 1: finite, so it is a result.
    fp = run(sf6="1e300")
    assert fp.total_kg_co2e == pytest.approx(2.52e304, rel=1e-12)


def test_emission_times_gwp_overflow_names_the_emission():
    # 1e306 kg SF6 x 25,200 kg CO2e/kg = 2.52e310 > 1.797e308.
    with pytest.raises(NumericOverflow, match=r"direct kg CO2e per operation of 'a'") as info:
        run(sf6="1e306")
    message = str(info.value)
    assert "m.yaml:11 processes[0].emissions[0]" in message
    assert "1e+306 times 25200" in message
    assert info.value.details["terms"][0]["exchanges"] == ["m.yaml:11 processes[0].emissions[0]"]


def test_supply_overflow_along_a_chain_names_the_input():
    # a needs 1e200 kg b, b needs 1e200 kg c: s_c = 1e400.
    with pytest.raises(NumericOverflow, match=r"supply \(operations\) of 'c'") as info:
        run(input="1e200", chain="1e200")
    assert "-1e+200 times 1e+200 (operations of 'b')" in str(info.value)
    assert "m.yaml:17 processes[1].inputs[0]" in str(info.value)


def test_emission_times_supply_overflow_names_the_emission():
    # s_b = 1e300 operations, each emitting 1e10 kg CO2: 1e310 kg.
    with pytest.raises(NumericOverflow, match=r"direct kg CO2e of 'b'") as info:
        run(input="1e300", co2="1e10")
    assert "m.yaml:19 processes[1].emissions[0]" in str(info.value)


def test_sum_of_finite_parts_overflow_names_the_parts():
    # a emits 1.5e304 kg SF6: 3.78e308 kg CO2e per operation, alone beyond the range; with
    # 7e303 kg SF6 (1.764e308) a is finite, and b's 1e308 kg CO2 push the total past 1.797e308.
    with pytest.raises(NumericOverflow, match=r"total kg CO2e is inf.*'a' 1\.764e\+308"):
        run(sf6="7e303", co2="1e308")


def test_unit_conversion_overflow_is_an_invalid_amount():
    # 1e308 t = 1e311 kg.
    where = r"m.yaml:9 processes\[0\].inputs\[0\]"
    with pytest.raises(InvalidAmount, match=where + r": amount 1e\+308 t"):
        run(input="1e308", unit="t")


def test_calculation_without_a_system_names_the_activity():
    # Arrays only (no exchanges to point at): the message names the activity and the product.
    a = sp.csr_matrix(np.array([[1.0, 0.0], [-1e300, 1.0]]))
    b = sp.csr_matrix(np.array([[1.0, 1.0]]))
    calc = Calculation(a, b, np.array([1.0]), ["maker", "supplier"])
    with pytest.raises(NumericOverflow, match=r"supply \(operations\) of 'supplier'.*-1e\+300"):
        calc.supply_array(np.array([1e10, 0.0]))
    with pytest.raises(NumericOverflow, match=r"intensity \(kg CO2e per unit\) of 'maker'"):
        Calculation(
            sp.csr_matrix(np.array([[1.0, 0.0], [-1e300, 1.0]])),
            sp.csr_matrix(np.array([[1.0, 1e10]])),
            np.array([1.0]),
            ["maker", "supplier"],
        ).intensities()
