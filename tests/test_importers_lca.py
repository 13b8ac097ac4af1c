"""LCA exchange formats (EcoSpold 2, JSON-LD, SimaPro CSV, ILCD) on the shared real samples.

Expected values were read from the sample files themselves (paths below are
/work/shared/reference/samples/, provenance in its README.md).
"""

from __future__ import annotations

import pytest

from shared_data import SAMPLES, SKIP_WITHOUT_SHARED
from tanzuji.errors import FactorImportError
from tanzuji.factors.importers import detect_format, ecospold2, ilcd, jsonld, read, simapro
from tanzuji.factors.importers import xmlread as x
from tanzuji.factors.importers.inventory import ghg_of

CEMENT = SAMPLES / "ecospold2/62993671-574c-3fc5-b66a-6be3bb21ad3d.spold"
CONCRETE = next((SAMPLES / "ecospold2").glob("00000_*.spold"), SAMPLES)
pytestmark = SKIP_WITHOUT_SHARED


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Carbon dioxide, fossil", ("CO2", "fossil")),
        ("Methane, biogenic", ("CH4", "biogenic")),
        ("Carbon dioxide, from soil or biomass stock", ("CO2", "land_use_change")),
        ("Carbon dioxide, in air", ("CO2", "biogenic")),
        ("Ethane, 1,1,1,2-tetrafluoro-, HFC-134a", ("HFC-134a", "fossil")),
        ("Methane, tetrafluoro-, R-14", ("PFC-14", "fossil")),
        ("carbon dioxide (Emissions to air)", ("CO2", "fossil")),
        ("Carbon monoxide, fossil", None),
        ("Methane, dichlorodifluoro-, CFC-12", None),
    ],
)
def test_ghg_names(name, expected):
    assert ghg_of(name) == expected


def test_ecospold2_samples_records_and_skips():
    # All five samples are unit processes (activity type="1"): those with direct GHG flows become
    # gate_to_gate drafts, those without any GHG flow are skipped with that reason.
    outcome = {p.name[:8]: read(p) for p in sorted((SAMPLES / "ecospold2").iterdir())}
    made = {k: len(r.records) for k, r in outcome.items()}
    assert made == {"00000_11": 0, "40011095": 1, "62993671": 1, "89389d98": 0, "sample_e": 0}
    for key in ("00000_11", "89389d98", "sample_e"):
        assert "no greenhouse-gas flow" in outcome[key].skipped[0].reason
    (furnace,) = outcome["40011095"].records
    # <elementaryExchange amount="0.00123"> "Methane, fossil" per 1 unit of furnace
    assert [(g.gas, g.origin, g.amount_kg) for g in furnace.gases] == [("CH4", "fossil", 0.00123)]
    assert (furnace.unit, furnace.boundary, furnace.status) == ("unit", "gate_to_gate", "draft")


def test_ecospold2_unit_process_is_gate_to_gate_draft():
    (record,) = read(CEMENT).records
    gases = {(g.gas, g.origin): g.amount_kg for g in record.gases}
    # "Carbon dioxide" 0.374 + "Carbon dioxide, fossil" 0.553 (no origin counts as fossil)
    assert gases[("CO2", "fossil")] == pytest.approx(0.374 + 0.553, rel=1e-12)
    assert (record.boundary, record.status) == ("gate_to_gate", "draft")
    # 62993671...spold flowData: 27 intermediate inputs with a non-zero amount
    assert "27 technosphere exchange(s) excluded" in record.comment
    assert "upstream emissions are NOT included" in record.comment


def _dataset(path):
    root = x.parse(path.read_bytes(), str(path))
    element = next(e for e in root.iter() if x.local(e) == "activityDataset")
    return ecospold2.parse_dataset(element, str(path), path.name)


def test_ecospold2_cement_exchanges_and_metadata():
    dataset = _dataset(CEMENT)
    co2 = next(e for e in dataset.exchanges if e.name == "Carbon dioxide, fossil")
    assert (co2.amount, co2.unit, co2.elementary) == (0.553, "kg", True)  # amount="0.553"
    assert dataset.geography == "RNA"  # <shortname>RNA</shortname>
    assert (dataset.valid_from.isoformat(), dataset.year) == ("1992-12-31", 2003)
    assert dataset.source.publisher == "Medgar L. Marceau"  # publishedSourceFirstAuthor
    assert dataset.licence.startswith("not copyright-protected")


