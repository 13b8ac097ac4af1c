"""``tanzuji batch`` and ``tanzuji intensities`` in process: whole outputs, and a bad row as one
error paragraph with exit code 1 (the kettle of docs/model.md: 2.1324696 kg CO2e by hand)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from tanzuji.cli import main

KETTLE = (Path(__file__).resolve().parents[1] / "docs" / "model.md").read_text(encoding="utf-8")


@pytest.fixture
def kettle(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("TANZUJI_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "kettle.yaml"
    path.write_text(KETTLE.split("```yaml\n", 1)[1].split("```", 1)[0], encoding="utf-8")
    return path


def tanzuji(monkeypatch, capsys, *args: object) -> tuple[int, str, str]:
    """Run ``tanzuji ARGS`` through the script's entry point; (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["tanzuji", *(str(a) for a in args)])
    try:
        main()
        code = 0
    except SystemExit as exited:
        code = exited.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


def test_batch_csv_to_parquet(kettle: Path, tmp_path: Path, monkeypatch, capsys):
    variants = tmp_path / "v.csv"
    variants.write_text("variant_id,input_id,amount\nk1,delivery,1\nk2,delivery,2\n")
    out = tmp_path / "r.parquet"
    code, output, err = tanzuji(
        monkeypatch,
        capsys,
        "batch",
        variants,
        "--model",
        kettle,
        "--release",
        "builtin",
        "--out",
        out,
    )
    assert code == 0, err
    assert "2 variants (2 rows" in output and str(out) in output
    table = pq.read_table(out)
    assert table["variant_id"].to_pylist() == ["k1", "k2"]
    np.testing.assert_allclose(table["kg_co2e"].to_numpy(), [2.1324696, 4.2649392], rtol=1e-9)


def test_intensities_json(kettle: Path, monkeypatch, capsys):
    code, output, err = tanzuji(
        monkeypatch, capsys, "intensities", kettle, "--release", "builtin", "--json"
    )
    assert code == 0, err
    result = json.loads(output)
    by_id = {row["id"]: row for row in result["inputs"]}
    assert by_id["delivery"]["kg_co2e_per_unit"] == pytest.approx(2.1324696, rel=1e-9)
    assert by_id["factor:grid@assembly"]["unit"] == "kWh"


def test_batch_bad_row_is_one_error(kettle: Path, tmp_path: Path, monkeypatch, capsys):
    variants = tmp_path / "v.csv"
    variants.write_text("variant_id,input_id,amount\n1,delivery,1\n2,kettle,1\n")
    out = tmp_path / "r.parquet"
    code, _, err = tanzuji(
        monkeypatch,
        capsys,
        "batch",
        variants,
        "--model",
        kettle,
        "--release",
        "builtin",
        "--out",
        out,
    )
    assert code == 1
    assert "v.csv, row 2, column input_id: input_id 'kettle' is not an activity" in err
    assert "Traceback" not in err
    assert not out.exists()
