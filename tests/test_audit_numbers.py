"""Independent audit of the numbers Tanzuji reports, each worked out by hand in the comments.

GWP100 values are those of ``src/tanzuji/data/gwp100.csv`` (AR6 WG1 Table 7.15 for methane:
fossil 29.8, non-fossil 27.0; N2O 273 from Table 7.SM.7; AR5 30 / 28 / 265; AR4 25 / 25 / 298).
PACT quantities follow the ``x-comment`` formulas of PACT Tech Specs v3.0.3
(``/work/shared/reference/pact/v3/openapi-3.0.3.json``, schema ``CarbonFootprint``).
"""

from __future__ import annotations

import csv

import pytest

from shared_data import REFERENCE, SKIP_WITHOUT_SHARED
from tanzuji import gases, units
from tanzuji.errors import UnitMismatch
from tanzuji.factors.starter import load_starter
from tanzuji.footprint import calculate
from tanzuji.model.compile import compile_model
from tanzuji.model.files import load_model_text
from tanzuji.quality import ContributionItem, rate

# -- 1. ISO 14067 separate lines and PACT quantities -----------------------------------------

LINES_MODEL = """
product:
  id: p
  name: P
  functional_unit: {unit: kg}
  reference_flow: {process: a}
processes:
  - id: a
    name: A
    life_cycle_stage: production
    reference_product: {unit: kg}
    emissions:
      - {gas: CO2, amount: 10}
      - {gas: CH4, amount: 0.1}
      - {gas: CH4, amount: 0.1, origin: biogenic}
      - {gas: N2O, amount: 0.01}
      - {gas: CO2, amount: 5, origin: biogenic}
      - {gas: CO2, amount: -8, origin: biogenic}
      - {gas: CO2, amount: 3, origin: land_use_change}
      - {gas: CO2, amount: -2, origin: land_management}
      - {gas: CO2, amount: 4, aircraft: true}
"""


def test_iso14067_lines_and_pact_quantities_by_hand():
    fp = calculate(load_model_text(LINES_MODEL), gwp_set="AR6")
    # AR6, kg CO2e:
    #   fossil CO2 10; fossil CH4 0.1*29.8 = 2.98; N2O 0.01*273 = 2.73; aircraft CO2 4
    #   biogenic CH4 0.1*27.0 = 2.70; biogenic CO2 +5; biogenic removal -8
    #   land-use change CO2 3; land-management removal -2
    # total = 10 + 2.98 + 2.73 + 4 + 2.70 + 5 - 8 + 3 - 2 = 20.41 (aircraft once)
    assert fp.total_kg_co2e == pytest.approx(20.41, rel=1e-12)
    iso = fp.iso14067
    assert iso.fossil_ghg_emissions == pytest.approx(10 + 2.98 + 2.73 + 4, rel=1e-12)  # 19.71
    assert iso.biogenic_ghg_emissions == pytest.approx(2.70 + 5, rel=1e-12)
    assert iso.biogenic_ghg_removals == pytest.approx(-8, rel=1e-12)
    assert iso.land_use_change_ghg_emissions == pytest.approx(3, rel=1e-12)
    assert iso.land_management_ghg_emissions == 0
    assert iso.land_management_ghg_removals == pytest.approx(-2, rel=1e-12)
    assert iso.aircraft_ghg_emissions == pytest.approx(4, rel=1e-12)
    # The origin lines add up to the total; aircraft is a sub-line of fossil, not added again.
    assert (
        iso.fossil_ghg_emissions
        + iso.biogenic_ghg_emissions
        + iso.biogenic_ghg_removals
        + iso.land_use_change_ghg_emissions
        + iso.land_management_ghg_emissions
        + iso.land_management_ghg_removals
    ) == pytest.approx(fp.total_kg_co2e, rel=1e-12)
    pact = fp.pact
    # PACT v3 pcfExcludingBiogenicUptake = fossilGhgEmissions + landUseChangeGhgEmissions
    #   + landManagementBiogenicCO2Emissions + landManagementBiogenicCO2Removals
    #   + biogenicNonCO2Emissions = 19.71 + 3 + 0 - 2 + 2.70 = 23.41
    # (biogenic CO2 emissions and uptake are both left out: the 5 kg emitted is not counted
    # while the uptake is excluded).
    assert pact.pcfExcludingBiogenicUptake == pytest.approx(23.41, rel=1e-12)
    # pcfIncludingBiogenicUptake = excluding + biogenicCO2Uptake (net biogenic CO2 taken up:
    # 5 - 8 = -3) = 23.41 - 3 = 20.41 = the total.
    assert pact.pcfIncludingBiogenicUptake == pytest.approx(20.41, rel=1e-12)
    assert pact.fossilGhgEmissions == pytest.approx(19.71, rel=1e-12)
    assert pact.landUseChangeGhgEmissions == pytest.approx(3, rel=1e-12)
    assert pact.landManagementBiogenicCO2Removals == pytest.approx(-2, rel=1e-12)  # <= 0
    assert pact.aircraftGhgEmissions == pytest.approx(4, rel=1e-12)
    # Removals are reported apart in by_gas, negative.
    removals = [g for g in fp.by_gas if g.removal]
    assert sorted(g.kg_co2e for g in removals) == pytest.approx([-8, -2])


