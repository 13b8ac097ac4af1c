"""The factor search index in the database: FTS5 on SQLite, tsvector + GIN on PostgreSQL.

Both back ends index the same tokens: the pre-segmented terms of
:func:`tanzuji.factors.text.terms` (jieba words for Chinese, folded English words, ``~concept``
synonym terms), joined by spaces. Neither database segments Chinese itself: SQLite's
``unicode61`` tokenizer splits on the spaces (``~`` kept as a token character), PostgreSQL
takes the words as they are (``array_to_tsvector``, no parser, no dictionary).

Tables (revision ``0003_factor_search``; derived data, rebuilt by :func:`rebuild`, hence not
modelled on ``Base.metadata``):

``factor_search``
    One row per factor version: ``factor_id``, ``version``, ``latest`` (the factor's newest
    version), the filter columns ``unit``, ``unit_dimension`` (:func:`tanzuji.units.dimension`),
    ``geography``, ``year``, ``boundary``, ``status``, and two documents: ``terms`` (names and
    activity: what the matcher scores) and ``extra`` (classification codes, the geography's
    code and names: found by search, not scored by match). Rows are added with their
    version, in the same transaction; a new version moves ``latest`` to itself; a status
    change updates ``status``. Rows of older versions stay, so that a release (which pins
    versions through ``factor_release_members``) is searched exactly as it was pinned.
``factor_search_terms``
    Term -> number of *latest* versions containing it in ``terms``: the whole-corpus
    statistics (idf) with which :class:`~tanzuji.factors.match.FactorIndex` re-ranks a
    candidate subset exactly as an index over every factor would.
``factor_search_state``
    One row: number of latest versions and a ``generation`` bumped by every write, so that a
    reader caches the statistics until something changes.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    column,
    delete,
    func,
    insert,
    inspect,
    select,
    table,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import Session

from tanzuji import units
from tanzuji.errors import UnknownUnit
from tanzuji.factors import licence as factor_licence
from tanzuji.factors import text as factor_text
from tanzuji.factors.match import CorpusStatistics

#: Tables of the search index (and, on SQLite, the FTS5 table and its shadow tables).
TABLE_PREFIX = "factor_search"

#: Full-text hits handed to the matcher for re-ranking (see docs/matching.md, "Database").
CANDIDATE_POOL = 200

#: bm25 weight of the ``extra`` column (codes, place names) relative to names and activity.
EXTRA_WEIGHT = 0.5

_metadata = MetaData()

search_rows = Table(
    "factor_search",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("factor_id", String(200)),
    Column("version", Integer),
    Column("latest", Boolean),
    Column("unit", String(64)),
    Column("unit_dimension", String(128)),
    Column("geography", String(64)),
    Column("year", Integer),
    Column("boundary", String(32)),
    Column("status", String(16)),
    Column("terms", Text),
    Column("extra", Text),
)
search_terms = Table(
    "factor_search_terms",
    _metadata,
    Column("term", String(200), primary_key=True),
    Column("documents", Integer),
)
search_state = Table(
    "factor_search_state",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("documents", Integer),
    Column("generation", Integer),
)

Executor = Session | Connection

_CODE = re.compile(r"[0-9a-z][0-9a-z.\-/]*")


def is_search_table(name: str | None) -> bool:
    """True for the search index's tables (not modelled on ``Base.metadata``)."""
    return name is not None and (name == TABLE_PREFIX or name.startswith(TABLE_PREFIX + "_"))


def is_present(engine: Engine) -> bool:
    """True when the database has the search index (migrated to ``0003_factor_search``)."""
    return inspect(engine).has_table("factor_search_state")


def include_name(name: str | None, type_: str, _parent_names: Mapping[Any, Any]) -> bool:
    """Alembic ``include_name`` hook: leave the search index out of autogenerate."""
    return not (type_ == "table" and is_search_table(name))


# -- documents --------------------------------------------------------------------------------


def text_terms(name_en: str, name_zh: str, activity: str) -> list[str]:
    """Terms the matcher scores: those of ``FactorIndex`` (names and activity)."""
    return factor_text.terms(f"{name_en} {name_zh} {activity}")


