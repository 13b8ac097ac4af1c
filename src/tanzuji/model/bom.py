"""A bill of materials (物料清单) as a product model: one row per input, grouped by stage.

Enterprises that do not write model files list what goes into one functional unit as a table
(stage, activity text, amount, unit, place, year) and choose an emission factor for each row,
from the matcher's suggestions or by hand. :func:`model_of_bom` turns the table into a model
(:mod:`tanzuji.model.schema`) that names the chosen factors by id, so the result does not
depend on the matcher any more, and records for every row what was suggested, with which
confidence, and whether the suggestion was accepted or overridden (``comment`` of the input;
it goes with the model into every application version, audit and recheck).

The model is a chain of one process per life-cycle stage in the order of
:data:`~tanzuji.model.schema.LIFE_CYCLE_STAGES`: each stage's process takes one functional
unit of the stage before and its own rows; the last one is the reference flow.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from enum import StrEnum
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tanzuji.errors import ModelError
from tanzuji.model.schema import LIFE_CYCLE_STAGES

#: Stage names as the pages and files show them.
STAGE_NAMES = {
    "raw_materials": {"zh": "原材料获取", "en": "Raw materials"},
    "production": {"zh": "生产", "en": "Production"},
    "distribution": {"zh": "分销运输", "en": "Distribution"},
    "use": {"zh": "使用", "en": "Use"},
    "end_of_life": {"zh": "废弃处置", "en": "End of life"},
}


class Choice(StrEnum):
    """How the factor of a row was chosen."""

    accepted = "accepted"  # the matcher's top suggestion
    overridden = "overridden"  # another factor than the top suggestion
    manual = "manual"  # a factor id typed without asking the matcher


class BomRow(BaseModel):
    """One input of the bill of materials, per functional unit, and its chosen factor."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: str = Field(description="life-cycle stage: " + ", ".join(LIFE_CYCLE_STAGES))
    text: str = Field(min_length=1, max_length=300, description="the activity in words")
    amount: float = Field(gt=0, description="amount per functional unit, in ``unit``")
    unit: str = Field(min_length=1, max_length=40)
    geography: str | None = Field(None, max_length=40, description="matcher hint")
    year: int | None = Field(None, ge=1990, le=2100, description="matcher hint")
    primary: bool = Field(False, description="measured at the company (primary data)")
    factor_id: str = Field(min_length=1, max_length=300, description="the chosen factor")
    suggested_id: str | None = Field(None, description="the matcher's top suggestion")
    confidence: float | None = Field(
        None, ge=0, le=1, description="the matcher's confidence in its top suggestion"
    )

    @field_validator("stage")
    @classmethod
    def _known_stage(cls, stage: str) -> str:
        if stage not in LIFE_CYCLE_STAGES:
            raise ValueError(
                f"stage {stage!r} is not a life-cycle stage; use one of "
                + ", ".join(LIFE_CYCLE_STAGES)
            )
        return stage

    @model_validator(mode="after")
    def _confidence_with_suggestion(self) -> BomRow:
        if self.confidence is not None and self.suggested_id is None:
            raise ValueError("a confidence belongs to a suggestion: give suggested_id")
        return self

    @property
    def choice(self) -> Choice:
        if self.suggested_id is None:
            return Choice.manual
        return Choice.accepted if self.suggested_id == self.factor_id else Choice.overridden

    def record(self) -> str:
        """What was chosen and why, in one line (the input's ``comment``)."""
        words = f"BOM: {self.text!r}"
        if self.choice is Choice.manual:
            return f"{words}; factor chosen by hand (no suggestion asked)"
        confidence = f"{self.confidence:.2f}" if self.confidence is not None else "n/a"
        if self.choice is Choice.accepted:
            return f"{words}; suggestion {self.suggested_id} accepted (confidence {confidence})"
        return (
            f"{words}; suggestion {self.suggested_id} (confidence {confidence}) overridden by "
            f"{self.factor_id}"
        )