@pytest.mark.parametrize(
    ("gwp_set", "fossil", "non_fossil", "n2o"),
    [("AR4", 25, 25, 298), ("AR5", 30, 28, 265), ("AR6", 29.8, 27.0, 273)],
)
def test_methane_gwp_by_origin_in_each_set(gwp_set, fossil, non_fossil, n2o):
    fp = calculate(load_model_text(LINES_MODEL), gwp_set=gwp_set)
    by = {(g.gas, g.origin): g for g in fp.by_gas if not g.removal and not g.aircraft}
    assert by[("CH4", "fossil")].gwp100 == fossil
    assert by[("CH4", "biogenic")].gwp100 == non_fossil
    assert by[("N2O", "fossil")].gwp100 == n2o
    # land-use-change and land-management methane are non-fossil too
    assert gases.gwp("CH4", "land_use_change", gwp_set) == non_fossil
    # total = 10 + 4 + 5 - 8 + 3 - 2 (CO2) + 0.1 fossil + 0.1 non-fossil + 0.01 n2o
    expected = 12 + 0.1 * fossil + 0.1 * non_fossil + 0.01 * n2o
    assert fp.total_kg_co2e == pytest.approx(expected, rel=1e-12)


def test_pact_excluding_without_biogenic_co2_equals_total_minus_removals():
    # Only fossil CO2 2 kg and a biogenic removal -1: excluding = 2, including = 1.
    body = LINES_MODEL.split("    emissions:\n")[0] + (
        "    emissions:\n      - {gas: CO2, amount: 2}\n"
        "      - {gas: CO2, amount: -1, origin: biogenic}\n"
    )
    fp = calculate(load_model_text(body))
    assert fp.pact.pcfExcludingBiogenicUptake == pytest.approx(2, rel=1e-12)
    assert fp.pact.pcfIncludingBiogenicUptake == pytest.approx(1, rel=1e-12)


# -- 2. Allocation ----------------------------------------------------------------------------


def _two_output(allocation: str, ref: str, co: str, consumer: str = "") -> str:
    return f"""
product:
  id: p
  name: P
  functional_unit: {{unit: kg}}
  reference_flow: {{process: {"use" if consumer else "mill"}}}
processes:
  - id: mill
    name: Mill
    life_cycle_stage: production
    allocation: {allocation}
    reference_product: {ref}
    co_products:
      - {co}
    emissions:
      - {{gas: CO2, amount: 100}}
{consumer}"""