def code_terms(text: str) -> list[str]:
    """Code-like tokens (containing a digit) of a text: ``2710.19``, ``c2410``, ``cn-gd``."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return [t for t in _CODE.findall(folded) if any(c.isdigit() for c in t)]


def extra_terms(classification: Mapping[str, str] | None, geography: str) -> list[str]:
    """Terms found by search but not scored by match: codes, the geography's code and names."""
    out = [t for code in (classification or {}).values() for t in code_terms(str(code))]
    out.append(geography.lower())
    table = factor_text.geography_table()
    for group in ("countries", "grid_regions", "provinces"):
        entry = table[group].get(geography)
        if entry:
            out += factor_text.terms(f"{entry['name_en']} {entry['name_zh']}")
    return list(dict.fromkeys(out))


def unit_dimension(unit: str) -> str | None:
    """The unit's dimension as stored in ``unit_dimension`` (``None`` for an unknown unit)."""
    try:
        return units.dimension(unit)
    except UnknownUnit:
        return None


def _row(values: Mapping[str, Any] | RowMapping, latest: bool) -> dict[str, Any]:
    """A ``factor_search`` row from the columns of a factor version."""
    return {
        "factor_id": values["factor_id"],
        "version": values["version"],
        "latest": latest,
        "unit": values["unit"],
        "unit_dimension": unit_dimension(values["unit"]),
        "geography": values["geography"],
        "year": values["year"],
        "boundary": values["boundary"],
        "status": values["status"],
        "terms": " ".join(text_terms(values["name_en"], values["name_zh"], values["activity"])),
        "extra": " ".join(extra_terms(values["classification"], values["geography"])),
    }


def version_values(record: Any, status: str) -> dict[str, Any]:
    """The columns :func:`index_versions` needs from a FactorRecord and its initial status."""
    return {
        "factor_id": record.id,
        "version": record.version,
        "name_en": record.name_en,
        "name_zh": record.name_zh,
        "activity": record.activity,
        "unit": record.unit,
        "geography": record.geography,
        "year": record.year,
        "boundary": record.boundary,
        "status": status,
        "classification": record.classification,
    }


# -- writing ----------------------------------------------------------------------------------


def _dialect(executor: Executor) -> str:
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    return bind.dialect.name


def index_versions(executor: Executor, versions: Sequence[Mapping[str, Any]]) -> None:
    """Index new factor versions, each the newest of its factor (:func:`version_values`).

    The factor's previous newest row stops being ``latest``; the term statistics and the
    state row follow. Runs in the caller's transaction.
    """
    if not versions:
        return
    rows = [_row(v, latest=True) for v in versions]
    demoted = _demote(executor, [r["factor_id"] for r in rows])
    executor.execute(insert(search_rows), rows)
    delta: Counter[str] = Counter()
    for row in rows:
        delta.update(set(row["terms"].split()))
    for terms in demoted:
        delta.subtract(set(terms.split()))
    _add_frequencies(executor, delta)
    executor.execute(
        update(search_state)
        .where(search_state.c.id == 1)
        .values(
            documents=search_state.c.documents + len(rows) - len(demoted),
            generation=search_state.c.generation + 1,
        )
    )


def _demote(executor: Executor, factor_ids: list[str]) -> list[str]:
    """Unset ``latest`` on the current rows of these factors; return their terms."""
    found: list[tuple[int, str]] = []
    for i in range(0, len(factor_ids), 500):
        chunk = factor_ids[i : i + 500]
        found += executor.execute(
            select(search_rows.c.id, search_rows.c.terms).where(
                search_rows.c.latest.is_(True), search_rows.c.factor_id.in_(chunk)
            )
        ).all()
    ids = [i for i, _ in found]
    for i in range(0, len(ids), 500):
        executor.execute(
            update(search_rows).where(search_rows.c.id.in_(ids[i : i + 500])).values(latest=False)
        )
    return [terms for _, terms in found]


def _add_frequencies(executor: Executor, delta: Mapping[str, int]) -> None:
    changes = [{"term": t, "documents": n} for t, n in delta.items() if n]
    if not changes:
        return
    dialect_insert = postgresql.insert if _dialect(executor) == "postgresql" else sqlite.insert
    statement = dialect_insert(search_terms)
    statement = statement.on_conflict_do_update(
        index_elements=["term"],
        set_={"documents": search_terms.c.documents + statement.excluded.documents},
    )
    for i in range(0, len(changes), 2000):
        executor.execute(statement, changes[i : i + 2000])


