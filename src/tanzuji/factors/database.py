"""Factor database rules: review statuses, releases, import formats, exports (no SQL here).

What the factor database *means*, kept apart from how it is stored
(:mod:`tanzuji.store.factor_repository`, where :class:`FactorDatabase` and
:class:`DatabaseFactorSource` live):

- Every import is one transaction: all records are checked first (:func:`check_batch`) and one
  message per problem is raised (:class:`~tanzuji.errors.FactorImportError`) before anything
  is written.
- Versions are immutable: an edit or a changed re-import makes version ``n + 1``; a record
  identical to the newest version (:func:`same_content`) is skipped and the import log says so.
- Status moves draft -> under_review -> published -> deprecated (:data:`TRANSITIONS`,
  :func:`check_status_move`), each move logged with reviewer and time.
- A release snapshots the newest *published* version of every factor; it never changes; its
  name follows :data:`RELEASE_NAME` and its content is fixed by :func:`release_hash`.

Importers read files (:data:`IMPORTERS`); :func:`read_upload` reads bytes handed in by an
edge. ``FactorDatabase`` and ``DatabaseFactorSource`` are still importable from here for older
callers (a lazy alias of :mod:`tanzuji.store.factor_repository`).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import importlib
import importlib.util
import io
import json
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError

from tanzuji.errors import (
    FactorImportError,
    ReleaseError,
    StatusTransitionError,
    TanzujiError,
    UnknownGas,
    UnknownImportFormat,
    UnknownUnit,
)
from tanzuji.factors import licence as factor_licence
from tanzuji.factors.record import FactorRecord, Status
from tanzuji.factors.spreadsheet import neutralise_row

STATUSES: tuple[str, ...] = get_args(Status)

#: Allowed status moves of one factor version. ``under_review -> draft`` sends it back.
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"under_review", "deprecated"}),
    "under_review": frozenset({"published", "draft", "deprecated"}),
    "published": frozenset({"deprecated"}),
    "deprecated": frozenset(),
}

#: Statuses that need a named reviewer.
NEEDS_REVIEWER = frozenset({"published", "deprecated"})

#: Release names: start with a letter or digit; letters, digits, ``.``, ``_``, ``-`` (no ``@``).
RELEASE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")

#: Importers by format: ``"module:function"``, imported on first use. Each function takes a
#: path and returns an ``ImportResult`` (``records``, ``skipped``) or a ``list[FactorRecord]``,
#: raising a TanzujiError that names file, row and field. ``csv`` and ``xlsx`` are the table
#: template (docs/importers.md); ``json`` is Tanzuji's own export (:func:`read_json`).
IMPORTERS: dict[str, str] = {
    "table": "tanzuji.factors.importers.table:read",
    "csv": "tanzuji.factors.importers.table:read",
    "xlsx": "tanzuji.factors.importers.table:read",
    "jsonld": "tanzuji.factors.importers.jsonld:read",
    "ecospold2": "tanzuji.factors.importers.ecospold2:read",
    "ecospold1": "tanzuji.factors.importers.ecospold1:read",
    "ilcd": "tanzuji.factors.importers.ilcd:read",
    "pact": "tanzuji.factors.importers.pact:read",
    "simapro": "tanzuji.factors.importers.simapro:read",
    "cn-national": "tanzuji.factors.importers.cn_national:read",
    "json": "tanzuji.factors.database:read_json",
}

#: Format detection for files that are not Tanzuji JSON: ``"module:function"`` (path -> name).
DETECT_FORMAT = "tanzuji.factors.importers:detect_format"

#: Record fields set by the store and the review workflow, never by an import or an edit.
REVIEW_FIELDS = frozenset({"status", "reviewer", "reviewed_at", "created_at"})

#: Marker of Tanzuji's own JSON export.
JSON_FORMAT = "tanzuji-factors"


@dataclass(frozen=True)
class ImportEntryInfo:
    """What an import did with one record: ``new``, ``new_version`` or ``skipped`` (why)."""

    position: int
    factor_id: str
    version: int | None
    action: str
    reason: str


@dataclass(frozen=True)
class ImportReport:
    """The import log of one batch."""

    import_id: int
    source_name: str
    started_at: dt.datetime
    entries: list[ImportEntryInfo]

    @property
    def imported(self) -> int:
        return sum(e.action != "skipped" for e in self.entries)

    @property
    def skipped(self) -> int:
        return sum(e.action == "skipped" for e in self.entries)


@dataclass(frozen=True)
class StatusChangeInfo:
    version: int
    from_status: str | None
    to_status: str
    reviewer: str | None
    changed_at: dt.datetime
    note: str


@dataclass(frozen=True)
class VersionInfo:
    """One version in a factor's history."""

    record: FactorRecord
    content_hash: str
    changed_fields: list[str]
    status_changes: list[StatusChangeInfo]
    releases: list[str]