@pytest.mark.parametrize(
    ("allocation", "ref", "co", "share"),
    [
        # mass: 600 kg and 0.4 t = 400 kg -> 600/1000 = 0.6 (t converted to kg)
        ("mass", "{amount: 600, unit: kg}", "{id: bran, amount: 0.4, unit: t}", 0.6),
        # mass given explicitly for a non-mass unit: 2 pieces of 30 kg mass_kg total vs 90 kg
        (
            "mass",
            "{amount: 2, unit: piece, mass_kg: 30}",
            "{id: bran, amount: 90, unit: kg}",
            0.25,
        ),
        # energy: 1 GJ = 1000 MJ vs 1000 kWh = 3600 MJ -> 1000/4600
        ("energy", "{amount: 1, unit: GJ}", "{id: bran, amount: 1000, unit: kWh}", 1000 / 4600),
        # economic: 600 kg x 2 CNY = 1200, 400 kg x 0.5 = 200 -> 1200/1400
        (
            "economic",
            "{amount: 600, unit: kg, price: 2}",
            "{id: bran, amount: 400, unit: kg, price: 0.5}",
            1200 / 1400,
        ),
        (
            "shares",
            "{amount: 600, unit: kg, share: 0.7}",
            "{id: bran, amount: 1, unit: kg, share: 0.3}",
            0.7,
        ),
    ],
)
def test_two_output_allocation_by_hand(allocation, ref, co, share):
    compiled = compile_model(load_model_text(_two_output(allocation, ref, co)))
    system = compiled.system
    mill, bran = system.index_of("mill"), system.index_of("mill#bran")
    b = system.biosphere_matrix.toarray()
    # 100 kg CO2 split: reference gets 100*share, co-product 100*(1-share)
    assert b[:, mill].sum() == pytest.approx(100 * share, rel=1e-12)
    assert b[:, bran].sum() == pytest.approx(100 * (1 - share), rel=1e-12)


def test_coproduct_consumed_by_another_process():
    # mill: 600 kg flour + 400 kg bran, mass allocation -> bran gets 40 kg CO2 per 400 kg,
    # 0.1 kg CO2/kg. 'use' consumes 0.5 t of bran (= 500 kg) and emits nothing itself:
    # footprint = 500 * 0.1 = 50 kg CO2e.
    consumer = """  - id: use
    name: Use
    life_cycle_stage: use
    reference_product: {unit: kg}
    inputs:
      - {process: "mill#bran", amount: 0.5, unit: t}
"""
    model = _two_output(
        "mass", "{amount: 600, unit: kg}", "{id: bran, amount: 400, unit: kg}", consumer
    )
    fp = calculate(load_model_text(model))
    assert fp.total_kg_co2e == pytest.approx(50, rel=1e-12)


# -- 3. Cumulative values, tree and Sankey on a chain with a loop -------------------------------

CHAIN = """
product:
  id: p
  name: P
  functional_unit: {unit: kg}
  reference_flow: {process: c, amount: 2}
processes:
  - id: c
    name: C
    life_cycle_stage: assembly
    reference_product: {unit: kg}
    inputs:
      - {process: b, amount: 1, unit: kg}
    emissions:
      - {gas: CO2, amount: 1}
  - id: b
    name: B
    life_cycle_stage: production
    reference_product: {unit: kg}
    inputs:
      - {process: a, amount: 2, unit: kg}
    emissions:
      - {gas: CO2, amount: 3}
  - id: a
    name: A
    life_cycle_stage: raw_materials
    reference_product: {unit: kg}
    inputs:
      - {process: b, amount: 0.25, unit: kg}
    emissions:
      - {gas: CO2, amount: 5}
"""


