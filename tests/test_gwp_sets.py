"""GWP sets: per-gas factors are recomputed in the requested set; CO2e-only factors of another
set are listed in the result (and a PCR may forbid them); methane takes its fossil or
non-fossil GWP100 by origin (issue 8).

GWP100 values (``src/tanzuji/data/gwp100.csv``): AR6 WG1 Table 7.15 methane fossil 29.8,
non-fossil 27.0, Table 7.SM.7 N2O 273; AR5 WG1 Table 8.A.1 fossil methane 30, methane 28,
N2O 265. DESNZ numbers: UK DESNZ GHG conversion factors 2023, Fuels > Gaseous fuels > Butane,
per tonne, in ``shared/reference/samples/emission_factors/desnz_conversion_factors_2023_subset.csv``
rows 1-4 (kg CO2e 3033.38067; of CO2 3029.26, of CH4 2.52, of N2O 1.60067; AR5 GWP100 per the
DESNZ 2023 methodology paper, which applies 28 to methane and 265 to N2O).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shared_data import REFERENCE, SKIP_WITHOUT_SHARED
from tanzuji import gases
from tanzuji.cli.app import app
from tanzuji.factors.base import MappingSource
from tanzuji.factors.record import FactorRecord, GasAmount, Source
from tanzuji.footprint import calculate
from tanzuji.model.files import load_model, load_model_text
from tanzuji.pcr import check_model, get_pcr
from tanzuji.pcr.schema import GwpSetConsistency

DESNZ = Source(
    publisher="UK Department for Energy Security and Net Zero (DESNZ)",
    document="Greenhouse gas reporting: conversion factors 2023",
    table="Fuels > Gaseous fuels > Butane, per tonne",
)


def desnz_butane(**kwargs) -> FactorRecord:
    """DESNZ 2023 butane per t with the published per-gas CO2e split (AR5)."""
    fields = {
        "id": "desnz-butane",
        "name_en": "Butane combustion",
        "unit": "t",
        "kg_co2e": 3033.38067,
        "gwp_set": "AR5",
        "gases": [
            GasAmount(gas="CO2", kg_co2e=3029.26),
            GasAmount(gas="CH4", kg_co2e=2.52, gwp100=28),
            GasAmount(gas="N2O", kg_co2e=1.60067),
        ],
        "source": DESNZ,
        "licence": "OGL v3.0",
    }
    fields.update(kwargs)
    return FactorRecord(**fields)


def desnz_total_only() -> FactorRecord:
    return desnz_butane(id="desnz-butane-total", gases=[])


MODEL = """\
product:
  id: p
  name: P
  functional_unit: {unit: kg}
  reference_flow: {process: burner}
processes:
  - id: burner
    name: Burner
    life_cycle_stage: production
    reference_product: {unit: kg}
    inputs:
      - {factor: FACTOR, amount: 1, unit: t}
