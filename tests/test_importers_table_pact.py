"""CSV/XLSX template, EPA/DESNZ tables, PACT v3 examples, and export -> import round trips."""

from __future__ import annotations

import pytest

from shared_data import PACT as _PACT
from shared_data import SAMPLES as _SAMPLES
from shared_data import SKIP_WITHOUT_SHARED
from tanzuji.errors import FactorImportError
from tanzuji.factors import exporters
from tanzuji.factors.importers import read

SAMPLES = _SAMPLES / "emission_factors"
PACT = _PACT / "v3" / "examples"
pytestmark = SKIP_WITHOUT_SHARED

HEADER = "id,name_en,unit,kg_co2e,co2_fossil_kg,source_publisher,source_document,licence,pedigree"


def _csv(tmp_path, *rows):
    path = tmp_path / "factors.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_epa_table():
    result = read(SAMPLES / "co2_ch4_n2o_ef.csv")
    # 76 data rows; 9 say "no EF" (Nuclear, Megawatt hours, Purchased Steam, ...)
    assert (len(result.records), len(result.skipped)) == (67, 9)
    anthracite = result.records[0]
    co2 = anthracite.gases[0]
    # row 5: 0.11413328 short ton CO2/mmBtu = 0.11413328 * 907.18474 kg / 1.055056 GJ
    assert co2.amount_kg == pytest.approx(0.11413328 * 907.18474 / 1.055056, rel=1e-5)
    assert anthracite.unit == "GJ"


def test_desnz_table():
    result = read(SAMPLES / "desnz_conversion_factors_2023_subset.csv")
    assert len(result.records) == 195  # one "kg CO2e" row per activity x unit
    butane = result.records[0]  # row 2: Butane, tonne, kg CO2e 3033.38067
    assert (butane.unit, butane.kg_co2e, butane.geography) == ("t", 3033.38067, "GB")


GOOD = "a1,Diesel,L,2.5,,DESNZ,Conversion factors 2023,OGL-3.0,2-3-1-2-4"


def test_template_errors_cite_row_and_column(tmp_path):
    good = GOOD
    (record,) = read(_csv(tmp_path, good)).records
    assert record.pedigree.as_tuple() == (2, 3, 1, 2, 4)
    with pytest.raises(FactorImportError, match=r"row 3, column 'kg_co2e'.*'abc'"):
        read(_csv(tmp_path, good, "a2,Coal,t,abc,,P,D,L,"))
    with pytest.raises(FactorImportError, match=r"row 2, column 'unit'.*'zorgs'"):
        read(_csv(tmp_path, "a3,Coal,zorgs,1,,P,D,L,"))
    with pytest.raises(FactorImportError, match=r"row 3, column 'id'.*duplicate id 'a1'"):
        read(_csv(tmp_path, good, good))
    with pytest.raises(FactorImportError, match=r"row 2, column 'source_publisher'"):
        read(_csv(tmp_path, "a4,Coal,t,1,,,D,L,"))


def test_pact_examples():
    (one,) = read(PACT / "example-1.json").records
    # example-1: pcfExcludingBiogenicUptake "0.384" per declaredUnitAmount "1" kilogram
    assert (one.kg_co2e, one.unit, one.geography, one.gwp_set) == (0.384, "kg", "US-TX", "AR6")
    assert one.primary_data and one.id == "pact:12345678-9abc-def0-1234-567812345678"
    (two,) = read(PACT / "example-2.json").records
    # example-2: 5.14 kg CO2e per 12 liter
    assert two.kg_co2e == pytest.approx(5.14 / 12) and two.unit == "L"
    listed = read(PACT / "list-footprints-response.json").records
    assert [r.geography for r in listed] == ["Western Europe"]
    with pytest.raises(FactorImportError, match="no ProductFootprint found"):
        read(PACT / "error-response-access-denied.json", "pact")


def test_pact_unknown_unit(tmp_path):
    text = (PACT / "example-1.json").read_text().replace('"kilogram"', '"bushel"')
    path = tmp_path / "pf.json"
    path.write_text(text)
    with pytest.raises(FactorImportError, match="unknown declaredUnitOfMeasurement 'bushel'"):
        read(path, "pact")


@pytest.mark.parametrize("kind", ["csv", "jsonld"])
def test_round_trip(tmp_path, kind):
    records = read(PACT / "example-4.json").records + read(SAMPLES / "co2_ch4_n2o_ef.csv").records
    if kind == "csv":
        path = exporters.export_csv(records, tmp_path / "out.csv")
    else:
        path = exporters.export_jsonld(records, tmp_path / "out.zip")
    back = read(path)
    assert _canonical(back.records) == _canonical(records)


def _canonical(records):
    """Records by id with gases in a fixed order (the CSV columns order gases by column)."""
    return sorted(
        (
            r.model_copy(update={"gases": sorted(r.gases, key=lambda g: (g.gas, g.origin))})
            for r in records
        ),
        key=lambda r: r.id,
    )