def set_status(executor: Executor, factor_id: str, version: int, status: str) -> None:
    """Follow a version's review status (the only indexed field that changes)."""
    executor.execute(
        update(search_rows)
        .where(search_rows.c.factor_id == factor_id, search_rows.c.version == version)
        .values(status=status)
    )
    _bump(executor)


def _bump(executor: Executor) -> None:
    executor.execute(
        update(search_state)
        .where(search_state.c.id == 1)
        .values(generation=search_state.c.generation + 1)
    )


_versions = table(
    "factor_versions",
    *(
        column(name)
        for name in (
            "factor_id",
            "version",
            "name_en",
            "name_zh",
            "activity",
            "unit",
            "geography",
            "year",
            "boundary",
            "status",
        )
    ),
    column("classification", JSON),
    column("licence"),
)


def rebuild(connection: Connection) -> int:
    """Index every stored factor version from scratch; return the number of rows.

    Used by the migration that creates the index (existing databases) and after a repair.
    """
    connection.execute(delete(search_rows))  # on SQLite a trigger empties the FTS5 table
    connection.execute(delete(search_terms))
    stored = connection.execute(
        select(_versions).order_by(_versions.c.factor_id, _versions.c.version)
    ).mappings()
    rows: list[dict[str, Any]] = []
    for values in stored:
        if rows and rows[-1]["factor_id"] == values["factor_id"]:
            rows[-1]["latest"] = False
        rows.append(_row(values, latest=True))
    frequency: Counter[str] = Counter()
    for row in rows:
        if row["latest"]:
            frequency.update(set(row["terms"].split()))
    for i in range(0, len(rows), 2000):
        connection.execute(insert(search_rows), rows[i : i + 2000])
    _add_frequencies(connection, frequency)
    connection.execute(
        update(search_state)
        .where(search_state.c.id == 1)
        .values(documents=sum(r["latest"] for r in rows), generation=search_state.c.generation + 1)
    )
    return len(rows)


# -- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexedVersion:
    """A factor version as the index holds it: enough to filter, rank and explain.

    Duck-types the fields of :class:`~tanzuji.factors.record.FactorRecord` that
    :class:`~tanzuji.factors.match.FactorIndex` reads (``id`` is the factor id).
    """

    id: str
    version: int
    unit: str
    geography: str
    year: int | None
    boundary: str
    status: str
    terms: tuple[str, ...]
    extra: tuple[str, ...]


@dataclass(frozen=True)
class IndexSnapshot:
    """Whole-corpus statistics of the latest versions, valid for one ``generation``."""

    generation: int
    statistics: CorpusStatistics
    geographies: tuple[str, ...]
    licences: tuple[str, ...] = ()

    def within(self, area: str) -> tuple[str, ...]:
        """Stored geographies equal to or inside ``area`` (``CN`` -> ``CN``, ``CN-GD`` ...)."""
        return tuple(g for g in self.geographies if factor_text.within(g, area))

    def applicable(self, place: str) -> tuple[str, ...]:
        """Stored geographies that apply to ``place`` by the geography tree: the place, areas
        inside it and areas containing it up to ``GLO`` (as the matcher ranks them)."""
        return tuple(g for g in self.geographies if factor_text.applies_to(g, place))

    def near(self, place: str, relations: frozenset[str]) -> tuple[str, ...]:
        """Stored geographies whose relation to ``place`` is one of ``relations``."""
        return tuple(
            g for g in self.geographies if factor_text.geography_relation(place, g) in relations
        )

    def allowed_licences(self, patterns: Sequence[str]) -> tuple[str, ...] | None:
        """Stored licences no pattern excludes (``None``: no patterns, no filter)."""
        return factor_licence.allowed(self.licences, patterns)


def snapshot(executor: Executor, cached: IndexSnapshot | None = None) -> IndexSnapshot:
    """The index statistics: ``cached`` when nothing was written since, else read afresh."""
    documents, generation = executor.execute(
        select(search_state.c.documents, search_state.c.generation).where(search_state.c.id == 1)
    ).one()
    if cached is not None and cached.generation == generation:
        return cached
    frequency = dict(
        executor.execute(
            select(search_terms.c.term, search_terms.c.documents).where(
                search_terms.c.documents > 0
            )
        ).all()
    )
    geographies = executor.execute(select(search_rows.c.geography).distinct()).scalars().all()
    licences = executor.execute(select(_versions.c.licence).distinct()).scalars().all()
    return IndexSnapshot(
        generation,
        CorpusStatistics(documents, frequency),
        tuple(sorted(geographies)),
        tuple(sorted(licences)),
    )


