"""Batch footprints and the database: variants from a table or view (``db:TABLE``), results
to ``batch_runs`` / ``batch_results`` and back, on SQLite and PostgreSQL.

Expected numbers: the kettle of docs/model.md (delivery 2.1324696 kg CO2e per piece and
steel_body 2.0 kg CO2e per piece by hand there, as in tests/test_scale_batch.py), and the
Parquet source and sink of the same rows (bitwise: a differential test of the two paths).
"""

from __future__ import annotations

import re
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import text

from tanzuji.cli import main
from tanzuji.cli.inputs import model_input
from tanzuji.context import Context
from tanzuji.errors import BatchInputError, NotFound
from tanzuji.scale import batch, variants
from tanzuji.scale.snapshot import activity_index
from tanzuji.services import batch as batch_service
from tanzuji.services.calculation import ModelInput
from tanzuji.settings import Settings
from tanzuji.store import batch as batch_store
from tanzuji.store import db

KETTLE = (Path(__file__).resolve().parents[1] / "docs" / "model.md").read_text(encoding="utf-8")
KETTLE_YAML = KETTLE.split("```yaml\n", 1)[1].split("```", 1)[0]
# Inputs of the kettle (`tanzuji intensities kettle.yaml --release builtin`).
INPUTS = ["assembly", "delivery", "factor:grid", "factor:steel", "steel_body"]


def kettle() -> ModelInput:
    return ModelInput(name="kettle.yaml", text=KETTLE_YAML)


@pytest.fixture
def ctx(database_url: str, tmp_path: Path) -> Context:
    """A context on the migrated database (SQLite file or PostgreSQL)."""
    db.database_for(database_url).upgrade()
    settings = Settings.defaults().replace(
        data_dir=str(tmp_path / "data"), database_url=database_url
    )
    return Context.from_settings(settings)


def _engine(ctx: Context):
    return ctx.require_database().engine


def _load(ctx: Context, name: str, rows: list[tuple], ddl: str | None = None) -> None:
    """Table ``name`` holding ``rows`` (inserted in the given order)."""
    engine = _engine(ctx)
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {name}"))
        connection.execute(
            text(ddl or f"CREATE TABLE {name} (variant_id BIGINT, input_id TEXT, amount FLOAT)")
        )
        if rows:
            connection.execute(
                text(f"INSERT INTO {name} VALUES (:v, :i, :a)"),
                [{"v": v, "i": i, "a": a} for v, i, a in rows],
            )


def _random_rows(count: int, seed: int = 3) -> list[tuple[int, str, float]]:
    """``count`` variants of 1 to 5 inputs, ids not contiguous, inserted in shuffled order."""
    rng = np.random.default_rng(seed)
    rows = []
    for variant in rng.choice(10 * count, size=count, replace=False):
        for _ in range(int(rng.integers(1, 6))):
            rows.append((int(variant), INPUTS[int(rng.integers(0, 5))], float(rng.lognormal())))
    order = rng.permutation(len(rows))
    return [rows[k] for k in order]


def _parquet(path: Path, rows: list[tuple], id_type: pa.DataType = pa.int64()) -> Path:
    ids, inputs, amounts = zip(*rows, strict=True)
    table = pa.table(
        {
            "variant_id": pa.array(ids, id_type),
            "input_id": pa.array(inputs),
            "amount": pa.array(amounts, pa.float64()),
        }
    )
    pq.write_table(table, path, row_group_size=700)
    return path


def _run(ctx: Context, source: str, **kwargs) -> batch_service.BatchResult:
    request = batch_service.BatchRequest(
        model=kettle(), release="builtin", variants=source, **kwargs
    )
    return batch_service.run_batch(ctx, request)


def _count(ctx: Context, sql: str) -> int:
    with _engine(ctx).connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