class BomProduct(BaseModel):
    """What the model says about the product itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    unit: str = Field("piece", min_length=1, max_length=40, description="functional unit")
    unit_kind: str = Field("declared", pattern="^(declared|functional)$")
    description_zh: str = Field("", max_length=500)
    description_en: str = Field("", max_length=500)
    pcr: str | None = Field(None, max_length=100, description="PCR id or id@version")
    boundary: str = Field("cradle-to-gate", pattern="^(cradle-to-gate|cradle-to-grave)$")
    geography: str | None = Field(None, max_length=40)
    year: int | None = Field(None, ge=1990, le=2100, description="reference year")


def _process_id(stage: str) -> str:
    return f"stage_{stage}"


def model_of_bom(product: BomProduct, rows: list[BomRow]) -> dict[str, Any]:
    """The model (as the data of a model file) of a bill of materials.

    Raises
    ------
    ModelError
        When the table has no row.
    """
    if not rows:
        raise ModelError("the bill of materials has no row; add at least one input")
    stages = [s for s in LIFE_CYCLE_STAGES if any(r.stage == s for r in rows)]
    unit = product.unit
    processes = []
    for position, stage in enumerate(stages):
        inputs: list[dict[str, Any]] = []
        if position > 0:
            inputs.append({"process": _process_id(stages[position - 1]), "amount": 1, "unit": unit})
        for row in rows:
            if row.stage != stage:
                continue
            item: dict[str, Any] = {"factor": row.factor_id, "amount": row.amount, "unit": row.unit}
            if row.primary:
                item["primary"] = True
            item["comment"] = row.record()
            inputs.append(item)
        processes.append(
            {
                "id": _process_id(stage),
                "name": dict(STAGE_NAMES[stage]),
                "life_cycle_stage": stage,
                "reference_product": {"amount": 1, "unit": unit},
                "inputs": inputs,
            }
        )
    described = {"zh": product.description_zh, "en": product.description_en}
    if not any(described.values()):
        described = {"zh": f"1 {unit} {product.name_zh}", "en": f"1 {unit} of {product.name_en}"}
    head: dict[str, Any] = {
        "id": product.id,
        "name": {"zh": product.name_zh, "en": product.name_en},
        "functional_unit": {
            "kind": product.unit_kind,
            "amount": 1,
            "unit": unit,
            "description": {"zh": described["zh"] or described["en"], "en": described["en"]},
        },
        "reference_flow": {"process": _process_id(stages[-1]), "amount": 1, "unit": unit},
        "boundary": product.boundary,
    }
    if product.pcr:
        head["pcr"] = product.pcr
    if product.geography:
        head["geography"] = product.geography
    if product.year:
        head["reference_period"] = {
            "start": dt.date(product.year, 1, 1).isoformat(),
            "end": dt.date(product.year, 12, 31).isoformat(),
        }
    return {"product": head, "processes": list(reversed(processes))}


def model_text_of_bom(product: BomProduct, rows: list[BomRow]) -> str:
    """:func:`model_of_bom` as YAML text, headed by a note on where it came from."""
    body = yaml.safe_dump(
        model_of_bom(product, rows), allow_unicode=True, sort_keys=False, width=100
    )
    return (
        "# Product model built from a bill of materials (物料清单) on the Tanzuji platform.\n"
        "# Each input's comment records the factor suggested, its confidence and the choice.\n"
        + body
    )


# -- a bill of materials as a spreadsheet ---------------------------------------------------
#: Header names a spreadsheet may use for each column (English or Chinese; case ignored).
COLUMNS = {
    "stage": ("stage", "life_cycle_stage", "阶段", "生命周期阶段"),
    "text": ("text", "activity", "material", "description", "活动", "物料", "名称"),
    "amount": ("amount", "quantity", "数量", "用量"),
    "unit": ("unit", "单位"),
    "geography": ("geography", "region", "地区"),
    "year": ("year", "年份"),
    "factor_id": ("factor_id", "factor", "因子"),
    "primary": ("primary", "原始数据"),
}
#: Stage names a spreadsheet may write (model names, and the Chinese of :data:`STAGE_NAMES`).
STAGE_ALIASES = {
    **{s: s for s in LIFE_CYCLE_STAGES},
    **{names["zh"]: stage for stage, names in STAGE_NAMES.items()},
}
#: Most rows read from one spreadsheet (a bill of materials, not a database).
MAX_XLSX_ROWS = 500


def _cell_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def lines_of_xlsx(content: bytes, name: str) -> list[dict[str, Any]]:
    """The rows of a bill of materials spreadsheet (first sheet, a header row first).

    Columns (:data:`COLUMNS`): stage, text, amount, unit and, optionally, geography, year,
    factor_id, primary. A row without ``factor_id`` gets its factor chosen on the platform.
    Empty rows are skipped.

    Raises
    ------
    ModelError
        Naming the file, the sheet, the cell and what was found and expected.
    """
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ModelError(
            f"{name} is not an .xlsx workbook ({exc}); save it as Excel .xlsx"
        ) from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [_cell_text(v).lower() for v in next(rows, ())]
    where = {}
    for column, names in COLUMNS.items():
        for position, title in enumerate(header):
            if title in names:
                where[column] = position
    missing = [c for c in ("stage", "text", "amount", "unit") if c not in where]
    if missing:
        raise ModelError(
            f"{name} sheet {sheet.title!r} row 1: no column {', '.join(missing)}; the header "
            f"row has {[h for h in header if h]}, expected stage, text, amount, unit "
            "(optional: geography, year, factor_id, primary)"
        )
    lines: list[dict[str, Any]] = []
    for number, values in enumerate(rows, start=2):
        cells = {c: _cell_text(values[i]) if i < len(values) else "" for c, i in where.items()}
        if not any(cells.values()):
            continue
        if len(lines) >= MAX_XLSX_ROWS:
            raise ModelError(f"{name}: more than {MAX_XLSX_ROWS} rows; split the workbook")
        lines.append(_line(cells, f"{name} sheet {sheet.title!r} row {number}"))
    if not lines:
        raise ModelError(f"{name} sheet {sheet.title!r} has a header but no row")
    return lines


def _line(cells: dict[str, str], where: str) -> dict[str, Any]:
    stage = STAGE_ALIASES.get(cells["stage"]) or STAGE_ALIASES.get(cells["stage"].lower())
    if stage is None:
        raise ModelError(
            f"{where} column stage: {cells['stage']!r} is not a life-cycle stage; expected one "
            "of " + ", ".join(STAGE_ALIASES)
        )
    try:
        amount = float(cells["amount"])
    except ValueError:
        raise ModelError(f"{where} column amount: {cells['amount']!r} is not a number") from None
    if not amount > 0:
        raise ModelError(f"{where} column amount: {amount:g} must be greater than 0")
    year_text = cells.get("year") or None
    year: int | None = None
    if year_text is not None:
        try:
            year = int(float(year_text))
        except ValueError:
            raise ModelError(f"{where} column year: {year_text!r} is not a year") from None
    if not cells["text"] or not cells["unit"]:
        raise ModelError(f"{where}: text and unit must not be empty")
    return {
        "stage": stage,
        "text": cells["text"],
        "amount": amount,
        "unit": cells["unit"],
        "geography": cells.get("geography") or None,
        "year": year,
        "factor_id": cells.get("factor_id") or None,
        "primary": cells.get("primary", "").lower() in ("1", "true", "yes", "y", "是"),
    }


__all__ = [
    "COLUMNS",
    "STAGE_NAMES",
    "BomProduct",
    "BomRow",
    "Choice",
    "lines_of_xlsx",
    "model_of_bom",
    "model_text_of_bom",
]
