"""China's national factor tables with Chinese column headers (``--format cn-national``).

What is known (2026-12): MEE notice 环办气候函〔2025〕468号 (2025-12-05) issues the
《产品碳足迹因子数据库建设工作指引》, a guideline for building product-carbon-footprint factor
databases "依托国家温室气体排放因子数据库" (on the national GHG emission-factor database),
with national work on basic energy, bulk commodities and raw materials, and transport. The
notice itself publishes no data file and no file layout; the national database's export
format could not be read from this build machine. This importer therefore reads the layout
below: one factor per row, the metadata the guideline requires of a factor (name, unit,
value, gases and GWP basis, system boundary, geographical, temporal and technological
representativeness, source), under Chinese headers. :data:`HEADERS` maps each accepted header
(and its English form) to a record field; when the published file names a column differently,
add its header there — a mapping, not code. Tested on a file written by hand from this layout
(``tests/data/cn_national_factors.csv``); nothing here has been checked against a published
file.

Units: the value's unit is written ``kgCO2e/kWh``, ``tCO2e/t``, ``kgCO2/m3`` ...; the part
after ``/`` is the factor's reference unit, the part before is the mass of CO2e (or CO2).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tanzuji import units
from tanzuji.errors import FactorImportError, UnknownUnit
from tanzuji.factors.importers import ImportResult, Skipped
from tanzuji.factors.importers.table import _csv_rows, _xlsx_rows
from tanzuji.factors.record import FactorRecord

#: Accepted headers (Chinese and English) -> field of this importer.
HEADERS: dict[str, str] = {
    "因子编号": "id",
    "编号": "id",
    "factor id": "id",
    "因子名称": "name_zh",
    "名称": "name_zh",
    "英文名称": "name_en",
    "name": "name_en",
    "类别": "category",
    "数据类别": "category",
    "因子值": "value",
    "排放因子": "value",
    "数值": "value",
    "value": "value",
    "单位": "unit",
    "因子单位": "unit",
    "unit": "unit",
    "温室气体": "gas",
    "gas": "gas",
    "全球变暖潜势": "gwp_set",
    "gwp": "gwp_set",
    "系统边界": "boundary",
    "boundary": "boundary",
    "地理代表性": "geography",
    "地区": "geography",
    "geography": "geography",
    "时间代表性": "year",
    "年份": "year",
    "year": "year",
    "技术代表性": "technology",
    "technology": "technology",
    "数据来源": "document",
    "来源": "document",
    "source": "document",
    "发布机构": "publisher",
    "publisher": "publisher",
    "许可": "licence",
    "licence": "licence",
    "备注": "comment",
    "comment": "comment",
}
REQUIRED = ("id", "name_zh", "value", "unit")
#: System boundaries as Chinese standards write them (GB/T 24067) -> FactorRecord.boundary.
BOUNDARIES = {
    "摇篮到大门": "cradle_to_gate",
    "从摇篮到大门": "cradle_to_gate",
    "摇篮到坟墓": "cradle_to_grave",
    "从摇篮到坟墓": "cradle_to_grave",
    "大门到大门": "gate_to_gate",
    "燃烧": "combustion",
}
#: Default publisher and licence when the file does not say (the national database is run by
#: the Ministry of Ecology and Environment; its documents are official documents of a state
#: organ, PRC Copyright Law Art. 5 — re-check the database's own terms of use).
DEFAULT_PUBLISHER = (
    "生态环境部 Ministry of Ecology and Environment (MEE), national GHG factor database"
)
DEFAULT_LICENCE = (
    "LicenseRef-PRC-Official-Document: official data of a state organ (PRC Copyright Law Art. 5);"
    " check the database's terms of use"
)
_MASS = re.compile(r"^\s*(kg|t|g)\s*(co2e|co2-eq|co2当量|co2)\s*/\s*(.+)$", re.IGNORECASE)
_MASS_KG = {"kg": 1.0, "t": 1000.0, "g": 0.001}


def read(path: Path) -> ImportResult:
    """Read a national-database factor table (CSV or XLSX, Chinese headers)."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        sheet, rows = _xlsx_rows(path)
        where = f"{path} [sheet {sheet!r}]"
    else:
        rows, where = _csv_rows(path), str(path)
    if not rows:
        raise FactorImportError("empty table; expected a header row", location=str(path))
    header = [HEADERS.get(str(h or "").strip().lower(), "") for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FactorImportError(
            f"missing columns {missing}; expected headers such as 因子编号, 因子名称, 因子值, 单位 "
            f"(found {[str(h) for h in rows[0]]}) / 缺少必填列",
            location=f"{where}: row 1",
        )
    result = ImportResult()
    for number, values in enumerate(rows[1:], start=2):
        row = {
            h: str(v).strip() for h, v in zip(header, values, strict=False) if h and v is not None
        }
        if not any(row.values()):
            continue
        result.records.append(_record(row, f"{where}: row {number}"))
    if not result.records:
        result.skipped.append(Skipped(str(path), "no data rows under the header"))
    return result


def _record(row: dict[str, str], location: str) -> FactorRecord:
    unit, per_kg, gas = _unit(row.get("unit", ""), location)
    try:
        value = float(row["value"].replace(",", ""))
    except ValueError:
        raise FactorImportError(
            f"column 因子值 (value): found {row['value']!r}, expected a number",
            location=location,
            field="value",
            found=row["value"],
        ) from None
    amount = value * per_kg
    gas = (row.get("gas") or gas).upper().replace("CO2-EQ", "CO2E")
    data: dict[str, Any] = {
        "id": row["id"],
        "name_zh": row["name_zh"],
        "name_en": row.get("name_en", ""),
        "activity": row.get("category", ""),
        "unit": unit,
        "boundary": BOUNDARIES.get(row.get("boundary", ""), row.get("boundary") or "unknown"),
        "geography": _geography(row.get("geography", "")),
        "year": int(row["year"][:4]) if row.get("year") else None,
        "source": {
            "publisher": row.get("publisher") or DEFAULT_PUBLISHER,
            "document": row.get("document") or "国家温室气体排放因子数据库",
            "table": row.get("category") or None,
        },
        "licence": row.get("licence") or DEFAULT_LICENCE,
        "comment": "; ".join(
            p
            for p in (
                f"technology: {row['technology']}" if row.get("technology") else "",
                row.get("comment", ""),
                f"value {value:g} {row.get('unit', '')} as published",
            )
            if p
        ),
    }
    if gas == "CO2E":
        data |= {"kg_co2e": amount, "gwp_set": row.get("gwp_set") or None}
    else:
        data["gases"] = [{"gas": gas, "origin": "fossil", "amount_kg": amount}]
    try:
        return FactorRecord(**data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise FactorImportError(
            f"invalid factor: field {'.'.join(map(str, err['loc']))}: {err['msg']}",
            location=location,
        ) from exc


def _unit(text: str, location: str) -> tuple[str, float, str]:
    """``kgCO2e/kWh`` -> (``kWh``, kg per stated mass unit, ``CO2E``)."""
    match = _MASS.match(text.replace(" ", ""))
    if not match:
        raise FactorImportError(
            f"column 单位 (unit): found {text!r}; expected mass of CO2e or CO2 per unit, e.g. "
            "kgCO2e/kWh, tCO2e/t, kgCO2/m3",
            location=location,
            field="unit",
            found=text,
        )
    mass, gas, unit = match.groups()
    unit = {"千瓦时": "kWh", "度": "kWh", "吨": "t", "千克": "kg", "立方米": "m3"}.get(unit, unit)
    unit = {"tkm": "tkm", "t·km": "tkm", "吨公里": "tkm"}.get(unit, unit)
    try:
        units.parse_unit(unit)
    except UnknownUnit as exc:
        raise FactorImportError(
            f"column 单位 (unit): {exc.message}", location=location, field="unit"
        ) from exc
    return unit, _MASS_KG[mass.lower()], "CO2E" if gas.lower() != "co2" else "CO2"


def _geography(text: str) -> str:
    from tanzuji.factors.text import place_of

    if not text or text in ("全国", "中国"):
        return "CN"
    code, _ = place_of(text)
    return code or text
