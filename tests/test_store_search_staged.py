"""PostgreSQL factor search with ``extra``: the staged query (score classes) equals the plain one.

The independent implementation is PostgreSQL's own plain query, ``ORDER BY ts_rank(terms) +
0.5 ts_rank(extra) DESC, factor_id`` over every hit (``search.find`` without statistics); the
staged query (``search._score_class_rows``) must return the same rows in the same order for
random queries, limits and filters on a corpus made for ties: 600 factors whose names draw
from 12 words, so that many versions hold the same number of query terms, with codes and
place names that only ``extra`` holds.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, make_url, select, text

from conftest import POSTGRES_URL, _admin_connection
from tanzuji.store import db, search
from tanzuji.store.factor_repository import FactorDatabase
from test_store_factors import LICENCE, MEE_2022

WORDS_EN = ["steel", "cement", "diesel", "truck", "coal", "glass"]
WORDS_ZH = ["钢铁", "水泥", "柴油", "货车", "煤炭", "玻璃"]
PLACES = ["CN", "CN-GD", "GB", "US", "DE", "GLO"]
UNITS = ["kg", "t", "kWh", "MJ", "tkm"]
LICENCES = [LICENCE, "CC-BY-4.0: synthetic test data", "LicenseRef-Test: non-commercial"]
CODES = ["D3510", "C2410", "2710.19", "H4923"]


def corpus(count: int, seed: int) -> list[dict[str, Any]]:
    """Factors with names of 1-4 of :data:`WORDS_EN` / :data:`WORDS_ZH` (test input)."""
    rng = random.Random(seed)
    records = []
    for i in range(count):
        english = rng.sample(WORDS_EN, rng.randint(1, 3))
        chinese = rng.sample(WORDS_ZH, rng.randint(0, 2))
        records.append(
            {
                "id": f"staged.{i:04d}",
                "name_en": " ".join(english) + " factor",
                "name_zh": "".join(chinese) or "排放因子",
                "unit": rng.choice(UNITS),
                "gases": [{"gas": "CO2", "amount_kg": 1.0}],
                "geography": rng.choice(PLACES),
                "year": rng.randint(2020, 2024),
                "boundary": "cradle_to_gate",
                "source": MEE_2022,
                "licence": rng.choice(LICENCES),
                "classification": ({"isic": rng.choice(CODES)} if rng.random() < 0.3 else {}),
            }
        )
    return records


@pytest.fixture(scope="module")
def staged_db() -> Iterator[FactorDatabase]:
    """600 factors, a release pinning them, then new versions of a third of them."""
    server = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    try:
        admin = _admin_connection(server)
    except Exception:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: skipped")
    name = f"tanzuji_staged_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    database = FactorDatabase.open(server.set(database=name).render_as_string(False))
    records = corpus(600, seed=11)
    database.add_records(records, "staged", status="published", reviewer="test")
    database.create_release("staged.1")
    changed = [
        {**r, "name_en": r["name_en"].replace("factor", "coal factor")} for r in records[::3]
    ]
    database.add_records(changed, "staged 2", status="published", reviewer="test")
    yield database
    database.engine.dispose()
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def query_pool(database: FactorDatabase) -> list[str]:
    """Terms to draw queries from: every indexed term (``terms`` and ``extra``) and one
    unknown."""
    with db.session_scope(database.engine, write=False) as session:
        rows = session.execute(select(search.search_rows.c.terms, search.search_rows.c.extra))
        found = {t for terms, extra in rows for t in (terms + " " + extra).split()}
    return [*sorted(found), "nowhere"]


@pytest.mark.parametrize("budget", [0, 40, search.CLASS_STAGE_VERSIONS])
def test_staged_extra_search_equals_the_plain_query(staged_db, monkeypatch, budget):
    """Random queries of 1-7 terms (7: the rarest-terms form of ``search._at_least``), limits
    1-80, every filter; stages of one class (budget 0, which also reaches the plain query after
    ``MAX_CLASS_STAGES``), of a few classes (40) and of all classes (the default here)."""
    monkeypatch.setattr(search, "CLASS_STAGE_VERSIONS", budget)
    monkeypatch.setattr(search, "MAX_CLASS_TERMS", 7)  # the stages are exact at any length
    pool = query_pool(staged_db)
    extra_only = [t for t in pool if t in {"d3510", "c2410", "2710.19", "china", "广东", "gb"}]
    assert len(extra_only) >= 4, extra_only  # codes and place names are searchable
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(staged_db.engine, "before_cursor_execute", record)
    rng = random.Random(budget)
    staged_answers = compared = 0
    with db.session_scope(staged_db.engine, write=False) as session:
        snapshot = search.snapshot(session)
        release_id = session.execute(
            text("SELECT id FROM factor_releases WHERE name = 'staged.1'")
        ).scalar_one()
        filter_sets = [
            search.Filters(),
            search.Filters(geographies=("CN", "CN-GD")),
            search.Filters(unit_dimensions=("[mass]",)),
            search.Filters(release_id=release_id),
            search.Filters(licences=(LICENCE, "CC-BY-4.0: synthetic test data")),
            search.Filters(status="published", year=2022),
        ]
        for i in range(150):
            k = rng.choice([1, 1, 2, 3, 4, 7])
            terms = rng.sample(pool, k)
            if i % 5 == 0:
                terms[0] = rng.choice(extra_only)
            filters = filter_sets[i % len(filter_sets)]
            for limit in (1, rng.randint(2, 15), 80):
                plain = search.find(session, terms, filters, extra=True, limit=limit)
                statements.clear()
                staged = search.find(
                    session,
                    terms,
                    filters,
                    extra=True,
                    limit=limit,
                    statistics=snapshot.statistics,
                )
                assert [(r.id, r.version) for r in staged] == [(r.id, r.version) for r in plain], (
                    terms,
                    filters,
                    limit,
                )
                compared += bool(plain)
                staged_answers += any(" AS stage " in s for s in statements)
    event.remove(staged_db.engine, "before_cursor_execute", record)
    assert compared >= 300, compared  # most queries hit something
    assert staged_answers == 450, staged_answers  # the staged statement answered every query


def test_score_classes_follow_the_float_ranks_of_postgresql(staged_db):
    """Pairs of the same nominal value 2 nt + ne are ordered (or tied) by PostgreSQL's float
    arithmetic, not by that value: with 7 terms (7, 4) and (6, 6) tie, (7, 3) is above (6, 5)
    (queried values, see ``search._score_class_rows``); distinct nominal values never cross."""
    terms = list("abcdefg")
    with db.session_scope(staged_db.engine, write=False) as session:
        classes = search._score_classes(session, terms, search._tsquery(terms))
    order = [pair for score_class in classes for pair in score_class]
    assert sorted(order) == sorted((t, e) for t in range(8) for e in range(8) if t or e)
    assert [(7, 4), (6, 6)] in classes
    assert order.index((7, 3)) < order.index((6, 5))
    nominal = [2 * t + e for t, e in order]
    assert nominal == sorted(nominal, reverse=True)


def test_single_term_order_is_both_columns_then_terms_then_extra(staged_db):
    """One term: hits holding it in both columns, then in ``terms`` only, then in ``extra`` only
    (ts_rank 1/1.6449 x 0.1 per column, extra x 0.5), each by factor id."""
    with db.session_scope(staged_db.engine, write=False) as session:
        queried = search._queried_classes(session, ["steel"], search._tsquery(["steel"]))
        assert search._score_classes(session, ["steel"], "'steel'") == queried
    assert queried == [[(1, 1)], [(1, 0)], [(0, 1)]]


def test_the_planner_settings_are_restored_after_a_search(staged_db):
    """``enable_seqscan`` and ``max_parallel_workers_per_gather`` are set for the staged search
    only: the caller's transaction has its own values afterwards."""
    with db.session_scope(staged_db.engine, write=False) as session:
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 1"))
        statistics = search.snapshot(session).statistics
        found = search.find(
            session, ["steel", "d3510"], search.Filters(), extra=True, statistics=statistics
        )
        settings = session.execute(
            text(
                "SELECT current_setting('enable_seqscan'), "
                "current_setting('max_parallel_workers_per_gather')"
            )
        ).one()
    assert found
    assert tuple(settings) == ("on", "1")
