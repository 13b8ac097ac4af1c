"""SimaPro CSV process exports (``{SimaPro ...}`` header, ``Process`` ... ``End`` blocks).

The header lines give the separator (``{CSV separator: Semicolon}``) and the decimal separator
(``{Decimal separator: ,}``); files are UTF-8 or Windows-1252. In a process block each field
name is a line of its own, followed by its value lines up to a blank line. Exchange rows:
products ``name;unit;amount;allocation;...``, technosphere ``name;unit;amount;distribution;
...``, elementary flows ``name;sub-compartment;unit;amount;distribution;SD2;min;max;comment``.
SimaPro's lognormal dispersion is the squared geometric standard deviation, so GSD =
sqrt(SD2) (SimaPro database manual, "uncertainty"). ``Type`` ``System`` is aggregated.
A process with several ``Products`` rows gives one factor per product: its allocation column
(percent) times the process's flows, divided by the product's amount.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

from tanzuji.errors import FactorImportError
from tanzuji.factors.importers import ImportResult, Skipped, limits
from tanzuji.factors.importers.inventory import (
    UNKNOWN_LICENCE,
    Exchange,
    ProcessDataset,
    collect,
    geography_code,
    safe_id,
    year_of,
)
from tanzuji.factors.record import Source

_TECHNOSPHERE = ("Materials/fuels", "Electricity/heat", "Waste to treatment", "Avoided products")
_ELEMENTARY = {
    "Resources": "resource",
    "Emissions to air": "air",
    "Emissions to water": "water",
    "Emissions to soil": "soil",
    "Final waste flows": "waste",
    "Non material emissions": "non material",
    "Social issues": "social",
    "Economic issues": "economic",
}
_PRODUCTS = ("Products", "Waste treatment")


def read(path: Path) -> ImportResult:
    """Read every process block of a SimaPro CSV export."""
    datasets, skipped = parse_text(_decode(Path(path)), str(path))
    result = collect(datasets)
    result.skipped.extend(skipped)
    return result


def parse_text(text: str, path: str) -> tuple[list[ProcessDataset], list[Skipped]]:
    """The datasets of the process blocks of a SimaPro CSV export's text (``path`` names it
    in messages), or why there are none."""
    lines = text.splitlines()
    if not lines or not lines[0].lstrip("\ufeff").startswith("{SimaPro"):
        raise FactorImportError(
            f"first line is {lines[0][:40] if lines else ''!r}; expected a SimaPro CSV "
            "header such as '{SimaPro 9.5}'",
            location=f"{path}:1",
        )
    options = _options(lines)
    blocks = list(_process_blocks(lines, options["separator"]))
    if not blocks:
        kind = lines[1].strip("{}; ") if len(lines) > 1 else "?"
        return [], [Skipped(str(path), f"no Process blocks (a {kind!r} export)")]
    return [_dataset(fields, f"{path}:{line}", options) for line, fields in blocks], []


def _decode(path: Path) -> str:
    return decode(limits.read_bytes(path))


def decode(raw: bytes) -> str:
    """The text of a SimaPro export: UTF-8 (with or without BOM), else Windows-1252."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def _options(lines: list[str]) -> dict[str, str]:
    header = "\n".join(line for line in lines[:40] if line.startswith("{"))
    separator = re.search(r"\{CSV separator:\s*(\w+)", header)
    decimal = re.search(r"\{Decimal separator:\s*(.)", header)
    name = (separator.group(1) if separator else "Semicolon").lower()
    return {
        "separator": {"semicolon": ";", "comma": ",", "tab": "\t"}.get(name, ";"),
        "decimal": decimal.group(1) if decimal else ".",
    }


def _process_blocks(lines: list[str], sep: str):
    """``(line number, {field: [value rows]})`` for each ``Process`` ... ``End`` block."""
    index = 0
    while index < len(lines):
        if lines[index].strip(sep + " ") == "Process":
            fields: dict[str, list[tuple[int, list[str]]]] = {}
            start, key = index + 1, None
            index += 1
            while index < len(lines) and lines[index].strip(sep + " ") != "End":
                text = lines[index].rstrip()
                if not text.strip(sep + " "):
                    key = None
                elif key is None:
                    key = text.strip(sep + " ")
                    fields[key] = []
                else:
                    fields[key].append((index + 1, _cells(text, sep)))
                index += 1
            yield start, fields
        index += 1


def _cells(line: str, sep: str) -> list[str]:
    """Split one row; a cell holding the separator is quoted (``"Carbon dioxide, fossil"``)."""
    if '"' not in line:
        return line.split(sep)
    return next(csv.reader([line], delimiter=sep, quotechar='"'))


def _number(text: str, decimal: str) -> float:
    cleaned = text.strip().replace(" ", "")
    if decimal == ",":
        cleaned = cleaned.replace(".", "").replace(",", ".") if "," in cleaned else cleaned
    try:
        return float(cleaned)
    except ValueError:
        return math.nan  # a formula; only an error where the value is needed


