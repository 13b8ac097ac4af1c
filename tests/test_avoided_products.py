"""Avoided products and avoided waste (system expansion): credits on their own line.

openLCA's published cases are re-expressed as Tanzuji models; openLCA solves them with the
credits inside the matrix, so its totals are Tanzuji's ``net_kg_co2e`` (``include`` rule).
Sources: olca-core ``org/openlca/core/math/AvoidedFlowsTest.java``, ``AllocateAvoidedTest
.java`` and ``org/openlca/core/results/AvoidedWasteTest.java`` (GreenDelta/olca-modules,
snapshot a20094aff697); olca-ipc.py ``tests/test_avoided_flows.py`` (commit aa26ce9d3245).
Flow ``e`` (and ``CO2`` in olca-core) is fossil CO2 here, GWP100 1.
"""

from __future__ import annotations

import pytest

from tanzuji.footprint import calculate
from tanzuji.model.files import load_model_text
from tanzuji.model.rules import CalculationRules

TOL = 1e-12
INCLUDE = CalculationRules(substitution_credits="include")


def process(pid: str, stage: str, body: str = "", extra: str = "") -> str:
    return (
        f"  - id: {pid}\n    name: {pid}\n    life_cycle_stage: {stage}\n"
        f"    reference_product: {{amount: 1, unit: kg{extra}}}\n{body}"
    )


def system(reference: str, *processes: str) -> str:
    return (
        f"product: {{id: x, name: x, functional_unit: {{unit: kg}}, "
        f"reference_flow: {{process: {reference}}}}}\n"
        "processes:\n" + "".join(processes)
    )


def test_olca_avoided_product():
    # AvoidedFlowsTest.testProduct: p1 emits 2 kg CO2 and avoids 0.5 kg p2 (2 kg CO2 per kg):
    # 2 - 0.5 x 2 = 1.0. Written as a negative input.
    text = system(
        "p1",
        process(
            "p1",
            "production",
            "    inputs: [{process: p2, amount: -0.5, unit: kg}]\n"
            "    emissions: [{gas: CO2, amount: 2}]\n",
        ),
        process("p2", "raw_materials", "    emissions: [{gas: CO2, amount: 2}]\n"),
    )
    net = calculate(load_model_text(text, "a.yaml"), rules=INCLUDE)
    assert net.total_kg_co2e == pytest.approx(1.0, abs=TOL)
    separate = calculate(load_model_text(text, "a.yaml"))
    assert separate.total_kg_co2e == pytest.approx(2.0, abs=TOL)  # burdens only
    credits = separate.credits
    assert credits is not None
    assert (credits.burdens_kg_co2e, credits.credits_kg_co2e) == pytest.approx((2.0, -1.0))
    assert credits.counted_kg_co2e == 0.0 and credits.net_kg_co2e == pytest.approx(1.0)
    (item,) = credits.items
    assert (item.kind, item.process, item.target_id, item.amount) == (
        "avoided_product",
        "p1",
        "p2",
        0.5,
    )
    assert credits.by_stage == {"production": pytest.approx(-1.0)}
    # the avoided process's own emission stays out of the stage results
    assert separate.by_stage == {"production": 2.0, "raw_materials": 0.0}


def test_olca_avoided_waste():
    # AvoidedFlowsTest.testWaste: p emits 2 and avoids the treatment of 0.5 kg w, whose
    # treatment emits 2 per kg: 2 - 0.5 x 2 = 1.0.
    text = system(
        "p",
        process(
            "p",
            "production",
            "    emissions: [{gas: CO2, amount: 2}]\n"
            "    avoided: [{process: w, amount: 0.5, unit: kg, kind: waste}]\n",
        ),
        process("w", "end_of_life", "    emissions: [{gas: CO2, amount: 2}]\n"),
    )
    net = calculate(load_model_text(text, "w.yaml"), rules=INCLUDE)
    assert net.total_kg_co2e == pytest.approx(1.0, abs=TOL)
    assert net.credits.items[0].kind == "avoided_waste"
    assert net.credits.items[0].counted is True


