"""The factor database in SQL: versions, review log, releases, imports, search (SQLAlchemy).

:class:`FactorDatabase` persists :class:`~tanzuji.factors.record.FactorRecord` versions in the
tables of :mod:`tanzuji.store.factors`, one transaction per call, applying the rules of
:mod:`tanzuji.factors.database` (statuses, releases, batch checks). :class:`DatabaseFactorSource`
is the engine's view of it: a :class:`~tanzuji.factors.base.FactorSource` resolving ``ID``
(newest published version) and ``ID@RELEASE`` (the version pinned in that release).

Services call it through their Context (``tanzuji.services.factors``); the module-level
helpers below (``_latest_row``, ``_release_row``...) work inside a caller's session.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from tanzuji import units
from tanzuji.errors import (
    FactorEditError,
    FactorImportError,
    NotFound,
    ReleaseError,
    UnknownFactor,
)
from tanzuji.factors import licence as factor_licence
from tanzuji.factors import text as factor_text
from tanzuji.factors.base import FactorData
from tanzuji.factors.database import (
    REVIEW_FIELDS,
    ImportEntryInfo,
    ImportReport,
    ReleaseInfo,
    StatusChangeInfo,
    VersionInfo,
    changed_fields,
    check_batch,
    check_release_name,
    check_status_move,
    check_status_request,
    drop_excluded,
    read_file,
    read_upload,
    release_hash,
    same_content,
    validate_record,
)
from tanzuji.factors.match import (
    GEOGRAPHY_WEIGHT,
    Candidate,
    FactorIndex,
    place_only_relations,
    wanted_dimension,
)
from tanzuji.factors.record import FactorRecord
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

#: Record fields stored in their own column of ``factor_versions`` (the rest go to ``extra``).
_COLUMNS = frozenset(FactorVersion.__table__.columns.keys()) - {"factor_id", "import_id"}
_JSON_COLUMNS = frozenset({"gases", "source", "pedigree", "uncertainty", "classification"})


class FactorDatabase:
    """The factor database on one SQLAlchemy engine (already migrated, see :meth:`open`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
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
    def open(cls, url: str) -> FactorDatabase:
        """Open (and create or migrate to the newest schema) the database at ``url``.

        For libraries and tests; services receive an already checked database through their
        Context.
        """
        database = db.database_for(url)
        database.upgrade()
        return cls(database.engine)

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
        with db.session_scope(self.engine) as session:
            return add_records_in(
                session,
                records,
                source_name,
                status=status,
                reviewer=reviewer,
                skipped=skipped,
                exclude_licences=exclude_licences,
                index=self._indexing(),
            )

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

    def import_bytes(
        self,
        name: str,
        content: bytes,
        fmt: str | None = None,
        *,
        status: str | None = None,
        reviewer: str | None = None,
        exclude_licences: Sequence[str] = (),
    ) -> ImportReport:
        """Import a factor file given as bytes (an upload); ``name`` is its file name.

        See :func:`~tanzuji.factors.database.read_upload`; one transaction as
        :meth:`add_records` (records under an ``exclude_licences`` pattern are skipped).
        """
        records, skipped = read_upload(name, content, fmt)
        return self.add_records(
            records,
            Path(name).name or name,
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
        forbidden = sorted(set(changes) & ({"id", "version"} | REVIEW_FIELDS))
        if forbidden:
            raise FactorEditError(
                f"fields {forbidden} cannot be edited; the store sets id, version, times and "
                "status (use set_status / `tanzuji factors review` for the status)"
            )
        with db.session_scope(self.engine) as session:
            latest = _latest_row(session, factor_id)
            base = _to_record(latest).model_dump(exclude=set(REVIEW_FIELDS))
            data = {**base, **changes, "version": latest.version + 1, "status": "draft"}
            record, problems = validate_record(data, f"factor {factor_id!r} edit")
            if record is None:
                raise FactorEditError("; ".join(problems), problems=problems)
            if same_content(record, latest.version, latest.content_hash):
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
        """Move one version along the review workflow (``TRANSITIONS`` of the factor rules).

        Raises
        ------
        NotFound
            The factor or version does not exist.
        StatusTransitionError
            The move is not allowed, the status is unknown, or the reviewer is empty.
        """
        who = check_status_request(status, reviewer)
        with db.session_scope(self.engine) as session:
            row = _version_row(session, factor_id, version)
            check_status_move(factor_id, version, row.status, status)
            now = utc_now()
            _log_status(session, row, row.status, status, who, now, note)
            row.status, row.reviewer, row.reviewed_at = status, who, now
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
        with db.session_scope(self.engine) as session:
            return create_release_in(
                session,
                name,
                note=note,
                created_by=created_by,
                exclude_licences=exclude_licences,
            )

    # -- reading --------------------------------------------------------------------------

    def get(
        self, factor_id: str, version: int | None = None, release: str | None = None
    ) -> FactorRecord:
        """One version of a factor: ``version``, the one pinned in ``release``, or the newest.

        The newest version is returned whatever its status; :meth:`resolve` is what the engine
        uses (published versions only).
        """
        with db.session_scope(self.engine, write=False) as session:
            if release is not None:
                return _to_record(_release_row(session, factor_id, release))
            if version is not None:
                return _to_record(_version_row(session, factor_id, version))
            return _to_record(_latest_row(session, factor_id))

    def resolve(self, ref: str, default_release: str | None = None) -> FactorData:
        """The engine's factor for ``ID`` or ``ID@RELEASE`` (see :class:`DatabaseFactorSource`)."""
        factor_id, _, named = ref.partition("@")
        release = named or default_release
        with db.session_scope(self.engine, write=False) as session:
            if release:
                try:
                    pinned = _release_row(session, factor_id, release)
                except NotFound as exc:
                    raise UnknownFactor(exc.message) from None
                return _to_record(pinned).to_factor_data(release=release)
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
        with db.session_scope(self.engine, write=False) as session:
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
                        changed_fields=changed_fields(previous, record),
                        status_changes=[
                            StatusChangeInfo(
                                c.version,
                                c.from_status,
                                c.to_status,
                                c.reviewer,
                                db.aware(c.changed_at),
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
        with db.session_scope(self.engine, write=False) as session:
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
        with db.session_scope(self.engine, write=False) as session:
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
            rows = search_index.find(
                session, wanted, filters, extra=True, limit=pool, statistics=snapshot.statistics
            )
            if place_only and place is not None:
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
        with db.session_scope(self.engine, write=False) as session:
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
            # and the factors of the place (as FactorIndex.match ranks them)
            place = geography or parsed.geography
            if place_only and place is not None:
                near = replace(
                    filters, geographies=snapshot.near(place, place_only_relations(place))
                )
                rows = _merged(rows, search_index.find(session, [], near, extra=False, limit=pool))
            rows.sort(key=lambda r: r.id)  # ties break on factor id, as over records()
            # IndexedVersion duck-types the FactorRecord fields FactorIndex reads (see its
            # docstring); the candidates' records are replaced by the stored ones below.
            index = FactorIndex(
                cast("list[FactorRecord]", rows),
                record_terms=[r.terms for r in rows],
                statistics=snapshot.statistics,
            )
            found = index.match(
                text, amount=amount, unit=unit, geography=geography, year=year, limit=limit
            )
            records = _records_of(session, [c.record for c in found])
        return [replace(c, record=records[c.record.id, c.record.version]) for c in found]

    def _snapshot(self, session: Session) -> search_index.IndexSnapshot:
        """The index statistics, kept per database in this process until a write changes
        them (each service call makes a new FactorDatabase: the statistics of 100,000
        factors take a third of a second to read)."""
        found = search_index.snapshot(session, _SEARCH_SNAPSHOTS.get(self.engine))
        _SEARCH_SNAPSHOTS[self.engine] = found
        return found

    def indexed_count(self) -> int:
        """Number of factors whose newest version is in the search index."""
        with db.session_scope(self.engine, write=False) as session:
            return self._snapshot(session).statistics.documents

    def releases(self) -> list[ReleaseInfo]:
        """All releases, oldest first."""
        with db.session_scope(self.engine, write=False) as session:
            rows = session.scalars(select(Release).order_by(Release.id)).all()
            return [_release_info(r) for r in rows]

    def release(self, name: str) -> ReleaseInfo:
        """One release with its members (factor id -> version)."""
        with db.session_scope(self.engine, write=False) as session:
            return _release_info(_release(session, name), with_members=True)

    def imports(self) -> list[ImportReport]:
        """The import log, oldest first."""
        with db.session_scope(self.engine, write=False) as session:
            runs = session.scalars(select(ImportRun).order_by(ImportRun.id)).all()
            return [
                ImportReport(
                    r.id,
                    r.source_name,
                    db.aware(r.started_at),
                    [
                        ImportEntryInfo(e.position, e.factor_id, e.version, e.action, e.reason)
                        for e in r.entries
                    ],
                )
                for r in runs
            ]

    def count(self) -> int:
        """Number of factors (ids) in the database."""
        with db.session_scope(self.engine, write=False) as session:
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


def add_records_in(
    session: Session,
    records: Iterable[FactorRecord | Mapping[str, Any]],
    source_name: str,
    *,
    status: str | None = None,
    reviewer: str | None = None,
    skipped: Sequence[tuple[str, str]] = (),
    exclude_licences: Sequence[str] = (),
    index: bool = True,
) -> ImportReport:
    """:meth:`FactorDatabase.add_records` inside the caller's transaction (``session``).

    For a service that imports factors and writes more in the same unit of work (a mapped
    table and its saved mapping; derived factors, their release and the derivation log).
    """
    batch = list(records)
    if exclude_licences:
        batch, skipped = drop_excluded(batch, exclude_licences, skipped)
    checked = check_batch(batch, source_name, status, reviewer, skipped)
    now = utc_now()
    run = ImportRun(source_name=source_name, started_at=now, imported=0, skipped=0)
    session.add(run)
    session.flush()
    entries = _import_batch(session, run, checked, now, index=index)
    for position, (location, reason) in enumerate(skipped, start=len(entries) + 1):
        entries.append(ImportEntryInfo(position, "", None, "skipped", f"{location}: {reason}"))
    if entries:
        session.execute(insert(ImportEntry), [{"import_id": run.id, **vars(e)} for e in entries])
    run.imported = sum(e.action != "skipped" for e in entries)
    run.skipped = len(entries) - run.imported
    session.flush()
    return ImportReport(run.id, source_name, now, entries)


def create_release_in(
    session: Session,
    name: str,
    *,
    note: str = "",
    created_by: str | None = None,
    exclude_licences: Sequence[str] = (),
) -> ReleaseInfo:
    """:meth:`FactorDatabase.create_release` inside the caller's transaction (``session``)."""
    name = check_release_name(name)
    if session.scalar(select(Release.id).where(Release.name == name)) is not None:
        raise ReleaseError(f"release {name!r} already exists; releases never change")
    pinned = _newest_published(session, exclude_licences)
    if exclude_licences:
        note = (note + " " if note else "") + f"[licences excluded: {', '.join(exclude_licences)}]"
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
        if stored is not None and same_content(record, *stored):
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


#: Search index statistics per engine (see FactorDatabase._snapshot); a database made anew
#: gets a new engine (``db.close_all``), so statistics never outlive the database they describe.
_SEARCH_SNAPSHOTS: weakref.WeakKeyDictionary[Engine, search_index.IndexSnapshot] = (
    weakref.WeakKeyDictionary()
)


def _latest_versions(session: Session, ids: list[str]) -> dict[str, tuple[int, str]]:
    """Newest stored (version, content_hash) of each id that exists, in chunks of 500 ids."""
    found: dict[str, tuple[int, str]] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        # Every version of the chunk's ids, newest first per id (the primary key's index): a
        # join on a max() subquery made PostgreSQL scan the whole table once per chunk.
        rows = session.execute(
            select(FactorVersion.factor_id, FactorVersion.version, FactorVersion.content_hash)
            .where(FactorVersion.factor_id.in_(chunk))
            .order_by(FactorVersion.factor_id, FactorVersion.version.desc())
        )
        for fid, version, digest in rows:
            found.setdefault(fid, (version, digest))
    return found


def _version_values(
    record: FactorRecord,
    status: str,
    reviewer: str | None,
    now: dt.datetime,
    import_id: int | None,
) -> dict[str, Any]:
    """Column values of one ``factor_versions`` row."""
    plain = record.model_dump(exclude={*REVIEW_FIELDS, "id"})
    as_json = record.model_dump(mode="json", exclude={*REVIEW_FIELDS, "id"})
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
    data["created_at"] = db.aware(row.created_at)
    data["reviewed_at"] = db.aware(row.reviewed_at)
    return FactorRecord.model_validate(data)


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
        created_at=db.aware(release.created_at),
        created_by=release.created_by,
        note=release.note,
        member_count=release.member_count,
        content_hash=release.content_hash,
        members={m.factor_id: m.version for m in release.members} if with_members else {},
    )


__all__ = ["DatabaseFactorSource", "FactorDatabase", "add_records_in", "create_release_in"]
