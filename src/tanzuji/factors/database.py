"""The emission-factor database as a service: imports, versions, review, releases, resolution.

:class:`FactorDatabase` is what the command line and the web edge call; it persists
:class:`~tanzuji.factors.record.FactorRecord` versions in the tables of
:mod:`tanzuji.store.factors`. :class:`DatabaseFactorSource` is the engine's view of it: a
:class:`~tanzuji.factors.base.FactorSource` resolving ``ID`` (newest published version) and
``ID@RELEASE`` (the version pinned in that release).

Rules kept here:

- Every import is one transaction: all records are checked first and one message per problem
  is raised (:class:`~tanzuji.errors.FactorImportError`) before anything is written.
- Versions are immutable: an edit or a changed re-import makes version ``n + 1``; a record
  identical to the newest version is skipped and the import log says so.
- Status moves draft -> under_review -> published -> deprecated (:data:`TRANSITIONS`), each
  move logged with reviewer and time.
- A release snapshots the newest *published* version of every factor; it never changes.
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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from tanzuji import units
from tanzuji.errors import (
    FactorEditError,
    FactorImportError,
    NotFound,
    ReleaseError,
    StatusTransitionError,
    TanzujiError,
    UnknownFactor,
    UnknownGas,
    UnknownImportFormat,
    UnknownUnit,
)
from tanzuji.factors import licence as factor_licence
from tanzuji.factors import text as factor_text
from tanzuji.factors.base import FactorData
from tanzuji.factors.match import (
    GEOGRAPHY_WEIGHT,
    Candidate,
    FactorIndex,
    place_only_relations,
    wanted_dimension,
)
from tanzuji.factors.record import FactorRecord, Status
from tanzuji.factors.spreadsheet import neutralise_row
from tanzuji.store import db
from tanzuji.store import search as search_index
from tanzuji.store.factors import (
    Factor,
    FactorVersion,
    ImportEntry,
    ImportRun,
    Release,
    ReleaseMember,
    StatusChange,
    utc_now,
)

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

#: Record fields stored in their own column of ``factor_versions`` (the rest go to ``extra``).
_COLUMNS = frozenset(FactorVersion.__table__.columns.keys()) - {"factor_id", "import_id"}
_JSON_COLUMNS = frozenset({"gases", "source", "pedigree", "uncertainty", "classification"})
_REVIEW_FIELDS = frozenset({"status", "reviewer", "reviewed_at", "created_at"})

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


class FactorDatabase:
    """The factor database on one SQLAlchemy engine (already migrated, see :meth:`open`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._search_snapshot: search_index.IndexSnapshot | None = None
        self._search_present: bool | None = None

    def _indexing(self) -> bool:
        """True when the schema has the search index (revision 0003 or later).

        A database still at an older revision (opened without :meth:`open`) is written as
        that release wrote it; migrating it indexes every stored version.
        """
        if self._search_present is None:
            self._search_present = search_index.is_present(self.engine)
        return self._search_present

    @classmethod
    def open(cls, url: str | None = None) -> FactorDatabase:
        """Open (and create or migrate to the newest schema) the database at ``url``."""
        engine = db.engine_for(url)
        db.upgrade(engine)
        return cls(engine)

    # -- writing --------------------------------------------------------------------------

    def add_records(
        self,
        records: Iterable[FactorRecord | Mapping[str, Any]],
        source_name: str,
        *,
        status: str | None = None,
        reviewer: str | None = None,
        skipped: Sequence[tuple[str, str]] = (),
        exclude_licences: Sequence[str] = (),
    ) -> ImportReport:
        """Import a batch of records in one transaction: all of them or none.

        Parameters
        ----------
        records : iterable of FactorRecord or mapping
            Records from an importer, or raw mappings (validated here).
        source_name : str
            What was imported (file name, API client); kept in the import log.
        status : str, optional
            Initial status of every imported version; default: each record's own ``status``.
        reviewer : str, optional
            Reviewer of that initial status; needed for ``published`` and ``deprecated``.
        skipped : sequence of (location, reason)
            Datasets the importer read but did not turn into records; logged as ``skipped``.
        exclude_licences : sequence of str
            Licence patterns this deployment does not accept (:mod:`tanzuji.factors.licence`):
            records under them are not imported and are logged as ``skipped`` with the reason.

        Returns
        -------
        ImportReport
            One entry per record: ``new`` (version 1), ``new_version`` (an existing id whose
            content changed) or ``skipped`` (identical to the newest version).

        Raises
        ------
        FactorImportError
            Listing every problem (record position, id, field, found, expected): invalid
            fields, duplicate ids in the batch, unknown status, a published record without a
            reviewer, an empty batch. Nothing is written.
        """
        batch = list(records)
        if exclude_licences:
            batch, skipped = _drop_excluded(batch, exclude_licences, skipped)
        checked = _check_batch(batch, source_name, status, reviewer, skipped)
        with db.session_scope(self.engine) as session:
            now = utc_now()
            run = ImportRun(source_name=source_name, started_at=now, imported=0, skipped=0)
            session.add(run)
            session.flush()
            entries = _import_batch(session, run, checked, now, index=self._indexing())
            for position, (location, reason) in enumerate(skipped, start=len(entries) + 1):
                entries.append(
                    ImportEntryInfo(position, "", None, "skipped", f"{location}: {reason}")
                )
            if entries:
                session.execute(
                    insert(ImportEntry), [{"import_id": run.id, **vars(e)} for e in entries]
                )
            run.imported = sum(e.action != "skipped" for e in entries)
            run.skipped = len(entries) - run.imported
            return ImportReport(run.id, source_name, now, entries)

    def import_file(
        self,
        path: Path,
        fmt: str | None = None,
        *,
        status: str | None = None,
        reviewer: str | None = None,
        exclude_licences: Sequence[str] = (),
    ) -> ImportReport:
        """Read ``path`` with the importer of ``fmt`` (detected when ``None``) and import it.

        Datasets the importer skipped, and records under an excluded licence, are logged as
        ``skipped`` with the reason.
        """
        if not path.exists():
            raise FactorImportError(f"cannot import {path}: no such file")
        records, skipped = read_file(path, fmt)
        return self.add_records(
            records,
            path.name,
            status=status,
            reviewer=reviewer,
            skipped=skipped,
            exclude_licences=exclude_licences,
        )

    def new_version(self, factor_id: str, changes: Mapping[str, Any]) -> FactorRecord:
        """Make version ``n + 1`` of a factor from its newest version with ``changes`` applied.

        The new version starts as ``draft``.

        Raises
        ------
        NotFound
            The factor does not exist.
        FactorEditError
            ``changes`` touch the id, version or review fields, fail validation, or change
            nothing.
        """
        forbidden = sorted(set(changes) & ({"id", "version"} | _REVIEW_FIELDS))
        if forbidden:
            raise FactorEditError(
                f"fields {forbidden} cannot be edited; the store sets id, version, times and "
                "status (use set_status / `tanzuji factors review` for the status)"
            )
        with db.session_scope(self.engine) as session:
            latest = _latest_row(session, factor_id)
            base = _to_record(latest).model_dump(exclude=_REVIEW_FIELDS)
            data = {**base, **changes, "version": latest.version + 1, "status": "draft"}
            record, problems = validate_record(data, f"factor {factor_id!r} edit")
            if record is None:
                raise FactorEditError("; ".join(problems), problems=problems)
            if _same_content(record, latest.version, latest.content_hash):
                raise FactorEditError(
                    f"the changes leave factor {factor_id!r} identical to version "
                    f"{latest.version}; no new version was made"
                )
            row = FactorVersion(**_version_values(record, "draft", None, utc_now(), None))
            session.add(row)
            session.flush()
            _log_status(session, row, None, "draft", None, row.created_at, "new version (edit)")
            if self._indexing():
                values = search_index.version_values(record, "draft")
                search_index.index_versions(session, [values])
            return _to_record(row)

    def set_status(
        self, factor_id: str, version: int, status: str, reviewer: str, note: str = ""
    ) -> FactorRecord:
        """Move one version along the review workflow (:data:`TRANSITIONS`).

        Raises
        ------
        NotFound
            The factor or version does not exist.
        StatusTransitionError
            The move is not allowed, the status is unknown, or the reviewer is empty.
        """
        if status not in STATUSES:
            raise StatusTransitionError(
                f"status {status!r} is unknown; expected one of {list(STATUSES)}"
            )
        if not (reviewer or "").strip():
            raise StatusTransitionError("a status change needs the reviewer's name (--reviewer)")
        with db.session_scope(self.engine) as session:
            row = _version_row(session, factor_id, version)
            if status not in TRANSITIONS[row.status]:
                allowed = ", ".join(sorted(TRANSITIONS[row.status])) or "none (final)"
                raise StatusTransitionError(
                    f"factor {factor_id!r} version {version} is {row.status!r} and cannot move "
                    f"to {status!r}; allowed from {row.status!r}: {allowed} "
                    "(workflow: draft -> under_review -> published -> deprecated)"
                )
            now = utc_now()
            _log_status(session, row, row.status, status, reviewer.strip(), now, note)
            row.status, row.reviewer, row.reviewed_at = status, reviewer.strip(), now
            if self._indexing():
                search_index.set_status(session, factor_id, version, status)
            return _to_record(row)

    def create_release(
        self,
        name: str,
        *,
        note: str = "",
        created_by: str | None = None,
        exclude_licences: Sequence[str] = (),
    ) -> ReleaseInfo:
        """Snapshot the newest published version of every factor as release ``name``.

        ``exclude_licences`` leaves out the factors whose licence a pattern excludes
        (:mod:`tanzuji.factors.licence`); the release note records the patterns.

        Raises
        ------
        ReleaseError
            The name is empty, malformed or taken, or no factor is published.
        """
        name = (name or "").strip()
        if not RELEASE_NAME.match(name):
            raise ReleaseError(
                f"release name {name!r} is not valid; expected 1-64 letters, digits, '.', '_' "
                "or '-' starting with a letter or digit, e.g. 2026.1"
            )
        with db.session_scope(self.engine) as session:
            if session.scalar(select(Release.id).where(Release.name == name)) is not None:
                raise ReleaseError(f"release {name!r} already exists; releases never change")
            pinned = _newest_published(session, exclude_licences)
            if exclude_licences:
                note = (note + " " if note else "") + (
                    f"[licences excluded: {', '.join(exclude_licences)}]"
                )
            if not pinned:
                raise ReleaseError(
                    f"release {name!r} would be empty: no factor version is published; publish "
                    "factors first (tanzuji factors review ID --status published)"
                )
            release = Release(
                name=name,
                created_at=utc_now(),
                created_by=created_by,
                note=note,
                member_count=len(pinned),
                content_hash=release_hash(pinned),
            )
            session.add(release)
            session.flush()
            session.execute(
                insert(ReleaseMember),
                [
                    {"release_id": release.id, "factor_id": fid, "version": version}
                    for fid, (version, _) in pinned.items()
                ],
            )
            info = _release_info(release)
            return replace(info, members={fid: v for fid, (v, _) in sorted(pinned.items())})

    # -- reading --------------------------------------------------------------------------

    def get(
        self, factor_id: str, version: int | None = None, release: str | None = None
    ) -> FactorRecord:
        """One version of a factor: ``version``, the one pinned in ``release``, or the newest.

        The newest version is returned whatever its status; :meth:`resolve` is what the engine
        uses (published versions only).
        """
        with db.session_scope(self.engine) as session:
            if release is not None:
                return _to_record(_release_row(session, factor_id, release))
            if version is not None:
                return _to_record(_version_row(session, factor_id, version))
            return _to_record(_latest_row(session, factor_id))

    def resolve(self, ref: str, default_release: str | None = None) -> FactorData:
        """The engine's factor for ``ID`` or ``ID@RELEASE`` (see :class:`DatabaseFactorSource`)."""
        factor_id, _, release = ref.partition("@")
        release = release or default_release
        with db.session_scope(self.engine) as session:
            if release:
                try:
                    row = _release_row(session, factor_id, release)
                except NotFound as exc:
                    raise UnknownFactor(exc.message) from None
                return _to_record(row).to_factor_data(release=release)
            row = session.scalar(
                select(FactorVersion)
                .where(FactorVersion.factor_id == factor_id, FactorVersion.status == "published")
                .order_by(FactorVersion.version.desc())
                .limit(1)
            )
            if row is None:
                raise UnknownFactor(_unpublished_message(session, factor_id))
            return _to_record(row).to_factor_data()

    def history(self, factor_id: str) -> list[VersionInfo]:
        """Every version of a factor, oldest first, with its status changes and releases."""
        with db.session_scope(self.engine) as session:
            rows = session.scalars(
                select(FactorVersion)
                .where(FactorVersion.factor_id == factor_id)
                .order_by(FactorVersion.version)
            ).all()
            if not rows:
                raise NotFound(_missing_factor_message(session, factor_id))
            changes = session.scalars(
                select(StatusChange)
                .where(StatusChange.factor_id == factor_id)
                .order_by(StatusChange.id)
            ).all()
            pinned = session.execute(
                select(ReleaseMember.version, Release.name)
                .join(Release, Release.id == ReleaseMember.release_id)
                .where(ReleaseMember.factor_id == factor_id)
                .order_by(Release.id)
            ).all()
            out: list[VersionInfo] = []
            previous: FactorRecord | None = None
            for row in rows:
                record = _to_record(row)
                out.append(
                    VersionInfo(
                        record=record,
                        content_hash=row.content_hash,
                        changed_fields=_changed_fields(previous, record),
                        status_changes=[
                            StatusChangeInfo(
                                c.version,
                                c.from_status,
                                c.to_status,
                                c.reviewer,
                                _aware(c.changed_at),
                                c.note,
                            )
                            for c in changes
                            if c.version == row.version
                        ],
                        releases=[name for v, name in pinned if v == row.version],
                    )
                )
                previous = record
            return out

    def records(
        self, *, release: str | None = None, status: str | None = None
    ) -> list[FactorRecord]:
        """The newest version of every factor (optionally of one status), or a release's members."""
        with db.session_scope(self.engine) as session:
            if release is not None:
                rel = _release(session, release)
                query = (
                    select(FactorVersion)
                    .join(
                        ReleaseMember,
                        (ReleaseMember.factor_id == FactorVersion.factor_id)
                        & (ReleaseMember.version == FactorVersion.version),
                    )
                    .where(ReleaseMember.release_id == rel.id)
                )
            else:
                newest = (
                    select(FactorVersion.factor_id, func.max(FactorVersion.version).label("v"))
                    .group_by(FactorVersion.factor_id)
                    .subquery()
                )
                query = select(FactorVersion).join(
                    newest,
                    (newest.c.factor_id == FactorVersion.factor_id)
                    & (newest.c.v == FactorVersion.version),
                )
            if status is not None:
                query = query.where(FactorVersion.status == status)
            rows = session.scalars(query.order_by(FactorVersion.factor_id)).all()
            return [_to_record(r) for r in rows]

    # -- search and matching (the database index, tanzuji.store.search) ------------------

    def search(
        self,
        text: str,
        *,
        unit_dimension: str | None = None,
        geography: str | None = None,
        year: int | None = None,
        boundary: str | None = None,
        status: str | None = None,
        release: str | None = None,
        limit: int = 20,
        exclude_licences: Sequence[str] = (),
    ) -> list[Candidate]:
        """Full-text search of the factors in Chinese or English, with hard filters.

        Any term of ``text`` (OR) found in a factor's names, activity, classification codes or
        geography names makes a hit; hits are ranked by ``bm25`` (SQLite FTS5) or ``ts_rank``
        (PostgreSQL), ties by factor id. A place named in the text ("电力 广东") is read as the
        geography when ``geography`` is not given; a text that only names a place ("广东",
        "南方电网", "华东") lists the factors of that place, of areas inside it and of the
        regions containing it, closest first (as :meth:`FactorIndex.search` does).

        Parameters
        ----------
        text : str
            Words in Chinese or English, or a classification code.
        unit_dimension : str, optional
            A unit (``kWh``) or a dimension (``[mass]``): keeps factors of that dimension.
        geography : str, optional
            Keeps the factors that apply to that place by the geography tree (the place, areas
            inside it, areas containing it up to ``GLO``: ``CN-GD`` keeps ``CN-CSG`` and
            ``CN``), ranked closest place first, as the matcher does.
        year, boundary, status : optional
            Exact filters on the version's fields.
        release : str, optional
            Search the versions pinned in this release; default: each factor's newest version.
        limit : int
            Number of hits.
        exclude_licences : sequence of str
            Licence patterns this deployment does not accept (:mod:`tanzuji.factors.licence`).

        Returns
        -------
        list of Candidate
            ``confidence`` is the share of the query's terms found in the factor (times the
            geography weight of :data:`~tanzuji.factors.match.GEOGRAPHY_WEIGHT` when a place is
            known); ``matched`` lists them.

        Raises
        ------
        NotFound
            ``release`` does not exist.
        UnknownUnit
            ``unit_dimension`` is neither a unit nor a dimension.
        """
        dimensions = None if unit_dimension is None else (wanted_dimension(unit_dimension),)
        place, rest = (None, text) if geography is not None else factor_text.place_of(text)
        area = geography or place
        words = rest if place else text
        with db.session_scope(self.engine) as session:
            snapshot = self._snapshot(session)
            place_only = place is not None and not _query_terms(snapshot, words)
            if place_only:
                words = text  # the place's words are searched as words too (南方区域电网)
            wanted = _query_terms(snapshot, words)
            filters = search_index.Filters(
                unit_dimensions=dimensions,
                geographies=snapshot.applicable(area) if area and not place_only else None,
                year=year,
                boundary=boundary,
                status=status,
                release_id=_release(session, release).id if release else None,
                licences=snapshot.allowed_licences(exclude_licences),
            )
            pool = max(limit, 0) if area is None else max(limit, search_index.CANDIDATE_POOL)
            rows = search_index.find(session, wanted, filters, extra=True, limit=pool)
            if place_only:
                near = replace(
                    filters, geographies=snapshot.near(place, place_only_relations(place))
                )
                rows = _merged(rows, search_index.find(session, [], near, extra=True, limit=pool))
            records = _records_of(session, rows)
        hits = [
            _search_hit(
                row, records[row.id, row.version], wanted, area, place if place_only else None
            )
            for row in rows
        ]
        if area is not None:
            hits.sort(key=lambda c: (-c.confidence, -(c.record.year or 0), c.id))
        return hits[: max(limit, 0)]

    def match(
        self,
        text: str,
        amount: float | None = None,
        unit: str | None = None,
        geography: str | None = None,
        year: int | None = None,
        *,
        release: str | None = None,
        status: str | None = "published",
        limit: int = 5,
        pool: int = search_index.CANDIDATE_POOL,
        exclude_licences: Sequence[str] = (),
    ) -> list[Candidate]:
        """Rank factors for an activity description (see :meth:`FactorIndex.match`).

        The database returns the ``pool`` best full-text hits (``bm25`` / ``ts_rank``) whose
        unit has the activity unit's dimension; :class:`~tanzuji.factors.match.FactorIndex`
        re-ranks them with the whole database's term statistics, so the candidates, their
        confidence and explanation are those of an in-memory index over the same factors.
        A factor whose unit cannot convert from the activity's unit is never proposed. A text
        that only names a place gets the factors of that place, of areas inside it and of the
        regions containing it.

        Parameters
        ----------
        text, amount, unit, geography, year, limit
            As :meth:`FactorIndex.match`.
        release : str, optional
            Match against the versions pinned in this release (whatever their status now).
        status : str or None
            Status of the newest versions considered (default ``published``, the versions a
            model can use); ``None`` for all. Ignored with ``release``.
        pool : int
            Full-text hits re-ranked.
        exclude_licences : sequence of str
            Licence patterns this deployment does not accept (:mod:`tanzuji.factors.licence`).

        Raises
        ------
        UnknownUnit
            ``unit`` (or a unit read from ``text``) is not a unit Tanzuji knows.
        NotFound
            ``release`` does not exist.
        """
        parsed = factor_text.parse_activity(text)
        activity_unit = unit or parsed.unit
        dimensions = (units.dimension(activity_unit),) if activity_unit else None
        place_only = not parsed.text and parsed.geography is not None
        with db.session_scope(self.engine) as session:
            snapshot = self._snapshot(session)
            filters = search_index.Filters(
                unit_dimensions=dimensions,
                status=None if release else status,
                release_id=_release(session, release).id if release else None,
                licences=snapshot.allowed_licences(exclude_licences),
            )
            wanted = snapshot.statistics.query_terms(parsed.text or text)
            rows = search_index.find(
                session, wanted, filters, extra=False, limit=pool, statistics=snapshot.statistics
            )
            if place_only:  # and the factors of the place (as FactorIndex.match ranks them)
                place = geography or parsed.geography
                near = replace(
                    filters, geographies=snapshot.near(place, place_only_relations(place))
                )
                rows = _merged(rows, search_index.find(session, [], near, extra=False, limit=pool))
            rows.sort(key=lambda r: r.id)  # ties break on factor id, as over records()
            index = FactorIndex(
                rows, record_terms=[r.terms for r in rows], statistics=snapshot.statistics
            )
            found = index.match(
                text, amount=amount, unit=unit, geography=geography, year=year, limit=limit
            )
            records = _records_of(session, [c.record for c in found])
        return [replace(c, record=records[c.record.id, c.record.version]) for c in found]

    def _snapshot(self, session: Session) -> search_index.IndexSnapshot:
        self._search_snapshot = search_index.snapshot(session, self._search_snapshot)
        return self._search_snapshot

    def indexed_count(self) -> int:
        """Number of factors whose newest version is in the search index."""
        with db.session_scope(self.engine) as session:
            return self._snapshot(session).statistics.documents

    def releases(self) -> list[ReleaseInfo]:
        """All releases, oldest first."""
        with db.session_scope(self.engine) as session:
            rows = session.scalars(select(Release).order_by(Release.id)).all()
            return [_release_info(r) for r in rows]

    def release(self, name: str) -> ReleaseInfo:
        """One release with its members (factor id -> version)."""
        with db.session_scope(self.engine) as session:
            return _release_info(_release(session, name), with_members=True)

    def imports(self) -> list[ImportReport]:
        """The import log, oldest first."""
        with db.session_scope(self.engine) as session:
            runs = session.scalars(select(ImportRun).order_by(ImportRun.id)).all()
            return [
                ImportReport(
                    r.id,
                    r.source_name,
                    _aware(r.started_at),
                    [
                        ImportEntryInfo(e.position, e.factor_id, e.version, e.action, e.reason)
                        for e in r.entries
                    ],
                )
                for r in runs
            ]

    def count(self) -> int:
        """Number of factors (ids) in the database."""
        with db.session_scope(self.engine) as session:
            return int(session.scalar(select(func.count()).select_from(Factor)) or 0)


class DatabaseFactorSource:
    """The factor database as a :class:`~tanzuji.factors.base.FactorSource`.

    ``resolve("ID")`` gives the newest published version (or, when ``default_release`` is set,
    the version pinned in that release); ``resolve("ID@RELEASE")`` the version pinned in
    ``RELEASE``. Either way :attr:`FactorData.version` is the stored version and
    :attr:`FactorData.release` the release it came from, so a footprint records both.
    """

    def __init__(self, engine: Engine, default_release: str | None = None) -> None:
        self.database = FactorDatabase(engine)
        self.default_release = default_release or None
        self._pinned: dict[str, FactorData] = {}

    def resolve(self, ref: str) -> FactorData:
        # Release members never change, so they can be cached; "newest published" cannot.
        if ref in self._pinned:
            return self._pinned[ref]
        factor = self.database.resolve(ref, self.default_release)
        if factor.release is not None:
            self._pinned[ref] = factor
        return factor


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


# -- helpers ----------------------------------------------------------------------------------


def _check_batch(
    items: list[FactorRecord | Mapping[str, Any]],
    source_name: str,
    status: str | None,
    reviewer: str | None,
    skipped: Sequence[tuple[str, str]] = (),
) -> list[tuple[FactorRecord, str, str | None]]:
    """Validate a whole batch; raise one FactorImportError listing every problem."""
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


def _import_batch(
    session: Session,
    run: ImportRun,
    checked: list[tuple[FactorRecord, str, str | None]],
    now: dt.datetime,
    *,
    index: bool = True,
) -> list[ImportEntryInfo]:
    """Insert the new versions of a checked batch with a few bulk statements.

    With ``index``, the search index gets their rows in the same transaction.
    """
    latest = _latest_versions(session, [record.id for record, _, _ in checked])
    entries: list[ImportEntryInfo] = []
    factors, versions, changes, indexed = [], [], [], []
    note = f"imported from {run.source_name}"
    for position, (record, initial, who) in enumerate(checked, start=1):
        stored = latest.get(record.id)
        if stored is not None and _same_content(record, *stored):
            reason = f"identical to stored version {stored[0]}"
            entries.append(ImportEntryInfo(position, record.id, stored[0], "skipped", reason))
            continue
        if stored is None:
            factors.append({"id": record.id, "created_at": now})
            version, action, reason = 1, "new", ""
        else:
            version, action = stored[0] + 1, "new_version"
            reason = f"content differs from version {stored[0]}"
        new = record.model_copy(update={"version": version})
        versions.append(_version_values(new, initial, who, now, run.id))
        indexed.append(search_index.version_values(new, initial))
        changes.append(
            {
                "factor_id": record.id,
                "version": version,
                "from_status": None,
                "to_status": initial,
                "reviewer": who,
                "changed_at": now,
                "note": note,
            }
        )
        entries.append(ImportEntryInfo(position, record.id, version, action, reason))
    for table, rows in ((Factor, factors), (FactorVersion, versions), (StatusChange, changes)):
        if rows:
            session.execute(insert(table), rows)
    if index:
        search_index.index_versions(session, indexed)
    return entries


def _latest_versions(session: Session, ids: list[str]) -> dict[str, tuple[int, str]]:
    """Newest stored (version, content_hash) of each id that exists, in chunks of 500 ids."""
    found: dict[str, tuple[int, str]] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        newest = (
            select(FactorVersion.factor_id, func.max(FactorVersion.version).label("v"))
            .where(FactorVersion.factor_id.in_(chunk))
            .group_by(FactorVersion.factor_id)
            .subquery()
        )
        rows = session.execute(
            select(FactorVersion.factor_id, FactorVersion.version, FactorVersion.content_hash).join(
                newest,
                (newest.c.factor_id == FactorVersion.factor_id)
                & (newest.c.v == FactorVersion.version),
            )
        )
        found.update({fid: (version, digest) for fid, version, digest in rows})
    return found


def _version_values(
    record: FactorRecord,
    status: str,
    reviewer: str | None,
    now: dt.datetime,
    import_id: int | None,
) -> dict[str, Any]:
    """Column values of one ``factor_versions`` row."""
    plain = record.model_dump(exclude=_REVIEW_FIELDS | {"id"})
    as_json = record.model_dump(mode="json", exclude=_REVIEW_FIELDS | {"id"})
    columns = {k: (as_json[k] if k in _JSON_COLUMNS else plain[k]) for k in plain if k in _COLUMNS}
    return {
        "factor_id": record.id,
        **columns,
        "extra": {k: v for k, v in as_json.items() if k not in _COLUMNS},
        "content_hash": record.content_hash(),
        "created_at": now,
        "import_id": import_id,
        "status": status,
        "reviewer": reviewer,
        "reviewed_at": now if status != "draft" else None,
    }


def _log_status(
    session: Session,
    row: FactorVersion,
    old: str | None,
    new: str,
    who: str | None,
    when: dt.datetime,
    note: str,
) -> None:
    session.add(
        StatusChange(
            factor_id=row.factor_id,
            version=row.version,
            from_status=old,
            to_status=new,
            reviewer=who,
            changed_at=when,
            note=note,
        )
    )


def _to_record(row: FactorVersion) -> FactorRecord:
    data: dict[str, Any] = {k: getattr(row, k) for k in _COLUMNS if k not in {"extra"}}
    data.pop("content_hash")
    data.update(row.extra or {})
    data["id"] = row.factor_id
    data["created_at"] = _aware(row.created_at)
    data["reviewed_at"] = _aware(row.reviewed_at)
    return FactorRecord.model_validate(data)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; the store writes UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _same_content(record: FactorRecord, version: int, content_hash: str) -> bool:
    """True when ``record`` equals the stored version (its own version number aside)."""
    return record.model_copy(update={"version": version}).content_hash() == content_hash


def _changed_fields(previous: FactorRecord | None, record: FactorRecord) -> list[str]:
    if previous is None:
        return []
    skip = _REVIEW_FIELDS | {"version"}
    before, after = previous.model_dump(exclude=skip), record.model_dump(exclude=skip)
    return sorted(k for k in after if before.get(k) != after[k])


def _latest_row_or_none(session: Session, factor_id: str) -> FactorVersion | None:
    return session.scalar(
        select(FactorVersion)
        .where(FactorVersion.factor_id == factor_id)
        .order_by(FactorVersion.version.desc())
        .limit(1)
    )


def _latest_row(session: Session, factor_id: str) -> FactorVersion:
    row = _latest_row_or_none(session, factor_id)
    if row is None:
        raise NotFound(_missing_factor_message(session, factor_id))
    return row


def _version_row(session: Session, factor_id: str, version: int) -> FactorVersion:
    row = session.get(FactorVersion, (factor_id, version))
    if row is None:
        latest = _latest_row(session, factor_id)
        raise NotFound(
            f"factor {factor_id!r} has no version {version}; versions are 1..{latest.version}"
        )
    return row


def _release(session: Session, name: str) -> Release:
    release = session.scalar(select(Release).where(Release.name == name))
    if release is None:
        known = session.scalars(select(Release.name).order_by(Release.id)).all()
        raise NotFound(
            f"release {name!r} does not exist; known releases: {', '.join(known) or 'none yet'}"
        )
    return release


def _release_row(session: Session, factor_id: str, name: str) -> FactorVersion:
    release = _release(session, name)
    member = session.get(ReleaseMember, (release.id, factor_id))
    if member is None:
        raise NotFound(
            f"factor {factor_id!r} is not in release {name!r} (it was not published when the "
            "release was made)"
        )
    return _version_row(session, factor_id, member.version)


def _newest_published(
    session: Session, exclude_licences: Sequence[str] = ()
) -> dict[str, tuple[int, str]]:
    """Factor id -> (version, content_hash) of its newest published version (whose licence no
    pattern of ``exclude_licences`` excludes)."""
    rows = session.execute(
        select(
            FactorVersion.factor_id,
            FactorVersion.version,
            FactorVersion.content_hash,
            FactorVersion.licence,
        )
        .where(FactorVersion.status == "published")
        .order_by(FactorVersion.factor_id, FactorVersion.version)
    )
    newest = {fid: (version, digest, lic) for fid, version, digest, lic in rows}  # later win
    return {
        fid: (version, digest)
        for fid, (version, digest, lic) in newest.items()
        if not exclude_licences or factor_licence.excluded(lic, exclude_licences) is None
    }


def _drop_excluded(
    batch: list[Any], patterns: Sequence[str], skipped: Sequence[tuple[str, str]]
) -> tuple[list[Any], list[tuple[str, str]]]:
    """Records whose licence no pattern excludes, and the skip log with the others."""
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


def _missing_factor_message(session: Session, factor_id: str) -> str:
    count = session.scalar(select(func.count()).select_from(Factor)) or 0
    return f"factor {factor_id!r} is not in the factor database ({count} factors)"


def _unpublished_message(session: Session, factor_id: str) -> str:
    latest = _latest_row_or_none(session, factor_id)
    if latest is None:
        return _missing_factor_message(session, factor_id)
    return (
        f"factor {factor_id!r} has no published version in the factor database (newest is "
        f"version {latest.version}, {latest.status!r}); publish it with `tanzuji factors review "
        f"{factor_id} --version {latest.version} --status published --reviewer NAME`"
    )


def _records_of(session: Session, rows: Sequence[Any]) -> dict[tuple[str, int], FactorRecord]:
    """The full records of index rows (anything with ``id`` and ``version``)."""
    keys = {(r.id, r.version) for r in rows}
    if not keys:
        return {}
    found = session.scalars(
        select(FactorVersion).where(FactorVersion.factor_id.in_(sorted({k[0] for k in keys})))
    ).all()  # by id, which the primary key index serves on both back ends
    return {
        (r.factor_id, r.version): _to_record(r) for r in found if (r.factor_id, r.version) in keys
    }


def _query_terms(snapshot: search_index.IndexSnapshot, words: str) -> list[str]:
    """The terms a database search looks up for ``words`` (names, concepts, codes)."""
    return list(
        dict.fromkeys(
            factor_text.terms(words)
            + snapshot.statistics.query_terms(words)
            + search_index.code_terms(words)
        )
    )


def _merged(
    first: list[search_index.IndexedVersion], second: list[search_index.IndexedVersion]
) -> list[search_index.IndexedVersion]:
    """Rows of both lists, each (id, version) once, in order."""
    seen = {(r.id, r.version) for r in first}
    return first + [r for r in second if (r.id, r.version) not in seen]


def _search_hit(
    row: search_index.IndexedVersion,
    record: FactorRecord,
    wanted: list[str],
    geography: str | None,
    place: str | None = None,
) -> Candidate:
    own = set(row.terms) | set(row.extra)
    matched = tuple(t for t in wanted if t in own)
    relation = factor_text.geography_relation(geography, record.geography)
    share = len(matched) / len(wanted) if wanted else 0.0
    if place and relation in place_only_relations(place):
        share, matched = 1.0, matched or (f"@{place}",)
    parts = [f"words: {', '.join(matched)}"]
    if geography:
        parts.append(f"geography {record.geography} ({relation} of {geography})")
        share *= GEOGRAPHY_WEIGHT[relation]
    return Candidate(
        record=record,
        confidence=round(share, 4),
        matched=matched,
        geography=relation,
        year_distance=None,
        unit_factor=None,
        explanation="; ".join(parts),
        geographical_score=factor_text.geographical_score(geography, record.geography)
        if geography
        else None,
    )


def _release_info(release: Release, *, with_members: bool = False) -> ReleaseInfo:
    return ReleaseInfo(
        name=release.name,
        created_at=_aware(release.created_at),
        created_by=release.created_by,
        note=release.note,
        member_count=release.member_count,
        content_hash=release.content_hash,
        members={m.factor_id: m.version for m in release.members} if with_members else {},
    )


def _is_tanzuji_json(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8")[:4096]
    except (OSError, UnicodeDecodeError):
        return False
    return f'"format": "{JSON_FORMAT}"' in head or f'"format":"{JSON_FORMAT}"' in head


__all__ = [
    "IMPORTERS",
    "TRANSITIONS",
    "DatabaseFactorSource",
    "FactorDatabase",
    "ImportEntryInfo",
    "ImportReport",
    "ReleaseInfo",
    "StatusChangeInfo",
    "VersionInfo",
    "available_formats",
    "export_factor_csv",
    "export_json",
    "guess_format",
    "load_importer",
    "read_file",
    "read_json",
    "validate_record",
]