def test_chain_with_loop_cumulative_tree_and_sankey():
    # Intensities (kg CO2e/kg): lambda_a = 5 + 0.25 lambda_b; lambda_b = 3 + 2 lambda_a
    #   => lambda_b = 3 + 10 + 0.5 lambda_b => lambda_b = 26, lambda_a = 11.5
    #   lambda_c = 1 + lambda_b = 27.
    # Supply for 2 kg c: s_c = 2; s_b = 2 + 0.25 s_a; s_a = 2 s_b => s_b = 2 + 0.5 s_b
    #   => s_b = 4, s_a = 8.  Total = 2*1 + 4*3 + 8*5 = 54 = 2 * 27.
    fp = calculate(load_model_text(CHAIN), tree_cutoff=0.0, tree_max_nodes=400)
    assert fp.total_kg_co2e == pytest.approx(54, rel=1e-12)
    by = {p.id: p for p in fp.by_process}
    assert by["c"].amount == pytest.approx(2) and by["c"].upstream_kg_co2e == pytest.approx(54)
    # Upstream totals count the loop once (openLCA's loop factor, lf_j = 1 / (A_jj INV_jj)).
    # The loop block of b, a is [[1, -0.25], [-2, 1]] (det 0.5), its inverse [[2, 0.5], [4, 2]]:
    # INV_bb = INV_aa = 2, so lf_b = lf_a = 0.5 and
    #   upstream_b = lambda_b * 4 kg * 0.5 = 26 * 2 = 52  (not 104: intensity x gross output)
    #   upstream_a = lambda_a * 8 kg * 0.5 = 11.5 * 4 = 46  (not 92)
    # b delivers 2 kg out of the loop (to c), whose cradle-to-gate is 2 * 26 = 52.
    assert by["b"].amount == pytest.approx(4) and by["b"].upstream_kg_co2e == pytest.approx(52)
    assert by["a"].amount == pytest.approx(8) and by["a"].upstream_kg_co2e == pytest.approx(46)
    assert [by[k].direct_kg_co2e for k in "cba"] == pytest.approx([2, 12, 40])

    # Tree: each node's cumulative = its direct + its children's cumulative (no cut-off),
    # except where max_nodes stopped the unrolling of the loop (the leaves).
    root = fp.tree
    assert root.cumulative_kg_co2e == pytest.approx(54)
    assert root.direct_kg_co2e == pytest.approx(2)
    # c -> b (2 kg, 52) -> a (4 kg, 46) -> b (1 kg, 26) ...
    (b1,) = root.children
    assert (b1.amount, b1.cumulative_kg_co2e, b1.direct_kg_co2e) == pytest.approx((2, 52, 6))
    (a1,) = b1.children
    assert (a1.amount, a1.cumulative_kg_co2e, a1.direct_kg_co2e) == pytest.approx((4, 46, 20))

    def check(node) -> int:
        if node.children:
            total = node.direct_kg_co2e + sum(c.cumulative_kg_co2e for c in node.children)
            assert total == pytest.approx(node.cumulative_kg_co2e, rel=1e-9)
        return 1 + sum(check(c) for c in node.children)

    assert check(root) > 10
    # Sankey: the link into the root carries the whole upstream of c (54 - 2 = 52): it leaves
    # the loop, so lambda_b * 2 kg = 52. Inside the loop links are scaled by the supplier's
    # loop factor: a -> b: 0.5 * 11.5 * (2 * 4 kg) = 46, b -> a: 0.5 * 26 * (0.25 * 8 kg) = 26.
    links = {(x["source"], x["target"]): x["kg_co2e"] for x in fp.sankey.links}
    assert links == pytest.approx({("b", "c"): 52, ("a", "b"): 46, ("b", "a"): 26})
    nodes = {n["id"]: n for n in fp.sankey.nodes}
    assert {k: n["upstream_kg_co2e"] for k, n in nodes.items()} == pytest.approx(
        {"c": 54, "b": 52, "a": 46}
    )


# -- 4. Data quality --------------------------------------------------------------------------


