"""PCR rules that drive the calculation: allocation, credits, end of life, electricity, unit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tanzuji.model.files import load_model, load_model_text
from tanzuji.pcr import check_model, get_pcr
from tanzuji.pcr.calculation import rules_of
from tanzuji.pcr.schema import CreditsRule, ElectricityRule
from test_allocation_methods import OLCA_IPC_CASE
from test_electricity_market import MODEL as ELECTRICITY_MODEL
from test_recycling_cff import MODEL as CFF_MODEL

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "pcr"
#: the factor file the battery example names, supplied with its text (nothing is read from disk)
FACTOR_FILES = {"factors.csv": (EXAMPLES / "factors.csv").read_bytes()}


def rules(findings, prefix: str) -> list[tuple[str, str]]:
    return [(f.rule, f.severity) for f in findings if f.rule.startswith(prefix)]


def test_rules_of_the_battery_pcr():
    battery = get_pcr("battery-eu-2023@1.1")
    chosen = rules_of(battery)
    assert (chosen.end_of_life, chosen.recycling_credits, chosen.substitution_credits) == (
        "cff",
        "include",
        "separate",
    )
    assert chosen.declared_unit == (1.0, "kWh")
    assert chosen.source == "PCR battery-eu-2023@1.1"
    assert rules_of(get_pcr("battery-eu-2023@1.0")).end_of_life is None


def test_battery_pcr_requires_materials_by_the_cff():
    # The 1.0 worked example models its end of life as a plain process; under 1.1 that is an
    # error (end_of_life.missing_severity).
    text = (EXAMPLES / "battery.yaml").read_text(encoding="utf-8")
    head, _, _ = text.partition("materials:\n  - id: battery_materials")
    head = head.replace("battery_materials#end_of_life", "battery_materials")
    head += "factor_files: [factors.csv]\n"
    head = head.replace(
        "processes:\n",
        "processes:\n  - id: battery_materials\n    name: materials\n"
        "    life_cycle_stage: raw_materials\n    reference_product: {unit: kg}\n"
        "    inputs: [{factor: desnz-2023-li-ion-battery, amount: 1, unit: kg,"
        " comment: battery materials}]\n",
        1,
    )
    loaded = load_model_text(head, str(EXAMPLES / "battery_plain.yaml"), FACTOR_FILES)
    report = check_model(loaded, pcr="battery-eu-2023@1.1")
    assert rules(report.findings, "end_of_life") == [("end_of_life.materials_missing", "error")]
    assert not report.passed


def test_a_outside_the_pef_range_is_an_error():
    text = (EXAMPLES / "battery.yaml").read_text(encoding="utf-8").replace("A: 0.2", "A: 0.9")
    loaded = load_model_text(text, str(EXAMPLES / "b.yaml"), FACTOR_FILES)
    report = check_model(loaded)
    found = [f for f in report.findings if f.rule == "end_of_life.a_out_of_range"]
    assert len(found) == 1
    assert found[0].severity == "error"
    assert "admits 0.2 to 0.8" in found[0].message_en


def test_credits_without_a_pcr_rule_are_flagged():
    battery = get_pcr("battery-eu-2023@1.0")
    loaded = load_model_text(CFF_MODEL.replace("METHOD", "cff"), "tray.yaml")
    report = check_model(loaded, pcr=battery)
    assert rules(report.findings, "credits") == [("credits.rule_missing", "warning")]
    with_rule = battery.model_copy(
        update={"credits": CreditsRule(substitution="separate", recycling="separate", source="x")}
    )
    report = check_model(loaded, pcr=with_rule)
    assert rules(report.findings, "credits") == [("credits.reported", "info")]
    # the PCR keeps recycling credits apart: the declared value is the burdens, 2 x 9.75
    assert report.total_kg_co2e == pytest.approx(19.5, rel=1e-12)


def test_electricity_rule_picks_the_declared_result_and_checks_instruments():
    loaded = load_model_text(
        ELECTRICITY_MODEL.replace("RESIDUAL", "          residual_mix: residual"), "e.yaml"
    )
    base = get_pcr("battery-eu-2023@1.0")
    location = base.model_copy(
        update={"electricity": ElectricityRule(reported="location", source="test rule")}
    )
    report = check_model(loaded, pcr=location)
    assert report.total_kg_co2e == pytest.approx(1073.2, rel=1e-12)  # 2000 x 0.5366
    found = rules(report.findings, "electricity")
    assert ("electricity.instrument_not_counted", "warning") in found  # the I-REC
    assert ("electricity.results", "info") in found
    no_residual = load_model_text(ELECTRICITY_MODEL.replace("RESIDUAL", ""), "e.yaml")
    strict = base.model_copy(
        update={
            "electricity": ElectricityRule(
                reported="market", residual_mix_required=True, source="test rule"
            )
        }
    )
    report = check_model(no_residual, pcr=strict)
    assert ("electricity.residual_mix_missing", "error") in rules(report.findings, "electricity")


def test_allocation_calculation_of_the_pcr_applies_to_the_footprint():
    base = get_pcr("battery-eu-2023@1.0")
    economic = base.model_copy(
        update={"allocation": base.allocation.model_copy(update={"calculation": "economic"})}
    )
    report = check_model(load_model_text(OLCA_IPC_CASE, "olca.yaml"), pcr=economic)
    assert report.total_kg_co2e == pytest.approx(0.2, abs=1e-12)  # openLCA's economic case
    assert rules(report.findings, "allocation") == [("allocation.calculation", "info")]


def test_battery_example_under_its_pcr_reports_per_declared_unit():
    report = check_model(load_model(EXAMPLES / "battery.yaml"))
    assert report.passed