# -- the database source ----------------------------------------------------------------------
def test_kettle_variants_from_a_table_by_hand(ctx: Context, tmp_path: Path):
    # Inserted out of order: the source sorts by variant_id.
    _load(ctx, "kettles", [(2, "steel_body", 0.5), (1, "delivery", 1.0), (2, "delivery", 2.0)])
    out = tmp_path / "r.parquet"
    result = _run(ctx, "db:kettles", out=str(out))
    assert (result.variants, result.rows, result.run_id) == (2, 3, None)
    table = pq.read_table(out)
    assert table["variant_id"].to_pylist() == [1, 2]
    # By hand: 2.1324696; 2 * 2.1324696 + 0.5 * 2.0 = 5.2649392.
    np.testing.assert_allclose(table["kg_co2e"].to_numpy(), [2.1324696, 5.2649392], rtol=1e-9)


@pytest.mark.parametrize("chunk_rows", [7, 1000])
def test_database_source_is_bitwise_the_parquet_source(
    ctx: Context, tmp_path: Path, chunk_rows: int
):
    rows = _random_rows(2_000)
    _load(ctx, "variants_big", rows)
    # The Parquet file of the same rows in the order the source reads them: variant_id, then
    # input_id, then amount (each variant's sum then runs in the same order).
    ordered = sorted(rows)
    from_file, from_db = tmp_path / "file.parquet", tmp_path / "db.parquet"
    by_file = _run(
        ctx,
        str(_parquet(tmp_path / "v.parquet", ordered)),
        out=str(from_file),
        by_gas=True,
        chunk_rows=chunk_rows,
    )
    by_db = _run(ctx, "db:variants_big", out=str(from_db), by_gas=True, chunk_rows=chunk_rows)
    assert (by_db.variants, by_db.rows) == (by_file.variants, by_file.rows) == (2_000, len(rows))
    file_table, db_table = pq.read_table(from_file), pq.read_table(from_db)
    assert db_table.column_names == file_table.column_names
    assert db_table.equals(file_table)  # bitwise: same doubles, same ids


def test_text_ids_are_read_in_byte_order_whatever_the_column_collation(
    ctx: Context, tmp_path: Path
):
    # Byte order: 'B-7' < 'a-1' < 'a_2'; a case-insensitive or linguistic collation puts
    # 'B-7' last, which the checker would refuse as unsorted.
    collation = (
        'COLLATE "en-US-x-icu"'
        if ctx.require_database().backend == "postgresql"
        else ("COLLATE NOCASE")
    )
    ddl = f"CREATE TABLE named (variant_id TEXT {collation}, input_id TEXT, amount FLOAT)"
    rows = [("a_2", "delivery", 1.0), ("a-1", "steel_body", 1.0), ("B-7", "delivery", 2.0)]
    _load(ctx, "named", rows, ddl)
    out = tmp_path / "r.parquet"
    _run(ctx, "db:named", out=str(out))
    table = pq.read_table(out)
    assert table["variant_id"].to_pylist() == ["B-7", "a-1", "a_2"]
    # By hand: 2 * 2.1324696 = 4.2649392; 2.0; 2.1324696.
    np.testing.assert_allclose(table["kg_co2e"].to_numpy(), [4.2649392, 2.0, 2.1324696], rtol=1e-9)


def test_a_view_in_another_schema_with_numeric_and_integer_columns(ctx: Context, tmp_path: Path):
    engine = _engine(ctx)
    backend = ctx.require_database().backend
    _load(
        ctx,
        "raw_lines",
        [(10, 1, "0.5"), (10, 2, "2"), (11, 2, "1")],
        "CREATE TABLE raw_lines (sku BIGINT, part INTEGER, qty NUMERIC(12, 4))",
    )
    _load(ctx, "parts", [], "CREATE TABLE parts (part INTEGER, input_id TEXT)")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO parts VALUES (1, 'steel_body'), (2, 'delivery')"))
        schema = "sales." if backend == "postgresql" else ""
        if backend == "postgresql":
            connection.execute(text("CREATE SCHEMA IF NOT EXISTS sales"))
        connection.execute(
            text(
                f"CREATE VIEW {schema}kettle_lines AS SELECT r.sku AS variant_id, "
                "p.input_id, r.qty AS amount FROM raw_lines r JOIN parts p ON p.part = r.part"
            )
        )
    out = tmp_path / "r.parquet"
    source = "db:sales.kettle_lines" if backend == "postgresql" else "db:Kettle_Lines"
    result = _run(ctx, source, out=str(out))
    assert result.variants == 2
    table = pq.read_table(out)
    assert table["variant_id"].to_pylist() == [10, 11]
    # By hand: 0.5 * 2.0 + 2 * 2.1324696 = 5.2649392; 2.1324696.
    np.testing.assert_allclose(table["kg_co2e"].to_numpy(), [5.2649392, 2.1324696], rtol=1e-9)


