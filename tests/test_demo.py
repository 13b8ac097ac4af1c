"""``tanzuji demo`` (``make run``) tells its story end to end on a fresh data_dir.

conftest points ``TANZUJI_DATA_DIR`` at an empty temporary folder, so the demo creates the
embedded SQLite database, loads the starter data, pins release 2026.1, computes the three
examples from it, checks their PCRs and certifies the battery pack.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tanzuji import settings
from tanzuji.certify.certificate import Keyring
from tanzuji.certify.labels import decode_qr_image
from tanzuji.certify.verify import verify_token_text
from tanzuji.cli import app
from tanzuji.cli.app import console
from tanzuji.factors.starter import load_starter
from tanzuji.store.factor_repository import FactorDatabase


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """The demo run twice on one fresh data_dir: (data_dir, first output, second output)."""
    data_dir = tmp_path_factory.mktemp("demo_data")
    with pytest.MonkeyPatch.context() as patch:
        # module scope: set up before the per-test isolation of conftest, so isolate here too
        patch.setenv("TANZUJI_DATA_DIR", str(data_dir))
        patch.setenv("TANZUJI_CONFIG", str(data_dir / "no-config.toml"))
        patch.delenv("TANZUJI_DATABASE_URL", raising=False)
        patch.delenv("TANZUJI_FACTOR_RELEASE", raising=False)
        patch.setattr(console, "width", 200)
        outputs = []
        for _ in range(2):
            result = CliRunner().invoke(app, ["demo"])
            assert result.exit_code == 0, result.output
            outputs.append(result.output)
    return data_dir, outputs[0], outputs[1]


def test_step_one_loads_the_starter_data_and_pins_a_release(runs):
    data_dir, first, second = runs
    starter = len(load_starter())
    assert f"imported 导入 {starter} · unchanged 未变 0" in first
    assert "release 版本 2026.1" in first and "created 新建" in first
    # The second run changes nothing in the factor database and reuses the release.
    assert f"imported 导入 0 · unchanged 未变 {starter}" in second
    assert "reused 沿用" in second
    database = FactorDatabase.open(f"sqlite:///{data_dir / 'tanzuji.db'}")
    assert database.release("2026.1").member_count == starter


def test_step_two_prints_three_footprints_from_the_release(runs):
    _, first, _ = runs
    for name in ("60 kWh LFP battery pack", "PV module", "Cotton knitted T-shirt"):
        assert name in first
    assert len(re.findall(r"kg CO2e per 1 (?:kWh|piece)", first)) == 3
    summaries = re.findall(r"factors 因子 — release 版本 2026\.1: (\d+) factors", first)
    assert len(summaries) == 3 and all(int(n) >= 8 for n in summaries)


def test_step_three_every_example_passes_its_pcr(runs):
    _, first, _ = runs
    for model, pcr in (
        ("lfp_battery_pack.yaml", "battery-eu-2023@1.0"),
        ("pv_module.yaml", "pv-module-pefcr@1.0"),
        ("cotton_tshirt.yaml", "apparel-pefcr@1.0"),
    ):
        assert re.search(rf"PASS 通过\s+{re.escape(model)} — {re.escape(pcr)}: 0 error", first)
    assert "FAIL" not in first and "not run" not in first


def test_step_four_issues_a_label_whose_qr_verifies_offline(runs):
    data_dir, first, second = runs
    certificates = re.findall(r"issue 发证 (GBA-CFL-\d{4}-\d{6})", first + second)
    assert len(certificates) == 2 and certificates[0] != certificates[1]
    # The story ends with the offline verification of the label just issued.
    assert any(f"VALID {certificates[0]}" in line for line in first.rstrip().splitlines()[-4:])
    png = data_dir / "labels" / f"{certificates[1]}.png"
    assert png.is_file()
    keyring = Keyring.model_validate_json((data_dir / "keys" / "keyring.json").read_text())
    report = verify_token_text(decode_qr_image(png.read_bytes()), keyring, dt.datetime.now(dt.UTC))
    assert report.ok and report.certificate_id == certificates[1]


def test_demo_uses_the_configured_release_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TANZUJI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TANZUJI_FACTOR_RELEASE", "demo-x")
    assert settings.load().factor_release == "demo-x"
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "release 版本 demo-x" in result.output
