"""The PET bottle example (examples/pet_bottle.yaml) by hand, and the CLI options of issue 11:
``calc --scenario``, ``calc --sweep``, ``calc --allocation``, ``model import``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shared_data import SAMPLES, SKIP_WITHOUT_SHARED
from tanzuji.cli import app
from tanzuji.factors.starter import StarterFactorSource
from tanzuji.footprint import calculate
from tanzuji.model.files import load_model
from tanzuji.model.scenarios import scenario

ROOT = Path(__file__).resolve().parents[1]
BOTTLE = ROOT / "examples" / "pet_bottle.yaml"
# Starter factors (src/tanzuji/data/factors): DESNZ 2023 PET primary 4018.4834060710423 and
# closed-loop source 3121.344294397623 kg CO2e/t; MEE 2022 China Southern Grid 0.3869 and
# national excluding market-traded non-fossil 0.5856 kg CO2/kWh.
PET_PRIMARY, PET_RECYCLED = 4.0184834060710423, 3.121344294397623  # per kg
CSG, RESIDUAL = 0.3869, 0.5856


def bottle(parameter_set=None):
    loaded = load_model(BOTTLE)
    ps = scenario(loaded.model, parameter_set) if parameter_set else None
    return calculate(loaded, factor_source=StarterFactorSource(), parameter_set=ps)


def test_pet_bottle_electricity_by_hand():
    # 1 kg of bottles takes 1.5 kWh (kwh_per_kg). Location: 1.5 x 0.3869 = 0.58035.
    # Market: the GEC covers 600 of 1500 MWh = 40 % at 0 kg/kWh; 60 % takes the residual mix:
    # 0.6 x 1.5 x 0.5856 = 0.52704.
    footprint = bottle()
    electricity = footprint.electricity
    assert footprint.by_stage["production"] == pytest.approx(0.6 * 1.5 * RESIDUAL, rel=1e-12)
    assert electricity.location_based_kg_co2e - electricity.market_based_kg_co2e == pytest.approx(
        1.5 * CSG - 0.6 * 1.5 * RESIDUAL, rel=1e-9
    )


@pytest.mark.parametrize(("name", "share"), [(None, 0.25), ("eu_2030", 0.30)])
def test_pet_bottle_material_part_by_hand(name, share):
    # CFF material part per kg PET, A = 0.5, Qsin/Qp = 1:
    #   (1 - R1) Ev + R1 (A Erecycled + (1 - A) Ev) with R1 = rpet_share.
    # 1 kg of bottles holds 0.020 / 0.022 kg PET, moulded with 2 % scrap: x 1.02.
    per_kg = (1 - share) * PET_PRIMARY + share * (0.5 * PET_RECYCLED + 0.5 * PET_PRIMARY)
    pet_kg = 0.020 / 0.022 * 1.02
    footprint = bottle(name)
    pet = next(p for p in footprint.by_process if p.id == "pet")
    assert pet.upstream_kg_co2e == pytest.approx(pet_kg * per_kg, rel=1e-12)
    assert footprint.inputs.parameter_set == (name or "baseline")


def test_pet_bottle_sales_unit_and_credits():
    footprint = bottle()
    # one bottle is 0.022 kg = 0.022 declared units
    assert footprint.per_sales_unit.total_kg_co2e == pytest.approx(
        0.022 * footprint.total_kg_co2e, rel=1e-12
    )
    kinds = {item.kind: item.counted for item in footprint.credits.items}
    assert kinds == {"avoided_product": False, "recycling": True}
    # the avoided scrap: 0.020 x 0.02 x 0.5 kg per bottle, / 0.022 per kg of bottles
    scrap = next(i for i in footprint.credits.items if i.kind == "avoided_product")
    assert scrap.kg_co2e == pytest.approx(-0.020 * 0.02 * 0.5 / 0.022 * PET_PRIMARY, rel=1e-12)


runner = CliRunner()


def test_cli_sweep_scenario_and_allocation(tmp_path, monkeypatch):
    monkeypatch.setenv("TANZUJI_DATA_DIR", str(tmp_path))
    result = runner.invoke(app, ["calc", str(BOTTLE), "--sweep", "rpet_share=0:1:0.5", "--json"])
    assert result.exit_code == 0, result.output
    table = json.loads(result.output)
    assert [row["value"] for row in table["rows"]] == [0.0, 0.5, 1.0]
    assert table["rows"][1]["parameter_set"] == "baseline, rpet_share=0.5"
    printed = runner.invoke(
        app, ["calc", str(BOTTLE), "--scenario", "eu_2030"], env={"COLUMNS": "200"}
    )
    assert printed.exit_code == 0, printed.output
    for text in ("credits 抵扣", "electricity 电力", "parameter set 参数集: eu_2030", "sales unit"):
        assert text in printed.output
    bad = runner.invoke(app, ["calc", str(BOTTLE), "--allocation", "magic"])
    assert bad.exit_code == 1
    bad = runner.invoke(app, ["calc", str(BOTTLE), "--scenario", "nope"])
    assert bad.exit_code == 1


@SKIP_WITHOUT_SHARED
def test_cli_model_import(tmp_path, monkeypatch):
    monkeypatch.setenv("TANZUJI_DATA_DIR", str(tmp_path))
    out = tmp_path / "rice.yaml"
    args = ["model", "import", str(SAMPLES / "simapro_csv" / "allocation.csv"), "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "2 process(es)" in result.output
    assert load_model(out).model.processes[1].allocation == "shares"
    again = runner.invoke(app, args)
    assert again.exit_code == 1  # never overwrites without --force
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