@pytest.mark.parametrize(
    ("source", "match"),
    [
        ("db:kettles; DROP TABLE kettles", r"is not a table name; expected a plain SQL identifier"),
        ('db:"kettles"', r"is not a table name"),
        ("db:a.b.c", r"is not a table name"),
        ("db:no_such_table", r"db:no_such_table: the database has no table or view .*kettles"),
    ],
)
def test_table_names_are_guarded(ctx: Context, tmp_path: Path, source: str, match: str):
    _load(ctx, "kettles", [(1, "delivery", 1.0)])
    with pytest.raises(BatchInputError, match=match):
        _run(ctx, source, out=str(tmp_path / "r.parquet"))
    assert _count(ctx, "SELECT count(*) FROM kettles") == 1  # nothing was dropped


def test_a_missing_column_is_named(ctx: Context, tmp_path: Path):
    _load(ctx, "wrong", [], "CREATE TABLE wrong (variant_id BIGINT, input TEXT, amount FLOAT)")
    with pytest.raises(
        BatchInputError,
        match=r"db:wrong: the variants have no column input_id; found columns variant_id, "
        r"input, amount; expected variant_id, input_id, amount \(缺少列",
    ):
        _run(ctx, "db:wrong", out=str(tmp_path / "r.parquet"))


def _bad_rows(backend: str) -> list:
    """(rows, ddl, match): a bad row after 30 good variants (several chunks of 4 rows)."""
    good = [(v, "delivery", 1.0) for v in range(30)]
    # SQLite stores NaN as NULL: the row is then refused as empty.
    nan = (
        "amount is nan; expected a finite number"
        if backend == "postgresql"
        else ("amount is empty")
    )
    return [
        ([*good, (40, "nope", 1.0)], None, r"row 31, column input_id: input_id 'nope' is not"),
        ([*good, (40, "delivery", float("nan"))], None, rf"row 31, column amount: {nan}"),
        ([*good, (40, "delivery", float("inf"))], None, r"row 31, column amount: amount is inf"),
        ([*good, (40, None, 1.0)], None, r"row 31, column input_id: input_id is empty"),
        (
            [(v, "delivery", "1") for v in range(30)] + [(40, "delivery", "abc")],
            "CREATE TABLE bad (variant_id BIGINT, input_id TEXT, amount TEXT)",
            r"row 31, column amount: amount 'abc' is not a number",
        ),
    ]


@pytest.mark.parametrize("case", range(5))
def test_a_bad_row_leaves_no_finished_run_and_no_rows(ctx: Context, tmp_path: Path, case: int):
    rows, ddl, match = _bad_rows(ctx.require_database().backend)[case]
    _load(ctx, "bad", rows, ddl)
    out = tmp_path / "r.parquet"
    with pytest.raises(BatchInputError, match=rf"db:bad, {match}"):
        _run(ctx, "db:bad", out=str(out), to_database=True, chunk_rows=4)
    assert not out.exists()
    assert _count(ctx, "SELECT count(*) FROM batch_results") == 0
    runs = batch_service.list_batch_runs(ctx, batch_service.BatchRunsRequest()).runs
    assert [run.status for run in runs] == ["failed"]
    assert "db:bad, row 31" in (runs[0].error or "")
    with pytest.raises(NotFound, match=r"is failed: db:bad, row 31.*only a finished \(done\)"):
        batch_service.read_batch_results(ctx, batch_service.BatchResultsRequest(run_id=runs[0].id))