@dataclass(frozen=True)
class Filters:
    """Hard filters of a search; ``None`` means no filter.

    ``release_id`` searches the versions that release pins; otherwise each factor's newest
    version.
    """

    unit_dimensions: tuple[str, ...] | None = None
    geographies: tuple[str, ...] | None = None
    year: int | None = None
    boundary: str | None = None
    status: str | None = None
    release_id: int | None = None
    licences: tuple[str, ...] | None = None


def find(
    executor: Executor,
    query_terms: Iterable[str],
    filters: Filters,
    *,
    extra: bool,
    limit: int = CANDIDATE_POOL,
    statistics: CorpusStatistics | None = None,
) -> list[IndexedVersion]:
    """Versions containing any of ``query_terms`` (OR), best first, at most ``limit``.

    Ranked by ``bm25`` (SQLite FTS5) or ``ts_rank`` (PostgreSQL) over ``terms`` and, with
    ``extra``, the ``extra`` column at :data:`EXTRA_WEIGHT`; ties by factor id.

    On PostgreSQL, ``statistics`` (the index's term frequencies) lets a query whose terms are
    common rank a bounded candidate set instead of every hit: without ``extra`` by the number
    of query terms held (:func:`_stages`), with ``extra`` by score class, the pair of counts
    in ``terms`` and in ``extra`` (:func:`_score_class_rows`); the result is the same.
    """
    terms = list(dict.fromkeys(t for t in query_terms if t))
    if not terms and filters.geographies is None:
        return []
    where, params = _filter_sql(filters)
    params["pool"] = limit
    columns = (
        "s.factor_id, s.version, s.unit, s.geography, s.year, s.boundary, s.status, "
        "s.terms, s.extra"
    )
    release = (
        " JOIN factor_release_members m ON m.factor_id = s.factor_id "
        "AND m.version = s.version AND m.release_id = :release_id"
        if filters.release_id is not None
        else ""
    )
    if filters.licences is not None:
        release += (
            " JOIN factor_versions v ON v.factor_id = s.factor_id AND v.version = s.version"
            " AND v.licence IN :lics"
        )
        params["lics"] = list(filters.licences) or [""]
    if not terms:  # a place-only query: every version of the places, by factor id
        sql = f"SELECT {columns} FROM factor_search s{release} WHERE 1 = 1{where} "
        sql += "ORDER BY s.factor_id LIMIT :pool"
        rows = executor.execute(_expanding(text(sql), params), params).all()
        return [_indexed(r) for r in rows]
    if _dialect(executor) == "sqlite":
        ored = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        params["q"] = f"({ored})" if extra else f"{{terms}} : ({ored})"
        sql = (
            f"SELECT {columns} FROM factor_search_fts f JOIN factor_search s ON s.id = f.rowid"
            f"{release} WHERE factor_search_fts MATCH :q{where} "
            f"ORDER BY bm25(factor_search_fts, 1.0, {EXTRA_WEIGHT}), s.factor_id LIMIT :pool"
        )
        rows = executor.execute(_expanding(text(sql), params), params).all()
    else:
        serial = extra and statistics is not None  # the score-class stages, in turn
        with _bitmap_scans(executor, serial=serial):
            rows = _postgres_rows(
                executor, terms, params, (columns, release, where), extra, statistics, limit
            )
    return [_indexed(r) for r in rows]


