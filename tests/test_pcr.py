"""Shipped PCRs: each validates, each worked example passes its checks; PCR file errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tanzuji.errors import PcrError, UnknownPcr
from tanzuji.footprint import calculate
from tanzuji.model.files import load_model
from tanzuji.pcr import check_model, get_pcr, load_pcr_file, shipped
from tanzuji.pcr.registry import parse_pcr, split_ref

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "pcr"
BROKEN = Path(__file__).parent / "data" / "pcr_broken"

#: The 13 industries the GBA scheme names (mission.md) -> the shipped PCR id for each.
INDUSTRIES = {
    "batteries": "battery-eu-2023",
    "PV modules": "pv-module-pefcr",
    "electronics": "electronics-itu-l1410",
    "household appliances": "appliance-en50693",
    "food": "food-pas2050-1",
    "textiles and apparel": "apparel-pefcr",
    "furniture": "furniture-epd-cpc38",
    "paper products": "paper-cepi",
    "jewellery": "jewellery-gbt24067",
    "vehicles and parts": "vehicle-parts-catenax",
    "building materials": "building-materials-en15804",
    "daily chemicals": "daily-chemicals-pefcr-hdlld",
    "printed matter": "printed-matter-iso16759",
}
#: Worked example model for each PCR id.
EXAMPLE_OF = {
    "battery-eu-2023": "battery.yaml",
    "pv-module-pefcr": "pv-module.yaml",
    "electronics-itu-l1410": "electronics.yaml",
    "appliance-en50693": "appliance.yaml",
    "food-pas2050-1": "food.yaml",
    "apparel-pefcr": "apparel.yaml",
    "furniture-epd-cpc38": "furniture.yaml",
    "paper-cepi": "paper.yaml",
    "jewellery-gbt24067": "jewellery.yaml",
    "vehicle-parts-catenax": "vehicle-parts.yaml",
    "building-materials-en15804": "building-materials.yaml",
    "daily-chemicals-pefcr-hdlld": "daily-chemicals.yaml",
    "printed-matter-iso16759": "printed-matter.yaml",
}


def test_one_pcr_per_industry_is_shipped():
    ids = {p.id for p in shipped()}
    assert ids == set(INDUSTRIES.values())
    assert set(EXAMPLE_OF) == ids


@pytest.mark.parametrize("pcr", shipped(), ids=lambda p: p.ref)
def test_shipped_pcr_is_complete(pcr):
    # Every PCR cites what it encodes and every parameter says why it is one.
    assert pcr.standard and all(c.title for c in pcr.standard)
    for threshold in (pcr.cutoff.per_flow, pcr.cutoff.total, pcr.data_quality.dqr_max):
        if threshold.status == "parameter":
            assert threshold.note
        else:
            assert threshold.value is not None
    assert any(stage.mandatory for stage in pcr.stages)


@pytest.mark.parametrize("pcr_id", sorted(EXAMPLE_OF))
def test_worked_example_passes(pcr_id):
    loaded = load_model(EXAMPLES / EXAMPLE_OF[pcr_id])
    report = check_model(loaded)
    assert report.pcr == get_pcr(pcr_id).ref
    errors = [f for f in report.findings if f.severity == "error"]
    assert errors == []
    assert report.passed
    warnings = [f.rule for f in report.findings if f.severity == "warning"]
    assert warnings == []
    assert report.total_kg_co2e > 0


def test_battery_example_by_hand():
    # Per pack (factors in examples/pcr/factors.csv), PCR battery-eu-2023@1.1:
    #   electricity 60 * 50 kWh * 0.5366 (MEE 2022 grid)              = 1609.8
    #   natural gas 300 m3 * 2.03839 (DESNZ)                          =  611.517
    #   diesel 12 L * 2.51206 (DESNZ)                                 =   30.14472
    # battery materials, 400 kg by the Circular Footprint Formula (2021/2279 Annex I 4.4.8)
    # with A = 0.2, R1 = 0, R2 = 0.5, R3 = 0, Q = 1:
    #   (1 - R1) Ev            = 400 * 6.308 (DESNZ Li-ion, 6308 kg/t)  = 2523.2
    #   (1 - A) R2 ErecEoL     = 400 * 0.8 * 0.5 * 0.5 (illustrative)  =   80.0
    #   -(1 - A) R2 E*v        = -400 * 0.8 * 0.5 * 6.308 (a credit)   = -1009.28
    #   (1 - R2 - R3) ED       = 400 * 0.5 * 0.008884130131626865 (DESNZ landfill)
    # lifetime energy 60 kWh * 250 cycles/yr * 8 yr = 120 000 kWh (declared unit: 1 kWh).
    materials = 2523.2 + 80.0 - 1009.28 + 400 * 0.5 * 0.008884130131626865
    per_pack = 3000 * 0.5366 + 300 * 2.03839 + 12 * 2.51206 + materials
    report = check_model(load_model(EXAMPLES / "battery.yaml"))
    assert report.total_kg_co2e == pytest.approx(per_pack / 120_000, rel=1e-12)
    assert report.gwp_set == "AR6"


def test_building_example_uses_the_pcr_gwp_set():
    # EN 15804+A2 -> EF 3.0 -> AR5 (the PCR's only set); the check computes with it.
    report = check_model(load_model(EXAMPLES / "building-materials.yaml"))
    assert report.gwp_set == "AR5"
    assert report.passed


def test_reference_resolution():
    assert split_ref("battery-eu-2023@1.0") == ("battery-eu-2023", "1.0")
    assert split_ref("battery-eu-2023") == ("battery-eu-2023", None)
    assert get_pcr("battery-eu-2023").ref == "battery-eu-2023@1.1"  # the latest version
    assert get_pcr("battery-eu-2023@1.0").end_of_life is None
    with pytest.raises(UnknownPcr, match=r"no PCR with id 'nope'.*battery-eu-2023"):
        get_pcr("nope")
    with pytest.raises(UnknownPcr, match=r"has no version '9.9'; versions: 1.0, 1.1"):
        get_pcr("battery-eu-2023@9.9")


def test_latest_version_wins_without_version():
    base = (ROOT / "src/tanzuji/pcr/rules/battery-eu-2023.yaml").read_text(encoding="utf-8")
    newer = parse_pcr(base.replace('version: "1.0"', 'version: "1.10"'), "newer.yaml")
    older = parse_pcr(base.replace('version: "1.0"', 'version: "1.9"'), "older.yaml")
    # 1.10 > 1.9 numerically, not as text
    assert get_pcr("battery-eu-2023", (older, newer)).version == "1.10"
    assert get_pcr("battery-eu-2023@1.9", (older, newer)).version == "1.9"


def test_broken_pcr_file_names_file_line_and_field():
    with pytest.raises(PcrError) as caught:
        load_pcr_file(BROKEN / "pcr_bad_unit.yaml")
    text = str(caught.value)
    assert "pcr_bad_unit.yaml:8 unit: Value error, unit 'kg' is not of dimension 'energy'" in text
    assert "pcr_bad_unit.yaml:13 cutoff.per_flow" in text
    assert "needs a note" in text


def test_pcr_stage_mapped_and_excluded_is_refused():
    base = (ROOT / "src/tanzuji/pcr/rules/battery-eu-2023.yaml").read_text(encoding="utf-8")
    clash = base.replace("  - model_stage: use\n", "  - model_stage: production\n")
    with pytest.raises(PcrError, match=r"\['production'\] are both mapped and excluded"):
        parse_pcr(clash, "clash.yaml")


def test_model_without_pcr_needs_one_given():
    loaded = load_model(EXAMPLES / "battery.yaml")
    loaded.model.product.pcr = None
    with pytest.raises(PcrError, match=r"the model names no PCR"):
        check_model(loaded)
    report = check_model(loaded, pcr="battery-eu-2023")
    assert [f.rule for f in report.findings if f.severity == "warning"] == ["pcr.unnamed"]


def test_given_footprint_is_used_as_is():
    loaded = load_model(EXAMPLES / "battery.yaml")
    footprint = calculate(loaded, gwp_set="AR5")
    report = check_model(loaded, footprint)
    assert report.gwp_set == "AR5"
    assert [(f.rule, f.severity) for f in report.findings if f.severity == "error"] == [
        ("gwp_set.mismatch", "error")
    ]