def test_mixed_id_types_in_a_sqlite_column_are_named(tmp_path: Path):
    database_url = f"sqlite:///{tmp_path / 't.db'}"
    db.database_for(database_url).upgrade()
    settings = Settings.defaults().replace(data_dir=str(tmp_path), database_url=database_url)
    ctx = Context.from_settings(settings)
    # SQLite keeps each value's type: integers sort before text.
    _load(ctx, "mixed", [(1, "delivery", 1.0), ("k2", "delivery", 1.0)])
    with pytest.raises(
        BatchInputError,
        match=r"db:mixed, row 2, column variant_id: variant_id 'k2' is str where the rows "
        r"before it hold int",
    ):
        _run(ctx, "db:mixed", out=str(tmp_path / "r.parquet"))


def test_id_types_changing_between_fetches_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    database_url = f"sqlite:///{tmp_path / 't.db'}"
    db.database_for(database_url).upgrade()
    settings = Settings.defaults().replace(data_dir=str(tmp_path), database_url=database_url)
    ctx = Context.from_settings(settings)
    monkeypatch.setattr(batch_store, "FETCH_ROWS", 2)  # rows 1-2, then row 3 on its own
    rows = [(1, "delivery", 1.0), (2, "delivery", "1"), ("k3", "delivery", 1.0)]
    _load(ctx, "mixed", rows)
    with pytest.raises(
        BatchInputError,
        match=r"db:mixed, row 3, column variant_id: variant_id 'k3' is string where the rows "
        r"before it hold int64",
    ):
        _run(ctx, "db:mixed", out=str(tmp_path / "r.parquet"))
    _load(ctx, "mixed", [*rows[:2], (3, "delivery", "abc")])  # amounts: text in one fetch
    with pytest.raises(BatchInputError, match=r"db:mixed, row 3, column amount: amount 'abc'"):
        _run(ctx, "db:mixed", out=str(tmp_path / "r.parquet"))


# -- streaming: memory bounded by the chunk ---------------------------------------------------
@pytest.mark.parametrize("method", ["copy", "cursor"])
def test_chunks_never_exceed_the_chunk_size(ctx: Context, method: str):
    if method == "copy" and ctx.require_database().backend != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    per_variant, chunk_rows = 3, 100
    rows = [(v, INPUTS[k], 1.0) for v in range(1_000) for k in range(per_variant)]
    _load(ctx, "even", rows)
    engine = _engine(ctx)
    table = batch_store.variant_table(engine, "db:even")
    sizes = [
        b.num_rows for b in batch_store.variant_batches(engine, table, chunk_rows, method=method)
    ]
    assert max(sizes) <= chunk_rows and sum(sizes) == 3_000
    snapshot = batch_service.model_snapshot(
        ctx, batch_service.SnapshotRequest(model=kettle(), release="builtin")
    )
    found = ctx.snapshots.intensities(snapshot)
    chunks = variants.chunks_from_batches(
        batch_store.variant_batches(engine, table, chunk_rows, method=method),
        activity_index(snapshot.activity_ids),
        "db:even",
    )
    stats = batch.run(chunks, found, [])
    assert (stats.variants, stats.rows) == (1_000, 3_000)
    # A chunk is a batch's whole variants plus the variant continued from the batch before.
    assert stats.largest_chunk_rows <= chunk_rows + per_variant
    assert stats.chunks >= 3_000 // (chunk_rows + per_variant)


