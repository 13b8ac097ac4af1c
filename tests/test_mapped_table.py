"""Factor tables with foreign columns: the column mapping, its dry-run preview, saved mappings.

The values in the tables are made up for the tests (a supplier's own table); what is checked
is that each lands in the field the mapping names, and that bad rows are reported, not
written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import openpyxl
import pytest

from service_helpers import plain_context
from tanzuji.cli import main
from tanzuji.cli.app import console
from tanzuji.errors import FactorImportError, NotFound
from tanzuji.factors.database import FactorDatabase
from tanzuji.factors.importers import mapped_table
from tanzuji.services import library as service
from tanzuji.store import db
from tanzuji.store import library as repository

TABLE = """Code,Activity,Unit,CO2e factor,Publisher,Reference,Year,Notes
acme.steel,Steel sheet,kg,2.1,ACME Corp,"ACME EPD 2024, table 3",2024,x
acme.alu,Aluminium sheet,kg,8.6,ACME Corp,"ACME EPD 2024, table 3",2024,y
"""
BAD_ROW = 'acme.bad,Bad row,kgg,1.0,ACME Corp,"ACME EPD 2024, table 3",2024,z\n'
MAP = (
    'id=Code,name=Activity,unit=Unit,value="CO2e factor",publisher=Publisher,'
    "document=Reference,year=Year"
)
SET = "licence=ACME terms: internal use"


def test_parse_mapping_entries():
    assert mapped_table.parse(MAP) == {
        "id": "Code",
        "name_en": "Activity",
        "unit": "Unit",
        "kg_co2e": "CO2e factor",
        "source_publisher": "Publisher",
        "source_document": "Reference",
        "year": "Year",
    }
    assert mapped_table.parse(['document="Table 2, 2023"']) == {"source_document": "Table 2, 2023"}
    with pytest.raises(FactorImportError, match="field 'colour', which a factor record"):
        mapped_table.parse("colour=C")
    with pytest.raises(FactorImportError, match="is not FIELD=VALUE"):
        mapped_table.parse("unit")


def _mapping() -> mapped_table.ColumnMapping:
    return mapped_table.ColumnMapping(mapped_table.parse(MAP), mapped_table.parse(SET))


def test_preview_lists_rows_records_and_every_problem(tmp_path: Path):
    path = tmp_path / "acme.csv"
    path.write_text(TABLE + BAD_ROW, encoding="utf-8")
    preview = mapped_table.preview(path, _mapping())
    assert preview.rows == 3 and [r.id for r in preview.records] == ["acme.steel", "acme.alu"]
    steel = preview.records[0]
    assert (steel.kg_co2e, steel.unit, steel.year, steel.licence) == (
        2.1,
        "kg",
        2024,
        "ACME terms: internal use",
    )
    assert steel.source.document == "ACME EPD 2024, table 3"
    assert preview.ignored == ["Notes"]
    assert len(preview.problems) == 1 and "row 4, column 'unit'" in preview.problems[0]
    with pytest.raises(FactorImportError, match=r"(?s)1 problem\(s\).*kgg"):
        mapped_table.read(path, _mapping())


def test_header_problems_are_reported_once(tmp_path: Path):
    path = tmp_path / "acme.csv"
    path.write_text(TABLE, encoding="utf-8")
    preview = mapped_table.preview(path, mapped_table.ColumnMapping({"unit": "Units"}))
    assert preview.records == [] and preview.rows == 2
    assert any("names column 'Units'" in p for p in preview.problems)
    assert any("field 'id' is required" in p for p in preview.problems)
    assert any(p.startswith("no amount") for p in preview.problems)


def test_xlsx_with_mapping(tmp_path: Path):
    book = openpyxl.Workbook()
    sheet = book.active
    for line in TABLE.strip().splitlines():
        sheet.append(next(__import__("csv").reader([line])))
    path = tmp_path / "acme.xlsx"
    book.save(path)
    records = mapped_table.read(path, _mapping()).records
    assert [r.kg_co2e for r in records] == [2.1, 8.6]


def _table_import(ctx, path: Path, **options) -> service.TableImport:
    request = service.FactorTableRequest(name=path.name, content=path.read_bytes(), **options)
    return service.import_factor_table(ctx, request)


def test_dry_run_writes_nothing_and_saved_mappings_are_reused(database_url: str, tmp_path: Path):
    ctx = plain_context(database_url, tmp_path / "data")
    engine = ctx.require_database().engine
    path = tmp_path / "acme.csv"
    path.write_text(TABLE, encoding="utf-8")
    columns, constants = mapped_table.parse(MAP), mapped_table.parse(SET)
    dry = _table_import(ctx, path, columns=columns, constants=constants, dry_run=True)
    assert dry.report is None and dry.actions == {"acme.steel": "new", "acme.alu": "new"}
    assert FactorDatabase(engine).count() == 0
    done = _table_import(ctx, path, columns=columns, constants=constants, save_as="acme")
    assert done.report.imported == 2 and done.saved_version == 1
    again = _table_import(ctx, path, mapping_name="acme", dry_run=True)
    assert again.actions == {"acme.steel": "unchanged", "acme.alu": "unchanged"}
    changed = _table_import(
        ctx, path, mapping_name="acme", constants={"licence": "CC BY 4.0"}, save_as="acme"
    )
    assert changed.report.imported == 2 and changed.saved_version == 2
    assert FactorDatabase(engine).get("acme.alu").version == 2
    with pytest.raises(NotFound, match="saved mappings: acme"):
        _table_import(ctx, path, mapping_name="other", dry_run=True)


def test_records_and_saved_mapping_are_one_transaction(database_url, tmp_path, monkeypatch):
    """When saving the mapping fails, the factors imported with it are rolled back too."""
    ctx = plain_context(database_url, tmp_path / "data")
    path = tmp_path / "acme.csv"
    path.write_text(TABLE, encoding="utf-8")

    def refuse(*_args, **_kwargs):
        raise NotFound("mapping store unavailable (simulated)")

    monkeypatch.setattr(repository, "save_mapping", refuse)
    columns, constants = mapped_table.parse(MAP), mapped_table.parse(SET)
    with pytest.raises(NotFound, match="simulated"):
        _table_import(ctx, path, columns=columns, constants=constants, save_as="acme")
    factors = FactorDatabase(ctx.require_database().engine)
    assert factors.count() == 0 and factors.imports() == []


def run(args, capsys, monkeypatch) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["tanzuji", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_command_line(tmp_path: Path, capsys, monkeypatch):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    db.database_for(url).upgrade()
    monkeypatch.setenv("TANZUJI_DATABASE_URL", url)
    monkeypatch.setattr(console, "_width", 200)  # "width" would pin it after undo
    path = tmp_path / "acme.csv"
    path.write_text(TABLE + BAD_ROW, encoding="utf-8")
    code, _, err = run(["factors", "import", str(path)], capsys, monkeypatch)
    assert code == 1 and "unknown column(s)" in err and "--map FIELD=COLUMN" in err
    code, out, _ = run(
        ["factors", "import", str(path), "--map", MAP, "--set", SET, "--dry-run"],
        capsys,
        monkeypatch,
    )
    assert code == 1 and "nothing written" in out and "2 new" in out and "kgg" in out
    path.write_text(TABLE, encoding="utf-8")
    code, out, _ = run(
        ["factors", "import", str(path), "--map", MAP, "--set", SET, "--save-mapping", "acme"],
        capsys,
        monkeypatch,
    )
    assert code == 0 and "imported 导入 2" in out and "'acme' saved as version 1" in out
    code, out, _ = run(
        ["factors", "import", str(path), "--mapping", "acme", "--dry-run"], capsys, monkeypatch
    )
    assert code == 0 and "2 unchanged" in out
