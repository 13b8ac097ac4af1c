"""Inputs that name their activity in words (``match:``): the factor chosen, the value computed
from it by hand, the data-quality rule R5 (docs/quality.md) and clear errors.

Expected values come from the starter factor rows cited beside them (src/tanzuji/data/factors/)
and the AR6 GWP100 values in src/tanzuji/data/gwp100.csv.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tanzuji import settings, units
from tanzuji.cli import app
from tanzuji.context import Context
from tanzuji.errors import ModelError, NoFactorMatch, UnknownFactor
from tanzuji.factors.matchers import DatabaseMatcher, DatabaseOrStarterMatcher, StarterMatcher
from tanzuji.factors.starter import StarterFactorSource, load_starter
from tanzuji.footprint import calculate
from tanzuji.model.compile import compile_model
from tanzuji.model.files import load_model_text
from tanzuji.services.factors import STARTER_REVIEWER
from tanzuji.settings import Settings
from tanzuji.store.factor_repository import FactorDatabase

CSG_2023 = "cn-mee.electricity.2023.cn-csg.avg"
#: data/factors/china_grid_mee.csv row cn-mee.electricity.2023.cn-csg.avg: 0.4042 kg CO2/kWh
#: (MEE & NBS 2023 factors, China Southern Grid average)
CSG_2023_KG_CO2_PER_KWH = 0.4042
GD_2023 = "cn-mee.electricity.2023.cn-gd.avg"
#: data/factors/china_grid_mee.csv row cn-mee.electricity.2023.cn-gd.avg: 0.4419 kg CO2/kWh
#: (MEE & NBS 公告2025年第47号 附件表3, Guangdong provincial average)
GD_2023_KG_CO2_PER_KWH = 0.4419
TRUCK = "us-epa.transport.medium-and-heavy-duty-truck.tkm"
#: data/factors/epa_hub.csv row us-epa.transport.medium-and-heavy-duty-truck.tkm, per tkm:
#: EPA Hub 2021 Table 8, 0.211 kg CO2, 0.002 g CH4, 0.0049 g N2O per short ton-mile / 1.459972
#: = CO2 0.1445233 kg, CH4 1.369889e-06 kg, N2O 3.356228e-06 kg; AR6 fossil CH4 29.8, N2O 273
TRUCK_KG_CO2E_PER_TKM_AR6 = 0.1445233 + 1.369889e-06 * 29.8 + 3.356228e-06 * 273

HEADER = (
    "product:\n"
    "  id: kettle\n"
    "  name: {zh: 电水壶, en: Kettle}\n"
    "  functional_unit: {unit: piece}\n"
    "  reference_flow: {process: make}\n"
    "  geography: CN-GD\n"
    "  reference_period: {start: 2023-01-01, end: 2023-12-31}\n"
    "processes:\n"
    "  - id: make\n"
    "    name: Make\n"
    "    life_cycle_stage: production\n"
    "    reference_product: {unit: piece}\n"
    "    inputs:\n"
)  # 13 lines: the first input is on line 14


def _model(*inputs: str) -> str:
    return HEADER + "".join(f"      - {line}\n" for line in inputs)


def _fp(*inputs: str, matcher=None):
    return calculate(
        load_model_text(_model(*inputs), "m.yaml"), matcher=matcher or StarterMatcher()
    )


def test_chinese_and_english_text_by_hand():
    fp = _fp(
        "{match: 外购电力 广东 2023, amount: 100, unit: kWh}",
        "{match: road freight truck, amount: 50, unit: tkm}",
    )
    electricity, truck = fp.matched_exchanges
    assert (electricity.factor_id, truck.factor_id) == (GD_2023, TRUCK)
    # Guangdong's provincial factor: 100 kWh * 0.4419; 50 tkm * the truck factor
    # (the grid factor is CO2 only, GWP100 of CO2 = 1)
    expected = 100 * GD_2023_KG_CO2_PER_KWH + 50 * TRUCK_KG_CO2E_PER_TKM_AR6
    assert fp.total_kg_co2e == pytest.approx(expected, rel=1e-12)
    assert {f.id for f in fp.inputs.factors} == {GD_2023, TRUCK}
    assert {f.release for f in fp.inputs.factors} == {"builtin"}


def test_english_text_with_product_geography_default():
    # "purchased electricity" names no place: the product's CN-GD and its reference
    # period's year 2023 are the hints
    fp = _fp("{match: purchased electricity, amount: 2.5, unit: MWh}")
    (m,) = fp.matched_exchanges
    assert (m.factor_id, m.geography, m.year) == (GD_2023, "CN-GD", 2023)
    assert fp.total_kg_co2e == pytest.approx(2500 * GD_2023_KG_CO2_PER_KWH, rel=1e-12)


def test_written_hints_override_the_defaults():
    fp = _fp("{match: 外购电力, geography: CN, year: 2023, amount: 1, unit: kWh}")
    (m,) = fp.matched_exchanges
    assert (m.factor_id, m.geography, m.year) == ("cn-mee.electricity.2023.cn.avg", "CN", 2023)


def test_result_lists_the_match_for_a_verifier():
    fp = _fp("{match: 外购电力 广东 2023, amount: 100, unit: kWh}")
    (m,) = fp.matched_exchanges
    data = m.model_dump()
    assert data["location"] == "m.yaml:14 processes[0].inputs[0]"
    assert data["process"] == "make"
    assert data["text"] == "外购电力 广东 2023"
    assert (data["version"], data["release"]) == ("1", "builtin")
    assert 0 < data["confidence"] < 1
    assert "外购电力" in data["explanation"] and "CN-GD" in data["explanation"]
    assert '"matched_exchanges"' in fp.to_json()
    by_id = load_model_text(_model(f"{{factor: {GD_2023}, amount: 100, unit: kWh}}"), "m.yaml")
    named = calculate(by_id, factor_source=StarterFactorSource())
    assert named.matched_exchanges is None and '"matched_exchanges"' not in named.to_json()
    assert named.total_kg_co2e == pytest.approx(fp.total_kg_co2e, rel=1e-12)


def test_pedigree_degraded_by_rule_r5():
    fp = _fp(
        "{match: 外购电力 广东 2023, amount: 100, unit: kWh, pedigree: "
        "{reliability: 1, completeness: 2, temporal: 1, geographical: 1, technological: 2}}"
    )
    (m,) = fp.matched_exchanges
    c = m.confidence
    # R5: s' = s + (5 - s)(1 - c) for the technological and geographical scores only
    geographical = 1 + (5 - 1) * (1 - c)
    technological = 2 + (5 - 2) * (1 - c)
    assert m.pedigree == pytest.approx([1, 2, 1, geographical, technological], rel=1e-12)
    dq = fp.data_quality
    # one item: TeR = technological, GeR = geographical, TiR = temporal, P = reliability (R2)
    assert (dq.ter, dq.ger, dq.tir, dq.p) == pytest.approx((technological, geographical, 1, 1))
    assert dq.dqr == pytest.approx((technological + geographical + 1 + 1) / 4, rel=1e-12)
    assert dq.dqr > (2 + 1 + 1 + 1) / 4  # worse than the same input with factor: ID


def test_exchange_record_carries_the_match():
    loaded = load_model_text(_model("{match: 外购电力 广东 2023, amount: 7, unit: kWh}"), "m.yaml")
    compiled = compile_model(loaded, matcher=StarterMatcher())
    (record,) = [r for r in compiled.system.exchanges if r.kind == "input"]
    (m,) = compiled.matches
    assert record.factor_id == GD_2023
    assert record.match_text == "外购电力 广东 2023"
    assert record.match_confidence == m.confidence
    assert record.match_explanation == m.explanation
    assert record.pedigree is None  # neither the input nor the starter factor has scores: R1 5s


def test_no_candidate_names_file_line_and_text():
    with pytest.raises(
        NoFactorMatch, match=r"m.yaml:14 processes\[0\].inputs\[0\].match: .*'xyzzy quux'"
    ):
        _fp("{match: xyzzy quux, amount: 1, unit: kWh}")
    assert issubclass(NoFactorMatch, UnknownFactor)


def test_unit_incompatible_text_is_never_matched_to_another_dimension():
    # electricity factors are per kWh: in kg the Chinese text finds no factor at all ...
    with pytest.raises(NoFactorMatch, match=r"'外购电力'.*'kg'"):
        _fp("{match: 外购电力, amount: 1, unit: kg}")
    # ... and the English word only factors per mass (coal burned for electricity, per t)
    candidates = StarterMatcher().match("electricity", 1, "kg", "CN", 2023)
    assert candidates
    assert all(units.convertible("kg", c.record.unit) for c in candidates)
    fp = _fp("{match: electricity, amount: 1, unit: kg}")
    (m,) = fp.matched_exchanges
    assert units.convertible("kg", next(f for f in load_starter() if f.id == m.factor_id).unit)


def test_match_and_factor_are_exclusive():
    with pytest.raises(
        ModelError, match=r"m.yaml:14 .*exactly one of 'process', 'factor' or 'match'"
    ):
        _fp(f"{{match: 外购电力, factor: {CSG_2023}, amount: 1, unit: kWh}}")
    with pytest.raises(ModelError, match=r"m.yaml:14 .*hints for 'match' only"):
        _fp(f"{{factor: {CSG_2023}, geography: CN, amount: 1, unit: kWh}}")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_database_matcher_agrees_with_the_starter_index(factor_db: FactorDatabase, database_url):
    factor_db.add_records(load_starter(), "starter", status="published", reviewer=STARTER_REVIEWER)
    text = _model(
        "{match: 外购电力 广东 2023, amount: 100, unit: kWh}",
        "{match: road freight truck, amount: 50, unit: tkm}",
    )
    in_memory = calculate(load_model_text(text, "m.yaml"), matcher=StarterMatcher())
    snapshot = Settings.defaults().replace(database_url=database_url)
    factors = Context.from_settings(snapshot).factors  # unpinned: the database once loaded
    assert isinstance(factors.matcher, DatabaseOrStarterMatcher)
    stored = calculate(
        load_model_text(text, "m.yaml"), factor_source=factors.source, matcher=factors.matcher
    )
    assert isinstance(factors.matcher.chosen(), DatabaseMatcher)
    pairs = zip(in_memory.matched_exchanges, stored.matched_exchanges, strict=True)
    for a, b in pairs:
        assert (a.factor_id, a.confidence, a.explanation) == (
            b.factor_id,
            b.confidence,
            b.explanation,
        )
        assert (b.version, b.release) == ("1", None)  # newest published version, no release
    assert stored.total_kg_co2e == pytest.approx(in_memory.total_kg_co2e, rel=1e-12)


def test_without_a_database_the_context_matches_the_starter_index():
    factors = Context.from_settings(settings.load()).factors
    assert isinstance(factors.matcher, StarterMatcher) and factors.release is None


def test_cli_calc_prints_the_match(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(_model("{match: 外购电力 广东 2023, amount: 100, unit: kWh}"), encoding="utf-8")
    result = CliRunner().invoke(app, ["calc", str(path)])
    assert result.exit_code == 0, result.output
    assert "matched 文本匹配" in result.output
    assert GD_2023 in result.output
    assert "confidence 置信度" in result.output
