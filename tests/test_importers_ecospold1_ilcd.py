"""EcoSpold 1 samples and ILCD unit look-up (flow data sets next to a lone process, EPD A1-A3).

Expected values are read from the shared sample files (/work/shared/reference/samples/, README
there gives their provenance) and from the small files in tests/data/importers/ilcd/ written
for these tests (their header comments say what they are).
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from shared_data import SAMPLES, SKIP_WITHOUT_SHARED
from tanzuji.errors import FactorImportError
from tanzuji.factors.importers import detect_format, read

DATA = Path(__file__).parent / "data" / "importers"
ACETIC = SAMPLES / "ecospold1" / "Acetic acid, at plant.xml"
pytestmark = SKIP_WITHOUT_SHARED


def test_ecospold1_acetic_acid_unit_process():
    result = read(ACETIC)
    assert detect_format(ACETIC) == "ecospold1"
    (record,) = result.records
    # exchange 14: "Carbon dioxide", air/unspecified, meanValue 0.00176 kg (no origin -> fossil)
    # per referenceFunction amount="1" unit="kg"; allocation to product 20 fraction="1.0" of the
    # two fractions 1.0 + 0.0 -> shares of 1 -> 100 %
    assert [(g.gas, g.origin, g.amount_kg) for g in record.gases] == [("CO2", "fossil", 0.00176)]
    assert (record.unit, record.boundary, record.status) == ("kg", "gate_to_gate", "draft")
    assert (record.geography, record.year) == ("RNA", 2003)  # location="RNA", endYear 2003
    assert record.licence.startswith("not copyright-protected")  # copyright="false"
    assert record.source.publisher == "THE PLASTICS DIVISION OF THE AMERICAN CH"  # firstAuthor
    # exchanges 1-12 are inputGroup 5; 6 other elementary flows (13, 15-19)
    assert "12 technosphere exchange(s) excluded" in record.comment
    assert "6 non-greenhouse-gas elementary flow(s)" in record.comment
    # the co-product "Recovered energy" (exchange 21) has fraction="0.0"
    (skipped,) = result.skipped
    assert "Recovered energy" in skipped.location and "allocation share 0 %" in skipped.reason


def test_ecospold1_example_without_ghg_is_skipped():
    (skipped,) = read(SAMPLES / "ecospold1" / "example.xml").skipped
    # one product, one input ("wood chips, bulking agent", inputGroup 5), no elementary flow
    assert "0 other elementary flow(s) and 1 technosphere exchange(s)" in skipped.reason


def test_ecospold1_multi_output_percent_fractions():
    result = read(DATA / "ecospold1" / "multi_output_prefixed.xml")
    by_name = {r.name_en: {g.gas: g.amount_kg for g in r.gases} for r in result.records}
    # CO2 10 kg, CH4 0.1 kg; grain 60 % of 2 kg, straw 40 % of 5 kg
    assert by_name["grain"] == pytest.approx({"CO2": 10 * 0.6 / 2, "CH4": 0.1 * 0.6 / 2})
    assert by_name["straw"] == pytest.approx({"CO2": 10 * 0.4 / 5, "CH4": 0.1 * 0.4 / 5})
    assert {r.id for r in result.records} == {
        "ecospold1:multi_output_prefixed/3/grain",
        "ecospold1:multi_output_prefixed/3/straw",
    }


def test_ecospold1_system_without_namespace_bom_crlf():
    path = DATA / "ecospold1" / "system_no_namespace_bom_crlf.xml"
    assert detect_format(path) == "ecospold1"
    (record,) = read(path).records
    gases = {g.gas: g.amount_kg for g in record.gases}
    # 1500 kg CO2 and 40 g N2O per 2 t; the CO2 "to water" exchange is not an air emission
    assert gases == pytest.approx({"CO2": 750.0, "N2O": 0.02})
    assert record.boundary == "cradle_to_gate"  # dataSetInformation type="2"
    assert record.uncertainty.gsd == pytest.approx(1.1)  # sqrt(standardDeviation95 1.21)
    assert record.pedigree.as_tuple() == (2, 3, 1, 2, 4)  # comment "(2,3,1,2,4,na)"


def test_ecospold1_bad_mean_value():
    with pytest.raises(FactorImportError, match=r"exchange\[@number=2\]: non-numeric value '1,5x'"):
        read(DATA / "ecospold1" / "bad_mean_value.xml")


def _ilcd_folder(tmp_path: Path, process: str, flow: str, flow_name: str) -> Path:
    (tmp_path / "processes").mkdir(parents=True)
    (tmp_path / "flows").mkdir()
    shutil.copy(SAMPLES / "ilcd" / process, tmp_path / "processes" / process)
    shutil.copy(DATA / "ilcd" / flow, tmp_path / "flows" / flow_name)
    return tmp_path / "processes" / process


ABS_FLOW = "4f197be0-7b3b-11dd-ad8b-0800200c9a66_02.01.000.xml"  # exchange 56's uri


def test_ilcd_lone_process_finds_flow_in_sibling_flows_folder(tmp_path):
    path = _ilcd_folder(tmp_path, "process.xml", "abs_reference_flow.xml", ABS_FLOW)
    (record,) = read(path).records
    gases = {g.gas: g.amount_kg for g in record.gases}
    # process.xml exchanges 94, 126, 133 (Emissions to air), per meanAmount 1 of exchange 56
    assert gases == {"CO2": 3.051736738, "CH4": 0.0297551, "N2O": 1.14658e-8}
    # no unit group in the folder: Mass flow property -> kg (ILCD reference flow property)
    assert record.unit == "kg" and "from the flow property 'mass'" in record.comment
    assert (record.boundary, record.geography, record.year) == ("cradle_to_gate", "RER", 1996)


def test_ilcd_package_with_unit_groups_as_zip(tmp_path):
    folder = tmp_path / "ILCD"
    path = _ilcd_folder(folder, "process.xml", "abs_reference_flow.xml", ABS_FLOW)
    with zipfile.ZipFile(SAMPLES / "ilcd" / "ilcd_folder.zip") as package:
        members = [n for n in package.namelist() if "/flowproperties/" in n or "/unitgroups/" in n]
        package.extractall(tmp_path, members)
    from_folder = read(path.parent.parent)
    archive = tmp_path / "package.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for file in sorted(folder.rglob("*.xml")):
            out.write(file, file.relative_to(tmp_path))
    from_zip = read(archive)
    for result in (from_folder, from_zip):
        (record,) = result.records
        # unit from the "Units of mass" unit group (reference unit kg), so no note
        assert record.unit == "kg" and "flow property" not in record.comment


def test_ilcd_epd_declared_unit_from_flow_and_gwp_a1_a3(tmp_path):
    path = _ilcd_folder(tmp_path, "sample_EPD.xml", "epd_reference_flow.xml", "referenceflow.xml")
    (record,) = read(path).records
    # LCIAResult "Treibhauspotential (GWP 100)": epd:amount module A1-A3 = 42, per meanAmount 1
    assert (record.kg_co2e, record.unit, record.boundary) == (42.0, "m3", "cradle_to_gate")
    assert "modules A1-A3 (cradle to gate) = 42 kg CO2e" in record.comment
    assert record.id == "ilcd:57a4ae65-d305-421e-b21f-a3f0c35b8abe"


def test_ilcd_unit_from_reference_flow_name_and_prefixes():
    (record,) = read(DATA / "ilcd" / "prefixed_lci_result.xml").records
    # 4.2 kg CO2 and 0.01 kg CH4 per meanAmount 2 of "steel sheet (kg)"
    assert {g.gas: g.amount_kg for g in record.gases} == {"CO2": 2.1, "CH4": 0.005}
    assert record.unit == "kg"


def test_ilcd_unit_unknown_is_skipped():
    (skipped,) = read(DATA / "ilcd" / "unknown_unit.xml").skipped
    assert "reference flow 'widget' unknown" in skipped.reason
