"""Unseen-file robustness: small variants of every format in tests/data/importers/.

Each file was written for these tests (header comment or ``Comment`` field says so; the numbers
are illustrative). The variations: namespace prefixes or none, missing optional elements,
folder instead of zip, ',' vs ';' separators, decimal commas, UTF-8 BOM and CRLF line ends.
Every file either imports with the values below (arithmetic written out) or fails with a
message naming the place and what was expected.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tanzuji.errors import FactorImportError
from tanzuji.factors.importers import detect_format, read

DATA = Path(__file__).parent / "data" / "importers"


def _gases(record):
    return {(g.gas, g.origin, g.aircraft): g.amount_kg for g in record.gases}


def test_ecospold2_prefixed_minimal_system_process():
    path = DATA / "ecospold2" / "system_prefixed_minimal.spold"
    (record,) = read(path).records
    # 0.12 kg CO2 fossil out, 1.6 kg "Carbon dioxide, in air" in (a removal) per 1 kg
    assert _gases(record) == {("CO2", "fossil", False): 0.12, ("CO2", "biogenic", False): -1.6}
    assert (record.boundary, record.geography, record.year) == ("cradle_to_gate", "GLO", None)


def test_ecospold2_folder_instead_of_zip(tmp_path):
    shutil.copy(DATA / "ecospold2" / "system_prefixed_minimal.spold", tmp_path / "a.spold")
    shutil.copy(DATA / "ecospold1" / "multi_output_prefixed.xml", tmp_path / "notes.txt")
    assert detect_format(tmp_path) == "ecospold2"
    assert [r.id for r in read(tmp_path).records] == [
        "ecospold2:aaaa0000-0000-4000-8000-000000000001"
    ]


def test_ecospold2_without_activity_fails_clearly():
    with pytest.raises(FactorImportError, match=r"no activityDataset .* under <ecoSpold>"):
        read(DATA / "ecospold2" / "no_activity.spold")


def test_simapro_multi_output_allocation_percentages():
    first, second = read(DATA / "simapro" / "multi_output_allocation.csv").records
    # Products: rice 6250 kg at 95.8 %, straw 3125 kg at 4.2 %; Methane, biogenic 500 kg and
    # Carbon dioxide, fossil 380 kg for the whole process
    assert _gases(first) == pytest.approx(
        {
            ("CH4", "biogenic", False): 500 * 0.958 / 6250,
            ("CO2", "fossil", False): 380 * 0.958 / 6250,
        }
    )
    assert _gases(second) == pytest.approx(
        {
            ("CH4", "biogenic", False): 500 * 0.042 / 3125,
            ("CO2", "fossil", False): 380 * 0.042 / 3125,
        }
    )
    assert first.id == "simapro:TZJTEST0002/Rice_at_farm_WFLDB_3.0_IN_U"
    assert first.boundary == "gate_to_gate" and "allocation share 95.8 %" in first.comment
    assert "1 technosphere exchange(s) excluded (e.g. 'Diesel {GLO}" in second.comment


def test_simapro_unreadable_allocation_is_skipped_with_reason():
    (skipped,) = read(DATA / "simapro" / "allocation_not_defined.csv").skipped
    assert "allocation 'not defined' of 'Rice, at farm (WFLDB 3.0)/IN U' (line 22)" in (
        skipped.reason
    )


def test_simapro_comma_separator_bom_crlf_quoted_names():
    (record,) = read(DATA / "simapro" / "comma_bom_crlf.csv").records
    # "Carbon dioxide, fossil" 1850.5 kg, Dinitrogen monoxide 25 g, per 1 t; Type System
    assert _gases(record) == {("CO2", "fossil", False): 1850.5, ("N2O", "fossil", False): 0.025}
    assert (record.unit, record.boundary, record.geography) == ("t", "cradle_to_gate", "CN")
    assert record.uncertainty.gsd == pytest.approx(1.2)  # Lognormal SD2 1.44 -> sqrt = 1.2
    assert record.pedigree.as_tuple() == (2, 2, 1, 1, 3)


def test_jsonld_v2_lci_result_in_folder(tmp_path):
    (tmp_path / "processes").mkdir()
    shutil.copy(DATA / "jsonld" / "lci_result_v2.json", tmp_path / "processes" / "p.json")
    for source in (DATA / "jsonld" / "lci_result_v2.json", tmp_path):
        (record,) = read(source).records
        # 8.6 t CO2 and 0.25 kg "Methane, tetrafluoro-, R-14" (PFC-14) per 1000 kg
        assert _gases(record) == pytest.approx(
            {("CO2", "fossil", False): 8.6 * 1000 / 1000, ("PFC-14", "fossil", False): 0.25 / 1000}
        )
        assert record.boundary == "cradle_to_gate"


def test_jsonld_truncated_names_line_and_column():
    with pytest.raises(FactorImportError, match=r"truncated\.json:\d+:\d+: malformed JSON"):
        read(DATA / "jsonld" / "truncated.json")


def test_table_semicolon_decimal_comma_bom_crlf():
    grid, diesel = read(DATA / "table" / "semicolon_decimal_comma_bom_crlf.csv").records
    assert (grid.id, grid.kg_co2e, grid.uncertainty.gsd) == ("grid-gd", 0.5271, 1.1)
    assert (diesel.unit, diesel.kg_co2e) == ("L", 2.68)


def test_table_bad_gsd_cites_row_and_column():
    with pytest.raises(FactorImportError, match=r"row 2, column 'gsd'.*greater than 1"):
        read(DATA / "table" / "bad_gsd.csv")


def test_pact_bare_footprint_with_bom_and_aircraft():
    path = DATA / "pact" / "bare_footprint_bom.json"
    (record,) = read(path).records
    # per declaredUnitAmount 4: fossil 7 (of which aircraft 1), LUC 0.8, land-management
    # removals -0.4, remainder of 10 biogenic: 10 - 7 - 0.8 + 0.4 = 2.6, uptake 6 - 10 = -4
    assert _gases(record) == pytest.approx(
        {
            ("CO2e", "fossil", False): 6 / 4,
            ("CO2e", "fossil", True): 1 / 4,
            ("CO2e", "land_use_change", False): 0.8 / 4,
            ("CO2", "land_management", False): -0.4 / 4,
            ("CO2e", "biogenic", False): 2.6 / 4,
            ("CO2", "biogenic", False): -4 / 4,
        }
    )
    assert (record.kg_co2e, record.gwp_set, record.classification) == (2.5, "AR5", {"CPC": "3470"})


def test_pact_inconsistent_footprint_is_skipped_not_fatal():
    result = read(DATA / "pact" / "positive_uptake.json")
    assert len(result.records) == 1  # the second footprint of the list
    assert "pcfIncludingBiogenicUptake (3) exceeds pcfExcludingBiogenicUptake (2.5)" in (
        result.skipped[0].reason
    )


def test_pact_missing_field_names_it(tmp_path):
    document = json.loads((DATA / "pact" / "bare_footprint_bom.json").read_text("utf-8-sig"))
    del document["pcf"]["declaredUnitAmount"]
    path = tmp_path / "pf.json"
    path.write_text(json.dumps(document))
    with pytest.raises(FactorImportError, match=r"missing required field 'declaredUnitAmount'"):
        read(path, "pact")