@dataclass(frozen=True)
class ReleaseInfo:
    """A release: name, time, number of factors and the hash of its members."""

    name: str
    created_at: dt.datetime
    created_by: str | None
    note: str
    member_count: int
    content_hash: str
    members: dict[str, int] = field(default_factory=dict)


# -- importers and exports --------------------------------------------------------------------


def guess_format(path: Path) -> str:
    """The import format of ``path``: Tanzuji JSON by its marker, else the importers' guess."""
    if path.suffix.lower() == ".json" and _is_tanzuji_json(path):
        return "json"
    return _load(DETECT_FORMAT, "format detection")(path)


def load_importer(fmt: str) -> Callable[[Path], Any]:
    """The reader function of format ``fmt`` from :data:`IMPORTERS` (imported on first use)."""
    try:
        target = IMPORTERS[fmt]
    except KeyError:
        raise UnknownImportFormat(
            f"import format {fmt!r} is unknown; expected one of {sorted(IMPORTERS)}"
        ) from None
    return _load(target, f"import format {fmt!r}")


def read_file(
    path: Path, fmt: str | None = None
) -> tuple[list[FactorRecord], list[tuple[str, str]]]:
    """Records of a factor file and the datasets its importer skipped, as (location, reason)."""
    result = load_importer(fmt or guess_format(path))(path)
    if isinstance(result, list):
        return result, []
    skipped = [(str(s.location), str(s.reason)) for s in getattr(result, "skipped", [])]
    return list(result.records), skipped


def _load(target: str, what: str) -> Callable[..., Any]:
    module_name, _, function = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise UnknownImportFormat(
                f"{what} needs module {module_name}, which this installation of Tanzuji does "
                f"not have; available formats: {sorted(available_formats())}"
            ) from None
        raise
    return getattr(module, function)


def available_formats() -> list[str]:
    """Formats whose importer module is installed."""
    found = []
    for fmt, target in IMPORTERS.items():
        try:
            spec = importlib.util.find_spec(target.partition(":")[0])
        except ModuleNotFoundError:  # the parent package is missing
            spec = None
        if spec is not None:
            found.append(fmt)
    return found