def test_ecospold2_aggregated_dataset_becomes_factor(tmp_path):
    # Same file declared a system process (type="2"): direct GHG flows become the gases.
    text = CEMENT.read_text(encoding="utf-8").replace('type="1"', 'type="2"', 1)
    path = tmp_path / "cement_system.spold"
    path.write_text(text, encoding="utf-8")
    (record,) = read(path).records
    gases = {(g.gas, g.origin): g.amount_kg for g in record.gases}
    # "Carbon dioxide" 0.374 + "Carbon dioxide, fossil" 0.553 (no origin counts as fossil)
    assert gases[("CO2", "fossil")] == pytest.approx(0.374 + 0.553)
    assert gases[("CH4", "fossil")] == pytest.approx(3.95e-5)  # "Methane" 3.95E-5
    assert (record.unit, record.boundary, record.id) == (
        "kg",
        "cradle_to_gate",
        "ecospold2:62993671-574c-3fc5-b66a-6be3bb21ad3d",
    )
    assert "non-greenhouse-gas" in record.comment


def test_ecospold2_pedigree_gsd_and_classification():
    root = x.parse(CONCRETE.read_bytes(), str(CONCRETE))
    element = next(e for e in root.iter() if x.local(e) == "childActivityDataset")
    dataset = ecospold2.parse_dataset(element, str(CONCRETE), CONCRETE.name)
    clay = dataset.exchanges[0]
    # <lognormal ... varianceWithPedigreeUncertainty="0.2"/>: GSD = exp(sqrt(0.2)) = e^0.4472136
    assert clay.gsd == pytest.approx(1.563948, rel=1e-6)
    assert clay.pedigree == (1, 1, 5, 1, 1)  # pedigreeMatrix attributes
    assert dataset.classification == {"ISIC": "2395", "CPC": "37510"}
    assert dataset.geography == "DE"


def test_ecospold2_truncated_xml_names_line(tmp_path):
    path = tmp_path / "cut.spold"
    path.write_bytes(CEMENT.read_bytes()[:5000])
    with pytest.raises(FactorImportError, match=r"cut\.spold:2:\d+: malformed XML"):
        read(path)


def test_ecospold2_bad_amount(tmp_path):
    path = tmp_path / "bad.spold"
    path.write_text(
        CEMENT.read_text(encoding="utf-8").replace('amount="0.553"', 'amount="0,5x"'), "utf-8"
    )
    with pytest.raises(FactorImportError, match=r"non-numeric value '0,5x' in field 'amount'"):
        read(path)


def test_jsonld_samples():
    (truck,) = read(SAMPLES / "jsonld/34156f3c-28ef-33db-9ad0-6293a2aa0d52.json").records
    # "Carbon dioxide, fossil" amount 0.079876 kg per 1 t*km; 1 input 'Diesel, at refinery'
    co2 = next(g for g in truck.gases if g.gas == "CO2")
    assert (co2.amount_kg, truck.unit, truck.boundary) == (0.079876, "t*km", "gate_to_gate")
    assert "1 technosphere exchange(s) excluded (e.g. 'Diesel, at refinery')" in truck.comment
    package = read(SAMPLES / "jsonld/exchange_sync-all.zip")
    assert (len(package.records), len(package.skipped)) == (0, 2)  # processes/ holds 2, no GHG
    steel = read(SAMPLES / "jsonld/process.json")
    assert "no greenhouse-gas flow" in steel.skipped[0].reason
    for name in ("impact_category.json", "unit_group.json"):
        assert read(SAMPLES / "jsonld" / name).skipped[0].reason.startswith("no Process")
    (beef,) = read(SAMPLES / "jsonld/1b97b691-7c00-4150-9e97-df2020bfd203.json").records
    assert "9 technosphere exchange(s) excluded" in beef.comment


def test_jsonld_beef_exchanges():
    import json

    path = SAMPLES / "jsonld/1b97b691-7c00-4150-9e97-df2020bfd203.json"
    dataset = jsonld.process_dataset(json.loads(path.read_text()), str(path))
    methane = next(e for e in dataset.exchanges if e.name == "Methane, biogenic")
    assert (methane.amount, methane.unit, methane.is_input) == (130035.0, "kg", False)
    assert ghg_of(methane.name, methane.compartment) == ("CH4", "biogenic")
    assert dataset.geography == "US"  # location "United States, Nebraska"


