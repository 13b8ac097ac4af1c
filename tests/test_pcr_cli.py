"""``tanzuji pcr list / show / check`` in process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tanzuji.cli import app
from tanzuji.errors import UnknownPcr
from tanzuji.pcr import shipped

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "pcr"
BROKEN = Path(__file__).parent / "data" / "pcr_broken"
runner = CliRunner()


def test_list_names_every_shipped_pcr():
    result = runner.invoke(app, ["pcr", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for pcr in shipped():
        assert pcr.ref in result.output
    assert "产品种类规则" in result.output


def test_show_battery_is_bilingual():
    result = runner.invoke(app, ["pcr", "show", "battery-eu-2023"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for text in ("battery-eu-2023@1.1", "主要产品生产", "Main product production", "excluded 排除"):
        assert text in result.output
    assert "Regulation (EU) 2023/1542" in result.output


def test_show_prints_the_calculation_rules_sections():
    # battery-eu-2023-1.1.yaml: credits substitution separate / recycling include, end of
    # life cff (missing: error), electricity market-based; the [K] marks are printed as text
    result = runner.invoke(app, ["pcr", "show", "battery-eu-2023@1.1"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "credits 抵扣" in text and "substitution separate, recycling include" in text
    assert "end of life 报废处理" in text
    assert "cff for every material; none modelled: error [K]" in text
    assert "electricity 电力" in text and "market-based result declared (both reported) [K]" in text
    older = runner.invoke(app, ["pcr", "show", "battery-eu-2023@1.0"], env={"COLUMNS": "250"})
    assert older.exit_code == 0 and "credits 抵扣" not in older.output  # 1.0 sets none


def test_show_prints_a_calculation_allocation(tmp_path):
    # a PCR file that sets one allocation method for every process of a calculation
    text = (ROOT / "src" / "tanzuji" / "pcr" / "rules" / "paper-cepi.yaml").read_text("utf-8")
    old = "  allowed: [mass, energy]\n"
    assert old in text
    rule_file = tmp_path / "paper-economic.yaml"
    rule_file.write_text(text.replace(old, old + "  calculation: economic\n"), "utf-8")
    result = runner.invoke(app, ["pcr", "show", str(rule_file)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "allocation in calculation 计算分配" in result.output
    assert "economic (every process)" in result.output


def test_show_json_round_trips():
    result = runner.invoke(app, ["pcr", "show", "paper-cepi", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["id"], data["version"], data["unit"]["unit"]) == ("paper-cepi", "1.0", "t")


def test_show_unknown_pcr_raises_the_domain_error():
    result = runner.invoke(app, ["pcr", "show", "nope"])
    assert result.exit_code != 0
    assert isinstance(result.exception, UnknownPcr)


def test_check_json_payload_of_a_passing_example():
    result = runner.invoke(app, ["pcr", "check", str(EXAMPLES / "jewellery.yaml"), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    # 4.2 g * 20 (illustrative gold) + 2 kWh * 0.5366 (MEE 2022) + 20 g CO2 air freight
    total = 4.2 * 20 + 2 * 0.5366 + 0.020
    assert payload["total_kg_co2e"] == pytest.approx(total, rel=1e-12)
    payload["total_kg_co2e"] = round(payload["total_kg_co2e"], 6)
    assert payload == {
        "pcr": "jewellery-gbt24067@1.0",
        "pcr_name_en": "Jewellery — carbon footprint (general rules)",
        "pcr_name_zh": "珠宝首饰碳足迹（通用规则）",
        "model_file": str(EXAMPLES / "jewellery.yaml"),
        "model_sha256": payload["model_sha256"],
        "gwp_set": "AR6",
        "total_kg_co2e": round(total, 6),
        "functional_unit": {
            "kind": "declared",
            "amount": 1.0,
            "unit": "piece",
            "description": {"zh": "出厂 1 枚戒指", "en": "one ring at the gate"},
        },
        "findings": [
            {
                # no pedigree in the example: every item counts as 5 (docs/quality.md R1)
                "rule": "data_quality.dqr_parameter_unset",
                "severity": "info",
                "location": f"{EXAMPLES / 'jewellery.yaml'} (result data_quality.dqr)",
                "message_en": "DQR is 5.00; the PCR leaves the ceiling as a parameter (no numeric "
                "DQR ceiling in GB/T 24067) — set it with --param data_quality.dqr_max=N",
                "message_zh": "DQR 为 5.00；PCR 将上限作为参数"
                "（no numeric DQR ceiling in GB/T 24067）",
            }
        ],
        "passed": True,
    }
    assert len(payload["model_sha256"]) == 64


def test_check_error_exits_1_and_prints_both_languages():
    result = runner.invoke(
        app, ["pcr", "check", str(BROKEN / "boundary_mismatch.yaml")], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 1
    assert "FAIL 未通过" in result.output
    assert "boundary.mismatch" in result.output
    as_json = runner.invoke(app, ["pcr", "check", str(BROKEN / "boundary_mismatch.yaml"), "--json"])
    assert as_json.exit_code == 1
    (finding,) = [f for f in json.loads(as_json.output)["findings"] if f["severity"] == "error"]
    assert finding["message_en"] == (
        "the model states boundary cradle-to-gate; the PCR requires cradle-to-grave"
    )
    assert finding["message_zh"] == "模型声明的系统边界为 cradle-to-gate；PCR 要求 cradle-to-grave"


def test_check_param_and_pcr_file_options():
    rule_file = ROOT / "src" / "tanzuji" / "pcr" / "rules" / "battery-eu-2023.yaml"
    args = ["pcr", "check", str(BROKEN / "cutoff_per_flow_kg.yaml"), "--json"]
    result = runner.invoke(app, [*args, "--pcr", str(rule_file), "--param", "cutoff.per_flow=0.5"])
    assert result.exit_code == 1  # cutoff.total (19.4 % > 3 %) still fails
    rules = [f["rule"] for f in json.loads(result.output)["findings"]]
    assert "cutoff.per_flow" not in rules  # 19.4 % < 50 %
    assert "cutoff.total" in rules
