"""Factor service: the emission-factor database — import, review, releases, search, export.

Each operation is one transaction of the Context's database. Imports take bytes and a name
(an upload, a file the edge read); exports return bytes. Search and match answer from the
database when there is one, else from the starter factors built into Tanzuji (and say so).
Writing (import, review, release) needs a data steward or an administrator, or no acting user
at all: the local operator of the command line.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, Field

from tanzuji.certify.records import Role
from tanzuji.context import Context
from tanzuji.errors import FactorImportError, NotFound, PermissionDenied
from tanzuji.factors import exporters
from tanzuji.factors.database import (
    ImportReport,
    ReleaseInfo,
    VersionInfo,
    export_factor_csv,
    export_json,
)
from tanzuji.factors.importers import limits as import_limits
from tanzuji.factors.match import Candidate
from tanzuji.factors.matchers import starter_index
from tanzuji.factors.record import FactorRecord
from tanzuji.services.base import Request, Result

#: Reviewer recorded for the shipped starter factors (each keeps its own cited source).
STARTER_REVIEWER = "Tanzuji starter data (sources cited per factor)"


class ImportRequest(Request):
    """Import one factor file: all its records in one transaction, or none."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", ser_json_bytes="base64", val_json_bytes="base64"
    )

    name: str = Field(description="file name (messages, the import log, format detection)")
    content: bytes
    format: str | None = Field(None, description="importer name (default: detected)")
    status: str | None = Field(None, description="initial status (default: draft)")
    reviewer: str | None = None
    exclude_licences: tuple[str, ...] = Field(
        (), description="licence patterns not imported (tanzuji.factors.licence)"
    )


def require_steward(context: Context, what: str) -> None:
    """Refuse ``what`` unless the actor is a data steward or an administrator (or nobody acts:
    the local operator of the command line)."""
    actor = context.actor
    if actor is not None and actor.role not in (Role.data_steward, Role.administrator):
        raise PermissionDenied(
            f"{actor.id} acts as {actor.role.value}; only a data steward or an administrator "
            f"may {what} / 仅数据管理员可执行"
        )


def import_file(context: Context, request: ImportRequest) -> ImportReport:
    """Import the records of one file (size limits of the Context).

    Raises
    ------
    FactorImportError, UnknownImportFormat
        Naming the file, record, field, what was found and what was expected; nothing is
        written.
    """
    require_steward(context, "import factors")
    check_upload_size(context, request.name, request.content)
    with import_limits.applied(context.limits):
        return context.factor_database().import_bytes(
            request.name,
            request.content,
            request.format,
            status=request.status,
            reviewer=request.reviewer,
            exclude_licences=request.exclude_licences,
        )


def check_upload_size(context: Context, name: str, content: bytes) -> None:
    """Refuse a file larger than the Context's ``max_upload_bytes``.

    Raises
    ------
    FactorImportError
        Naming the file, its size and the limit.
    """
    limit = context.limits.max_upload_bytes
    if len(content) > limit:
        raise FactorImportError(
            f"file is {len(content)} bytes; at most {limit} bytes are imported "
            "(setting max_upload_bytes)",
            location=name,
            found=len(content),
            expected=limit,
        )


def load_starter(context: Context, sets: Sequence[str] = ()) -> ImportReport:
    """Import the shipped starter factors as published (unchanged ones are skipped), and the
    factors of the optional sets named in ``sets`` (``tanzuji.factors.starter.OPTIONAL_SETS``).

    Raises
    ------
    NotFound
        A name in ``sets`` is not an optional set (nothing is imported).
    """
    from tanzuji.factors.starter import load_optional
    from tanzuji.factors.starter import load_starter as starter_records

    require_steward(context, "load the starter factors")
    records = starter_records()
    for name in dict.fromkeys(sets):
        records += load_optional(name)
    source = "tanzuji starter data" + "".join(f" + {name}" for name in dict.fromkeys(sets))
    return context.factor_database().add_records(
        records, source, status="published", reviewer=STARTER_REVIEWER
    )


class SearchRequest(Request):
    text: str
    unit_dimension: str | None = None
    geography: str | None = None
    year: int | None = None
    boundary: str | None = None
    status: str | None = None
    release: str | None = None
    limit: int = Field(20, ge=0)
    exclude_licences: tuple[str, ...] = Field(
        (), description="licence patterns left out (tanzuji.factors.licence)"
    )


class MatchRequest(Request):
    text: str
    amount: float | None = None
    unit: str | None = None
    geography: str | None = None
    year: int | None = None
    release: str | None = None
    limit: int = Field(5, ge=0)
    exclude_licences: tuple[str, ...] = Field(
        (), description="licence patterns left out (tanzuji.factors.licence)"
    )