def test_simapro_samples():
    steel = read(SAMPLES / "simapro_csv/inventory.csv").skipped[0]  # 1 input, no emissions
    assert "0 other elementary flow(s) and 1 technosphere" in steel.reason
    process = read(SAMPLES / "simapro_csv/process.csv")  # decimal comma, cp1252 bytes
    assert "8 other elementary flow(s) and 3 technosphere" in process.skipped[0].reason
    allocation = read(SAMPLES / "simapro_csv/allocation.csv")  # neither process emits a GHG
    assert [s.reason[:30] for s in allocation.skipped] == ["no greenhouse-gas flow and no "] * 2
    assert "no Process blocks" in read(SAMPLES / "simapro_csv/method.csv").skipped[0].reason


def test_simapro_system_process_with_decimal_comma(tmp_path):
    text = (SAMPLES / "simapro_csv/process.csv").read_bytes().decode("cp1252")
    # line 108: "(+-)-Citronellol;low. pop.;kg;1;Lognormal;2;0;0;(1,2,3,4,5)..."
    text = text.replace("Unit process", "System").replace(
        "(+-)-Citronellol;low. pop.;kg;1;", "Carbon dioxide, fossil;low. pop.;kg;1,25;"
    )
    path = tmp_path / "system.csv"
    path.write_bytes(text.encode("cp1252"))
    (record,) = read(path).records
    # Products: "my product;kg;0,5" -> 1.25 kg / 0.5 kg; SimaPro lognormal SD2=2 -> GSD sqrt(2)
    assert record.gases[0].amount_kg == pytest.approx(2.5)
    assert record.uncertainty.gsd == pytest.approx(2**0.5)
    assert record.pedigree.as_tuple() == (1, 2, 3, 4, 5)
    assert record.licence.startswith("not copyright-protected")


def test_ilcd_samples():
    abs_ = read(SAMPLES / "ilcd/process.xml")  # no flows/ next to it in the samples folder
    assert "(ABS)' unknown" in abs_.skipped[0].reason
    assert read(SAMPLES / "ilcd/ilcd_folder.zip").skipped[0].reason.startswith("no ILCD process")
    assert read(SAMPLES / "ilcd/flow.xml").records == []
    epd = read(SAMPLES / "ilcd/sample_EPD.xml").skipped[0].reason
    # the declared unit is only in ../flows/referenceflow.xml, which the sample does not ship
    assert "'Name des Referenzflusses' unknown" in epd and "42 kg CO2e per 1" in epd


def test_ilcd_process_values():
    path = SAMPLES / "ilcd/process.xml"
    dataset = ilcd.process_dataset(x.parse(path.read_bytes(), str(path)), str(path), {})
    assert dataset.name == "Acrylonitrile-Butadiene-Styrene granulate (ABS)"
    assert (dataset.geography, dataset.year, dataset.aggregated) == ("RER", 1996, True)
    assert dataset.licence.startswith("The data set can be used free of charge")
    first = dataset.exchanges[0]  # dataSetInternalID="0": meanAmount 3.09375E-9, Input
    assert (first.amount, first.is_input) == (3.09375e-9, True)


def test_ilcd_epd_gwp_result():
    path = SAMPLES / "ilcd/sample_EPD.xml"
    # LCIAResult "Treibhauspotential (GWP 100)", epd:amount module A1-A3 = 42
    value, note = ilcd._climate_change(x.parse(path.read_bytes(), str(path)), str(path))
    assert value == 42.0
    assert "not included: A4 (Sc1)=3, A4 (Sc2)=2, C3 (S1)=22, C3 (S2)=7" in note


def test_detect_formats():
    assert detect_format(CEMENT) == "ecospold2"
    assert detect_format(SAMPLES / "ilcd/process.xml") == "ilcd"
    assert detect_format(SAMPLES / "jsonld/exchange_sync-all.zip") == "jsonld"
    assert detect_format(SAMPLES / "simapro_csv/process.csv") == "simapro"
    assert detect_format(SAMPLES / "emission_factors/co2_ch4_n2o_ef.csv") == "table"
    assert simapro.read is not None
