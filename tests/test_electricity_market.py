"""Location-based and market-based electricity (ISO 14067:2018 6.4.9.4; GHG Protocol Scope 2
Guidance Table 7.1 quality criteria). Factors are test values; arithmetic in the comments."""

from __future__ import annotations

import pytest

from tanzuji.footprint import calculate
from tanzuji.model.files import load_model_text
from tanzuji.model.rules import CalculationRules

TOL = 1e-12
MODEL = """
product:
  id: cell
  name: cell
  functional_unit: {unit: piece}
  reference_flow: {process: cell}
  geography: CN-GD
  reference_period: {start: 2024-01-01, end: 2024-12-31}
processes:
  - id: cell
    name: cell
    life_cycle_stage: production
    reference_product: {unit: piece}
    inputs:
      - factor: grid
        amount: 2000
        unit: kWh
        market:
          instruments:
            - {type: gec, amount: 1, unit: MWh, factor: pv, registry: China GEC,
               serial_prefix: "GEC-2024-", serial_start: 100, serial_end: 100,
               vintage: 2024, region: CN, retired: true}
            - {type: i-rec, amount: 0.5, unit: MWh, factor: pv, registry: I-REC,
               serial_prefix: "IREC-", serial_start: 1, serial_end: 1,
               vintage: 2024, region: CN, retired: false}
RESIDUAL
factors:
  - {id: grid, name: grid, unit: kWh, gases: [{gas: CO2, amount: 0.5366}], source: test value}
  - {id: pv, name: pv, unit: kWh, gases: [{gas: CO2e, amount: 0.04}], source: test value,
     gwp_set: AR6}
  - {id: residual, name: residual, unit: kWh, gases: [{gas: CO2, amount: 0.58}], source: test value}
"""


def run(residual: str = "          residual_mix: residual", rules=None, text: str = MODEL):
    loaded = load_model_text(text.replace("RESIDUAL", residual), "e.yaml")
    return calculate(loaded, rules=rules or CalculationRules())


def test_market_and_location_results_both_shown():
    footprint = run()
    # market: 1 MWh GEC at 0.04 + 1 MWh residual at 0.58 = 40 + 580 = 620 (the I-REC is not
    # retired and does not count); location: 2000 x 0.5366 = 1073.2
    assert footprint.total_kg_co2e == pytest.approx(620.0, rel=TOL)
    electricity = footprint.electricity
    assert electricity.reported == "market"
    assert electricity.market_based_kg_co2e == pytest.approx(620.0, rel=TOL)
    assert electricity.location_based_kg_co2e == pytest.approx(1073.2, rel=TOL)
    (use,) = electricity.inputs
    assert (use.grid_factor_id, use.residual_factor_id, use.residual_amount) == (
        "grid",
        "residual",
        1000.0,
    )
    gec, irec = use.instruments
    assert (gec.qualifies, gec.counted, gec.serial_start) == (True, 1000.0, 100)
    assert (irec.qualifies, irec.counted) == (False, 0.0)
    assert irec.reasons == ["the certificates are not retired (cancelled) on the registry"]


def test_location_based_reported_when_the_rules_say_so():
    footprint = run(rules=CalculationRules(electricity="location"))
    assert footprint.total_kg_co2e == pytest.approx(1073.2, rel=TOL)
    assert footprint.electricity.reported == "location"
    assert footprint.electricity.market_based_kg_co2e == pytest.approx(620.0, rel=TOL)


def test_without_residual_mix_the_grid_average_with_a_note():
    # 1000 x 0.04 + 1000 x 0.5366 = 576.6
    footprint = run(residual="")
    assert footprint.total_kg_co2e == pytest.approx(576.6, rel=TOL)
    (note,) = footprint.electricity.inputs[0].notes
    assert note.startswith("no residual mix given: the 1000 kWh not covered")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("region: CN, retired: true", "region: US, retired: true"),
        ("vintage: 2024, region: CN, retired: true}", "vintage: 2019, region: CN, retired: true}"),
        ("serial_start: 100, serial_end: 100,", "serial_start: 100, serial_end: 100,"),
    ],
)
def test_criteria(change, reason):
    text = MODEL.replace(change, reason)
    if change == reason:  # claim 1.5 MWh with one 1-MWh certificate
        text = MODEL.replace("{type: gec, amount: 1,", "{type: gec, amount: 1.5,")
    footprint = run(text=text)
    gec = footprint.electricity.inputs[0].instruments[0]
    assert not gec.qualifies
    expected = {
        "region: US, retired: true": "issued in US, consumed in CN: outside the market boundary",
        "vintage: 2019, region: CN, retired: true}": "vintage 2019 is outside the reference "
        "period 2024-01-01 to 2024-12-31",
    }.get(reason, "1 certificate(s) of 1 MWh cover 1 MWh, less than the 1.5 MWh claimed")
    assert gec.reasons == [expected]
    # nothing qualifies: the whole 2000 kWh take the residual mix, 2000 x 0.58 = 1160
    assert footprint.total_kg_co2e == pytest.approx(1160.0, rel=TOL)


