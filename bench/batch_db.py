"""Benchmark: batch footprints with the database as source and sink (issue 14).

Usage::

    .venv/bin/python bench/batch_db.py                          # 10^6 variants x 10 inputs
    .venv/bin/python bench/batch_db.py --variants 100000 --sqlite
    .venv/bin/python bench/batch_db.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

A new PostgreSQL database next to the ``--postgres`` one (dropped afterwards unless
``--keep``), migrated, gets a table ``variants (variant_id BIGINT, input_id TEXT, amount
FLOAT)`` of ``--variants`` variants of ``--inputs`` rows each (inputs drawn among the kettle's
activities of docs/model.md, lognormal amounts; loaded by COPY, inserted in random order of
blocks). Then, each timed on its own:

1. **read, COPY**: every row through :func:`tanzuji.store.batch.variant_batches` (``COPY
   (SELECT ... ORDER BY ...) TO STDOUT`` parsed by Arrow), rows/s: first on the bare table
   (the server sorts), then after ``CREATE INDEX ... (variant_id, input_id COLLATE "C",
   amount)`` and ``VACUUM ANALYZE`` (an index-only scan in the read order: no sort);
2. **read, cursor**: the same through a server-side cursor (``--cursor-rows`` rows of it: it
   is the slow path), rows/s;
3. **write**: ``--variants`` results through :class:`tanzuji.store.batch.DatabaseResults`
   (COPY FROM STDIN in one transaction, committed with the run's status), variants/s;
4. **end to end**: ``tanzuji batch db:variants --to-db`` (the service, on the indexed table),
   rows/s and variants/s, and the growth of the resident set (``VmHWM``) during it;
5. **export**: the run's results back to Parquet (``batch-results RUN --out``), variants/s.

``--sqlite`` repeats 1, 3, 4 and 5 on a temporary SQLite file (cursor read, executemany).
Results: ``bench/results/batch-db-<date>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.csv as csv
from sqlalchemy import make_url, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import cpus, versions

from tanzuji.context import Context
from tanzuji.scale import batch
from tanzuji.services import batch as batch_service
from tanzuji.services.calculation import ModelInput
from tanzuji.settings import Settings
from tanzuji.store import batch as batch_store
from tanzuji.store import db

RESULTS = Path(__file__).resolve().parent / "results"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DOCS = Path(__file__).resolve().parents[1] / "docs"
KETTLE = (DOCS / "model.md").read_text(encoding="utf-8").split("```yaml\n", 1)[1].split("```")[0]
INPUTS = ["assembly", "delivery", "factor:grid", "factor:steel", "steel_body"]
BLOCK = 100_000  # variants generated and loaded at a time


def _hwm_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _reset_hwm() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _block(start: int, count: int, per_variant: int, rng: np.random.Generator) -> pa.Table:
    ids = np.repeat(np.arange(start, start + count, dtype=np.int64), per_variant)
    names = np.array(INPUTS)[rng.integers(0, len(INPUTS), ids.size)]
    return pa.table({"variant_id": ids, "input_id": names, "amount": rng.lognormal(size=ids.size)})


def load(ctx: Context, variants_count: int, per_variant: int) -> float:
    """The ``variants`` table; seconds taken. Blocks are loaded in random order, so the table
    is not already sorted."""
    engine = ctx.require_database().engine
    rng = np.random.default_rng(14)
    starts = rng.permutation(np.arange(0, variants_count, BLOCK))
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS variants"))
        connection.execute(
            text("CREATE TABLE variants (variant_id BIGINT, input_id TEXT, amount FLOAT)")
        )
        postgres = engine.dialect.name == "postgresql"
        for start in starts.tolist():
            table = _block(start, min(BLOCK, variants_count - start), per_variant, rng)
            if postgres:
                sink = pa.BufferOutputStream()
                csv.write_csv(table, sink, csv.WriteOptions(include_header=False))
                raw: Any = connection.connection.driver_connection
                with (
                    raw.cursor() as cursor,
                    cursor.copy("COPY variants FROM STDIN (FORMAT csv)") as copy,
                ):
                    copy.write(memoryview(sink.getvalue()))
            else:
                rows = zip(*(table[c].to_pylist() for c in table.column_names), strict=True)
                connection.exec_driver_sql("INSERT INTO variants VALUES (?, ?, ?)", list(rows))
        if postgres:
            connection.exec_driver_sql("ANALYZE variants")
    return time.perf_counter() - started


def index(ctx: Context) -> float:
    """The index in the source's read order (docs/scale.md); seconds taken."""
    engine = ctx.require_database().engine
    postgres = engine.dialect.name == "postgresql"
    collation = '"C"' if postgres else "BINARY"
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.exec_driver_sql(
            f"CREATE INDEX variants_read_order ON variants "
            f"(variant_id, input_id COLLATE {collation}, amount)"
        )
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.exec_driver_sql("VACUUM ANALYZE variants" if postgres else "ANALYZE")
    return time.perf_counter() - started


def read(ctx: Context, chunk_rows: int, method: str, limit: int | None = None) -> dict[str, Any]:
    engine = ctx.require_database().engine
    table = batch_store.variant_table(engine, "db:variants")
    started = time.perf_counter()
    rows = 0
    for part in batch_store.variant_batches(engine, table, chunk_rows, method=method):
        rows += part.num_rows
        if limit is not None and rows >= limit:
            break
    seconds = time.perf_counter() - started
    return {"method": method, "rows": rows, "seconds": seconds, "rows_per_s": rows / seconds}