def _dataset(fields: dict, where: str, options: dict[str, str]) -> ProcessDataset:
    path = where.rsplit(":", 1)[0]
    exchanges = []
    for section, rows in fields.items():
        for line, cells in rows:
            exchange = _exchange(section, cells, f"{path}:{line}", options["decimal"])
            if exchange is not None:
                exchanges.append(exchange)
    products = [e for e in exchanges if e.is_reference]
    unreadable = [
        f"allocation {c[3].strip()!r} of {c[0].strip()!r} (line {line}) is not a percentage"
        for line, c in fields.get("Products", [])
        if len(c) > 3 and not math.isfinite(_number(c[3], options["decimal"]))
    ]
    value = {k: " ".join(c[0] for _, c in v).strip() for k, v in fields.items() if v}
    name = value.get("Process name") or (products[0].name if products else "") or where
    literature = value.get("Literature references", "")
    identifier = value.get("Process identifier") or name
    return ProcessDataset(
        id=safe_id("simapro", identifier),
        name=name,
        location=where,
        source=Source(
            publisher=(literature.split(";")[0] or value.get("Generator") or "unknown (SimaPro)"),
            document=f"{name} ({Path(path).name}, process {identifier})",
        ),
        exchanges=exchanges,
        aggregated=value.get("Type", "").lower().startswith("system"),
        geography=_geography(products[0].name if products else name),
        year=year_of(value.get("Time period")),
        licence=_licence(fields),
        comment=value.get("Comment", "")[:2000],
        allocation_problem=unreadable[0] if unreadable else "",
    )


def _exchange(section: str, cells: list[str], where: str, decimal: str) -> Exchange | None:
    cells = [c.strip() for c in cells]
    if section in _PRODUCTS and len(cells) >= 3:
        product = Exchange(cells[0], _number(cells[2], decimal), cells[1], False, False, True)
        # Products rows: name;unit;amount;allocation %;waste type;category;comment — the
        # allocation column is the percentage of the process's exchanges given to this product
        # (SimaPro CSV import/export format, "Products"). Waste treatment rows have none.
        share = _number(cells[3], decimal) if section == "Products" and len(cells) > 3 else 100.0
        product.allocation = share / 100 if math.isfinite(share) else None
        # a waste treatment's reference is the waste it takes in
        product.waste = product.is_input = section == "Waste treatment"
        return product
    if section in _TECHNOSPHERE and len(cells) >= 3:
        waste = section == "Waste to treatment"  # a waste output sent to a treatment
        avoided = section == "Avoided products"
        exchange = Exchange(cells[0], _number(cells[2], decimal), cells[1], False, not avoided)
        exchange.is_input = not (avoided or waste)
        exchange.waste, exchange.avoided, exchange.location = waste, avoided, where
        return exchange
    if section in _ELEMENTARY and len(cells) >= 4:
        amount = _number(cells[3], decimal)
        if math.isnan(amount) and section == "Emissions to air":
            raise FactorImportError(
                f"non-numeric amount {cells[3]!r} for {cells[0]!r}; expected a number (export "
                "with 'Convert expressions to constants: Yes')",
                location=where,
                field="amount",
                found=cells[3],
            )
        gsd = _gsd(cells, decimal)
        return Exchange(
            name=cells[0],
            amount=amount,
            unit=cells[2],
            elementary=True,
            is_input=section == "Resources",
            compartment=f"{_ELEMENTARY[section]}/{cells[1]}",
            gsd=gsd,
            pedigree=_pedigree(cells[8] if len(cells) > 8 else ""),
            location=where,
            uncertainty={"distribution": "lognormal", "gsd": gsd} if gsd else None,
        )
    return None


def _gsd(cells: list[str], decimal: str) -> float | None:
    if len(cells) > 5 and cells[4].lower() == "lognormal":
        sd2 = _number(cells[5], decimal)
        return math.sqrt(sd2) if sd2 > 1 else None
    return None


def _pedigree(comment: str) -> tuple[int, int, int, int, int] | None:
    match = re.match(
        r"\(\s*([1-5])\s*,\s*([1-5])\s*,\s*([1-5])\s*,\s*([1-5])\s*,\s*([1-5])", comment
    )
    return tuple(int(g) for g in match.groups()) if match else None  # type: ignore[return-value]


def _geography(product: str) -> str:
    match = re.search(r"\{([A-Za-z0-9-]+)\}", product) or re.search(
        r"/([A-Za-z-]{2,6}) U$", product
    )
    return geography_code(match.group(1)) if match else "GLO"


def _licence(fields: dict) -> str:
    text = " ".join(";".join(c) for _, c in fields.get("Literature references", []))
    match = re.search(r"copyright protected:\s*(true|false)", text, re.IGNORECASE)
    if match and match.group(1).lower() == "false":
        return "not copyright-protected (SimaPro literature reference)"
    if match:
        return "copyright-protected - see source"
    return UNKNOWN_LICENCE
