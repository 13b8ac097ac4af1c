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