def _postgres_rows(
    executor: Executor,
    terms: list[str],
    params: dict[str, Any],
    parts: tuple[str, str, str],
    extra: bool,
    statistics: CorpusStatistics | None,
    limit: int,
) -> Sequence[Any]:
    """The PostgreSQL query of :func:`find` (staged when ``statistics`` allow, see
    :func:`_stages`)."""
    columns, release, where = parts
    params["q"] = _tsquery(terms)
    hit = "s.terms_vector @@ query.q"
    rank = "ts_rank(s.terms_vector, query.q)"
    if extra:
        hit = f"({hit} OR s.extra_vector @@ query.q)"
        rank += f" + {EXTRA_WEIGHT} * ts_rank(s.extra_vector, query.q)"
        if statistics is not None and 0 < len(terms) <= MAX_CLASS_TERMS and limit > 0:
            return _score_class_rows(executor, terms, params, parts, statistics, limit)
    elif statistics is not None:
        for least, rarest in _stages(terms, statistics, limit):
            staged = {**params, "rare": _tsquery(rarest), "least": least, "all": terms}
            sql = (
                f"SELECT {columns} FROM factor_search s{release} CROSS JOIN "
                "(SELECT CAST(:q AS tsquery) AS q, CAST(:rare AS tsquery) AS rare) AS query "
                f"WHERE s.terms_vector @@ query.rare{where} AND length(s.terms_vector) - "
                "length(ts_delete(s.terms_vector, CAST(:all AS text[]))) >= :least "
                f"ORDER BY {rank} DESC, s.factor_id LIMIT :pool"
            )
            rows = executor.execute(_expanding(text(sql), staged), staged).all()
            if len(rows) == limit:
                return rows
    sql = (
        f"SELECT {columns} FROM factor_search s{release} "
        f"CROSS JOIN (SELECT CAST(:q AS tsquery) AS q) AS query WHERE {hit}{where} "
        f"ORDER BY {rank} DESC, s.factor_id LIMIT :pool"
    )
    return executor.execute(_expanding(text(sql), params), params).all()


#: Score classes of a staged ``extra`` search ranked together in one query while the versions
#: holding their rarest terms number at most this (document frequencies; the plain query
#: costs about 3 us a hit: "electricity", 25,851 hits, 75-80 ms, docs/matching.md).
CLASS_STAGE_VERSIONS = 2000

#: Stages of a staged ``extra`` search before the last, which is the plain query without the
#: classes above.
MAX_CLASS_STAGES = 6

#: Query terms up to which a search with ``extra`` is staged by score class. Longer queries
#: have (k + 1)^2 - 1 pairs in many classes and, ``extra`` having no statistics, stages whose
#: size is unknown: on the 100k benchmark (the labelled texts, limits 1, 10, 200) staging won
#: at 2-4 terms (4 terms: 46 -> 16 ms at limit 1, 49 -> 42 ms at 200), was mixed at 5 and
#: lost at 6-7 (64 -> 80 ms, 74 -> 99 ms; docs/matching.md).
MAX_CLASS_TERMS = 4

#: A version's score class: (query terms held in ``terms``, query terms held in ``extra``).
Held = tuple[int, int]

#: ``nt * (k + 1) + ne`` of a version: each count computed once (a row-wise ``IN`` of pairs
#: would repeat them in every disjunct).
_HELD = (
    "(length(s.terms_vector) - length(ts_delete(s.terms_vector, CAST(:all AS text[])))) "
    "* :base + length(s.extra_vector) - length(ts_delete(s.extra_vector, CAST(:all AS text[])))"
)