def _xlsx(tmp_path, rows, sheet="factors"):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = sheet
    for row in rows:
        book.active.append(row)
    path = tmp_path / "factors.xlsx"
    book.save(path)
    return path


def test_xlsx_template_round_trip(tmp_path):
    rows = [HEADER.split(","), *(r.split(",") for r in (GOOD, "a2,Coal,t,2400,,P,D,L,"))]
    rows = [[float(c) if c.replace(".", "").isdigit() else c for c in r] for r in rows]
    from_xlsx = read(_xlsx(tmp_path, rows)).records
    assert from_xlsx == read(_csv(tmp_path, GOOD, "a2,Coal,t,2400,,P,D,L,")).records
    assert [(r.id, r.kg_co2e) for r in from_xlsx] == [("a1", 2.5), ("a2", 2400.0)]


def test_xlsx_errors_cite_sheet_row_and_column(tmp_path):
    rows = [HEADER.split(","), GOOD.split(","), "a2,Coal,t,abc,,P,D,L,".split(",")]
    with pytest.raises(FactorImportError, match=r"\[sheet 'factors'\]: row 3, column 'kg_co2e'"):
        read(_xlsx(tmp_path, rows))
    with pytest.raises(FactorImportError, match=r"\[sheet 'Sheet A'\]: row 2, column 'unit'"):
        read(_xlsx(tmp_path, [HEADER.split(","), "a3,Coal,zorgs,1,,P,D,L,".split(",")], "Sheet A"))


def _one_process_footprint(record, amount):
    """A model whose only process takes ``amount`` declared units of the imported factor."""
    from tanzuji.factors.base import MappingSource
    from tanzuji.footprint import calculate
    from tanzuji.model.files import load_model_text

    text = f"""
product:
  id: bought
  name: {{en: Bought product}}
  functional_unit: {{amount: 1, unit: piece}}
  reference_flow: {{process: use, amount: 1, unit: piece}}
processes:
  - id: use
    name: {{en: Use}}
    life_cycle_stage: raw_materials
    reference_product: {{amount: 1, unit: piece}}
    inputs:
      - {{factor: "{record.id}", amount: {amount}, unit: {record.unit}}}
"""
    source = MappingSource([record.to_factor_data()], origin="PACT import")
    return calculate(load_model_text(text, "pact.yaml"), factor_source=source)


@pytest.mark.parametrize(
    ("example", "excluding", "including", "declared"),
    [
        # example-1 pcf: pcfExcludingBiogenicUptake "0.384", pcfIncludingBiogenicUptake "-1.23",
        # declaredUnitAmount "1"; example-2: "5.14", "-14.22" per "12" liter;
        # example-4: "0.42", "0.05" per "1"; example-3: "77.0", "77.0" per "1" piece
        ("example-1.json", 0.384, -1.23, 1),
        ("example-2.json", 5.14, -14.22, 12),
        ("example-3.json", 77.0, 77.0, 1),
        ("example-4.json", 0.42, 0.05, 1),
    ],
)
def test_pact_factor_reproduces_supplier_totals_in_engine(example, excluding, including, declared):
    (record,) = read(PACT / example).records
    assert record.kg_co2e == pytest.approx(excluding / declared, rel=1e-12)
    footprint = _one_process_footprint(record, declared)
    assert footprint.pact.pcfIncludingBiogenicUptake == pytest.approx(including, rel=1e-9)
    assert footprint.pact.pcfExcludingBiogenicUptake == pytest.approx(excluding, rel=1e-9)
    assert footprint.total_kg_co2e == pytest.approx(including, rel=1e-9)


def test_pact_split_by_origin():
    (record,) = read(PACT / "example-4.json").records
    gases = {(g.gas, g.origin): g.amount_kg for g in record.gases}
    # fossilGhgEmissions 0.17, landUseChangeGhgEmissions 0.2, remainder 0.42 - 0.17 - 0.2 = 0.05
    # biogenic; uptake 0.05 - 0.42 = -0.37 (= biogenicCO2Uptake "-0.37")
    assert gases == pytest.approx(
        {
            ("CO2e", "fossil"): 0.17,
            ("CO2e", "land_use_change"): 0.2,
            ("CO2e", "biogenic"): 0.42 - 0.17 - 0.2,
            ("CO2", "biogenic"): 0.05 - 0.42,
        },
        rel=1e-12,
    )
    footprint = _one_process_footprint(record, 1)
    assert footprint.pact.fossilGhgEmissions == pytest.approx(0.17, rel=1e-9)
    assert footprint.pact.landUseChangeGhgEmissions == pytest.approx(0.2, rel=1e-9)


def test_pact_rounded_uptake_is_noted():
    (record,) = read(PACT / "example-1.json").records
    # -1.23 - 0.384 = -1.614 vs the rounded biogenicCO2Uptake "-1.61"
    uptake = next(g for g in record.gases if g.gas == "CO2")
    assert (uptake.origin, uptake.amount_kg) == ("biogenic", pytest.approx(-1.614, rel=1e-12))
    assert "reported biogenicCO2Uptake -1.61" in record.comment