class Candidates(Result):
    """Ranked factors, and whether they came from the database or the built-in starter data."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    source: Literal["database", "builtin"]
    candidates: list[Candidate]


def _database_or_builtin(context: Context, release: str | None) -> Literal["database", "builtin"]:
    if context.database is not None:
        if context.factor_database().indexed_count() == 0:
            raise NotFound(
                "the factor database has no factors to search; load the starter data with "
                "`tanzuji factors load-starter` or import and publish factors"
            )
        return "database"
    if release:
        raise NotFound(
            f"release {release!r} needs a factor database and there is none yet; load the "
            "starter data with `tanzuji factors load-starter` and create a release"
        )
    return "builtin"


def search(context: Context, request: SearchRequest) -> Candidates:
    """Full-text search of the factors in Chinese or English, with filters."""
    source = _database_or_builtin(context, request.release)
    filters = request.model_dump(exclude={"text", "release"})
    if source == "builtin":
        return Candidates(source=source, candidates=starter_index().search(request.text, **filters))
    found = context.factor_database().search(request.text, release=request.release, **filters)
    return Candidates(source=source, candidates=found)


def match(context: Context, request: MatchRequest) -> Candidates:
    """Factors proposed for an activity, with confidence and why."""
    source = _database_or_builtin(context, request.release)
    options = request.model_dump(exclude={"text", "release"})
    if source == "builtin":
        return Candidates(source=source, candidates=starter_index().match(request.text, **options))
    found = context.factor_database().match(request.text, release=request.release, **options)
    return Candidates(source=source, candidates=found)


def show(
    context: Context, factor_id: str, version: int | None = None, release: str | None = None
) -> FactorRecord:
    """One version of a factor: ``version``, the one pinned in ``release``, or the newest."""
    return context.factor_database().get(factor_id, version=version, release=release)


def history(context: Context, factor_id: str) -> list[VersionInfo]:
    """Every version of a factor with its status moves and releases."""
    return context.factor_database().history(factor_id)


def imports(context: Context, last: int = 10) -> list[ImportReport]:
    """The newest ``last`` entries of the import log, oldest first."""
    return context.factor_database().imports()[-last:] if last > 0 else []


class ReviewRequest(Request):
    """Move one factor version along draft -> under_review -> published -> deprecated."""

    factor_id: str
    status: str
    reviewer: str
    version: int | None = Field(None, description="default: the newest version")
    note: str = ""


def review(context: Context, request: ReviewRequest) -> FactorRecord:
    """Record a review step (one transaction; the status log keeps who and when)."""
    require_steward(context, "review factors")
    database = context.factor_database()
    version = request.version or database.get(request.factor_id).version
    return database.set_status(
        request.factor_id, version, request.status, request.reviewer, request.note
    )


def create_release(
    context: Context,
    name: str,
    note: str = "",
    created_by: str | None = None,
    exclude_licences: tuple[str, ...] = (),
) -> ReleaseInfo:
    """Snapshot the newest published version of every factor as release ``name``; factors
    under a licence matching ``exclude_licences`` are left out (the note says so)."""
    require_steward(context, "create a release")
    return context.factor_database().create_release(
        name, note=note, created_by=created_by, exclude_licences=exclude_licences
    )


def ensure_release(
    context: Context, name: str, note: str = "", created_by: str | None = None
) -> tuple[ReleaseInfo, bool]:
    """Release ``name``, created now unless it exists; and whether it was created."""
    require_steward(context, "create a release")
    database = context.factor_database()
    try:
        return database.release(name), False
    except NotFound:
        return database.create_release(name, note=note, created_by=created_by), True


def releases(context: Context) -> list[ReleaseInfo]:
    """All releases, oldest first."""
    return context.factor_database().releases()


def release(context: Context, name: str) -> ReleaseInfo:
    """One release with its members."""
    return context.factor_database().release(name)


def review_queue(context: Context) -> list[FactorRecord]:
    """The newest version of every factor waiting for review (draft or under review)."""
    database = context.factor_database()
    return [*database.records(status="under_review"), *database.records(status="draft")]


class ReleaseDiff(Result):
    """What changed from release ``a`` to release ``b``: factors added, removed, and those
    whose pinned version differs (id, version in a, version in b)."""

    a: str
    b: str
    added: list[str]
    removed: list[str]
    changed: list[tuple[str, int, int]]
    unchanged: int


def release_diff(context: Context, a: str, b: str) -> ReleaseDiff:
    """The difference between two releases' members (NotFound names the known releases)."""
    old, new = release(context, a).members, release(context, b).members
    return ReleaseDiff(
        a=a,
        b=b,
        added=sorted(set(new) - set(old)),
        removed=sorted(set(old) - set(new)),
        changed=[(f, old[f], new[f]) for f in sorted(set(old) & set(new)) if old[f] != new[f]],
        unchanged=sum(1 for f in set(old) & set(new) if old[f] == new[f]),
    )


class ExportFormat(StrEnum):
    csv = "csv"
    jsonld = "jsonld"
    json = "json"
    factor_csv = "factor-csv"


class Export(Result):
    """An export: its bytes, media type and a file name."""

    content: bytes
    media_type: str
    filename: str
    count: int


def export(context: Context, fmt: ExportFormat, release: str | None = None) -> Export:
    """The newest version of every factor, or a release's members, in one format."""
    database = context.factor_database()
    records = database.records(release=release)
    stem = f"factors-{release}" if release else "factors"
    if fmt is ExportFormat.jsonld:
        content, media, name = exporters.jsonld_bytes(records), "application/zip", f"{stem}.zip"
    elif fmt is ExportFormat.csv:
        content, media, name = exporters.csv_bytes(records), "text/csv", f"{stem}.csv"
    elif fmt is ExportFormat.json:
        info = database.release(release) if release else None
        content = export_json(records, info).encode("utf-8")
        media, name = "application/json", f"{stem}.json"
    else:
        content = export_factor_csv(records, release).encode("utf-8")
        media, name = "text/csv", f"{stem}-factor-file.csv"
    return Export(content=content, media_type=media, filename=name, count=len(records))


__all__ = [
    "STARTER_REVIEWER",
    "Candidates",
    "Export",
    "ExportFormat",
    "ImportRequest",
    "MatchRequest",
    "ReleaseDiff",
    "ReviewRequest",
    "SearchRequest",
    "check_upload_size",
    "create_release",
    "ensure_release",
    "export",
    "history",
    "import_file",
    "imports",
    "load_starter",
    "match",
    "release",
    "release_diff",
    "releases",
    "require_steward",
    "review",
    "review_queue",
    "search",
    "show",
]