def _score_class_rows(
    executor: Executor,
    terms: list[str],
    params: dict[str, Any],
    parts: tuple[str, str, str],
    statistics: CorpusStatistics,
    limit: int,
) -> list[Any]:
    """The best ``limit`` hits of the plain ``extra`` query, found score class by score class.

    ``ts_rank`` of a tsvector without positions is a function of the number of query terms it
    holds (PostgreSQL ``src/backend/utils/adt/tsrank.c``: ``calc_rank`` without normalisation
    calls ``calc_rank_or`` for an OR query, which adds the same amount, weight D (0.1) over
    1.64493406685, for every distinct query operand found, since each entry without positions
    counts as the one position of ``POSNULL``, then divides by the number of distinct operands).
    The plain query's score ``ts_rank(terms) + EXTRA_WEIGHT * ts_rank(extra)`` is therefore a
    function of ``(nt, ne)``, the query terms a version holds in each column; the values are
    asked of PostgreSQL itself (:func:`_score_classes`), so the float rounding that orders or
    ties pairs of the same nominal value ``2 nt + ne`` (of 7 terms, ``(7, 4)`` and ``(6, 6)``
    are equal, ``(7, 3)`` is above ``(6, 5)``) is the database's. Versions of one class tie,
    hence follow by factor id.

    Classes are taken from the best down, in stages (:func:`_class_stages`): a stage spanning
    several classes ranks only the versions of those classes (found through the GIN indexes,
    :func:`_held_sql`) ordered as the plain query; a stage of one class needs no rank, only
    ``ORDER BY factor_id``. After :data:`MAX_CLASS_STAGES` stages, the plain query without
    the classes above is the last. The stages are one statement, ``(stage 0 LIMIT n) UNION ALL
    (stage 1 LIMIT n) ... LIMIT n``: one snapshot, one round trip, and PostgreSQL's Append
    runs a stage only while the rows so far are fewer than ``n`` (its children run in turn;
    parallel workers, which could interleave them, are off: :func:`_bitmap_scans`).
    :func:`_postgres_rows` stages queries of at most :data:`MAX_CLASS_TERMS` terms.
    """
    columns, release, where = parts
    rarest = [t for _, t in sorted((statistics.frequency.get(t, 0), t) for t in terms)]
    frequency = [statistics.frequency.get(t, 0) for t in rarest]
    classes = _score_classes(executor, terms, params["q"])
    staged: dict[str, Any] = {**params, "all": terms, "base": len(terms) + 1, "pool": limit}
    source = f"FROM factor_search s{release} CROSS JOIN (SELECT CAST(:q AS tsquery) AS q) AS query"
    selects: list[str] = []
    done: list[int] = []
    for number, stage in enumerate(_class_stages(classes, frequency, statistics.documents)):
        if number == MAX_CLASS_STAGES:  # the rest: the plain query without the classes above
            staged["done"] = done
            selects.append(
                f"SELECT {columns}, {number} AS stage {source} WHERE (s.terms_vector @@ query.q "
                f"OR s.extra_vector @@ query.q){where} AND NOT {_HELD} = ANY(CAST(:done AS "
                f"integer[])) ORDER BY {_RANK} DESC, s.factor_id LIMIT :pool"
            )
            break
        held = [pair for score_class in stage for pair in score_class]
        superset, conditions = _held_sql(held, rarest)
        staged.update(conditions)
        staged[f"held_{number}"] = codes = [nt * staged["base"] + ne for nt, ne in held]
        done += codes
        order = "s.factor_id" if len(stage) == 1 else f"{_RANK} DESC, s.factor_id"
        selects.append(
            f"SELECT {columns}, {number} AS stage {source} WHERE {superset}{where} AND {_HELD} "
            f"= ANY(CAST(:held_{number} AS integer[])) ORDER BY {order} LIMIT :pool"
        )
    sql = selects[0]
    if len(selects) > 1:
        sql = " UNION ALL ".join(f"({select})" for select in selects) + " LIMIT :pool"
    rows = executor.execute(_expanding(text(sql), staged), staged).all()
    return sorted(rows, key=lambda row: row.stage)  # stable: each stage keeps its order


_RANK = f"ts_rank(s.terms_vector, query.q) + {EXTRA_WEIGHT} * ts_rank(s.extra_vector, query.q)"


def _score_classes(executor: Executor, terms: list[str], query: str) -> list[list[Held]]:
    """Every ``(nt, ne)`` but ``(0, 0)``, grouped by equal score, best first.

    The score of a pair is the plain query's rank expression on two tsvectors made of the
    first ``nt`` and ``ne`` query terms (any ``nt`` terms give the same ``ts_rank``, see
    :func:`_score_class_rows`).
    """
    if len(terms) == 1 and 0 < EXTRA_WEIGHT < 1:  # f + w f > f > w f for the term's rank f > 0
        return [[(1, 1)], [(1, 0)], [(0, 1)]]
    return _queried_classes(executor, terms, query)


def _queried_classes(executor: Executor, terms: list[str], query: str) -> list[list[Held]]:
    """:func:`_score_classes` as PostgreSQL computes them (one query)."""
    rows = executor.execute(
        text(
            "SELECT t.m, e.m, ts_rank(array_to_tsvector((CAST(:all AS text[]))[1:t.m]), query.q)"
            f" + {EXTRA_WEIGHT} * ts_rank(array_to_tsvector((CAST(:all AS text[]))[1:e.m]), "
            "query.q) AS score FROM (SELECT CAST(:q AS tsquery) AS q) AS query, "
            "generate_series(0, :k) AS t(m), generate_series(0, :k) AS e(m) "
            "ORDER BY score DESC, t.m DESC, e.m DESC"
        ),
        {"all": terms, "q": query, "k": len(terms)},
    ).all()
    classes: list[list[Held]] = []
    last: float | None = None
    for nt, ne, score in rows:
        if nt == ne == 0:
            continue
        if score != last:
            classes.append([])
            last = score
        classes[-1].append((nt, ne))
    return classes


