"""``tanzuji factors ...`` and ``tanzuji calc`` against the database, in process.

Values: China Southern Grid 2022 average 0.3869 kg CO2/kWh (MEE & NBS, 2024-12-20; see
test_store_factors.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tanzuji import settings
from tanzuji.cli import main
from tanzuji.context import Context
from tanzuji.factors.database import export_factor_csv, export_json
from tanzuji.factors.record import FactorRecord
from tanzuji.factors.starter import load_starter
from tanzuji.store import db
from tanzuji.store.factor_repository import FactorDatabase
from test_store_factors import MODEL, NATIONAL, SOUTH


def run(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """Run the ``tanzuji`` entry point; return (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["tanzuji", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli_db(database_url: str, monkeypatch: pytest.MonkeyPatch, capsys) -> str:
    """A configured database (TANZUJI_DATABASE_URL), migrated by `tanzuji db upgrade`."""
    monkeypatch.setenv("TANZUJI_DATABASE_URL", database_url)
    code, out, _ = run(["db", "upgrade"], capsys, monkeypatch)
    assert code == 0 and f"empty -> {db.head_revision()}" in out
    return database_url


def test_factor_lifecycle_on_the_command_line(cli_db: str, tmp_path: Path, capsys, monkeypatch):
    records = [FactorRecord(**SOUTH), FactorRecord(**NATIONAL)]
    source = tmp_path / "mee.json"
    source.write_text(export_json(records), encoding="utf-8")

    code, out, _ = run(["factors", "import", str(source)], capsys, monkeypatch)
    assert code == 0 and "imported 导入 2 · skipped 跳过 0" in out
    code, out, _ = run(["factors", "import", str(source)], capsys, monkeypatch)
    assert "imported 导入 0 · skipped 跳过 2" in out
    code, out, _ = run(["factors", "imports", "--last", "1"], capsys, monkeypatch)
    assert "import 导入 #2: mee.json" in out and "identical to stored version 1" in out
    assert "import 导入 #1" not in out

    for status, who in (("under_review", "Chen"), ("published", "Li")):
        code, out, _ = run(
            ["factors", "review", "cn-grid-south-2022", "--status", status, "--reviewer", who],
            capsys,
            monkeypatch,
        )
        assert code == 0 and f"cn-grid-south-2022 v1: status 状态 {status}" in out

    code, out, _ = run(["factors", "release", "create", "2026.1"], capsys, monkeypatch)
    assert code == 0 and "release 版本 2026.1: 1 factors 因子" in out
    code, out, _ = run(["factors", "release", "list"], capsys, monkeypatch)
    assert "2026.1" in out and "name 名称" in out

    code, out, _ = run(["factors", "show", "cn-grid-south-2022", "--json"], capsys, monkeypatch)
    shown = FactorRecord.model_validate_json(out)
    assert (shown.status, shown.reviewer, shown.gases[0].amount_kg) == ("published", "Li", 0.3869)
    code, out, _ = run(["factors", "show", "cn-grid-south-2022"], capsys, monkeypatch)
    assert "南方区域电网平均二氧化碳排放因子 2022" in out and "status 状态" in out

    code, out, _ = run(["factors", "history", "cn-grid-south-2022"], capsys, monkeypatch)
    assert code == 0 and "under_review -> published Li" in out

    code, out, _ = run(
        ["factors", "export", "--format", "factor-csv", "--release", "2026.1"], capsys, monkeypatch
    )
    database = FactorDatabase.open(cli_db)
    assert out == export_factor_csv(database.records(release="2026.1"), "2026.1")

    model = tmp_path / "m.yaml"
    model.write_text(
        MODEL.format(ref="cn-grid-south-2022@2026.1", other="cn-grid-south-2022@2026.1")
    )
    code, out, _ = run(["calc", str(model), "--json"], capsys, monkeypatch)
    footprint = json.loads(out)
    # 10 kWh * 0.3869 + 2000 kWh * 0.3869 (both the version pinned in 2026.1)
    assert footprint["total_kg_co2e"] == pytest.approx(2010 * 0.3869, rel=1e-12)
    assert [(f["id"], f["version"], f["release"]) for f in footprint["inputs"]["factors"]] == [
        ("cn-grid-south-2022", "1", "2026.1")
    ]
    database.engine.dispose()


def test_cli_errors_are_one_sentence(cli_db: str, tmp_path: Path, capsys, monkeypatch):
    FactorDatabase.open(cli_db).add_records([SOUTH], "mee").entries  # noqa: B018
    code, _, err = run(
        ["factors", "review", "cn-grid-south-2022", "--status", "published", "--reviewer", "Li"],
        capsys,
        monkeypatch,
    )
    assert code == 1 and err.startswith("error 错误 factor 'cn-grid-south-2022' version 1 is")
    assert "Traceback" not in err
    code, _, err = run(["factors", "release", "create", "2026.1"], capsys, monkeypatch)
    assert code == 1 and "would be empty" in err
    bad = tmp_path / "bad.csv"
    bad.write_text("id\n")
    code, _, err = run(["factors", "import", str(bad), "--format", "pact2"], capsys, monkeypatch)
    assert code == 1 and "import format 'pact2' is unknown" in err


def test_fresh_machine_has_no_database_source(tmp_path: Path, monkeypatch, capsys):
    """`make run` on a new machine: no database configured, calc still works, nothing created."""
    assert Context.from_settings(settings.load()).database is None
    model = Path(__file__).parent / "data" / "widget.yaml"
    code, out, _ = run(["calc", str(model), "--json"], capsys, monkeypatch)
    assert code == 0 and json.loads(out)["total_kg_co2e"] == pytest.approx(9.1298, rel=1e-12)
    assert not db.default_sqlite_path(settings.load().data_path).exists()


def test_template_csv_and_jsonld_exports_import_back(
    cli_db: str, tmp_path: Path, capsys, monkeypatch
):
    database = FactorDatabase.open(cli_db)
    database.add_records([SOUTH, NATIONAL], "mee", status="published", reviewer="Li")
    exported = database.records()
    for fmt, name in (("csv", "factors.csv"), ("jsonld", "factors.zip")):
        path = tmp_path / name
        code, _, err = run(
            ["factors", "export", "--format", fmt, "-o", str(path)], capsys, monkeypatch
        )
        assert code == 0, err
        other = FactorDatabase.open(f"sqlite:///{tmp_path / (fmt + '.db')}")
        report = other.import_file(path, fmt, status="published", reviewer="Li")
        assert report.imported == 2
        ignore = {"created_at", "reviewed_at"}
        assert [r.model_dump(exclude=ignore) for r in other.records()] == [
            r.model_dump(exclude=ignore) for r in exported
        ]
        other.engine.dispose()
    database.engine.dispose()


def test_starter_data_loads_matches_and_resolves(cli_db: str, tmp_path: Path, capsys, monkeypatch):
    code, out, _ = run(["factors", "load-starter"], capsys, monkeypatch)
    assert code == 0 and f"imported 导入 {len(load_starter())} · skipped 跳过 0" in out
    code, out, _ = run(["factors", "load-starter"], capsys, monkeypatch)
    assert f"imported 导入 0 · skipped 跳过 {len(load_starter())}" in out
    code, out, _ = run(
        ["factors", "match", "外购电力 广东 2023", "--unit", "kWh", "--limit", "1"],
        capsys,
        monkeypatch,
    )
    # the example of docs/matching.md: Guangdong's provincial factor (公告2025年第47号 表3)
    assert code == 0 and "cn-mee.electricity.2023.cn-gd.avg" in out
    code, out, _ = run(["factors", "release", "create", "2026.1"], capsys, monkeypatch)
    assert f"{len(load_starter())} factors" in out
    model = tmp_path / "m.yaml"
    ref = "cn-mee.electricity.2023.cn-csg.avg@2026.1"
    model.write_text(MODEL.format(ref=ref, other=ref))
    code, out, _ = run(["calc", str(model), "--json"], capsys, monkeypatch)
    # data/factors/china_grid_mee.csv row 32: 0.4042 kg CO2/kWh (MEE & NBS 2023 factors);
    # 10 kWh + 2 MWh = 2010 kWh
    assert json.loads(out)["total_kg_co2e"] == pytest.approx(2010 * 0.4042, rel=1e-12)


def test_search_without_published_factors_says_how_to_fix(cli_db: str, capsys, monkeypatch):
    code, _, err = run(["factors", "search", "diesel"], capsys, monkeypatch)
    assert code == 1 and "load-starter" in err
