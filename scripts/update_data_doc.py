"""Rewrite the generated tables of ``docs/data.md`` from the shipped starter data.

The page holds four generated blocks between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``
markers (coverage, electricity by place and year, sources and licences, coverage of the
optional sets);
``tests/test_coverage.py`` fails when they differ from the data. Run after rebuilding a starter
file: ``.venv/bin/python scripts/update_data_doc.py``.
"""

from __future__ import annotations

from pathlib import Path

from tanzuji.factors.coverage import coverage_table, electricity_table, licence_counts
from tanzuji.factors.starter import OPTIONAL_SETS, load_optional, load_starter

PAGE = Path(__file__).resolve().parents[1] / "docs" / "data.md"


def licence_table(records) -> str:
    lines = ["| publisher | licence | factors |", "|---|---|---:|"] + [
        f"| {p} | {lic} | {n} |" for (p, lic), n in sorted(licence_counts(records).items())
    ]
    return "\n".join(lines)


def replace_block(text: str, name: str, body: str) -> str:
    start, end = f"<!-- {name}:start -->\n", f"\n<!-- {name}:end -->"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return head + start + body + end + tail


def main() -> None:
    records = load_starter()
    text = PAGE.read_text(encoding="utf-8")
    text = replace_block(text, "coverage-table", coverage_table(records))
    text = replace_block(text, "electricity-table", electricity_table(records))
    text = replace_block(text, "licence-table", licence_table(records))
    optional = [r for name in OPTIONAL_SETS for r in load_optional(name)]
    text = replace_block(text, "optional-table", coverage_table(optional))
    PAGE.write_text(text, encoding="utf-8")
    print(f"updated {PAGE} ({len(records)} factors)")


if __name__ == "__main__":
    main()
