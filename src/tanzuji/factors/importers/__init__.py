"""Importers of emission factors from the exchange formats the LCA field uses.

Each format has its own module with one public function ``read(path) -> ImportResult``:

========== ===================================================================
format     module
========== ===================================================================
table      :mod:`.table` — the Tanzuji CSV/XLSX template, EPA and DESNZ tables
jsonld     :mod:`.jsonld` — openLCA JSON-LD (zip, folder or one ``.json``)
ecospold2  :mod:`.ecospold2` — EcoSpold 2 ``.spold`` (unit or aggregated)
ecospold1  :mod:`.ecospold1` — EcoSpold 1 XML
ilcd       :mod:`.ilcd` — ILCD process data sets (zip, folder or one ``.xml``)
pact       :mod:`.pact` — PACT v3 ProductFootprint JSON (one, a list, an event)
simapro    :mod:`.simapro` — SimaPro CSV process exports
========== ===================================================================

An importer never writes to a database: it returns the records and the datasets it skipped
(with the reason); the store persists ``ImportResult.records`` in one transaction. Malformed
input raises :class:`~tanzuji.errors.FactorImportError` naming file, row/line or XML path,
field, what was found and what was expected.
"""

from __future__ import annotations

import importlib
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tanzuji.errors import FactorImportError
from tanzuji.factors.record import FactorRecord


@dataclass(frozen=True)
class Skipped:
    """A dataset (or row) that was read but did not become a factor, and why."""

    location: str
    reason: str


@dataclass
class ImportResult:
    """What one import produced: the records, what was skipped and why, and notes."""

    records: list[FactorRecord] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def extend(self, other: ImportResult) -> None:
        """Append another result (used when a zip or folder holds many datasets)."""
        self.records.extend(other.records)
        self.skipped.extend(other.skipped)
        self.notes.extend(other.notes)

    def check_unique_ids(self, path: Path | str) -> ImportResult:
        """Raise when two records share an id (the store keys factors by id)."""
        seen: dict[str, int] = {}
        for index, record in enumerate(self.records):
            if record.id in seen:
                raise FactorImportError(
                    f"duplicate factor id {record.id!r} (records {seen[record.id] + 1} and "
                    f"{index + 1}); expected each id once per import — give the datasets "
                    "distinct ids / 同一次导入中因子 id 重复",
                    location=str(path),
                    field="id",
                    found=record.id,
                )
            seen[record.id] = index
        return self


@dataclass(frozen=True)
class ImportFormat:
    """One registered format: its module and the file suffixes it reads."""

    name: str
    module: str
    suffixes: tuple[str, ...]
    description: str

    @property
    def read(self) -> Callable[[Path], ImportResult]:
        return importlib.import_module(f"{__name__}.{self.module}").read


#: The registered formats, by name (``tanzuji factors import FILE --format NAME``).
FORMATS: dict[str, ImportFormat] = {
    f.name: f
    for f in (
        ImportFormat("table", "table", (".csv", ".xlsx"), "Tanzuji CSV/XLSX template"),
        ImportFormat("jsonld", "jsonld", (".zip", ".json"), "openLCA JSON-LD"),
        ImportFormat("ecospold2", "ecospold2", (".spold", ".xml", ".zip"), "EcoSpold 2"),
        ImportFormat("ecospold1", "ecospold1", (".xml",), "EcoSpold 1"),
        ImportFormat("ilcd", "ilcd", (".zip", ".xml"), "ILCD process data sets"),
        ImportFormat("pact", "pact", (".json",), "PACT v3 ProductFootprint"),
        ImportFormat("simapro", "simapro", (".csv", ".txt"), "SimaPro CSV process export"),
    )
}


def detect_format(path: Path) -> str:
    """Guess the format of ``path`` from its suffix and first bytes."""
    path = Path(path)
    if path.is_dir():
        names = [p.name for p in path.rglob("*") if p.is_file()]
        return _format_of_names(path, names)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return "table"
    if suffix == ".spold":
        return "ecospold2"
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                return _format_of_names(path, archive.namelist())
        except zipfile.BadZipFile as exc:
            raise FactorImportError(
                f"not a readable zip archive ({exc}); expected a zip file",
                location=str(path),
            ) from exc
    with path.open("rb") as handle:
        head = handle.read(4096)
    if suffix in (".csv", ".txt"):
        return "simapro" if head.lstrip(b"\xef\xbb\xbf").startswith(b"{SimaPro") else "table"
    if suffix == ".xml":
        if b"EcoSpold02" in head:
            return "ecospold2"
        if b"EcoSpold01" in head:
            return "ecospold1"
        if b"lca.jrc.it/ILCD" in head:
            return "ilcd"
        # no namespace declared: tell the formats by their elements
        if b"activityDataset" in head:
            return "ecospold2"
        if b"referenceFunction" in head or b"<dataset" in head:
            return "ecospold1"
        if b"processDataSet" in head:
            return "ilcd"
    if suffix == ".json":
        text = head.decode("utf-8", errors="replace")
        return "jsonld" if '"@type"' in text or '"@context"' in text else "pact"
    raise FactorImportError(
        f"cannot tell the format of {path.name!r}; expected one of "
        f"{', '.join(FORMATS)} (pass --format) / 无法识别文件格式，请用 --format 指定",
        location=str(path),
    )


def _format_of_names(path: Path, names: list[str]) -> str:
    lowered = [n.lower() for n in names]
    if any(n.endswith(".spold") for n in lowered):
        return "ecospold2"
    if any(n.endswith(".json") for n in lowered):
        return "jsonld"
    if any(n.endswith(".xml") for n in lowered):
        return "ilcd"
    raise FactorImportError(
        "found no .spold, .json or .xml datasets; expected an EcoSpold 2, JSON-LD or ILCD package",
        location=str(path),
    )


def read(path: Path | str, format: str | None = None) -> ImportResult:
    """Read factors from ``path`` in ``format`` (detected when ``None``); ids are unique."""
    path = Path(path)
    if not path.exists():
        raise FactorImportError(
            "file not found; expected an existing file or folder", location=str(path)
        )
    name = format or detect_format(path)
    if name not in FORMATS:
        raise FactorImportError(
            f"unknown import format {name!r}; expected one of {', '.join(FORMATS)}",
            location=str(path),
            found=name,
        )
    return FORMATS[name].read(path).check_unique_ids(path)


def load_json(path: Path | str, text: str) -> object:
    """Parse JSON text; raise :class:`FactorImportError` with line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FactorImportError(
            f"malformed JSON: {exc.msg}; expected a valid JSON document",
            location=f"{path}:{exc.lineno}:{exc.colno}",
        ) from exc


__all__ = ["FORMATS", "ImportFormat", "ImportResult", "Skipped", "detect_format", "read"]