def test_olca_avoided_waste_result_with_two_flows():
    # AvoidedWasteTest: P takes 1 kg r and avoids 0.5 kg of waste w; treating 1 kg w takes
    # 0.5 kg r and emits 2 kg e. openLCA: r = 1 - 0.5 x 0.5 = 0.75, e = -0.5 x 2 = -1.
    # With r as methane (GWP100 29.8, AR6 fossil) and e as CO2 the net footprint is
    # 0.75 x 29.8 + (-1) x 1 = 21.35, the burdens 1 x 29.8 = 29.8 and the credit
    # -0.5 x (0.5 x 29.8 + 2) = -8.45.
    text = system(
        "P",
        process(
            "P",
            "production",
            "    emissions: [{gas: CH4, amount: 1}]\n"
            "    avoided: [{process: W, amount: 0.5, unit: kg, kind: waste}]\n",
        ),
        process(
            "W", "end_of_life", "    emissions: [{gas: CH4, amount: 0.5}, {gas: CO2, amount: 2}]\n"
        ),
    )
    footprint = calculate(load_model_text(text, "w.yaml"), rules=INCLUDE)
    assert footprint.total_kg_co2e == pytest.approx(0.75 * 29.8 - 1.0, rel=TOL)
    assert footprint.credits.burdens_kg_co2e == pytest.approx(29.8, rel=TOL)
    assert footprint.credits.credits_kg_co2e == pytest.approx(-8.45, rel=TOL)


def test_olca_ipc_avoided_product_and_waste():
    # olca-ipc.py test_avoided_flows: Q avoids 1 kg p (P emits 1 e) and 1 kg w (W emits 1 e);
    # the total of e is -2.
    text = system(
        "Q",
        process(
            "Q",
            "production",
            "    avoided:\n"
            "      - {process: P, amount: 1, unit: kg}\n"
            "      - {process: W, amount: 1, unit: kg, kind: waste}\n",
        ),
        process("P", "raw_materials", "    emissions: [{gas: CO2, amount: 1}]\n"),
        process("W", "end_of_life", "    emissions: [{gas: CO2, amount: 1}]\n"),
    )
    footprint = calculate(load_model_text(text, "q.yaml"), rules=INCLUDE)
    assert footprint.total_kg_co2e == pytest.approx(-2.0, abs=TOL)


def test_olca_allocate_avoided_in_a_multi_output_process():
    # AllocateAvoidedTest: P makes p (reference) and 1 kg q, avoids 0.5 kg a, emits 2 kg e;
    # physical factors p 0.75, q 0.25; A makes a and emits 1.5 e per kg.
    # 0.75 x 2.0 - 0.75 x 0.5 x 1.5 = 0.9375.
    text = system(
        "P",
        process(
            "P",
            "production",
            "    co_products: [{id: q, amount: 1, unit: kg, mass_kg: 0.25}]\n"
            "    allocation: mass\n"
            "    inputs: [{process: A, amount: -0.5, unit: kg}]\n"
            "    emissions: [{gas: CO2, amount: 2}]\n",
            ", mass_kg: 0.75",
        ),
        process("A", "raw_materials", "    emissions: [{gas: CO2, amount: 1.5}]\n"),
    )
    footprint = calculate(
        load_model_text(text, "p.yaml"),
        rules=CalculationRules(allocation="physical", substitution_credits="include"),
    )
    assert footprint.total_kg_co2e == pytest.approx(0.9375, abs=1e-9)
    assert footprint.credits.items[0].kg_co2e == pytest.approx(-0.75 * 0.5 * 1.5, rel=TOL)


def test_model_without_credits_has_no_credit_block():
    text = system("p", process("p", "production", "    emissions: [{gas: CO2, amount: 2}]\n"))
    assert calculate(load_model_text(text, "p.yaml")).credits is None