"""


def footprint(record: FactorRecord, gwp_set: str):
    source = MappingSource([record.to_factor_data()])
    text = MODEL.replace("FACTOR", record.id)
    return calculate(load_model_text(text, "m.yaml"), gwp_set=gwp_set, factor_source=source)


# -- the GWP table ------------------------------------------------------------------------------
def test_methane_rows_carry_fossil_and_non_fossil_values_with_primary_citations():
    table = gases.table()
    fossil, non_fossil = table["CH4-fossil"], table["CH4-non-fossil"]
    assert (fossil.gwp100["AR6"], non_fossil.gwp100["AR6"]) == (29.8, 27.0)
    assert (fossil.gwp100["AR5"], non_fossil.gwp100["AR5"]) == (30.0, 28.0)
    assert "Table 7.15" in fossil.sources["AR6"] and "Table 7.15" in non_fossil.sources["AR6"]
    assert "Table 8.A.1" in fossil.sources["AR5"] and "Table 8.A.1" in non_fossil.sources["AR5"]
    for row in table.values():  # every value has a citation naming its IPCC table
        for gwp_set, value in row.gwp100.items():
            if value is not None:
                assert "Table" in row.sources[gwp_set], (row.gas, gwp_set)


@SKIP_WITHOUT_SHARED
def test_table_equals_the_reference_copy():
    # ../shared/reference/gwp_ar6_ar5.csv: the reference copy named in the table's citations.
    table = gases.table()
    with (REFERENCE / "gwp_ar6_ar5.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    fossil = next(r for r in rows if r["gas"].startswith("Methane, fossil"))
    non_fossil = next(r for r in rows if r["gas"].startswith("Methane, non-fossil"))
    assert float(fossil["gwp100_ar6"]) == table["CH4-fossil"].gwp100["AR6"]
    assert float(fossil["gwp100_ar5"]) == table["CH4-fossil"].gwp100["AR5"]
    assert float(non_fossil["gwp100_ar6"]) == table["CH4-non-fossil"].gwp100["AR6"]
    assert float(non_fossil["gwp100_ar5"]) == table["CH4-non-fossil"].gwp100["AR5"]
    n2o = next(r for r in rows if r["formula"] == "N2O")
    assert float(n2o["gwp100_ar6"]) == table["N2O"].gwp100["AR6"] == 273


@pytest.mark.parametrize(
    ("origin", "ar6", "ar5"),
    [
        ("fossil", 29.8, 30.0),
        ("biogenic", 27.0, 28.0),
        ("land_use_change", 27.0, 28.0),
        ("land_management", 27.0, 28.0),
    ],
)
def test_methane_gwp_by_origin(origin, ar6, ar5):
    text = MODEL.replace(
        "    inputs:\n      - {factor: FACTOR, amount: 1, unit: t}\n",
        f"    emissions:\n      - {{gas: CH4, amount: 2, origin: {origin}}}\n",
    )
    # 2 kg CH4 x GWP100
    assert calculate(load_model_text(text), gwp_set="AR6").total_kg_co2e == pytest.approx(2 * ar6)
    assert calculate(load_model_text(text), gwp_set="AR5").total_kg_co2e == pytest.approx(2 * ar5)


# -- per-gas CO2e is converted back to mass and recomputed ---------------------------------------
def test_per_gas_co2e_becomes_mass_with_the_publishers_gwp():
    record = desnz_butane()
    masses = {f.gas: f.amount_kg for f in record.flows()}
    # CO2 3029.26 / 1; CH4 2.52 / 28 (DESNZ's value) = 0.09; N2O 1.60067 / 265 (AR5 table).
    assert masses == pytest.approx({"CO2": 3029.26, "CH4": 0.09, "N2O": 1.60067 / 265})


def test_per_gas_factor_is_recomputed_in_the_requested_set():
    record = desnz_butane()
    # AR6: 3029.26 + 0.09 * 29.8 + (1.60067 / 265) * 273 = 3029.26 + 2.682 + 1.648992...
    ar6 = footprint(record, "AR6")
    assert ar6.total_kg_co2e == pytest.approx(3029.26 + 0.09 * 29.8 + 1.60067 / 265 * 273)
    assert ar6.gwp_set_mismatches is None
    # AR5: methane is fossil, AR5 Table 8.A.1 fossil methane 30 (DESNZ applies 28 to all
    # methane, hence its total 3033.38067): 3029.26 + 0.09 * 30 + 1.60067 = 3033.56067.
    ar5 = footprint(record, "AR5")
    assert ar5.total_kg_co2e == pytest.approx(3033.56067, rel=1e-12)
    assert ar5.gwp_set_mismatches is None


def test_per_gas_co2e_without_a_set_or_gwp_is_refused():
    with pytest.raises(ValueError, match=r"gas CH4: .*needs the GWP set"):
        desnz_butane(gwp_set=None, gases=[GasAmount(gas="CH4", kg_co2e=2.52)])


def test_stored_json_of_records_without_per_gas_co2e_is_unchanged():
    # Records that give kg of gas keep their JSON (and so their content hash) as before.
    record = desnz_butane(gases=[GasAmount(gas="CO2", amount_kg=1.0)])
    assert record.model_dump(mode="json")["gases"] == [
        {"gas": "CO2", "origin": "fossil", "amount_kg": 1.0, "aircraft": False}
    ]
    again = FactorRecord.model_validate(desnz_butane().model_dump(mode="json"))
    assert again.content_hash() == desnz_butane().content_hash()


# -- CO2e-only factors of another set are listed -----------------------------------------------
def test_co2e_only_factor_of_another_set_is_listed_with_its_contribution():
    result = footprint(desnz_total_only(), "AR6")
    # 1 t x 3033.38067 kg CO2e/t, added as published (characterization 1).
    assert result.total_kg_co2e == pytest.approx(3033.38067)
    (mismatch,) = result.gwp_set_mismatches
    assert (mismatch.factor_id, mismatch.gwp_set) == ("desnz-butane-total", "AR5")
    assert mismatch.kg_co2e == pytest.approx(3033.38067)
    assert mismatch.locations == ["m.yaml:12 processes[0].inputs[0]"]  # line 12 of MODEL
    payload = json.loads(result.to_json())
    assert payload["gwp_set_mismatches"][0]["gwp_set"] == "AR5"


def test_co2e_only_factor_in_its_own_set_is_not_listed():
    assert footprint(desnz_total_only(), "AR5").gwp_set_mismatches is None


def test_co2e_factor_of_unstated_set_is_listed_as_unknown():
    text = (
        MODEL.replace("FACTOR", "f")
        + "factors:\n  - {id: f, name: F, unit: t, gases: [{gas: CO2e, amount: 2}], source: s}\n"
    )
    (mismatch,) = calculate(load_model_text(text, "m.yaml")).gwp_set_mismatches
    assert (mismatch.gwp_set, mismatch.kg_co2e) == ("unknown", pytest.approx(2.0))
    stated = text.replace("source: s}", "source: s, gwp_set: ar6}")
    assert calculate(load_model_text(stated, "m.yaml")).gwp_set_mismatches is None


def test_factor_csv_gwp_set_column(tmp_path: Path):
    (tmp_path / "factors.csv").write_text(
        "id,name_en,name_zh,unit,gas,origin,amount_kg,source,gwp_set\n"
        "g,Glass,玻璃,t,CO2e,fossil,1402.76667,DESNZ 2023 glass primary,AR5\n",
        encoding="utf-8",
    )
    (tmp_path / "m.yaml").write_text(
        MODEL.replace("FACTOR", "g") + "factor_files: [factors.csv]\n", encoding="utf-8"
    )
    (mismatch,) = calculate(load_model(tmp_path / "m.yaml"), gwp_set="AR6").gwp_set_mismatches
    assert (mismatch.factor_id, mismatch.gwp_set) == ("g", "AR5")
    assert calculate(load_model(tmp_path / "m.yaml"), gwp_set="AR5").gwp_set_mismatches is None


def test_cli_table_names_the_factor_and_its_set(tmp_path: Path):
    text = (
        MODEL.replace("FACTOR", "f")
        + "factors:\n  - {id: f, name: F, unit: t, gases: [{gas: CO2e, amount: 2}], source: s,"
        " gwp_set: AR5}\n"
    )
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["calc", str(tmp_path / "m.yaml")], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert "factor 因子 f v1 is CO2e of AR5, not AR6 (GWP 值集不一致)" in result.output


# -- a PCR may forbid them -----------------------------------------------------------------------
@pytest.mark.parametrize(("other_sets", "severity"), [("forbid", "error"), ("flag", "warning")])
def test_pcr_rule_gwp_set_consistency(other_sets, severity):
    # examples/pcr/battery.yaml uses DESNZ 2023 CO2e factors (gwp_set AR5 in factors.csv) and
    # is computed in AR6 (the PCR's default).
    root = Path(__file__).resolve().parents[1]
    loaded = load_model(root / "examples" / "pcr" / "battery.yaml")
    pcr = get_pcr("battery-eu-2023").model_copy(
        update={
            "gwp_set_consistency": GwpSetConsistency(
                other_sets=other_sets, source="ISO 14067:2018 6.5 (one GWP100 set)"
            )
        }
    )
    report = check_model(loaded, pcr=pcr)
    found = [f for f in report.findings if f.rule == "gwp_set_consistency.other_set"]
    assert {f.severity for f in found} == {severity}
    assert any("desnz-2023-li-ion-battery" in f.message_en and "AR5" in f.message_en for f in found)
    assert all(f.location and "battery.yaml:" in f.location for f in found)
    assert report.passed is (severity != "error")
    # Without the rule the PCR check says nothing (the result still lists the factors).
    plain = check_model(loaded, pcr="battery-eu-2023")
    assert not [f for f in plain.findings if f.rule.startswith("gwp_set_consistency")]