def test_dqr_two_processes_70_30():
    # p1 70 kg CO2e, scores (rel, compl, temp, geo, tech) = (1, 1, 2, 1, 2)
    # p2 30 kg CO2e, scores (3, 1, 4, 5, 3).  p1 alone covers 70 % < 90 % -> both rated.
    # TeR (tech) = (70*2 + 30*3)/100 = 2.3; GeR = (70*1 + 30*5)/100 = 2.2;
    # TiR = (70*2 + 30*4)/100 = 2.6; P (reliability) = (70*1 + 30*3)/100 = 1.6
    # DQR = (2.3 + 2.2 + 2.6 + 1.6)/4 = 2.175 -> "good" (2.0, 3.0]
    items = [
        ContributionItem("p1", 70.0, (1, 1, 2, 1, 2), True),
        ContributionItem("p2", 30.0, (3, 1, 4, 5, 3), False),
    ]
    dq = rate(items)
    assert (dq.ter, dq.ger, dq.tir, dq.p) == pytest.approx((2.3, 2.2, 2.6, 1.6))
    assert dq.dqr == pytest.approx(2.175)
    assert dq.level == "good"
    assert dq.processes_rated == ["p1", "p2"]
    assert dq.coverage == pytest.approx(1.0)
    assert dq.primary_data_share == pytest.approx(70.0)
    # PACT 1..3 scale: 1 + (2.3 - 1)/2 = 1.65
    assert dq.pact_dqi["technologicalDQR"] == pytest.approx(1.65)


def test_dqr_of_a_computed_footprint_70_30():
    # Same rule end to end: process q emits 7 kg CO2 (pedigree 1,1,2,1,2) and consumes r,
    # which emits 3 kg CO2 (pedigree 3,1,4,5,3): 70 % / 30 % -> DQR 2.175.
    model = """
product: {id: p, name: P, functional_unit: {unit: kg}, reference_flow: {process: q}}
processes:
  - id: q
    name: Q
    life_cycle_stage: production
    reference_product: {unit: kg}
    inputs: [{process: r, amount: 1, unit: kg}]
    emissions:
      - gas: CO2
        amount: 7
        pedigree: {reliability: 1, completeness: 1, temporal: 2, geographical: 1, technological: 2}
  - id: r
    name: R
    life_cycle_stage: raw_materials
    reference_product: {unit: kg}
    emissions:
      - gas: CO2
        amount: 3
        pedigree: {reliability: 3, completeness: 1, temporal: 4, geographical: 5, technological: 3}
"""
    fp = calculate(load_model_text(model))
    assert fp.data_quality.dqr == pytest.approx(2.175)


# -- 5. Units ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "source", "target", "expected"),
    [
        (1, "kWh", "MJ", 3.6),  # 1 kWh = 3600 kJ
        (1, "GJ", "MJ", 1000),
        (1, "TJ", "kWh", 1e6 / 3.6),  # 1 TJ = 1e6 MJ / 3.6 MJ per kWh
        (1, "t*km", "kg*km", 1000),
        (1, "tkm", "kg km", 1000),
        (1, "m3", "L", 1000),
        (1, "t", "g", 1e6),
        (1, "吨", "kg", 1000),
        (1, "度", "MJ", 3.6),
    ],
)
def test_unit_conversions(amount, source, target, expected):
    assert units.convert(amount, source, target) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("a", "b"), [("CNY", "USD"), ("USD", "HKD"), ("元", "EUR")])
def test_currencies_never_convert(a, b):
    assert not units.convertible(a, b)
    with pytest.raises(UnitMismatch):
        units.convert(1, a, b)


# -- 6. Starter factors against their cited source text ---------------------------------------


def _starter() -> dict:
    return {r.id: r for r in load_starter()}


def _gas(record, gas: str) -> float:
    return next(g.amount_kg for g in record.gases if g.gas == gas)


