"""The Tanzuji factor template (CSV or XLSX), and published tables with a known header.

One row is one factor. The columns are documented in ``docs/importers.md`` and listed in
:data:`COLUMNS`; errors name the row (1 = header) and the column. A file whose header is the
US EPA eGRID ``co2_ch4_n2o_ef.csv`` or the UK DESNZ conversion-factor table is read with its
own column mapping (:mod:`.published_tables`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tanzuji.errors import FactorImportError, TanzujiError, UnknownGas, UnknownUnit
from tanzuji.factors.importers import ImportResult, Skipped, limits, published_tables
from tanzuji.factors.importers.inventory import number
from tanzuji.factors.record import FactorRecord
from tanzuji.factors.spreadsheet import restore

#: Template columns, in order. ``id``, ``unit``, a name, an amount, ``source_publisher``,
#: ``source_document`` and ``licence`` are required in every row.
COLUMNS = (
    "id",
    "name_en",
    "name_zh",
    "activity",
    "unit",
    "kg_co2e",
    "co2_fossil_kg",
    "ch4_fossil_kg",
    "ch4_biogenic_kg",
    "n2o_kg",
    "co2_biogenic_kg",
    "co2_luc_kg",
    "other_gases",
    "gwp_set",
    "boundary",
    "geography",
    "year",
    "valid_from",
    "valid_to",
    "source_publisher",
    "source_document",
    "source_table",
    "source_url",
    "source_accessed",
    "licence",
    "pedigree",
    "gsd",
    "cpc",
    "hs",
    "isic",
    "comment",
)
#: Optional columns beyond the brief's list, so that every record field round-trips.
OPTIONAL_COLUMNS = ("source_doi", "primary_data", "version", "heating_value")

#: Fixed gas columns: column -> (gas, origin).
GAS_COLUMNS = {
    "co2_fossil_kg": ("CO2", "fossil"),
    "ch4_fossil_kg": ("CH4", "fossil"),
    "ch4_biogenic_kg": ("CH4", "biogenic"),
    "n2o_kg": ("N2O", "fossil"),
    "co2_biogenic_kg": ("CO2", "biogenic"),
    "co2_luc_kg": ("CO2", "land_use_change"),
}
_REQUIRED = ("id", "unit", "source_publisher", "source_document", "licence")
_FIELD_COLUMN = {"source": "source_publisher", "pedigree": "pedigree", "uncertainty": "gsd"}


def read(path: Path) -> ImportResult:
    """Read a CSV or XLSX factor table."""
    path = Path(path)
    rows, where = table_rows(path)
    header = [str(h or "").strip() for h in rows[0]]
    mapped = published_tables.read_rows(path, header, rows[1:])
    if mapped is not None:
        return mapped
    _check_header(path, header)
    result = ImportResult()
    seen: dict[str, int] = {}
    for number_, values in enumerate(rows[1:], start=2):
        row = {h: _cell(v) for h, v in zip(header, values, strict=False) if h}
        if not any(row.values()):
            continue
        location = f"{where}: row {number_}"
        record = row_record(row, location)
        if record.id in seen:
            raise FactorImportError(
                f"duplicate id {record.id!r} (also in row {seen[record.id]}); expected each id "
                "once / 因子 id 重复",
                location=f"{location}, column 'id'",
                field="id",
                found=record.id,
            )
        seen[record.id] = number_
        result.records.append(record)
    if not result.records:
        result.skipped.append(Skipped(str(path), "no data rows under the header"))
    return result


def table_rows(path: Path) -> tuple[list[list[Any]], str]:
    """The rows of a CSV or XLSX table (header first) and where they are read from.

    Raises
    ------
    FactorImportError
        When the file holds no row at all, or the workbook cannot be opened.
    """
    if path.suffix.lower() == ".xlsx":
        sheet, rows = _xlsx_rows(path)
        where = f"{path} [sheet {sheet!r}]"
    else:
        rows, where = _csv_rows(path), str(path)
    if not rows:
        raise FactorImportError("empty table; expected a header row", location=str(path))
    return rows, where


def _csv_rows(path: Path) -> list[list[str]]:
    raw = limits.read_bytes(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return [r for r in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _xlsx_rows(path: Path) -> tuple[str, list[list[Any]]]:
    import openpyxl

    limits.check_size(path)
    try:
        with zipfile.ZipFile(path) as archive:  # an .xlsx is a zip: no bombs either
            limits.check_archive(archive, path)
    except zipfile.BadZipFile as exc:
        raise FactorImportError(
            f"cannot open the workbook ({exc}); expected an .xlsx file", location=str(path)
        ) from exc
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/InvalidFileException
        raise FactorImportError(
            f"cannot open the workbook ({exc}); expected an .xlsx file", location=str(path)
        ) from exc
    sheet = book["factors"] if "factors" in book.sheetnames else book.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    book.close()
    while rows and not any(c not in (None, "") for c in rows[0]):
        rows.pop(0)
    return sheet.title, rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)
    if isinstance(value, str):  # a cell an exporter neutralised against formula injection
        value = restore(value)
    return str(value).strip()


def _check_header(path: Path, header: list[str]) -> None:
    known = set(COLUMNS) | set(OPTIONAL_COLUMNS)
    unknown = [h for h in header if h and h not in known]
    missing = [c for c in _REQUIRED if c not in header]
    if unknown or missing:
        raise FactorImportError(
            f"header: unknown column(s) {unknown}, missing required column(s) {missing}; "
            f"expected the template columns {', '.join(COLUMNS)} (docs/importers.md), or map "
            "the table's own columns: --map FIELD=COLUMN,... (preview with --dry-run) / 表头不符",
            location=f"{path}: row 1",
            found=header,
        )


def row_record(row: dict[str, str], location: str) -> FactorRecord:
    """The factor record of one template row (``row`` maps column -> text)."""
    for column in _REQUIRED:
        if not row.get(column):
            raise FactorImportError(
                f"column {column!r} is empty; expected a value (every factor needs an id, a "
                "unit, a source publisher and document, and a licence) / 必填列为空",
                location=f"{location}, column {column!r}",
                field=column,
            )
    gas_amounts = [
        {"gas": gas, "origin": origin, "amount_kg": _number(row, column, location)}
        for column, (gas, origin) in GAS_COLUMNS.items()
        if row.get(column)
    ] + _other_gases(row.get("other_gases", ""), location)
    data: dict[str, Any] = {
        "id": row["id"],
        "name_en": row.get("name_en", ""),
        "name_zh": row.get("name_zh", ""),
        "activity": row.get("activity", ""),
        "unit": row["unit"],
        "heating_value": row.get("heating_value") or None,
        "kg_co2e": _number(row, "kg_co2e", location) if row.get("kg_co2e") else None,
        "gases": gas_amounts,
        "gwp_set": row.get("gwp_set") or None,
        "boundary": row.get("boundary") or "unknown",
        "geography": row.get("geography") or "GLO",
        "year": int(_number(row, "year", location)) if row.get("year") else None,
        "valid_from": row.get("valid_from") or None,
        "valid_to": row.get("valid_to") or None,
        "source": {
            "publisher": row["source_publisher"],
            "document": row["source_document"],
            "table": row.get("source_table") or None,
            "url": row.get("source_url") or None,
            "doi": row.get("source_doi") or None,
            "accessed": row.get("source_accessed") or None,
        },
        "licence": row["licence"],
        "pedigree": _pedigree(row.get("pedigree", ""), location),
        "uncertainty": {"distribution": "lognormal", "gsd": _number(row, "gsd", location)}
        if row.get("gsd")
        else None,
        "classification": {k.upper(): row[k] for k in ("cpc", "hs", "isic") if row.get(k)},
        "primary_data": row.get("primary_data", "").lower() in ("true", "1", "yes"),
        "comment": row.get("comment", ""),
    }
    if row.get("version"):
        data["version"] = int(_number(row, "version", location))
    try:
        return FactorRecord.model_validate(data)
    except ValidationError as exc:
        raise _row_error(exc, row, location) from exc
    except UnknownUnit as exc:
        raise _cell_error(exc, "unit", row, location) from exc
    except UnknownGas as exc:
        raise _cell_error(exc, "other_gases", row, location) from exc


def _cell_error(
    exc: TanzujiError, column: str, row: dict[str, str], location: str
) -> FactorImportError:
    return FactorImportError(
        exc.message,
        location=f"{location}, column {column!r}",
        field=column,
        found=row.get(column, ""),
    )


_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+(?:[eE][+-]?\d+)?$")


def _number(row: dict[str, str], column: str, location: str) -> float:
    """A number cell; ``2,5`` (one comma, no point) is read as a decimal comma (2.5)."""
    text = row[column].replace(" ", "").replace("\u00a0", "")
    if _DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    return number(text, f"{location}, column {column!r}", column)


_OTHER = re.compile(r"^\s*([^:=]+?)\s*(?::\s*([a-z_]+))?\s*(?::\s*(aircraft))?\s*=\s*(\S+)\s*$")


def _other_gases(text: str, location: str) -> list[dict[str, Any]]:
    """``"SF6=2e-6; HFC-134a:fossil=0.001; CO2:fossil:aircraft=0.3"`` -> gas amounts."""
    amounts = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        match = _OTHER.match(part)
        where = f"{location}, column 'other_gases'"
        if not match:
            raise FactorImportError(
                f"cannot read {part!r}; expected GAS[:origin][:aircraft]=kg entries separated "
                "by ';', e.g. 'SF6=2e-6; HFC-134a:fossil=0.001'",
                location=where,
                field="other_gases",
                found=part,
            )
        gas, origin, aircraft, value = match.groups()
        amounts.append(
            {
                "gas": gas,
                "origin": origin or "fossil",
                "aircraft": bool(aircraft),
                "amount_kg": number(value, where, "other_gases"),
            }
        )
    return amounts


def _pedigree(text: str, location: str) -> dict[str, int] | None:
    if not text:
        return None
    digits = re.findall(r"\d", text)
    if len(digits) != 5 or not re.fullmatch(r"\(?\s*[1-5](\s*[-,;]\s*[1-5]){4}\s*\)?", text):
        raise FactorImportError(
            f"pedigree {text!r}; expected 5 scores 1-5 like 2-3-1-2-4 (reliability, "
            "completeness, temporal, geographical, technological)",
            location=f"{location}, column 'pedigree'",
            field="pedigree",
            found=text,
        )
    keys = ("reliability", "completeness", "temporal", "geographical", "technological")
    return dict(zip(keys, (int(d) for d in digits), strict=True))


def _row_error(exc: ValidationError, row: dict[str, str], location: str) -> FactorImportError:
    first = exc.errors()[0]
    loc = [str(p) for p in first["loc"]]
    column = _column_of(loc)
    found = row.get(column, "")
    return FactorImportError(
        f"{first['msg']}; found {found!r} in column {column!r} — see docs/importers.md for the "
        "expected values",
        location=f"{location}, column {column!r}",
        field=column,
        found=found,
    )


def _column_of(loc: list[str]) -> str:
    if not loc:
        return "row"
    if loc[0] == "source" and len(loc) > 1:
        return f"source_{loc[1]}"
    if loc[0] == "gases":
        return "other_gases"
    if loc[0] == "classification" and len(loc) > 1:
        return loc[1].lower()
    return _FIELD_COLUMN.get(loc[0], loc[0])