def _peak(ctx: Context, name: str, chunk_rows: int) -> tuple[int, int]:
    """Peak bytes traced by tracemalloc and held by Arrow (sampled per chunk) while scoring
    table ``name`` from the database, from the first chunk on (what a run allocates once,
    such as a connection of the pool and the compiled query, is not what grows with the
    table)."""
    engine = _engine(ctx)
    snapshot = batch_service.model_snapshot(
        ctx, batch_service.SnapshotRequest(model=kettle(), release="builtin")
    )
    found = ctx.snapshots.intensities(snapshot)
    arrow_peak = 0
    chunks_seen = 0

    def sample(rows: int, count: int) -> None:
        nonlocal arrow_peak, chunks_seen
        chunks_seen += 1
        if chunks_seen == 1:
            tracemalloc.reset_peak()
        arrow_peak = max(arrow_peak, pa.total_allocated_bytes())

    table = batch_store.variant_table(engine, f"db:{name}")
    tracemalloc.start()
    try:
        chunks = variants.chunks_from_batches(
            batch_store.variant_batches(engine, table, chunk_rows),
            activity_index(snapshot.activity_ids),
            name,
        )
        batch.run(chunks, found, [], progress=sample)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, arrow_peak


def _bulk(ctx: Context, name: str, variants_count: int, per_variant: int) -> int:
    rng = np.random.default_rng(5)
    ids = np.repeat(np.arange(variants_count), per_variant)
    names = np.array(INPUTS)[rng.integers(0, 5, ids.size)]
    rows = list(zip(ids.tolist(), names.tolist(), rng.random(ids.size).tolist(), strict=True))
    engine = _engine(ctx)
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {name}"))
        connection.execute(
            text(f"CREATE TABLE {name} (variant_id BIGINT, input_id TEXT, amount FLOAT)")
        )
        if ctx.require_database().backend == "postgresql":
            raw = connection.connection.driver_connection
            with raw.cursor() as cursor, cursor.copy(f"COPY {name} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            connection.exec_driver_sql(f"INSERT INTO {name} VALUES (?, ?, ?)", rows)
    return len(rows)


def test_memory_is_bounded_by_the_chunk_not_the_table(ctx: Context):
    chunk = 1_000
    _bulk(ctx, "small", 2_000, 10)  # 20,000 rows: 20 chunks
    rows = _bulk(ctx, "large", 20_000, 10)  # 200,000 rows: 200 chunks
    _peak(ctx, "small", chunk)  # first use: imports, compiled statements, pools
    small_peak, small_arrow = _peak(ctx, "small", chunk)
    large_peak, large_arrow = _peak(ctx, "large", chunk)
    # The arrays of the large table held at once; rows fetched by a cursor are Python tuples,
    # about 10 times larger, so half of this is still far below holding the table.
    whole_table = rows * (8 + 4 + 8)
    assert large_peak < whole_table / 2, (large_peak, whole_table)
    # Ten times the rows, about the same peak (allowance for allocator noise: 2x + 1 MB).
    assert large_peak < 2 * small_peak + 2**20, (small_peak, large_peak)
    assert large_arrow < 2 * small_arrow + 2**20, (small_arrow, large_arrow)


# -- results in the database -----------------------------------------------------------------
def test_database_results_equal_the_parquet_output(ctx: Context, tmp_path: Path):
    rows = sorted(_random_rows(1_500, seed=11))
    source = _parquet(tmp_path / "v.parquet", rows)
    out = tmp_path / "r.parquet"
    result = _run(ctx, str(source), out=str(out), to_database=True, by_gas=True, chunk_rows=500)
    assert result.run_id is not None
    assert _count(ctx, "SELECT count(*) FROM batch_results") == 1_500
    runs = batch_service.list_batch_runs(ctx, batch_service.BatchRunsRequest()).runs
    (run,) = runs
    assert (run.id, run.status, run.variants, run.rows) == (result.run_id, "done", 1_500, len(rows))
    assert (run.snapshot_key, run.release, run.gwp_set) == (result.snapshot_key, "builtin", "AR6")
    assert run.gases == result.gases and run.by_gas and run.variant_type == "integer"
    assert run.source == str(source) and run.finished_at is not None and run.error is None

    back = tmp_path / "back.parquet"
    exported = batch_service.export_batch_results(
        ctx, batch_service.BatchExportRequest(run_id=run.id, out=str(back), chunk_rows=400)
    )
    assert exported.variants == 1_500
    assert pq.read_table(back).equals(pq.read_table(out))  # bitwise, by-gas columns too

    page = batch_service.read_batch_results(
        ctx, batch_service.BatchResultsRequest(run_id=run.id, offset=1_498, limit=10)
    )
    expected = pq.read_table(out).slice(1_498).to_pylist()
    assert [r.variant_id for r in page.results] == [e["variant_id"] for e in expected]
    assert [r.kg_co2e for r in page.results] == [e["kg_co2e"] for e in expected]
    assert [r.by_gas for r in page.results] == [
        {g: e[f"kg_co2e_{g}"] for g in run.gases} for e in expected
    ]


def test_text_ids_and_a_table_source_to_the_database(ctx: Context, tmp_path: Path):
    ddl = "CREATE TABLE named (variant_id TEXT, input_id TEXT, amount FLOAT)"
    _load(ctx, "named", [("k2", "delivery", 2.0), ("k1", "delivery", 1.0)], ddl)
    result = _run(ctx, "db:named", to_database=True)
    assert result.out is None
    back = tmp_path / "back.parquet"
    batch_service.export_batch_results(
        ctx, batch_service.BatchExportRequest(run_id=result.run_id, out=str(back))
    )
    table = pq.read_table(back)
    assert table["variant_id"].to_pylist() == ["k1", "k2"]
    assert table.schema.field("variant_id").type == pa.string()
    # By hand: 2.1324696 and 2 * 2.1324696.
    np.testing.assert_allclose(table["kg_co2e"].to_numpy(), [2.1324696, 4.2649392], rtol=1e-9)


def test_written_rows_are_invisible_until_commit_and_gone_after_abort(ctx: Context):
    database = ctx.require_database()
    now = ctx.now()
    run_id = batch_store.start_run(
        database,
        snapshot_key="k" * 64,
        release="builtin",
        model_hash="m" * 64,
        gwp_set="AR6",
        gases=(),
        source="test",
        now=now,
    )
    sink = batch_store.DatabaseResults(database, run_id)
    scored = batch.ScoredChunk(pa.array([1, 2]), np.array([1.5, 2.5]), rows=2)
    sink.write(scored)
    sink.write(scored)
    if database.backend == "postgresql":  # another connection sees nothing yet (MVCC)
        assert _count(ctx, "SELECT count(*) FROM batch_results") == 0
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT status FROM batch_runs")).scalar_one() == "running"
    sink.abort()
    batch_store.fail_run(database, run_id, "stopped by the test", now)
    assert _count(ctx, "SELECT count(*) FROM batch_results") == 0
    with pytest.raises(NotFound, match="is failed: stopped by the test"):
        batch_service.read_batch_results(ctx, batch_service.BatchResultsRequest(run_id=run_id))


def test_an_unknown_run_is_not_found(ctx: Context):
    with pytest.raises(NotFound, match=r"there is no batch run 999; `tanzuji batch-runs`"):
        batch_service.read_batch_results(ctx, batch_service.BatchResultsRequest(run_id=999))


# -- the command line ------------------------------------------------------------------------
def tanzuji(monkeypatch, capsys, *args: object) -> tuple[int, str, str]:
    """Run ``tanzuji ARGS`` through the script's entry point; (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["tanzuji", *(str(a) for a in args)])
    try:
        main()
        code = 0
    except SystemExit as exited:
        code = exited.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_table_to_database_and_back(
    ctx: Context, database_url: str, tmp_path: Path, monkeypatch, capsys
):
    monkeypatch.setenv("TANZUJI_DATABASE_URL", database_url)
    model = tmp_path / "kettle.yaml"
    model.write_text(KETTLE_YAML, encoding="utf-8")
    _load(ctx, "kettles", [(1, "delivery", 1.0), (2, "delivery", 2.0), (2, "steel_body", 0.5)])
    code, output, err = tanzuji(
        monkeypatch, capsys, "batch", "db:kettles", "--model", model, "--release", "builtin",
        "--to-db", "--json",
    )  # fmt: skip
    assert code == 0, err
    import json

    summary = json.loads(output)
    run_id = summary["run_id"]
    assert (summary["variants"], summary["rows"], summary["out"]) == (2, 3, None)

    code, output, err = tanzuji(monkeypatch, capsys, "batch-runs", "--json")
    assert code == 0, err
    (run,) = json.loads(output)["runs"]
    assert {k: run[k] for k in ("id", "status", "source", "variants", "rows")} == {
        "id": run_id,
        "status": "done",
        "source": "db:kettles",
        "variants": 2,
        "rows": 3,
    }

    code, output, err = tanzuji(monkeypatch, capsys, "batch-results", run_id, "--json")
    assert code == 0, err
    page = json.loads(output)
    # By hand: 2.1324696; 2 * 2.1324696 + 0.5 * 2.0 = 5.2649392.
    assert [r["variant_id"] for r in page["results"]] == [1, 2]
    np.testing.assert_allclose(
        [r["kg_co2e"] for r in page["results"]], [2.1324696, 5.2649392], rtol=1e-9
    )

    back = tmp_path / "back.parquet"
    code, output, err = tanzuji(monkeypatch, capsys, "batch-results", run_id, "--out", back)
    assert code == 0, err
    assert f"2 variants of run {run_id} written to {back}" in output
    assert pq.read_table(back)["variant_id"].to_pylist() == [1, 2]


def test_cli_bad_row_from_a_table_is_one_error(
    ctx: Context, database_url: str, tmp_path: Path, monkeypatch, capsys
):
    monkeypatch.setenv("TANZUJI_DATABASE_URL", database_url)
    model = tmp_path / "kettle.yaml"
    model.write_text(KETTLE_YAML, encoding="utf-8")
    _load(ctx, "kettles", [(1, "delivery", 1.0), (2, "kettle", 1.0)])
    code, _, err = tanzuji(
        monkeypatch, capsys, "batch", "db:kettles", "--model", model, "--release", "builtin",
        "--to-db",
    )  # fmt: skip
    assert code == 1
    assert "db:kettles, row 2, column input_id: input_id 'kettle' is not an activity" in err
    assert "Traceback" not in err
    assert _count(ctx, "SELECT count(*) FROM batch_results") == 0


def test_the_example_of_docs_scale_md(ctx: Context, tmp_path: Path):
    """The demo run of docs/scale.md ("Try it") gives the figures printed there."""
    page = (Path(__file__).resolve().parents[1] / "docs" / "scale.md").read_text("utf-8")
    block = page.split("cat > bottles.csv <<'CSV'\n", 1)[1].split("CSV\n", 1)[0]
    lines = block.strip().splitlines()
    assert lines[0] == "variant_id,input_id,amount"
    rows = [(int(v), i, float(a)) for v, i, a in (line.split(",") for line in lines[1:])]
    _load(ctx, "bottle_variants", rows)
    model = Path(__file__).resolve().parents[1] / "examples" / "pet_bottle.yaml"
    request = batch_service.BatchRequest(
        model=model_input(model),
        variants="db:bottle_variants",
        to_database=True,
        by_gas=True,
    )
    result = batch_service.run_batch(ctx, request)
    page_rows = batch_service.read_batch_results(
        ctx, batch_service.BatchResultsRequest(run_id=result.run_id)
    ).results
    # The figures the page prints (6 significant digits); variant 1 by hand there:
    # 0.025 * 3.90634 + 0.002 * 3.09082 + 0.0974659 + 0.098426 = 0.29973.
    printed = re.search(r"variant 1: ([0-9.]+) kg CO2e, variant 2: ([0-9.]+)", page)
    assert printed is not None
    assert [r.variant_id for r in page_rows] == [1, 2]
    assert [f"{r.kg_co2e:.6g}" for r in page_rows] == list(printed.groups())
    np.testing.assert_allclose(page_rows[0].kg_co2e, 0.29973, rtol=1e-5)
    assert sum(page_rows[0].by_gas.values()) == pytest.approx(page_rows[0].kg_co2e, rel=1e-12)