def _class_stages(
    classes: list[list[Held]], frequency: Sequence[int], documents: int
) -> Iterator[list[list[Held]]]:
    """Runs of consecutive score classes, each ranked in one query.

    A run grows while the versions it ranks number at most :data:`CLASS_STAGE_VERSIONS`, as
    told by ``frequency`` (document frequencies of the query terms in ``terms``, rarest first):
    those holding the ``k - nt + 1`` rarest terms for the least ``nt`` of the run (a condition
    on ``extra`` only narrows that); a class holding no term in ``terms`` is taken as costing
    ``documents`` (``extra`` has no statistics, and a grid region's name brings ``~electricity``
    to thousands of versions). A class over the limit is a stage of its own.
    """
    k = len(frequency)

    def cost(run: list[list[Held]]) -> int:
        least = min(nt for c in run for nt, _ in c)
        return documents if least == 0 else sum(frequency[: k - least + 1])

    start = 0
    while start < len(classes):
        end = start + 1
        while end < len(classes) and cost(classes[start : end + 1]) <= CLASS_STAGE_VERSIONS:
            end += 1
        yield classes[start:end]
        start = end


def _held_sql(held: list[Held], rarest: list[str]) -> tuple[str, dict[str, Any]]:
    """A condition the GIN indexes can answer that every version of the classes ``held`` meets.

    For each pair not above another one, ``terms`` holding at least ``nt`` query terms and
    ``extra`` at least ``ne`` (:func:`_at_least`); the exact counts are checked on the rows.
    """
    least = [
        (nt, ne)
        for nt, ne in sorted(set(held))
        if not any((a, b) != (nt, ne) and a <= nt and b <= ne for a, b in held)
    ]
    params: dict[str, Any] = {}
    ors = []
    for nt, ne in least:
        ands = []
        for column_name, m in (("terms", nt), ("extra", ne)):
            if m:
                name = f"least_{column_name}_{m}"
                params[name] = _at_least(rarest, m)
                ands.append(f"s.{column_name}_vector @@ CAST(:{name} AS tsquery)")
        ors.append("(" + " AND ".join(ands) + ")")
    return "(" + " OR ".join(ors) + ")", params


#: Largest number of ``m``-term conjunctions :func:`_at_least` writes out.
MAX_CONJUNCTIONS = 20


def _at_least(rarest: list[str], m: int) -> str:
    """A tsquery met by a tsvector holding at least ``m`` of the terms (rarest first), or a
    weaker one.

    Exactly: the OR of the ``m``-term ANDs, which the GIN index evaluates on its posting lists
    without reading rows; with more than :data:`MAX_CONJUNCTIONS` of them, the OR of the
    ``k - m + 1`` rarest terms (a version holding ``m`` of ``k`` terms holds one of any
    ``k - m + 1`` of them).
    """
    k = len(rarest)
    if m == 1 or math.comb(k, m) > MAX_CONJUNCTIONS:
        return _tsquery(rarest[: k - m + 1])
    return " | ".join(
        "(" + " & ".join(_tsquery([t]) for t in subset) + ")"
        for subset in itertools.combinations(rarest, m)
    )


@contextmanager
def _bitmap_scans(executor: Executor, *, serial: bool = False) -> Iterator[None]:
    """Within the caller's transaction, have PostgreSQL find hits through the GIN index.

    With its default costs (``random_page_cost`` 4) the planner scans the whole table once a
    query hits a few per cent of the rows, evaluating ``@@`` on every row: 42 ms where the
    GIN bitmap takes 12 ms (6,140 hits of 100,000, docs/matching.md). ``serial`` also turns
    parallel workers off (``max_parallel_workers_per_gather`` 0), so that a Parallel Append
    cannot interleave the stages of :func:`_score_class_rows`. ``set_config(..., true)`` ends
    with the transaction; the previous values are restored after the search.
    """
    settings = {"enable_seqscan": "off"}
    if serial:
        settings["max_parallel_workers_per_gather"] = "0"
    names = list(settings)
    params: dict[str, Any] = {f"name_{i}": name for i, name in enumerate(names)}
    params.update({f"value_{i}": settings[name] for i, name in enumerate(names)})
    reads = ", ".join(
        f"current_setting(:name_{i}), set_config(:name_{i}, :value_{i}, true)"
        for i in range(len(names))
    )
    previous = executor.execute(text(f"SELECT {reads}"), params).one()[0::2]
    yield
    params.update({f"value_{i}": value for i, value in enumerate(previous)})
    writes = ", ".join(f"set_config(:name_{i}, :value_{i}, true)" for i in range(len(names)))
    executor.execute(text(f"SELECT {writes}"), params)


