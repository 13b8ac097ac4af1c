"""Matching through the database search index: recall and latency at 100,000 factors.

Usage::

    .venv/bin/python bench/match_db.py                 # SQLite, and PostgreSQL if reachable
    .venv/bin/python bench/match_db.py --size 20000
    .venv/bin/python bench/match_db.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

For each back end: a fresh database (a temporary SQLite file; a new PostgreSQL database next
to the ``--postgres`` one, dropped afterwards) gets the starter data, recall@1/@5 of
:meth:`FactorDatabase.match` is measured on ``bench/match_eval.yaml``, then synthetic factors
(``bench/match.py``: random bilingual names, timing only) bring it to ``--size`` factors and
the latency of ``match()`` over the evaluation queries is measured (two passes after a
warm-up; p50 and p95 over all calls).
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from sqlalchemy import make_url

sys.path.insert(0, str(Path(__file__).parent))

from match import evaluate, load_items, p95, synthetic_records

from tanzuji.factors.database import FactorDatabase
from tanzuji.factors.starter import load_starter

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def run(label: str, url: str, size: int, items: list[dict]) -> None:
    database = FactorDatabase.open(url)
    starter = load_starter()
    database.add_records(starter, "starter", status="published", reviewer="bench")
    result = evaluate(database, items)
    print(f"{label}: starter database, {len(starter)} factors, {len(items)} labelled activities")
    print(f"  recall@1 = {result['recall@1']:.3f}   recall@5 = {result['recall@5']:.3f}")
    extra = max(size - len(starter), 0)
    start = time.perf_counter()
    batch = 20_000
    synthetic = synthetic_records(extra)
    for i in range(0, extra, batch):
        database.add_records(
            synthetic[i : i + batch], f"synthetic {i}", status="published", reviewer="bench"
        )
    if database.engine.dialect.name == "postgresql":
        with database.engine.begin() as connection:  # planner statistics after a bulk load
            connection.exec_driver_sql("ANALYZE")
    load_s = time.perf_counter() - start
    evaluate(database, items[:10])  # warm-up: statistics cache, unit caches
    latencies = evaluate(database, items)["latencies"] + evaluate(database, items)["latencies"]
    print(
        f"{label}: {database.indexed_count()} factors (starter + synthetic), "
        f"loaded and indexed in {load_s:.1f} s"
    )
    print(
        f"  match() latency p50 = {statistics.median(latencies):.2f} ms   "
        f"p95 = {p95(latencies):.2f} ms   max = {max(latencies):.1f} ms "
        f"({len(latencies)} queries)"
    )
    database.engine.dispose()


def postgres_database(
    server_url: str, name: str | None = None
) -> tuple[str, psycopg.Connection, bool] | None:
    """A new, empty PostgreSQL database next to ``server_url`` (None if unreachable): its URL,
    a connection to the server and True. With ``name``, that database, made if missing (True)
    or kept as it is (False)."""
    server = make_url(server_url)
    try:
        admin = psycopg.connect(
            host=server.host or "127.0.0.1",
            port=server.port or 5432,
            user=server.username or "postgres",
            dbname=server.database or "postgres",
            autocommit=True,
            connect_timeout=3,
        )
    except psycopg.OperationalError:
        return None
    fresh = True
    if name is None:
        name = f"tanzuji_bench_{secrets.token_hex(4)}"
    else:
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        fresh = found is None
    if fresh:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = server.set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False), admin, fresh


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="factors in the database")
    parser.add_argument("--postgres", default=POSTGRES_URL, help="PostgreSQL server URL")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    items = load_items()

    with tempfile.TemporaryDirectory() as folder:
        run("SQLite", f"sqlite:///{Path(folder) / 'bench.db'}", args.size, items)
    if args.no_postgres:
        return
    found = postgres_database(args.postgres)
    if found is None:
        print(f"PostgreSQL not reachable at {args.postgres}: skipped")
        return
    url, admin, _ = found
    try:
        run("PostgreSQL", url, args.size, items)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