def test_contract_needs_its_id_and_instruments_never_exceed_consumption():
    ppa = (
        "            - {type: ppa, amount: 3, unit: MWh, factor: pv, registry: Guangdong "
        "power exchange, vintage: 2024, region: CN-GD, contract_id: GD-PPA-7}\n"
    )
    text = MODEL.replace("RESIDUAL", ppa + "RESIDUAL")
    footprint = run(text=text)
    instruments = footprint.electricity.inputs[0].instruments
    # the GEC covers 1000 kWh, the PPA the remaining 1000 of its 3000: 2000 x 0.04 = 80
    assert [i.counted for i in instruments] == [1000.0, 0.0, 1000.0]
    assert footprint.total_kg_co2e == pytest.approx(80.0, rel=TOL)
    assert "only 1000 kWh of the consumption were left" in footprint.electricity.inputs[0].notes[0]
    no_id = run(text=text.replace(", contract_id: GD-PPA-7", ""))
    assert no_id.electricity.inputs[0].instruments[2].reasons == [
        "a contract needs its contract_id"
    ]


def test_model_without_market_data_has_no_electricity_block():
    text = MODEL.split("        market:")[0] + "factors:" + MODEL.split("factors:")[1]
    footprint = run(text=text.replace("RESIDUAL", ""))
    assert footprint.electricity is None
    assert footprint.total_kg_co2e == pytest.approx(1073.2, rel=TOL)


def test_instruments_as_period_totals_cover_each_run_in_proportion():
    # The plant used 8 MWh in 2024 and holds 2 MWh of GEC (serials 100..101): a quarter of
    # each run's 2000 kWh is covered: 500 x 0.04 + 1500 x 0.58 = 20 + 870 = 890.
    text = MODEL.replace("{type: gec, amount: 1,", "{type: gec, amount: 2,").replace(
        "serial_start: 100, serial_end: 100,", "serial_start: 100, serial_end: 101,"
    )
    text = text.replace("        market:\n", "        market:\n          period_consumption: 8\n")
    footprint = run(text=text)
    gec = footprint.electricity.inputs[0].instruments[0]
    assert (gec.qualifies, gec.amount, gec.counted) == (True, 500.0, 500.0)
    assert footprint.total_kg_co2e == pytest.approx(890.0, rel=TOL)


def test_a_certificate_listed_twice_counts_once():
    # The I-REC line replaced by the same GEC serial 100 (retired): without the unique-claim
    # check both would count and the market-based result would be 2000 x 0.04 = 80; with it
    # the second claim covers nothing: 1000 x 0.04 + 1000 x 0.58 = 620.
    text = MODEL.replace(
        """{type: i-rec, amount: 0.5, unit: MWh, factor: pv, registry: I-REC,
               serial_prefix: "IREC-", serial_start: 1, serial_end: 1,
               vintage: 2024, region: CN, retired: false}""",
        """{type: gec, amount: 1, unit: MWh, factor: pv, registry: "china  gec",
               serial_prefix: "gec-2024-", serial_start: 100, serial_end: 100,
               vintage: 2024, region: CN, retired: true}""",
    )
    footprint = run(text=text)
    assert footprint.total_kg_co2e == pytest.approx(620.0, rel=TOL)
    first, again = footprint.electricity.inputs[0].instruments
    assert (first.qualifies, first.counted) == (True, 1000.0)
    assert (again.qualifies, again.counted) == (False, 0.0)
    (reason,) = again.reasons
    assert "overlap" in reason and "e.yaml:" in reason and "each certificate counts once" in reason


def test_period_totals_may_back_two_inputs_of_one_site():
    # Two runs' inputs of 2000 kWh each, the site used 8 MWh and holds 2 MWh of GEC: each input
    # is covered a quarter by the same certificates (shared period totals, not a double
    # claim): 2 x (500 x 0.04 + 1500 x 0.58) = 2 x 890 = 1780.
    text = MODEL.replace("{type: gec, amount: 1,", "{type: gec, amount: 2,").replace(
        "serial_start: 100, serial_end: 100,", "serial_start: 100, serial_end: 101,"
    )
    text = text.replace("        market:\n", "        market:\n          period_consumption: 8\n")
    start = text.index("      - factor: grid")
    end = text.index("factors:")
    block = text[start:end].replace("RESIDUAL", "          residual_mix: residual")
    text = text[:start] + block + block + text[end:]
    footprint = run(text=text)
    assert footprint.total_kg_co2e == pytest.approx(1780.0, rel=TOL)
    assert all(i.instruments[0].qualifies for i in footprint.electricity.inputs)