def _tsquery(terms: Iterable[str]) -> str:
    """``'t1' | 't2' ...``: the terms taken as they are (quoted lexemes)."""
    return " | ".join("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in terms)


def _expanding(statement: Any, params: Mapping[str, Any]) -> Any:
    for name in ("dims", "geos", "lics"):
        if name in params:
            statement = statement.bindparams(bindparam(name, expanding=True))
    return statement


def _stages(
    terms: Sequence[str], statistics: CorpusStatistics, limit: int
) -> list[tuple[int, list[str]]]:
    """Bounded candidate sets for a PostgreSQL OR query: ``(least, rarest)`` pairs, tried in turn.

    Without positions every query term a version holds adds the same amount to ``ts_rank``,
    so the rank orders versions by how many query terms they hold (ties by factor id). A
    version holding at least ``least`` of the ``k`` terms holds one of the ``k - least + 1``
    rarest (by document frequency), so ranking only the versions that hold one of those
    (found through the GIN index) *and* at least ``least`` terms gives the true best ``limit``
    whenever that set has ``limit`` versions; otherwise the next, larger stage (then the
    plain query) is tried. Were terms independent, about ``limit`` versions would hold
    ``likely`` terms; a word and its ``~concept`` always come together, so more do, and the
    stage above ``likely`` (rare terms only: cheap) is tried first. A stage whose rare terms
    cover fewer than ``limit`` or more than half of all hits is left out.
    """
    k = len(terms)
    documents = max(statistics.documents, 1)
    frequency = sorted((statistics.frequency.get(t, 0), t) for t in terms)
    total = sum(df for df, _ in frequency)
    if k < 2 or total <= 2 * limit:
        return []
    # holding[m]: share of versions holding exactly m terms, were terms independent.
    holding = [1.0] + [0.0] * k
    for df, _ in frequency:
        p = min(df / documents, 1.0)
        for m in range(k, 0, -1):
            holding[m] = holding[m] * (1 - p) + holding[m - 1] * p
        holding[0] *= 1 - p
    likely = next((m for m in range(k, 0, -1) if documents * sum(holding[m:]) >= limit), 1)
    stages = []
    for least in range(min(likely + 1, k), max(likely, 2) - 1, -1):
        rarest = frequency[: k - least + 1]
        covered = sum(df for df, _ in rarest)
        if covered >= limit and 2 * covered <= total:
            stages.append((least, [t for _, t in rarest]))
    return stages


def _indexed(r: Any) -> IndexedVersion:
    return IndexedVersion(
        id=r.factor_id,
        version=r.version,
        unit=r.unit,
        geography=r.geography,
        year=r.year,
        boundary=r.boundary,
        status=r.status,
        terms=tuple(r.terms.split()),
        extra=tuple(r.extra.split()),
    )


def _filter_sql(filters: Filters) -> tuple[str, dict[str, Any]]:
    parts: list[str] = []
    params: dict[str, Any] = {}
    if filters.release_id is not None:
        params["release_id"] = filters.release_id
    else:
        parts.append("s.latest = :latest")
        params["latest"] = True
    if filters.unit_dimensions is not None:
        parts.append("s.unit_dimension IN :dims")
        params["dims"] = list(filters.unit_dimensions) or [""]
    if filters.geographies is not None:
        parts.append("s.geography IN :geos")
        params["geos"] = list(filters.geographies) or [""]
    for name in ("year", "boundary", "status"):
        value = getattr(filters, name)
        if value is not None:
            parts.append(f"s.{name} = :{name}")
            params[name] = value
    return "".join(f" AND {p}" for p in parts), params


def count(executor: Executor) -> int:
    """Number of indexed versions (all versions, latest or not)."""
    return executor.execute(select(func.count()).select_from(search_rows)).scalar_one()


__all__ = [
    "CANDIDATE_POOL",
    "Filters",
    "IndexSnapshot",
    "IndexedVersion",
    "code_terms",
    "extra_terms",
    "find",
    "include_name",
    "index_versions",
    "is_present",
    "is_search_table",
    "rebuild",
    "set_status",
    "snapshot",
    "text_terms",
    "version_values",
]
