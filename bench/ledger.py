"""Ledger appends per second at 100,000 entries: the frontier + status map against the whole log.

Usage::

    .venv/bin/python bench/ledger.py                      # SQLite, and PostgreSQL if reachable
    .venv/bin/python bench/ledger.py --quick              # 2,000 entries: a smoke run
    .venv/bin/python bench/ledger.py --size 100000 --old-size 10000 --appends 200

For each back end a fresh database (a temporary SQLite file; a new PostgreSQL database next to
``--postgres``, dropped afterwards) is filled in bulk with ``--size`` synthetic ledger entries
(one certificate issued per entry, one in five later suspended, revoked or renewed), their
frontier, status map and newest signed tree head. Then:

* **frontier** (this code): ``--appends`` appends, one transaction each, through
  :class:`tanzuji.store.ledger.SqlEventLog` — lock the state row, extend the frontier, update
  the status map along one path, sign and write the head;
* **whole log** (the code before issue 8, re-enacted here): per append, read every entry,
  recompute the leaf hashes, the root over all of them and the new entry's audit path, sign the
  head and write entry and head — measured on a log of ``--old-size`` entries (it is O(n) per
  append, so 100,000 entries would take seconds per append), and for the like-for-like ratio the
  frontier appends are measured at that size too.

Medians of the per-append times; appends/s = 1 / median. Results go to
``bench/results/ledger-<date>[-quick].json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from sqlalchemy import insert, make_url, select

sys.path.insert(0, str(Path(__file__).parent))

from _common import cpus, versions

from tanzuji.certify import statusmap
from tanzuji.certify.keys import SigningKey
from tanzuji.certify.ledger import (
    Frontier,
    LedgerEntry,
    inclusion_path,
    merkle_root,
    sign_tree_head,
)
from tanzuji.store import ledger as ledger_store
from tanzuji.store.certify_tables import LedgerEntryRow, TreeHeadRow
from tanzuji.store.db import engine_for, session_scope, upgrade
from tanzuji.store.ledger_tables import LedgerStateRow

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
EVENTS = ("suspended", "revoked", "renewed")  # later events about one certificate in five
STATUS = {"issued": "valid", "renewed": "valid", "suspended": "suspended", "revoked": "revoked"}
BATCH = 5000


def synthetic_entries(size: int) -> list[LedgerEntry]:
    """``size`` entries: issuances, and for every fifth certificate one later status event."""
    entries: list[LedgerEntry] = []
    issued = 0
    while len(entries) < size:
        if issued % 5 == 4 and len(entries) % 5 == 4:
            target = issued - 3
            event = EVENTS[target % 3]
            certificate = f"GBA-CFL-2025-{target:06d}"
        else:
            issued += 1
            event, certificate = "issued", f"GBA-CFL-2025-{issued:06d}"
        entries.append(
            LedgerEntry(
                index=len(entries),
                event=event,
                certificate_id=certificate,
                certificate_sha256=f"{len(entries):064x}",
                status=STATUS[event],
                at=NOW.isoformat(),
            )
        )
    return entries


def fill(engine, entries: list[LedgerEntry], key: SigningKey) -> float:
    """Write ``entries`` with their frontier, status map and newest head in bulk; seconds."""
    start = time.perf_counter()
    leaves = [e.leaf() for e in entries]
    frontier = Frontier.of(leaves)
    latest = {
        statusmap.map_key(e.certificate_id): leaf for e, leaf in zip(entries, leaves, strict=True)
    }
    map_root, branches = statusmap.build(latest.items())
    head = sign_tree_head(key, frontier.size, frontier.root(), map_root, NOW)
    with session_scope(engine) as session:
        for at in range(0, len(entries), BATCH):
            rows = [
                {
                    "index": e.index,
                    "certificate_id": e.certificate_id,
                    "event": e.event,
                    "leaf_hash": leaf.hex(),
                    "entry": e.model_dump(mode="json"),
                }
                for e, leaf in zip(entries[at : at + BATCH], leaves[at : at + BATCH], strict=True)
            ]
            session.execute(insert(LedgerEntryRow), rows)
        ledger_store.write_map(session, latest, branches)
        session.add(TreeHeadRow(**head.model_dump()))
        state = session.get(LedgerStateRow, ledger_store.STATE_ID)
        state.tree_size = frontier.size
        state.frontier = [h.hex() for h in frontier.hashes]
        state.map_root = map_root.hex()
    return time.perf_counter() - start


def frontier_append(engine, key: SigningKey, n: int) -> None:
    with session_scope(engine) as session:
        ledger_store.SqlEventLog(session).append_event(
            "issued", f"BENCH-{n:06d}", f"{n:064x}", "valid", NOW, "", key
        )


def whole_log_append(engine, key: SigningKey, n: int) -> None:
    """What an append cost before issue 8: the whole log read and hashed per event."""
    with session_scope(engine) as session:
        rows = session.scalars(select(LedgerEntryRow.entry).order_by(LedgerEntryRow.index))
        entries = [LedgerEntry.model_validate(r) for r in rows]
        entry = LedgerEntry(
            index=len(entries),
            event="issued",
            certificate_id=f"BENCH-{n:06d}",
            certificate_sha256=f"{n:064x}",
            status="valid",
            at=NOW.isoformat(),
        )
        leaves = [e.leaf() for e in entries] + [entry.leaf()]
        root = merkle_root(leaves)
        inclusion_path(entry.index, leaves)  # the token carried it
        head = sign_tree_head(key, len(leaves), root, statusmap.EMPTY_ROOT, NOW)
        session.add(
            LedgerEntryRow(
                index=entry.index,
                certificate_id=entry.certificate_id,
                event=entry.event,
                leaf_hash=leaves[-1].hex(),
                entry=entry.model_dump(mode="json"),
            )
        )
        session.add(TreeHeadRow(**head.model_dump()))


def timed(function, engine, key, count: int, warmup: int, offset: int) -> list[float]:
    for i in range(warmup):
        function(engine, key, offset + i)
    times = []
    for i in range(count):
        start = time.perf_counter()
        function(engine, key, offset + warmup + i)
        times.append(time.perf_counter() - start)
    return times


def summary(times: list[float]) -> dict[str, float]:
    median = statistics.median(times)
    return {
        "median_ms": 1000 * median,
        "p95_ms": 1000 * sorted(times)[int(0.95 * (len(times) - 1))],
        "appends_per_s": 1 / median,
        "n": len(times),
    }


def database(label: str, postgres: str | None, folder: Path, name: str):
    """(url, cleanup) of a fresh database."""
    if label == "sqlite":
        return f"sqlite:///{folder / f'{name}.db'}", lambda: None
    server = make_url(postgres)
    database_name = f"tanzuji_bench_{secrets.token_hex(4)}"
    admin = psycopg.connect(
        host=server.host,
        port=server.port or 5432,
        user=server.username,
        dbname="postgres",
        autocommit=True,
    )
    admin.execute(f'CREATE DATABASE "{database_name}"')

    def drop() -> None:
        admin.execute(f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)')
        admin.close()

    url = server.set(database=database_name).render_as_string(hide_password=False)
    return url, drop


def run_backend(label: str, args, folder: Path, key: SigningKey) -> dict:
    results: dict = {}
    for size, approaches in (
        (args.size, ("frontier",)),
        (args.old_size, ("frontier", "whole_log")),
    ):
        url, cleanup = database(label, args.postgres, folder, f"{label}-{size}")
        engine = engine_for(url)
        try:
            upgrade(engine)
            seconds = fill(engine, synthetic_entries(size), key)
            print(f"{label}: filled {size} entries in {seconds:.1f} s", flush=True)
            for approach in approaches:
                function = frontier_append if approach == "frontier" else whole_log_append
                count = args.appends if approach == "frontier" else args.old_appends
                offset = 0 if approach == "frontier" else 100_000
                times = timed(function, engine, key, count, args.warmup, offset)
                results[f"{approach}@{size}"] = summary(times)
                stats = results[f"{approach}@{size}"]
                print(
                    f"  {approach:9s} at {size:>7,}: {stats['median_ms']:8.2f} ms median, "
                    f"{stats['appends_per_s']:8.1f} appends/s (n={count})",
                    flush=True,
                )
        finally:
            engine.dispose()
            cleanup()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--old-size", type=int, default=10_000)
    parser.add_argument("--appends", type=int, default=200)
    parser.add_argument("--old-appends", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--postgres", default=POSTGRES_URL)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--quick", action="store_true", help="2,000/500 entries, few appends")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    if args.quick:
        args.size, args.old_size, args.appends, args.old_appends, args.warmup = 2000, 500, 10, 3, 1
    backends = ["sqlite"]
    if not args.no_postgres:
        try:
            psycopg.connect(
                host=make_url(args.postgres).host,
                user=make_url(args.postgres).username,
                dbname="postgres",
                connect_timeout=3,
            ).close()
            backends.append("postgresql")
        except psycopg.OperationalError:
            print("PostgreSQL not reachable: SQLite only", flush=True)
    key = SigningKey.generate()
    with tempfile.TemporaryDirectory() as folder:
        results = {b: run_backend(b, args, Path(folder), key) for b in backends}
    for figures in results.values():
        old = figures[f"whole_log@{args.old_size}"]["median_ms"]
        new = figures[f"frontier@{args.old_size}"]["median_ms"]
        figures["speedup_at_old_size"] = old / new
    record = {
        "command": " ".join(sys.argv),
        "date": dt.date.today().isoformat(),
        "versions": versions(),
        "cpus": cpus(),
        "size": args.size,
        "old_size": args.old_size,
        "results": results,
    }
    name = f"ledger-{record['date']}{'-quick' if args.quick else ''}.json"
    output = args.output or Path(__file__).parent / "results" / name
    output.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"written {output}")


if __name__ == "__main__":
    main()