@SKIP_WITHOUT_SHARED
def test_starter_values_equal_their_sources():
    starter = _starter()
    # China grid: reference CSV (MEE & NBS) rows, kg CO2/kWh, no conversion.
    with (REFERENCE / "factors/china_grid_co2_factors_mee.csv").open(encoding="utf-8") as f:
        grid = {
            (r["data_year"], r["region_en"].split(" ")[0]): r
            for r in csv.DictReader(f)
            if r["factor_type"].startswith("average")
        }
    national = grid[("2021", "China")]
    assert _gas(starter["cn-mee.electricity.2021.cn.avg"], "CO2") == float(
        national["kgCO2_per_kWh"]
    )  # 0.5568
    south = grid[("2022", "South")]
    assert _gas(starter["cn-mee.electricity.2022.cn-csg.avg"], "CO2") == float(
        south["kgCO2_per_kWh"]
    )  # 0.3869
    # DESNZ 2023 subset: kg CO2e per unit, no conversion.
    with (REFERENCE / "samples/emission_factors/desnz_conversion_factors_2023_subset.csv").open(
        encoding="utf-8"
    ) as f:
        desnz = {r["id_original"]: r for r in csv.DictReader(f)}
    # (the starter reads DESNZ's own flat file, unrounded; the subset keeps 5 decimals)
    assert starter["desnz2023.fuels.butane.t"].kg_co2e == pytest.approx(
        float(desnz["1_100_1000_15_1"]["GHG Conversion Factor 2023"]), rel=1e-8
    )  # 3033.38067
    uk = starter["desnz2023.uk-electricity.electricity-generated.electricity-uk.kwh"]
    assert uk.kg_co2e == pytest.approx(
        float(desnz["7_400_4000_5_1"]["GHG Conversion Factor 2023"]), abs=5e-6
    )  # 0.20707 (5 decimals in the subset)
    # EPA 40 CFR 98 Table C-1 / C-2 as printed in the EPA GHG Emission Factors Hub 2021,
    # Table 1: anthracite 103.69 kg CO2 and 11 g CH4 per mmBtu (HHV); per GJ = / 1.055056.
    # (The egrid CSV in the reference samples holds pre-2013 values, 0.11413328 short ton/mmBtu
    # = 103.54 kg: the audit of issue 10.)
    ant = starter["us-epa.combustion.anthracite-coal.gj-hhv"]
    assert _gas(ant, "CO2") == pytest.approx(103.69 / 1.055056, rel=1e-6)
    assert _gas(ant, "CH4") == pytest.approx(11 / 1000 / 1.055056, rel=1e-6)
    assert ant.heating_value == "HHV"
    # The same conversion through units.py (short ton, lb, MMBtu = 1.055056 GJ).
    assert units.convert(1, "short_ton", "kg") == pytest.approx(907.18474, rel=1e-12)


def test_factor_csv_rejects_non_finite_amounts(tmp_path):
    from tanzuji.errors import FactorFileError
    from tanzuji.factors.base import load_factor_csv

    path = tmp_path / "f.csv"
    path.write_text(
        "id,name_en,name_zh,unit,gas,origin,amount_kg,source\nx,X,X,kWh,CO2,fossil,nan,test\n",
        encoding="utf-8",
    )
    with pytest.raises(FactorFileError, match="amount_kg"):
        load_factor_csv(path)


def test_inline_factor_rejects_non_finite_amount():
    from tanzuji.errors import ModelError

    model = """
product: {id: p, name: P, functional_unit: {unit: kg}, reference_flow: {process: a}}
factors:
  - {id: f, name: F, unit: kWh, source: s, gases: [{gas: CO2, amount: .nan}]}
processes:
  - id: a
    name: A
    life_cycle_stage: production
    reference_product: {unit: kg}
    inputs: [{factor: f, amount: 1, unit: kWh}]
"""
    with pytest.raises(ModelError, match=r"factors\[0\]\.gases\[0\]\.amount"):
        load_model_text(model)
