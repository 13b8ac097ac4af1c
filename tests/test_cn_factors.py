"""Chinese factors of the starter data against the published tables (issue 10).

Expected values are those of the cited tables, transcribed by hand into this file from the
access routes named in each row's ``comment`` (the annex PDFs could not be read from the
build machine; see docs/data.md "Not shipped, and why"):

- MEE & NBS 公告2024年第12号 (2021 factors, 2024-04-12), 公告2024年第33号 (2022, 2024-12-20),
  公告2025年第47号 (2023, 2025-12-31): 附件 表2 regional grids, 表3 provinces, kg CO2/kWh.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tanzuji.factors import text as factor_text
from tanzuji.factors.starter import load_starter

ROOT = Path(__file__).resolve().parents[1]

#: 广东 in 附件表3 of the three announcements (kg CO2/kWh).
GUANGDONG = {2021: 0.4715, 2022: 0.4403, 2023: 0.4419}
#: Provinces of 表3 (西藏 has no provincial factor in any of the three annexes).
PROVINCES = 30


@pytest.fixture(scope="module")
def starter():
    return {r.id: r for r in load_starter()}


def _co2(record) -> float:
    (gas,) = [g for g in record.gases if g.gas == "CO2"]
    return gas.amount_kg


def _builder(name: str):
    path = ROOT / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("year", sorted(GUANGDONG))
def test_guangdong_provincial_factor_of_each_year(starter, year):
    record = starter[f"cn-mee.electricity.{year}.cn-gd.avg"]
    assert _co2(record) == GUANGDONG[year]
    assert (record.geography, record.year, record.unit) == ("CN-GD", year, "kWh")
    number = {2021: "公告2024年第12号", 2022: "公告2024年第33号", 2023: "公告2025年第47号"}
    assert number[year] in record.source.document
    assert "表3" in record.source.table
    assert record.licence.startswith("LicenseRef-PRC-Official-Document:")
    assert "code index id" in record.comment  # the access route that was read
    # Guangdong is in the GBA and in the China Southern Grid: the factor applies to Shenzhen
    assert factor_text.applies_to("CN-GD", "CN-GD-440300")


def test_every_province_every_year_and_no_tibet(starter):
    for year in (2021, 2022, 2023):
        provincial = [
            r
            for r in starter.values()
            if r.id.startswith(f"cn-mee.electricity.{year}.")
            and r.id.endswith(".avg")
            and len(r.geography) == 5
            and r.geography != "CN-HK"
        ]
        assert len(provincial) == PROVINCES, year
        assert "CN-XZ" not in {r.geography for r in provincial}
        # every province lies in one of the seven regional grids of the annex
        assert all(factor_text.within(r.geography, "CN") for r in provincial)


def test_table_values_spot_checked(starter):
    # 2021 表3: 安徽 0.7075, 河北 0.7901; 表2: 华北 0.7120, 南方 0.4326 (route A; 安徽 and
    # 华北 also route G); 表4 national excl. market-traded non-fossil 0.5942 (press)
    assert _co2(starter["cn-mee.electricity.2021.cn-ah.avg"]) == 0.7075
    assert _co2(starter["cn-mee.electricity.2021.cn-he.avg"]) == 0.7901
    assert _co2(starter["cn-mee.electricity.2021.cn-ncg.avg"]) == 0.7120
    assert _co2(starter["cn-mee.electricity.2021.cn-csg.avg"]) == 0.4326
    assert _co2(starter["cn-mee.electricity.2021.cn.excl-market-nonfossil"]) == 0.5942
    # 2022 表3: 云南 0.1073 (lowest), 河北 0.7252 (highest) — the press also printed these
    assert _co2(starter["cn-mee.electricity.2022.cn-yn.avg"]) == 0.1073
    assert _co2(starter["cn-mee.electricity.2022.cn-he.avg"]) == 0.7252
    # 2023 表3: 四川 0.1564, 云南 0.1333, 广西 0.4476, 海南 0.3648, 贵州 0.5683
    for code, value in (("sc", 0.1564), ("yn", 0.1333), ("gx", 0.4476), ("hi", 0.3648)):
        assert _co2(starter[f"cn-mee.electricity.2023.cn-{code}.avg"]) == value
    assert _co2(starter["cn-mee.electricity.2023.cn-gz.avg"]) == 0.5683


def test_southern_grid_provinces_bracket_the_regional_factor(starter):
    # a regional factor is an average over its provinces' electricity: it lies between the
    # lowest and the highest provincial value of the region (南方: 广东 广西 云南 贵州 海南)
    for year in (2021, 2022, 2023):
        region = _co2(starter[f"cn-mee.electricity.{year}.cn-csg.avg"])
        values = [
            _co2(starter[f"cn-mee.electricity.{year}.{p}.avg"])
            for p in ("cn-gd", "cn-gx", "cn-yn", "cn-gz", "cn-hi")
        ]
        assert min(values) < region < max(values), year


def test_grid_builder_stops_when_transcriptions_disagree():
    module = _builder("build_starter_grid")
    copies = {"A": {"广东": "0.4403"}, "B": {"广东": "0.4430"}}
    with pytest.raises(module.TranscriptionMismatch, match="广东"):
        module._agreed("2022", "广东", copies)
    assert module._agreed("2022", "广东", {"A": {"广东": "0.4403"}, "G": {"广东": "0.4403"}}) == (
        "0.4403",
        ["A", "G"],
    )


# -- GB/T 51366-2019 (optional set gbt51366) ----------------------------------------------------

#: 附录D 表D.0.1 (kg CO2e per unit) and 附录E 表E.0.1 (kg CO2e per t·km), as transcribed in
#: the access routes named in each row (route A, confirmed by B; C for the first four).
GBT51366 = {
    "cn-gbt51366.material.cement-portland.t": ("t", 735.0),
    "cn-gbt51366.material.concrete-c30.m3": ("m3", 295.0),
    "cn-gbt51366.material.steel-rebar.t": ("t", 2340.0),
    "cn-gbt51366.material.flat-glass.t": ("t", 1130.0),
    "cn-gbt51366.material.aluminium-electrolytic.t": ("t", 20300.0),
    "cn-gbt51366.material.window-al-thermal-break-primary.m2": ("m2", 254.0),
    "cn-gbt51366.material.pipe-ppr.kg": ("kg", 3.72),
    "cn-gbt51366.material.tap-water.t": ("t", 0.168),
    "cn-gbt51366.transport.road.diesel.heavy-10t.tkm": ("tkm", 0.162),
    "cn-gbt51366.transport.road.diesel.heavy-46t.tkm": ("tkm", 0.057),
    "cn-gbt51366.transport.rail.average.tkm": ("tkm", 0.010),
    "cn-gbt51366.transport.water.container-200teu.tkm": ("tkm", 0.012),
}


@pytest.fixture(scope="module")
def gbt():
    from tanzuji.factors.starter import load_optional

    return {r.id: r for r in load_optional("gbt51366")}


def _co2e(record) -> float:
    (gas,) = record.gases
    assert (gas.gas, gas.origin) == ("CO2e", "fossil")
    return gas.amount_kg


def test_gbt51366_values_against_the_tables(gbt):
    assert len(gbt) == 85  # 69 materials of 表D.0.1 (水泥砂浆 has no value), 16 of 表E.0.1
    for factor_id, (unit, value) in GBT51366.items():
        record = gbt[factor_id]
        assert (record.unit, _co2e(record)) == (unit, value), factor_id
        assert record.geography == "CN" and record.year == 2019
        assert "GB/T 51366-2019" in record.source.document
        assert record.licence.startswith("LicenseRef-GB-Standard-Values:")
    materials = [r for r in gbt.values() if ".material." in r.id]
    assert {r.boundary for r in materials} == {"cradle_to_gate"}
    assert all("表D.0.1" in r.source.table for r in materials)
    transport = [r for r in gbt.values() if ".transport." in r.id]
    assert len(transport) == 16 and {r.unit for r in transport} == {"tkm"}
    assert all("表E.0.1" in r.source.table for r in transport)


def test_gbt51366_disagreements_are_resolved_and_recorded(gbt):
    # one transcription gives 1225 and 1295: the decimal point lost (see the builder)
    recycled = gbt["cn-gbt51366.material.window-al-wood-recycled.m2"]
    assert _co2e(recycled) == 122.5 and "B gives 1225" in recycled.comment
    assert _co2e(gbt["cn-gbt51366.material.window-al-pvc-coextruded.m2"]) == 129.5
    # a recycled-content window is below the all-primary one, as the table's logic requires
    assert _co2e(recycled) < _co2e(gbt["cn-gbt51366.material.window-al-wood-primary.m2"])


def test_gbt51366_builder_reproduces_the_shipped_file_and_stops_on_disagreement():
    import csv

    module = _builder("build_starter_gbt51366")
    rows = module.build_rows()
    shipped = ROOT / "src/tanzuji/data/factors/gbt51366_building.csv"
    with shipped.open(encoding="utf-8") as handle:
        shipped_rows = list(csv.DictReader(handle))
    assert [(r["id"], str(r["co2e_kg"])) for r in rows] == [
        (r["id"], r["co2e_kg"]) for r in shipped_rows
    ]
    with pytest.raises(module.TranscriptionMismatch, match="steel-rebar"):
        module._agreed("steel-rebar", {"A": "2340", "B": "2430"})


def test_optional_sets_are_not_in_the_default_starter_data(starter):
    from tanzuji.errors import NotFound
    from tanzuji.factors.starter import OPTIONAL_SETS, load_optional

    assert not any(i.startswith("cn-gbt51366.") for i in starter)
    with pytest.raises(NotFound, match=r"no optional factor set 'gb50000'.*gbt51366"):
        load_optional("gb50000")
    assert set(OPTIONAL_SETS) == {"gbt51366"}


def test_a_model_names_a_gbt51366_factor_without_a_database():
    from tanzuji.factors.starter import StarterFactorSource
    from tanzuji.footprint import calculate
    from tanzuji.model.files import load_model_text

    text = (
        "product:\n"
        "  id: slab\n"
        "  name: {zh: 楼板, en: Slab}\n"
        "  functional_unit: {unit: piece}\n"
        "  reference_flow: {process: make}\n"
        "processes:\n"
        "  - id: make\n"
        "    name: Make\n"
        "    life_cycle_stage: production\n"
        "    reference_product: {unit: piece}\n"
        "    inputs:\n"
        "      - {factor: cn-gbt51366.material.steel-rebar.t, amount: 2, unit: t}\n"
        "      - {factor: cn-gbt51366.material.concrete-c30.m3, amount: 10, unit: m3}\n"
        "      - {factor: cn-gbt51366.transport.road.diesel.heavy-30t.tkm, amount: 500, "
        "unit: tkm}\n"
    )
    fp = calculate(load_model_text(text, "slab.yaml"), factor_source=StarterFactorSource())
    # by hand: 2 t * 2340 + 10 m3 * 295 + 500 tkm * 0.078 = 4680 + 2950 + 39 kg CO2e
    assert fp.total_kg_co2e == pytest.approx(4680 + 2950 + 39, rel=1e-12)


def test_load_starter_with_the_optional_set(database_url, monkeypatch, capsys):
    from test_store_cli import run

    monkeypatch.setenv("TANZUJI_DATABASE_URL", database_url)
    assert run(["db", "upgrade"], capsys, monkeypatch)[0] == 0
    code, out, _ = run(["factors", "load-starter", "--with", "gbt51366"], capsys, monkeypatch)
    assert code == 0 and f"imported 导入 {len(load_starter()) + 85} · skipped 跳过 0" in out
    from tanzuji.cli.app import console

    monkeypatch.setattr(console, "width", 250)
    code, out, _ = run(["factors", "search", "热轧碳钢钢筋", "--limit", "3"], capsys, monkeypatch)
    assert code == 0 and "cn-gbt51366.material.steel-rebar.t" in out
    code, _, err = run(["factors", "load-starter", "--with", "gb50000"], capsys, monkeypatch)
    assert code != 0 and "gbt51366" in err
