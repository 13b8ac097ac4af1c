"""Factor search on PostgreSQL at 100,000 factors: the plain ranked query against the staged one.

Usage::

    .venv/bin/python bench/search_db.py                       # database tanzuji_search_bench
    .venv/bin/python bench/search_db.py --database tz_x --keep --size 100000

A PostgreSQL database ``--database`` next to ``--postgres`` gets the starter data and synthetic
factors up to ``--size`` (``bench/match.py``: random bilingual names, timing only), then
``VACUUM ANALYZE``; an existing database of that name is used as it is. For each query of
``bench/web.py``'s ``FACTOR_QUERIES`` the terms :meth:`FactorDatabase.search` looks up go to
:func:`tanzuji.store.search.find` with ``extra=True`` twice: without statistics (the plain
query: every hit ranked) and with them (the staged query); both must return the same rows in
the same order. Printed: ms per call (median of ``--repeat`` calls) of each, and of the whole
``FactorDatabase.search(q, limit=10)``. Then the same comparison on the 191 texts of
``bench/match_eval.yaml`` (limits 1, 10 and 200, with filters). The database is dropped
afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text

sys.path.insert(0, str(Path(__file__).parent))

from match import load_items, synthetic_records
from match_db import POSTGRES_URL, postgres_database
from web import FACTOR_QUERIES

from tanzuji.factors.database import FactorDatabase
from tanzuji.factors.starter import load_starter
from tanzuji.store import db, factor_repository
from tanzuji.store import search as search_index


def load(database: FactorDatabase, size: int) -> None:
    """Starter data, then synthetic factors up to ``size``, then planner statistics."""
    starter = load_starter()
    database.add_records(starter, "starter", status="published", reviewer="bench")
    extra = max(size - len(starter), 0)
    synthetic = synthetic_records(extra)
    for i in range(0, extra, 20_000):
        database.add_records(
            synthetic[i : i + 20_000], f"synthetic {i}", status="published", reviewer="bench"
        )
    # planner statistics, and the GIN pending lists merged (as autovacuum does after a while)
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")


def timed(call, repeat: int) -> tuple[float, object]:
    """Median ms of ``repeat`` calls (after one warm-up call) and the last result."""
    result = call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times), result


def find(session: Any, terms: list[str], filters: Any, **kwargs: Any) -> list:
    return search_index.find(session, terms, filters, extra=True, **kwargs)


def measure(database: FactorDatabase, limit: int, repeat: int) -> None:
    filters = search_index.Filters()
    print(f"{'query':<14}{'terms':>6}{'hits':>8}{'plain ms':>10}{'staged ms':>11}{'search ms':>11}")
    totals = [0.0, 0.0, 0.0]
    for query in FACTOR_QUERIES:
        with db.session_scope(database.engine, write=False) as session:
            snapshot = database._snapshot(session)
            terms = factor_repository._query_terms(snapshot, query)
            hits = session.execute(
                text(
                    "SELECT count(*) FROM factor_search s, CAST(:q AS tsquery) q WHERE s.latest "
                    "AND (s.terms_vector @@ q OR s.extra_vector @@ q)"
                ),
                {"q": search_index._tsquery(terms)},
            ).scalar_one()
            plain_ms, plain = timed(partial(find, session, terms, filters, limit=limit), repeat)
            staged_ms, staged = timed(
                partial(find, session, terms, filters, limit=limit, statistics=snapshot.statistics),
                repeat,
            )
        if plain != staged:
            raise SystemExit(f"{query!r}: the staged rows differ from the plain query's")
        search_ms, _ = timed(partial(database.search, query, limit=limit), repeat)
        for i, value in enumerate((plain_ms, staged_ms, search_ms)):
            totals[i] += value
        print(
            f"{query:<14}{len(terms):>6}{hits:>8}{plain_ms:>10.2f}{staged_ms:>11.2f}"
            f"{search_ms:>11.2f}"
        )
    n = len(FACTOR_QUERIES)
    print(
        f"{'mean':<28}{totals[0] / n:>10.2f}{totals[1] / n:>11.2f}{totals[2] / n:>11.2f}"
        f"   (limit {limit}, median of {repeat} calls each)"
    )


def labelled(database: FactorDatabase) -> None:
    """Staged = plain on the texts of ``bench/match_eval.yaml`` (limits 1, 10, 200; no filter, a
    unit dimension, a geography), with the mean ms of each by number of query terms."""
    by_terms: dict[str, list[float]] = {}
    compared = equal = 0
    filter_sets = [search_index.Filters(), search_index.Filters(unit_dimensions=("[mass]",))]
    with db.session_scope(database.engine, write=False) as session:
        snapshot = database._snapshot(session)
        filter_sets.append(search_index.Filters(geographies=snapshot.applicable("CN-GD")))
        for number, item in enumerate(load_items()):
            terms = factor_repository._query_terms(snapshot, item["text"])
            for limit in (1, 10, 200):
                filters = filter_sets[(number + limit) % len(filter_sets)]
                start = time.perf_counter()
                plain = find(session, terms, filters, limit=limit)
                middle = time.perf_counter()
                staged = find(session, terms, filters, limit=limit, statistics=snapshot.statistics)
                end = time.perf_counter()
                compared += 1
                equal += plain == staged
                key = f"{min(len(terms), 5)}{'+' if len(terms) >= 5 else ''} terms"
                times = by_terms.setdefault(key, [0, 0.0, 0.0])
                times[0] += 1
                times[1] += 1000 * (middle - start)
                times[2] += 1000 * (end - middle)
    print(f"labelled texts: {equal} of {compared} searches staged = plain")
    for key, (count, plain_ms, staged_ms) in sorted(by_terms.items()):
        print(
            f"  {key}: {count} searches, plain {plain_ms / count:.1f} ms, staged "
            f"{staged_ms / count:.1f} ms"
        )
    if equal != compared:
        raise SystemExit("the staged rows differ from the plain query's")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="factors in the database")
    parser.add_argument("--postgres", default=POSTGRES_URL, help="PostgreSQL server URL")
    parser.add_argument("--database", default="tanzuji_search_bench", help="database name")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--limit", type=int, default=10, help="hits per search")
    parser.add_argument("--repeat", type=int, default=20, help="timed calls per query")
    args = parser.parse_args()
    found = postgres_database(args.postgres, args.database)
    if found is None:
        raise SystemExit(f"PostgreSQL not reachable at {args.postgres}")
    url, admin, fresh = found
    try:
        database = FactorDatabase.open(url)
        if fresh:
            start = time.perf_counter()
            load(database, args.size)
            print(f"loaded {args.size} factors in {time.perf_counter() - start:.0f} s")
        print(f"{database.indexed_count()} factors in {make_url(url).database}")
        measure(database, args.limit, args.repeat)
        labelled(database)
        database.engine.dispose()
    finally:
        if not args.keep:
            admin.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
