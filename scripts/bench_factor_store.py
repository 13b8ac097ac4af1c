"""Time the factor store on synthetic factors: bulk import, release, resolve, read all.

Usage: ``.venv/bin/python scripts/bench_factor_store.py [DATABASE_URL] [N]`` (default: a
temporary SQLite file, N = 100000). Give an empty PostgreSQL database to time PostgreSQL. The
factors are synthetic (timing only, never for results).
"""

from __future__ import annotations

import sys
import tempfile
import time

from tanzuji.factors.database import DatabaseFactorSource, FactorDatabase
from tanzuji.factors.record import FactorRecord


def main() -> None:
    url = (sys.argv[1:2] or [""])[0] or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    database = FactorDatabase.open(url)
    records = [
        FactorRecord(
            id=f"synthetic-{i}",
            name_en=f"synthetic factor {i}",
            unit="kg",
            kg_co2e=1.0,
            source={"publisher": "synthetic", "document": "timing only"},
            licence="CC0",
        )
        for i in range(n)
    ]
    start = time.perf_counter()
    database.add_records(records, "synthetic", status="published", reviewer="bench")
    imported = time.perf_counter() - start
    start = time.perf_counter()
    database.create_release("bench.1")
    released = time.perf_counter() - start
    source = DatabaseFactorSource(database.engine)
    step = max(1, n // 200)
    refs = [f"synthetic-{i}" for i in range(0, n, step)]
    start = time.perf_counter()
    for ref in refs:
        source.resolve(ref)
    resolve_ms = 1000 * (time.perf_counter() - start) / len(refs)
    start = time.perf_counter()
    database.records()
    read_all = time.perf_counter() - start
    backend = database.engine.url.get_backend_name()
    print(
        f"{backend} n={n}: import {imported:.2f} s, release {released:.2f} s, "
        f"resolve {resolve_ms:.2f} ms, records() {read_all:.2f} s"
    )
    database.engine.dispose()


if __name__ == "__main__":
    main()
