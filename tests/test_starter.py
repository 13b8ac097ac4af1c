"""The starter factor database: provenance of every row, values against their sources."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from shared_data import REFERENCE, SKIP_WITHOUT_SHARED
from tanzuji import units
from tanzuji.errors import FactorFileError
from tanzuji.factors.licence import licence_ids, partition
from tanzuji.factors.starter import COLUMNS, STARTER_FILES, load_starter, read_starter_file
from tanzuji.factors.text import within


@pytest.fixture(scope="module")
def starter():
    return {record.id: record for record in load_starter()}


def _gas(record, gas, origin="fossil"):
    return next(g.amount_kg for g in record.gases if g.gas == gas and g.origin == origin)


def test_every_factor_is_published_with_source_licence_and_parsable_unit(starter):
    assert len(starter) >= 300
    for record in starter.values():
        assert record.status == "published"
        assert record.source.publisher and record.source.document and record.licence
        assert record.source.url, record.id
        assert record.source.accessed is not None, record.id
        assert record.name_en and record.name_zh, record.id
        units.parse_unit(record.unit)


def test_every_licence_starts_with_an_identifier(starter):
    # tanzuji.factors.licence: "SPDX-id or LicenseRef-...: terms"; --exclude-licence uses it
    for record in starter.values():
        assert licence_ids(record.licence), record.id


def test_ipcc_licence_quotes_the_ipcc_copyright_terms(starter):
    # IPCC copyright page (archive.ipcc.ch/home_copyright.shtml): personal, non-commercial use;
    # short excerpts with acknowledgement; any other use needs permission
    record = starter["ipcc2006.manufacturing.diesel.tj"]
    assert licence_ids(record.licence) == ("LicenseRef-IPCC-Copyright",)
    for quoted in (
        "for your personal, non-commercial use",
        "short excerpts of IPCC material is authorized free of charge",
        "For any other use, permission is required",
        "archive.ipcc.ch/home_copyright.shtml",
    ):
        assert quoted in record.licence


def test_a_deployment_can_exclude_non_commercial_terms(starter):
    kept, dropped = partition(starter.values(), ["non-commercial"])
    dropped_ids = {r.id for r, _ in dropped}
    assert "ipcc2006.manufacturing.diesel.tj" in dropped_ids
    assert "hk-hke.electricity.2024.kwh" in dropped_ids
    assert all("non-commercial" not in r.licence.lower() for r in kept)
    assert {r.licence.split(":")[0] for r in kept} >= {
        "OGL-UK-3.0",
        "LicenseRef-US-Government-Work",
        "LicenseRef-PRC-Official-Document",
    }


def test_china_grid_factor_values_from_mee_table(starter):
    # MEE & NBS 2023 factors: 南方 0.4042, national average 0.5306 kg CO2/kWh
    csg = starter["cn-mee.electricity.2023.cn-csg.avg"]
    assert _gas(csg, "CO2") == pytest.approx(0.4042, abs=0)
    assert csg.unit == "kWh" and csg.geography == "CN-CSG" and csg.year == 2023
    assert _gas(starter["cn-mee.electricity.2023.cn.avg"], "CO2") == pytest.approx(0.5306, abs=0)
    # MEE 2021 national average 0.5568 (公告2024年第12号)
    assert _gas(starter["cn-mee.electricity.2021.cn.avg"], "CO2") == pytest.approx(0.5568, abs=0)


def test_guangdong_lies_in_the_southern_grid():
    assert within("CN-GD", "CN-CSG") and within("CN-GD", "CN")
    assert not within("CN-GD", "CN-NCG")


def test_ipcc_diesel_per_tj_and_per_tonne(starter):
    per_tj = starter["ipcc2006.manufacturing.diesel.tj"]
    # IPCC 2006 Vol. 2 Ch. 1 Table 1.4: 74,100 kg CO2/TJ; Ch. 2 Table 2.3: CH4 3, N2O 0.6
    assert _gas(per_tj, "CO2") == pytest.approx(74_100, rel=0, abs=1e-9)
    assert _gas(per_tj, "CH4") == pytest.approx(3.0, abs=0)
    assert _gas(per_tj, "N2O") == pytest.approx(0.6, abs=0)
    per_t = starter["ipcc2006.manufacturing.diesel.t"]
    # NCV 43.0 TJ/Gg (Table 1.2): 74,100 * 43.0 / 1000 = 3186.3 kg CO2/t; CH4 3 * 43 / 1000
    assert _gas(per_t, "CO2") == pytest.approx(74_100 * 43.0 / 1000, rel=1e-12)
    assert _gas(per_t, "CH4") == pytest.approx(0.129, rel=1e-9)
    assert per_t.boundary == "combustion" and per_t.geography == "GLO"


def test_ipcc_co2_reproduces_table_1_4_from_carbon_content(starter):
    # Table 1.4 values: natural gas 56,100; other bituminous coal 94,600; motor gasoline 69,300
    expected = {"natural-gas": 56_100, "bituminous-coal": 94_600, "gasoline": 69_300}
    for fuel, value in expected.items():
        assert _gas(starter[f"ipcc2006.manufacturing.{fuel}.tj"], "CO2") == pytest.approx(value)


def test_ipcc_road_transport_and_residential_coal(starter):
    # Table 3.2.2 gasoline uncontrolled CH4 33, N2O 3.2; Table 2.5 residential coal CH4 300
    road = starter["ipcc2006.road.gasoline.tj"]
    assert (_gas(road, "CH4"), _gas(road, "N2O")) == pytest.approx((33.0, 3.2))
    assert _gas(starter["ipcc2006.residential.bituminous-coal.tj"], "CH4") == pytest.approx(300.0)


def test_biofuel_co2_is_biogenic(starter):
    record = starter["ipcc2006.manufacturing.biodiesel.tj"]
    assert {(g.gas, g.origin) for g in record.gases} >= {("CO2", "biogenic")}
    assert all(g.origin != "fossil" or g.gas != "CO2" for g in record.gases)


def test_desnz_and_epa_values(starter):
    # DESNZ 2023 flat file, Fuels > Gaseous fuels > Natural gas, cubic metres: 2.03839 kg CO2e
    # (the flat file holds the unrounded value; the published table prints 2.03839)
    gas = starter["desnz2023.fuels.natural-gas.m3"]
    assert gas.kg_co2e == pytest.approx(2.03839, rel=1e-6) and gas.gwp_set == "AR5"
    steel = starter["desnz2023.material-use.metal.metal-steel-cans.primary-material-production.t"]
    assert steel.kg_co2e == pytest.approx(3086.72731, rel=1e-8)
    assert steel.boundary == "cradle_to_gate"
    # EPA Hub 2021 Table 8: truck 0.211 kg CO2 per short ton-mile; 1 ton-mile = 0.90718474 *
    # 1.609344 tkm
    truck = starter["us-epa.transport.medium-and-heavy-duty-truck.tkm"]
    assert _gas(truck, "CO2") == pytest.approx(0.211 / (0.90718474 * 1.609344), rel=1e-6)


def test_wtt_factors_are_upstream_only(starter):
    wtt = starter["desnz2023.wtt-uk-electricity.wtt-uk-electricity-generation.electricity-uk.kwh"]
    assert wtt.boundary == "cradle_to_gate" and "well-to-tank" in wtt.name_en.lower()


def _one_row_file(**values: str) -> str:
    """A starter file of one row with the required columns filled and ``values`` on top."""
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        id="x.1",
        name_en="x",
        unit="kg",
        boundary="combustion",
        geography="CN",
        publisher="p",
        document="d",
        licence="l",
        **values,
    )
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerow(row)
    return buffer.getvalue()


def test_bad_number_names_file_line_and_column():
    with pytest.raises(FactorFileError, match=r"bad.csv:2: column 'co2_fossil_kg': found 'lots'"):
        read_starter_file(_one_row_file(co2_fossil_kg="lots"), name="bad.csv")


def test_missing_amounts_is_an_error():
    with pytest.raises(FactorFileError, match=r"bad.csv:2: invalid factor row"):
        read_starter_file(_one_row_file(), name="bad.csv")


@SKIP_WITHOUT_SHARED
def test_grid_builder_reproduces_the_shipped_file():
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "scripts" / "build_starter_grid.py"
    spec = importlib.util.spec_from_file_location("build_starter_grid", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.build_rows(REFERENCE / "factors" / "china_grid_co2_factors_mee.csv")
    shipped = Path(__file__).resolve().parents[1] / "src/tanzuji/data/factors" / STARTER_FILES[0]
    with shipped.open(encoding="utf-8") as handle:
        shipped_rows = list(csv.DictReader(handle))
    assert [r["id"] for r in rows] == [r["id"] for r in shipped_rows]
    assert [str(r["co2_fossil_kg"]) for r in rows] == [r["co2_fossil_kg"] for r in shipped_rows]