def write(ctx: Context, variants_count: int, chunk_variants: int) -> dict[str, Any]:
    database = ctx.require_database()
    run_id = batch_store.start_run(
        database,
        snapshot_key="bench" * 12 + "0000",
        release="bench",
        model_hash="bench",
        gwp_set="AR6",
        gases=(),
        source="bench",
        now=ctx.now(),
    )
    rng = np.random.default_rng(2)
    chunks = [
        batch.ScoredChunk(
            pa.array(np.arange(s, min(s + chunk_variants, variants_count), dtype=np.int64)),
            rng.lognormal(size=min(chunk_variants, variants_count - s)),
        )
        for s in range(0, variants_count, chunk_variants)
    ]
    sink = batch_store.DatabaseResults(database, run_id)
    started = time.perf_counter()
    for chunk in chunks:
        sink.write(chunk)
    sink.commit()
    seconds = time.perf_counter() - started
    with database.engine.begin() as connection:  # not kept: only the end-to-end run is
        connection.execute(text("DELETE FROM batch_results WHERE run_id = :id"), {"id": run_id})
        connection.execute(text("DELETE FROM batch_runs WHERE id = :id"), {"id": run_id})
    return {
        "variants": variants_count,
        "seconds": seconds,
        "variants_per_s": variants_count / seconds,
    }


def end_to_end(ctx: Context, chunk_rows: int, workdir: Path) -> dict[str, Any]:
    request = batch_service.BatchRequest(
        model=ModelInput(name="kettle.yaml", text=KETTLE),
        release="builtin",
        variants="db:variants",
        to_database=True,
        chunk_rows=chunk_rows,
    )
    batch_service.snapshot_intensities(ctx, request)  # the snapshot is not what is measured
    _reset_hwm()
    before = _hwm_kib()
    started = time.perf_counter()
    result = batch_service.run_batch(ctx, request)
    seconds = time.perf_counter() - started
    growth = _hwm_kib() - before
    out = workdir / "export.parquet"
    started = time.perf_counter()
    exported = batch_service.export_batch_results(
        ctx, batch_service.BatchExportRequest(run_id=str(result.run_id), out=str(out))
    )
    export_s = time.perf_counter() - started
    return {
        "run_id": result.run_id,
        "variants": result.variants,
        "rows": result.rows,
        "chunks": result.chunks,
        "seconds": seconds,
        "rows_per_s": result.rows / seconds,
        "variants_per_s": result.variants / seconds,
        "peak_rss_growth_mib": growth / 1024,
        "export_seconds": export_s,
        "export_variants_per_s": exported.variants / export_s,
    }


def measure(label: str, url: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    db.database_for(url).upgrade()
    settings = Settings.defaults().replace(data_dir=str(workdir / label), database_url=url)
    ctx = Context.from_settings(settings)
    rows = args.variants * args.inputs
    print(f"{label}: loading {args.variants:,} variants x {args.inputs} = {rows:,} rows")
    out: dict[str, Any] = {"load_seconds": load(ctx, args.variants, args.inputs)}
    print(f"  loaded in {out['load_seconds']:.1f} s")
    postgres = ctx.require_database().backend == "postgresql"
    method = "copy" if postgres else "cursor"
    out["read"] = read(ctx, args.chunk_rows, method)
    print(f"  read ({method}), no index: {out['read']['rows_per_s']:,.0f} rows/s")
    out["index_seconds"] = index(ctx)
    print(f"  index built in {out['index_seconds']:.1f} s")
    out["read_indexed"] = read(ctx, args.chunk_rows, method)
    print(f"  read ({method}), indexed: {out['read_indexed']['rows_per_s']:,.0f} rows/s")
    if postgres:
        out["read_cursor"] = read(ctx, args.chunk_rows, "cursor", args.cursor_rows)
        print(f"  read (cursor), indexed: {out['read_cursor']['rows_per_s']:,.0f} rows/s")
    out["write"] = write(ctx, args.variants, max(1, args.chunk_rows // args.inputs))
    print(f"  write results: {out['write']['variants_per_s']:,.0f} variants/s")
    out["end_to_end"] = end_to_end(ctx, args.chunk_rows, workdir)
    e2e = out["end_to_end"]
    print(
        f"  end to end (table -> database): {e2e['seconds']:.1f} s, {e2e['rows_per_s']:,.0f} "
        f"rows/s, {e2e['variants_per_s']:,.0f} variants/s, peak RSS growth "
        f"{e2e['peak_rss_growth_mib']:.0f} MiB"
    )
    print(f"  export to Parquet: {e2e['export_variants_per_s']:,.0f} variants/s")
    db.close_all()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", type=int, default=1_000_000)
    parser.add_argument("--inputs", type=int, default=10)
    parser.add_argument("--chunk-rows", type=int, default=1_000_000)
    parser.add_argument("--cursor-rows", type=int, default=2_000_000)
    parser.add_argument("--postgres", default=POSTGRES_URL)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    args = parser.parse_args()
    report: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "versions": versions(),
        "cpus": cpus(),
        "load_average": os.getloadavg(),
        "variants": args.variants,
        "inputs": args.inputs,
        "chunk_rows": args.chunk_rows,
    }
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        if not args.no_postgres:
            server = make_url(args.postgres)
            name = f"tanzuji_bench_batch_{secrets.token_hex(3)}"
            admin = psycopg.connect(
                host=server.host, port=server.port or 5432, user=server.username,
                dbname=server.database, autocommit=True,
            )  # fmt: skip
            admin.execute(f'CREATE DATABASE "{name}"')
            try:
                url = server.set(database=name).render_as_string(hide_password=False)
                report["postgresql"] = measure("postgresql", url, args, workdir)
            finally:
                db.close_all()
                if not args.keep:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.close()
        if args.sqlite:
            url = f"sqlite:///{workdir / 'bench.db'}"
            report["sqlite"] = measure("sqlite", url, args, workdir)
    report["load_average_after"] = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"batch-db-{report['date']}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written {path}")


if __name__ == "__main__":
    main()
