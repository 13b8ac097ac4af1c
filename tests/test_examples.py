"""The example models in ``examples/``: they load, compute, and their numbers can be redone by hand.

Every expected value below is recomputed from the numbers written in the example files
(parameters in the YAML) and the factor values of the starter data
(``src/tanzuji/data/factors/*.csv``, each row citing its source) or ``examples/factors.csv``;
GWP100 values are IPCC AR6 WG1 Table 7.15 (CH4 fossil 29.8, N2O 273), the project's default set.
The factors resolve from the built-in starter data here (no database), as on a fresh machine.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tanzuji.cli import app
from tanzuji.engine.calculate import Calculation
from tanzuji.factors.starter import BUILTIN_RELEASE, StarterFactorSource, load_starter
from tanzuji.footprint import Footprint, calculate
from tanzuji.model.compile import compile_model
from tanzuji.model.files import load_model, load_model_text

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
MODELS = sorted(EXAMPLES.glob("*.yaml"))
GWP_CH4_FOSSIL = 29.8  # IPCC AR6 WG1 Table 7.15
GWP_N2O = 273.0  # IPCC AR6 WG1 Table 7.15


def _footprint(name: str) -> Footprint:
    return calculate(load_model(EXAMPLES / name), factor_source=StarterFactorSource())


def _process(fp: Footprint, activity_id: str):
    return next(p for p in fp.by_process if p.id == activity_id)


def _csv_rows() -> list[dict[str, str]]:
    with open(EXAMPLES / "factors.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_four_examples_are_shipped():
    assert [m.name for m in MODELS] == [
        "cotton_tshirt.yaml",
        "lfp_battery_pack.yaml",
        "pet_bottle.yaml",
        "pv_module.yaml",
    ]


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_example_computes_and_adds_up(path: Path):
    fp = _footprint(path.name)
    assert math.isfinite(fp.total_kg_co2e) and fp.total_kg_co2e > 0
    # Stage contributions and process contributions partition the burdens (the total, or the
    # total without the credits reported apart: docs/model.md "Avoided products").
    burdens = fp.credits.burdens_kg_co2e if fp.credits else fp.total_kg_co2e
    if fp.credits:
        assert fp.total_kg_co2e == pytest.approx(burdens + fp.credits.counted_kg_co2e)
    assert sum(fp.by_stage.values()) == pytest.approx(burdens, rel=1e-12)
    assert sum(p.direct_kg_co2e for p in fp.by_process) == pytest.approx(burdens, rel=1e-12)
    # So do the gases (characterized inventory).
    assert sum(g.kg_co2e for g in fp.by_gas) == pytest.approx(burdens, rel=1e-12)
    # The stages a report knows are all there (ISO 14067:2018 6.3.4).
    assert {"raw_materials", "production", "distribution", "end_of_life"} <= set(fp.by_stage)


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_example_names_are_bilingual(path: Path):
    model = load_model(path).model
    assert model.product.name.zh and model.product.name.en
    for process in model.processes:
        assert process.name.zh and process.name.en, process.id


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_every_factor_used_has_a_source_and_its_illustrative_flag(path: Path):
    fp = _footprint(path.name)
    flags = {row["id"]: row["illustrative"].strip().lower() == "true" for row in _csv_rows()}
    starter = {record.id for record in load_starter()}
    assert fp.inputs.factors, "an example without factors proves nothing"
    for factor in fp.inputs.factors:
        assert factor.source.strip(), factor.id
        if factor.id in starter:
            # Starter factors are sourced, never illustrative, and say where they came from.
            assert not factor.illustrative, factor.id
            assert factor.release == BUILTIN_RELEASE, factor.id
        else:
            assert factor.illustrative is flags[factor.id], factor.id
            assert factor.release is None, factor.id


def test_examples_use_starter_factors_and_the_csv_only_for_what_the_starter_data_lacks():
    starter = {record.id for record in load_starter()}
    csv_ids = {row["id"] for row in _csv_rows()}
    assert not csv_ids & starter, "factors.csv repeats a starter factor"
    used = {f.id for path in MODELS for f in _footprint(path.name).inputs.factors}
    assert csv_ids <= used, f"factors.csv rows no example uses: {csv_ids - used}"
    assert len(used & starter) >= 10


def test_every_csv_row_cites_a_source_and_illustrative_rows_say_so():
    rows = _csv_rows()
    assert len(rows) >= 3
    for line, row in enumerate(rows, start=2):
        assert len(row["source"]) > 40, f"factors.csv:{line} source too short to be a citation"
        assert row["name_zh"].strip() and row["name_en"].strip(), f"factors.csv:{line}"
        if row["illustrative"].strip().lower() == "true":
            assert row["source"].startswith("ILLUSTRATIVE"), f"factors.csv:{line}"


def test_illustrative_factors_are_flagged_in_results():
    battery = _footprint("lfp_battery_pack.yaml")
    assert not [f.id for f in battery.inputs.factors if f.illustrative]
    tshirt = _footprint("cotton_tshirt.yaml")
    assert {f.id for f in tshirt.inputs.factors if f.illustrative} == {
        "nitrogen_fertiliser_production_illustrative"
    }
    pv = _footprint("pv_module.yaml")
    assert not [f.id for f in pv.inputs.factors if f.illustrative]


ALUMINIUM = (
    "desnz2023.material-use.metal.metal-aluminium-cans-and-foil-excl-forming"
    ".primary-material-production.t"
)


def test_battery_reference_flow_and_cell_contribution_by_hand():
    fp = _footprint("lfp_battery_pack.yaml")
    # lifetime energy = 60 kWh x 3000 cycles x 0.9 = 162 000 kWh; packs per kWh = 1/162 000
    lifetime_kwh = 60 * 3000 * 0.9
    recycled = _process(fp, "recycling")
    assert recycled.amount == pytest.approx(1 / lifetime_kwh, rel=1e-12)
    # cells: 60 kWh per pack = 60 / 0.16 kg of cells holding 0.16 kWh/kg each, x 109.32 kg
    # CO2e/kWh (Hao et al. 2017): the mass cancels, 60 x 109.32 per pack
    cells = _process(fp, "factor:hao2017_lfp_battery_kwh@cell_materials")
    assert cells.direct_kg_co2e == pytest.approx((60 / 0.16) * 0.16 * 109.32 / lifetime_kwh)
    assert cells.direct_kg_co2e == pytest.approx(60 * 109.32 / lifetime_kwh, rel=1e-12)
    # aluminium enclosure: 60 kg x 9108.72731 kg CO2e/t (DESNZ 2023 starter row) per pack
    aluminium = _process(fp, f"factor:{ALUMINIUM}@enclosure")
    assert aluminium.direct_kg_co2e == pytest.approx(
        60 / 1000 * 9108.72731 / lifetime_kwh, rel=1e-12
    )
    # raw materials = cells + enclosure, nothing else
    assert fp.by_stage["raw_materials"] == pytest.approx(
        (60 * 109.32 + 0.060 * 9108.72731) / lifetime_kwh, rel=1e-12
    )
    # the use stage is excluded (EU 2023/1542 Annex II): no process of the model is in it
    assert fp.by_stage.get("use", 0.0) == 0.0


def test_battery_production_by_hand():
    fp = _footprint("lfp_battery_pack.yaml")
    lifetime_kwh = 60 * 3000 * 0.9
    # East China grid 2022 0.5617 kg CO2/kWh (MEE starter row) x 120 kWh; natural gas IPCC 2006
    # Table 2.3: 56 100 kg CO2, 1 kg CH4, 0.1 kg N2O per TJ x 200 MJ; board 801.52177 and film
    # 2560.25566 kg CO2e/t (DESNZ 2023) x 10 kg and 2 kg
    gas_per_mj = (56100 + 1 * GWP_CH4_FOSSIL + 0.1 * GWP_N2O) / 1e6
    per_pack = 120 * 0.5617 + 200 * gas_per_mj + 0.010 * 801.52177 + 0.002 * 2560.25566
    assert fp.by_stage["production"] == pytest.approx(per_pack / lifetime_kwh, rel=1e-12)


def test_battery_distribution_by_hand():
    fp = _footprint("lfp_battery_pack.yaml")
    lifetime_kwh = 60 * 3000 * 0.9
    shipped_t = (400 + 10 + 2 + 25) / 1000  # pack + board + film + pallet
    truck_tkm = shipped_t * (1200 + 300)
    sea_tkm = shipped_t * 19500
    # US EPA Hub 2021 Table 8 per short ton-mile / 1.459972 tkm (starter rows): truck 0.211 kg
    # CO2, 0.002 g CH4, 0.0049 g N2O; waterborne 0.036 kg CO2, 0.0116 g CH4, 0.0016 g N2O
    truck = 0.1445233 + 1.369889e-6 * GWP_CH4_FOSSIL + 3.356228e-6 * GWP_N2O
    ship = 0.024658 + 7.945356e-6 * GWP_CH4_FOSSIL + 1.095911e-6 * GWP_N2O
    per_pack = truck_tkm * truck + sea_tkm * ship
    assert fp.by_stage["distribution"] == pytest.approx(per_pack / lifetime_kwh, rel=1e-12)


def test_pv_functional_unit_and_silicon_electricity_by_hand():
    fp = _footprint("pv_module.yaml")
    # 0.55 kWp x 1500 kWh/kWp/a x 30 a x (1 - 0.0105) = 24 494.1 kWh DC per module
    lifetime_kwh = 0.55 * 1500 * 30 * (1 - 0.0105)
    modules_per_kwh = 1 / lifetime_kwh
    assert _process(fp, "module_life_cycle").amount == pytest.approx(modules_per_kwh, rel=1e-12)
    silicon_kg = 550 * 2.2 / 1000  # polysilicon per module
    # polysilicon 60 kWh/kg + ingot and wafer 35 kWh/kg, Northwest grid 0.5857 kg CO2/kWh
    # (one column per factor and using process: polysilicon and ingot_wafer)
    grid = "cn-mee.electricity.2022.cn-nwcg.avg"
    poly = _process(fp, f"factor:{grid}@polysilicon")
    wafer = _process(fp, f"factor:{grid}@ingot_wafer")
    assert poly.direct_kg_co2e == pytest.approx(60 * silicon_kg * 0.5857 * modules_per_kwh)
    assert poly.direct_kg_co2e + wafer.direct_kg_co2e == pytest.approx(
        (60 + 35) * silicon_kg * 0.5857 * modules_per_kwh, rel=1e-12
    )
    # glass: 2.58 m2 x 3.2 mm x 2500 kg/m3 = 20.64 kg per module, 1402.76667 kg CO2e/t (the
    # DESNZ flat file holds 1402.7666666666664)
    glass = _process(
        fp, "factor:desnz2023.material-use.other.glass.primary-material-production.t@solar_glass"
    )
    assert glass.direct_kg_co2e == pytest.approx(
        2.58 * 0.0032 * 2500 / 1000 * 1402.7666666666664 * modules_per_kwh, rel=1e-12
    )


def _fibre_co2_per_kg() -> float:
    # cellulose share 0.95 x carbon share of (C6H10O5)n x CO2/C mass ratio
    carbon_share = 6 * 12.011 / (6 * 12.011 + 10 * 1.008 + 5 * 15.999)
    return 0.95 * carbon_share * (12.011 + 2 * 15.999) / 12.011


def test_tshirt_biogenic_removal_and_its_return_at_end_of_life():
    fp = _footprint("cotton_tshirt.yaml")
    removal = -0.2 * _fibre_co2_per_kg()  # 200 g of fibre in the shirt
    assert removal == pytest.approx(-0.3094, abs=5e-5)  # the magnitude we expect to see
    assert fp.iso14067.biogenic_ghg_removals == pytest.approx(removal, rel=1e-12)
    assert fp.iso14067.biogenic_ghg_emissions == pytest.approx(-removal, rel=1e-12)
    pact = fp.pact
    # PACT v3: pcfExcludingBiogenicUptake leaves out biogenic CO2 emitted and taken up; the
    # fibre carbon taken up (-0.3094) returns at end of life (+0.3094), so the net biogenic CO2
    # uptake is 0 and Excluding = Including = total.
    assert pact.pcfExcludingBiogenicUptake == pytest.approx(
        pact.pcfIncludingBiogenicUptake, rel=1e-12
    )
    assert pact.pcfIncludingBiogenicUptake == pytest.approx(fp.total_kg_co2e, rel=1e-12)
    # every gas line of the removal is CO2, biogenic, flagged as a removal
    removals = [g for g in fp.by_gas if g.removal]
    assert [(g.gas, g.origin) for g in removals] == [("CO2", "biogenic")]


def test_tshirt_ginning_economic_allocation_by_hand():
    loaded = load_model(EXAMPLES / "cotton_tshirt.yaml")
    compiled = compile_model(loaded, StarterFactorSource())
    system = compiled.system
    intensities = Calculation.from_system(system).intensities()
    lint = intensities[system.index_of("ginning")]
    seed = intensities[system.index_of("ginning#cottonseed")]
    # economic allocation: revenue 0.40 kg x 15 CNY (lint) and 0.55 kg x 2.5 CNY (seed)
    share_lint = 0.40 * 15.0 / (0.40 * 15.0 + 0.55 * 2.5)
    share_seed = 1 - share_lint
    # burden of ginning 1 kg seed cotton: cultivation + ginning electricity
    fertiliser = 0.06 * 8.0
    diesel = 0.05 * 43.0 * (0.0741 + 4.15e-6 * GWP_CH4_FOSSIL + 28.6e-6 * GWP_N2O)
    irrigation = 0.3 * 0.5857
    field_n2o = 0.06 * (0.01 + 0.10 * 0.010 + 0.30 * 0.0075) * 44 / 28 * GWP_N2O
    burden = fertiliser + diesel + irrigation + field_n2o + 0.08 * 0.5857
    assert lint == pytest.approx(share_lint * burden / 0.40, rel=1e-12)
    assert seed == pytest.approx(share_seed * burden / 0.55, rel=1e-12)
    # the two products together carry the whole burden, nothing more
    assert lint * 0.40 + seed * 0.55 == pytest.approx(burden, rel=1e-12)


def test_tshirt_use_stage_by_hand():
    fp = _footprint("cotton_tshirt.yaml")
    # 50 washes x 0.5 kWh per 4 kg load x 0.2 kg shirt, China national grid 0.5366 kg CO2/kWh
    assert fp.by_stage["use"] == pytest.approx(50 * 0.5 * 0.2 / 4.0 * 0.5366, rel=1e-12)


def test_intensity_route_equals_direct_solve_for_every_example():
    for path in MODELS:
        compiled = compile_model(load_model(path), StarterFactorSource())
        calculation = Calculation.from_system(compiled.system)
        demand = compiled.system.demand
        direct = calculation.score(calculation.supply_array(demand))
        assert float(demand @ calculation.intensities()) == pytest.approx(direct, rel=1e-10)
        assert np.all(np.isfinite(calculation.intensities()))


def test_calc_command_by_process_with_tree():
    model = str(EXAMPLES / "lfp_battery_pack.yaml")
    result = CliRunner().invoke(app, ["calc", model, "--by", "process", "--tree"])
    assert result.exit_code == 0, result.output
    assert "per 1 kWh" in result.output
    assert "LFP cells and modules" in result.output


def test_calc_resolves_starter_ids_without_a_database(tmp_path: Path):
    # conftest points data_dir at an empty folder: no database, the built-in data answers.
    model = str(EXAMPLES / "pv_module.yaml")
    result = CliRunner().invoke(app, ["calc", model, "--json"])
    assert result.exit_code == 0, result.output
    used = Footprint.model_validate_json(result.output).inputs.factors
    assert {f.release for f in used} == {BUILTIN_RELEASE}


def test_the_example_in_docs_model_md_computes_as_written():
    page = (EXAMPLES.parent / "docs" / "model.md").read_text(encoding="utf-8")
    block = page.split("```yaml\n", 1)[1].split("```", 1)[0]
    fp = calculate(load_model_text(block, "kettle.yaml"))
    # steel 0.8 x 2.0; assembly (0.5 + 0.2 x 0.8) kWh x 0.5366; CH4 0.002 kg x 29.8 (AR6 fossil);
    # truck 1.2 / 1000 x 800 tkm x (0.12168 + 0.00198)
    expected = 0.8 * 2.0 + 0.66 * 0.5366 + 0.002 * GWP_CH4_FOSSIL + 0.96 * (0.12168 + 0.00198)
    assert fp.total_kg_co2e == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(2.1324696, rel=1e-12)  # the figure quoted in the page
    assert [f.id for f in fp.inputs.factors if f.illustrative] == ["steel"]
