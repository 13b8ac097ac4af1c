"""What a library is and under which terms (about files), and the derived factors Tanzuji ships.

An *about* file (``{"format": "tanzuji-library-about", ...}``) names a library's title,
publisher, licence and the provider's notice; every stored library version and every factor
derived from it carries them. A *derived-factor* file (``tanzuji-derived-factors``) holds
cradle-to-gate factors computed from a library with their provenance and the entire notice;
the shipped ones live in ``tanzuji/data/library`` (USLCI in AR6).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from tanzuji.errors import LibraryError, NotFound
from tanzuji.factors.record import FactorRecord

#: Marker of an "about" file describing a library (title, publisher, licence, notice).
ABOUT_FORMAT = "tanzuji-library-about"
#: Marker of a file of derived factors.
DERIVED_FORMAT = "tanzuji-derived-factors"
_DATA = "data/library"
#: Record fields a derived-factor file leaves out (the factor database sets them).
_REVIEW_FIELDS = {"status", "reviewer", "created_at", "reviewed_at"}


class About(BaseModel):
    """What a library is and under which terms (an about file, or given field by field)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str
    publisher: str
    licence: str
    notice: str = ""
    url: str | None = None
    accessed: dt.date | None = None
    citation: str = ""


def _data_folder() -> Path:
    return Path(str(resources.files("tanzuji").joinpath(_DATA)))


def parse_about(content: bytes, where: str) -> About:
    """An :class:`About` from the bytes of an about file (``where`` names it in messages).

    Raises
    ------
    LibraryError
        Not JSON, not an about file, or title, publisher or licence missing.
    """
    try:
        data = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LibraryError(f"cannot read the about file: {exc}", location=where) from None
    if not isinstance(data, dict) or data.get("format") != ABOUT_FORMAT:
        raise LibraryError(
            f'expected a JSON object with "format": "{ABOUT_FORMAT}" and title, publisher, '
            "licence, notice",
            location=where,
        )
    missing = [k for k in ("title", "publisher", "licence") if not data.get(k)]
    if missing:
        raise LibraryError(f"about file lacks {missing}", location=where, field=missing[0])
    accessed = data.get("accessed")
    return About(
        title=data["title"],
        publisher=data["publisher"],
        licence=data["licence"],
        notice=data.get("notice") or "",
        url=data.get("url"),
        accessed=dt.date.fromisoformat(accessed) if accessed else None,
        citation=data.get("citation") or "",
    )


def shipped_about_names() -> list[str]:
    """Names of the about files shipped with Tanzuji (``uslci``)."""
    return sorted(p.name.split(".")[0] for p in _data_folder().glob("*.about.json"))


def shipped_about(name: str) -> About:
    """A shipped about file by name (``uslci`` -> ``data/library/uslci.about.json``).

    Raises
    ------
    NotFound
        No shipped about file of that name.
    """
    path = _data_folder() / f"{name}.about.json"
    if not path.is_file():
        raise NotFound(
            f"no shipped about file {name!r}; shipped: {', '.join(shipped_about_names())}; or "
            f'give a path to a JSON file with "format": "{ABOUT_FORMAT}"'
        )
    return parse_about(path.read_bytes(), str(path))


def derived_document(
    header: Mapping[str, Any], records: list[FactorRecord], about: About, *, compress: bool
) -> bytes:
    """A derived-factor file: ``header`` (library, version, counts, GWP set...), the citation,
    licence and entire notice of ``about``, and one record per line (gzip when ``compress``)."""
    payload = {
        "format": DERIVED_FORMAT,
        **header,
        "engine": records[0].comment.split(" | ")[2] if records else "",
        "citation": about.citation,
        "licence": about.licence,
        "notice": about.notice,
        "modification": (
            "Tanzuji computed these cradle-to-gate intensities from the unit processes of the "
            "library above (linking rules and cut-offs as recorded); they are not published by "
            "the data provider"
        ),
    }
    head = json.dumps(payload, indent=1, ensure_ascii=False)[:-2]
    factors = [r.model_dump(mode="json", exclude=_REVIEW_FIELDS) for r in records]
    lines = ",\n".join(json.dumps(f, ensure_ascii=False, sort_keys=True) for f in factors)
    data = f'{head},\n "factors": [\n{lines}\n ]\n}}\n'.encode()  # one factor per line
    return gzip.compress(data, mtime=0) if compress else data


def shipped_derived() -> dict[str, Path]:
    """The shipped derived-factor files by name (``uslci-ar6``; ``.json`` or ``.json.gz``)."""
    folder = _data_folder()
    return {p.name.split(".derived.json")[0]: p for p in sorted(folder.glob("*.derived.json*"))}


def read_derived(path: Path) -> tuple[dict[str, Any], list[FactorRecord]]:
    """The header and records of a derived-factor file (``.gz``: gzip-compressed)."""
    raw = Path(path).read_bytes()
    data = json.loads(gzip.decompress(raw) if Path(path).suffix == ".gz" else raw)
    if not isinstance(data, dict) or data.get("format") != DERIVED_FORMAT:
        raise LibraryError(f'expected "format": "{DERIVED_FORMAT}"', location=str(path))
    records = [FactorRecord.model_validate(item) for item in data["factors"]]
    return {k: v for k, v in data.items() if k != "factors"}, records


__all__ = [
    "ABOUT_FORMAT",
    "DERIVED_FORMAT",
    "About",
    "derived_document",
    "parse_about",
    "read_derived",
    "shipped_about",
    "shipped_about_names",
    "shipped_derived",
]