def read_json(path: Path) -> list[FactorRecord]:
    """Read Tanzuji's own JSON export (``{"format": "tanzuji-factors", "factors": [...]}``).

    Raises
    ------
    FactorImportError
        One message per invalid record (position, id, field) or for malformed JSON.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FactorImportError(f"{path}: cannot read Tanzuji factor JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != JSON_FORMAT:
        raise FactorImportError(
            f'{path}: expected a JSON object with "format": "{JSON_FORMAT}" and a '
            '"factors" list (as written by `tanzuji factors export --format json`)'
        )
    records, problems = [], []
    for position, item in enumerate(data.get("factors") or [], start=1):
        record, found = validate_record(item, f"{path.name} factors[{position - 1}]")
        problems.extend(found)
        if record is not None:
            records.append(record)
    if problems:
        raise FactorImportError(_problem_summary(problems, str(path)), problems=problems)
    return records


def export_json(records: Sequence[FactorRecord], release: ReleaseInfo | None = None) -> str:
    """Records as Tanzuji factor JSON (readable by :func:`read_json`)."""
    payload = {
        "format": JSON_FORMAT,
        "format_version": 1,
        "release": release.name if release else None,
        "release_sha256": release.content_hash if release else None,
        "factors": [r.model_dump(mode="json") for r in records],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


#: Columns of the model factor CSV export: one row per (factor version, gas). The first eight
#: are those of a model's factor CSV (:func:`tanzuji.factors.base.load_factor_csv`), so an
#: export can be listed under a model's ``factor_files``.
EXPORT_CSV_COLUMNS = (
    "id",
    "name_en",
    "name_zh",
    "unit",
    "gas",
    "origin",
    "amount_kg",
    "source",
    "aircraft",
    "version",
    "geography",
    "year",
    "boundary",
    "kg_co2e",
    "gwp_set",
    "licence",
    "status",
    "release",
)


def export_factor_csv(records: Sequence[FactorRecord], release: str | None = None) -> str:
    """Records as a model factor CSV, one row per gas (a CO2e-only factor: one ``CO2e`` row).

    The table template that the importers read back is
    :func:`tanzuji.factors.exporters.export_csv`; this one is for a model's ``factor_files``.
    """
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        data = record.to_factor_data(release)
        common = {
            "id": record.id,
            "name_en": record.name_en,
            "name_zh": record.name_zh,
            "unit": record.unit,
            "source": data.source,
            "version": record.version,
            "geography": record.geography,
            "year": "" if record.year is None else record.year,
            "boundary": record.boundary,
            "kg_co2e": "" if record.kg_co2e is None else repr(record.kg_co2e),
            "gwp_set": record.gwp_set or "",
            "licence": record.licence,
            "status": record.status,
            "release": release or "",
        }
        for flow in data.flows:
            writer.writerow(
                neutralise_row(
                    {
                        **common,
                        "gas": flow.gas,
                        "origin": flow.origin,
                        "amount_kg": repr(flow.amount_kg),
                        "aircraft": "true" if flow.aircraft else "",
                    }
                )
            )
    return out.getvalue()


def release_hash(pinned: Mapping[str, tuple[int, str]]) -> str:
    """SHA-256 over the sorted ``id@version:content_hash`` lines of a release's members.

    ``pinned`` maps factor id to (version, content_hash).
    """
    text = "\n".join(
        f"{fid}@{version}:{digest}" for fid, (version, digest) in sorted(pinned.items())
    )
    return hashlib.sha256(text.encode()).hexdigest()


def check_batch(
    items: list[FactorRecord | Mapping[str, Any]],
    source_name: str,
    status: str | None,
    reviewer: str | None,
    skipped: Sequence[tuple[str, str]] = (),
) -> list[tuple[FactorRecord, str, str | None]]:
    """Validate a whole batch; raise one FactorImportError listing every problem.

    Returns
    -------
    list of (FactorRecord, str, str or None)
        Each record with its initial status and reviewer.
    """
    problems: list[str] = []
    if not items:
        why = "".join(f"; skipped {loc}: {reason}" for loc, reason in skipped[:20])
        problems.append(f"{source_name} holds no factor records; nothing to import{why}")
    if status is not None and status not in STATUSES:
        problems.append(f"status {status!r} is unknown; expected one of {list(STATUSES)}")
    first_seen: dict[str, int] = {}
    checked: list[tuple[FactorRecord, str, str | None]] = []
    for position, item in enumerate(items, start=1):
        label = f"{source_name} record {position}"
        record: FactorRecord | None
        if isinstance(item, FactorRecord):
            record = item
        else:
            record, found = validate_record(item, label)
            problems.extend(found)
            if record is None:
                continue
        label = f"{label} (id {record.id!r})"
        if record.id in first_seen:
            problems.append(
                f"{label}: field 'id' repeats record {first_seen[record.id]}; expected each id "
                "once per import (merge the rows or give one a new id)"
            )
        first_seen.setdefault(record.id, position)
        initial = status or record.status
        who = (reviewer or record.reviewer or "").strip() or None
        if initial in NEEDS_REVIEWER and who is None:
            problems.append(
                f"{label}: field 'reviewer' is empty but status is {initial!r}; expected the "
                "name of the reviewer who approved it (--reviewer)"
            )
        if record.valid_from and record.valid_to and record.valid_from > record.valid_to:
            problems.append(
                f"{label}: field 'valid_to' is {record.valid_to} before valid_from "
                f"{record.valid_from}; expected valid_from <= valid_to"
            )
        checked.append((record, initial, who))
    if problems:
        raise FactorImportError(_problem_summary(problems, source_name), problems=problems)
    return checked


def drop_excluded(
    batch: list[Any], patterns: Sequence[str], skipped: Sequence[tuple[str, str]]
) -> tuple[list[Any], list[tuple[str, str]]]:
    """Records whose licence no pattern excludes (:mod:`tanzuji.factors.licence`), and the
    skip log with the others."""
    kept, log = [], list(skipped)
    for position, item in enumerate(batch, start=1):
        licence = item.licence if isinstance(item, FactorRecord) else str(item.get("licence", ""))
        hit = factor_licence.excluded(licence, patterns)
        if hit is None:
            kept.append(item)
        else:
            fid = item.id if isinstance(item, FactorRecord) else item.get("id", "")
            log.append((f"record {position} ({fid})", f"licence excluded by {hit!r}"))
    return kept, log


def _problem_summary(problems: list[str], source_name: str) -> str:
    return (
        f"{len(problems)} problem(s) in {source_name}; nothing was imported "
        f"(没有导入任何记录):\n  " + "\n  ".join(problems)
    )


#: Field named in a message when a record validator raises one of these Tanzuji errors.
_ERROR_FIELDS = {UnknownUnit: "unit", UnknownGas: "gases"}


def validate_record(item: Any, label: str) -> tuple[FactorRecord | None, list[str]]:
    """Validate one raw record; return it, or ``None`` and one message per problem.

    Messages read ``<label> (id '<id>'): field '<field>' is <found>; <expected>``.
    """
    try:
        return FactorRecord.model_validate(item), []
    except ValidationError as exc:
        return None, _validation_problems(exc, label, item)
    except TanzujiError as exc:
        fid = item.get("id") if isinstance(item, Mapping) else None
        where = f"{label} (id {fid!r})" if fid else label
        name = next((f for t, f in _ERROR_FIELDS.items() if isinstance(exc, t)), None)
        shown = item.get(name) if name and isinstance(item, Mapping) else None
        field_text = f"field {name!r} is {shown!r}; " if name and shown is not None else ""
        return None, [f"{where}: {field_text}{exc.message}"]


def _validation_problems(exc: ValidationError, label: str, item: Any = None) -> list[str]:
    fid = item.get("id") if isinstance(item, Mapping) else None
    where = f"{label} (id {fid!r})" if fid else label
    out = []
    for error in exc.errors():
        loc = ".".join(str(p) for p in error["loc"]) or "record"
        found = error.get("input")
        shown = repr(found) if not isinstance(found, dict) else "an object"
        out.append(f"{where}: field {loc!r} is {shown}; {error['msg']}")
    return out


def same_content(record: FactorRecord, version: int, content_hash: str) -> bool:
    """True when ``record`` equals the stored version (its own version number aside)."""
    return record.model_copy(update={"version": version}).content_hash() == content_hash


def changed_fields(previous: FactorRecord | None, record: FactorRecord) -> list[str]:
    if previous is None:
        return []
    skip = {*REVIEW_FIELDS, "version"}
    before, after = previous.model_dump(exclude=skip), record.model_dump(exclude=skip)
    return sorted(k for k in after if before.get(k) != after[k])


def _is_tanzuji_json(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8")[:4096]
    except (OSError, UnicodeDecodeError):
        return False
    return f'"format": "{JSON_FORMAT}"' in head or f'"format":"{JSON_FORMAT}"' in head


def check_status_request(status: str, reviewer: str | None) -> str:
    """The reviewer's name (stripped) for a request to move a version to ``status``.

    Raises
    ------
    StatusTransitionError
        The status is unknown or the reviewer empty.
    """
    if status not in STATUSES:
        raise StatusTransitionError(
            f"status {status!r} is unknown; expected one of {list(STATUSES)}"
        )
    if not (reviewer or "").strip():
        raise StatusTransitionError("a status change needs the reviewer's name (--reviewer)")
    return (reviewer or "").strip()


def check_status_move(factor_id: str, version: int, current: str, status: str) -> None:
    """Refuse ``current -> status`` unless :data:`TRANSITIONS` allows it.

    Raises
    ------
    StatusTransitionError
        Naming the factor, version, both statuses and the moves allowed.
    """
    if status not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (final)"
        raise StatusTransitionError(
            f"factor {factor_id!r} version {version} is {current!r} and cannot move "
            f"to {status!r}; allowed from {current!r}: {allowed} "
            "(workflow: draft -> under_review -> published -> deprecated)"
        )


def check_release_name(name: str) -> str:
    """``name`` stripped, when it is a valid release name (:data:`RELEASE_NAME`).

    Raises
    ------
    ReleaseError
        The name is empty or malformed.
    """
    name = (name or "").strip()
    if not RELEASE_NAME.match(name):
        raise ReleaseError(
            f"release name {name!r} is not valid; expected 1-64 letters, digits, '.', '_' "
            "or '-' starting with a letter or digit, e.g. 2026.1"
        )
    return name


def read_upload(
    name: str, content: bytes, fmt: str | None = None
) -> tuple[list[FactorRecord], list[tuple[str, str]]]:
    """Records of an uploaded factor file given as bytes, and what its importer skipped.

    The importers read files (an ILCD or EcoSpold package may be a folder); the bytes are
    handed to them as a private temporary file named after ``name`` (its last path part), and
    messages name ``name``, never the temporary path. Archives are read as zip files.

    Raises
    ------
    FactorImportError, UnknownImportFormat
        As the importer of the format does, naming ``name``.
    """
    with private_copy(name, content) as path:
        return read_file(path, fmt)


@contextmanager
def private_copy(name: str, content: bytes) -> Iterator[Path]:
    """``content`` as a private temporary file named after ``name`` (its last path part), for
    readers that take a path; a :class:`TanzujiError` raised in the block names ``name``, not
    the temporary path. The file is removed when the block ends."""
    safe = Path(name.replace("\\", "/")).name or "upload"
    with tempfile.TemporaryDirectory(prefix="tanzuji-import-") as folder:
        path = Path(folder) / safe
        path.write_bytes(content)
        try:
            yield path
        except TanzujiError as exc:
            raise _renamed(exc, str(path), name) from None


def _renamed(exc: TanzujiError, old: str, new: str) -> TanzujiError:
    """``exc`` with the temporary path ``old`` replaced by ``new`` in its texts."""
    exc.message = exc.message.replace(old, new)
    if exc.location:
        exc.location = exc.location.replace(old, new)
    problems = exc.details.get("problems")
    if isinstance(problems, list):
        exc.details["problems"] = [str(p).replace(old, new) for p in problems]
    exc.args = tuple(a.replace(old, new) if isinstance(a, str) else a for a in exc.args)
    return exc


def __getattr__(name: str) -> Any:
    """``FactorDatabase`` and ``DatabaseFactorSource`` moved to the store; kept importable."""
    if name in ("FactorDatabase", "DatabaseFactorSource"):
        from tanzuji.store import factor_repository

        return getattr(factor_repository, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "IMPORTERS",
    "REVIEW_FIELDS",
    "STATUSES",
    "TRANSITIONS",
    "ImportEntryInfo",
    "ImportReport",
    "ReleaseInfo",
    "StatusChangeInfo",
    "VersionInfo",
    "available_formats",
    "changed_fields",
    "check_batch",
    "check_release_name",
    "check_status_move",
    "check_status_request",
    "drop_excluded",
    "export_factor_csv",
    "export_json",
    "guess_format",
    "load_importer",
    "private_copy",
    "read_file",
    "read_json",
    "read_upload",
    "release_hash",
    "same_content",
    "validate_record",
]
