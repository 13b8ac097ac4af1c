"""Batch footprints: a model's snapshot under a factor release, and millions of variants.

Operations (each a plain function ``(context, request, progress)`` that a job runner can run
in the background; ``progress(done, total)`` is called with the work done so far and the
total when known):

- :func:`snapshot_intensities` — freeze (factor release, model version) as a content-addressed
  snapshot and return its intensities (kg CO2e per unit of each input, by gas), computed once
  and then taken from the cache (memory, then ``data_dir/snapshots``);
- :func:`run_batch` — the footprints of product variants (sparse demand vectors in the long
  format of :mod:`tanzuji.scale.variants`) from Parquet, CSV or a table of the database
  (``db:TABLE``) to Parquet and, if asked, the database (a run record and its result rows,
  :mod:`tanzuji.store.batch`), in this process or on dask.distributed (Parquet to Parquet);
- :func:`list_batch_runs`, :func:`read_batch_results`, :func:`export_batch_results` — the
  runs stored in the database, a page of one run's results, all of them to Parquet.

A variant's footprint is the dot product of its amounts with the intensities: the burdens of
its demand vector in the model's system (credits the model values after the solve, such as
avoided products and end-of-life credits, are not included; docs/scale.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import suppress
from enum import StrEnum
from pathlib import Path

import numpy as np
import pyarrow as pa
from pydantic import Field
from sqlalchemy.exc import SQLAlchemyError

from tanzuji import gases
from tanzuji.context import Context
from tanzuji.errors import BatchInputError, NotFound, TanzujiError
from tanzuji.model.compile import CompiledModel, compile_model
from tanzuji.scale import batch as batch_run
from tanzuji.scale import variants
from tanzuji.scale.snapshot import Intensities, Snapshot, activity_index
from tanzuji.services.base import Request, Result
from tanzuji.services.calculation import Setup, prepare
from tanzuji.store import batch as batch_store
from tanzuji.store.batch_tables import BatchRunRow
from tanzuji.store.db import aware

#: ``progress(done, total)``: work done so far (rows, iterations, certificates) and the total
#: when known.
Progress = Callable[[int, int | None], None]


class SnapshotRequest(Setup):
    """A model under a factor release (default: the Context's release)."""

    release: str | None = Field(None, description="factor release; None: the Context's")
    by_gas: bool = Field(True, description="also the intensities of each gas")


class SnapshotInput(Result):
    """One input a variant may name, with its intensity."""

    id: str
    unit: str
    kg_co2e_per_unit: float
    by_gas: dict[str, float] = Field(default_factory=dict)


class SnapshotResult(Result):
    key: str
    release: str
    model_hash: str
    gwp_set: str
    #: Where the intensities came from: memory, disk or computed.
    cache: str
    inputs: list[SnapshotInput]


class VariantFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"
    #: A table or view of the platform database, named ``db:TABLE`` or ``db:SCHEMA.TABLE``.
    database = "database"


class BatchRequest(SnapshotRequest):
    """Footprints of product variants (docs/scale.md: the long input format)."""

    variants: str = Field(
        description="Parquet or CSV file of variants, or db:TABLE (a table or view of the database)"
    )
    format: VariantFormat | None = Field(None, description="None: from the name")
    out: str | None = Field(None, description="Parquet file of the results")
    to_database: bool = Field(
        False, description="also store the results in the database (batch_runs, batch_results)"
    )
    chunk_rows: int | None = Field(None, ge=1, description="None: setting batch_chunk_rows")
    distributed: bool = Field(False, description="run the chunks on dask.distributed")
    by_gas: bool = False


class BatchResult(Result):
    snapshot_key: str
    release: str
    variants: int
    rows: int
    chunks: int
    seconds: float
    out: str | None
    gases: list[str] = Field(default_factory=list)
    cache: str
    workers: int = 0
    #: The run stored in the database (``to_database``), else None.
    run_id: int | None = None


def _release(context: Context, request: SnapshotRequest) -> tuple[Context, str]:
    pinned = context.with_release(request.release) if request.release else context
    return pinned, pinned.factors.release_name


def model_snapshot(context: Context, request: SnapshotRequest) -> Snapshot:
    """Compile the model under the request's release and rules into a :class:`Snapshot`.

    Raises
    ------
    ModelError, UnknownFactor, NoFactorMatch, NotFound
        The model does not compile with that release (each naming file, line and field).
    """
    return compiled_snapshot(context, request)[1]


def compiled_snapshot(context: Context, request: SnapshotRequest) -> tuple[CompiledModel, Snapshot]:
    """The compiled model and its snapshot (see :func:`model_snapshot`)."""
    pinned, release = _release(context, request)
    setup = prepare(pinned, request)
    compiled = compile_model(
        setup.loaded,
        pinned.factors.source,
        pinned.factors.matcher,
        pinned.library,
        rules=setup.rules,
        parameter_set=setup.parameter_set,
    )
    version = hashlib.sha256(
        json.dumps(
            {
                "model": compiled.model_hash,
                "files": request.model.file_hashes(),
                "rules": setup.rules.describe(),
                "parameter_set": compiled.parameter_set,
            },
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()
    gwp_set = gases.check_gwp_set(request.gwp_set or str(context.settings.gwp_set))
    snapshot = Snapshot.from_system(
        compiled.system, release=release, model_hash=version, gwp_set=gwp_set
    )
    return compiled, snapshot


def _cached(context: Context, snapshot: Snapshot, by_gas: bool) -> tuple[Intensities, str]:
    return context.snapshots.fetch(snapshot, by_gas=by_gas, solver_options=context.solver_options)


def snapshot_intensities(
    context: Context, request: SnapshotRequest, progress: Progress | None = None
) -> SnapshotResult:
    """The snapshot of a model under a release and its intensities (cached by content hash)."""
    snapshot = model_snapshot(context, request)
    found, source = _cached(context, snapshot, request.by_gas)
    rows = []
    for i, activity in enumerate(snapshot.activity_ids):
        per_gas = {}
        if found.by_gas is not None:
            per_gas = {g: float(found.by_gas[i, k]) for k, g in enumerate(found.gases)}
        rows.append(
            SnapshotInput(
                id=activity,
                unit=snapshot.activity_units[i],
                kg_co2e_per_unit=float(found.total[i]),
                by_gas=per_gas,
            )
        )
    if progress is not None:
        progress(1, 1)
    return SnapshotResult(
        key=snapshot.key,
        release=snapshot.release,
        model_hash=snapshot.model_hash,
        gwp_set=snapshot.gwp_set,
        cache=source,
        inputs=rows,
    )


def _format(request: BatchRequest) -> VariantFormat:
    if request.format is not None:
        return request.format
    if batch_store.is_database_source(request.variants):
        return VariantFormat.database
    suffix = Path(request.variants).suffix.lower()
    if suffix in (".parquet", ".pq"):
        return VariantFormat.parquet
    if suffix in (".csv", ".txt"):
        return VariantFormat.csv
    raise BatchInputError(
        f"cannot tell the format of {request.variants!r} from its name; expected a .parquet "
        "or .csv file, db:TABLE for a table of the database, or name the format "
        "(--format parquet|csv)",
        location=request.variants,
    )


def _batches(
    context: Context, request: BatchRequest, chunk_rows: int
) -> tuple[Iterator[pa.RecordBatch], int | None]:
    kind = _format(request)
    if kind is VariantFormat.database:
        engine = context.require_database().engine
        table = batch_store.variant_table(engine, request.variants)
        total = batch_store.count_rows(engine, table)
        return batch_store.variant_batches(engine, table, chunk_rows), total
    path = Path(request.variants)
    if not path.is_file():
        raise BatchInputError(
            f"the variants file {path} does not exist (变体文件不存在)", location=str(path)
        )
    if kind is VariantFormat.parquet:
        return variants.parquet_batches(path, chunk_rows), variants.parquet_rows(path)
    # CSV: blocks of about 40 bytes per row.
    return variants.csv_batches(path, chunk_rows * 40), None


def run_batch(
    context: Context, request: BatchRequest, progress: Progress | None = None
) -> BatchResult:
    """Footprints of every variant of ``request.variants`` (see the module docstring).

    Raises
    ------
    BatchInputError
        The variants break the format (naming the row and column), or there is nowhere to
        write the results; nothing is written then.
    """
    if not request.out and not request.to_database:
        raise BatchInputError(
            "a batch run needs somewhere to write its results: --out RESULTS.parquet and/or "
            "--to-db (需要指定结果输出位置)"
        )
    snapshot = model_snapshot(context, request)
    found, source = _cached(context, snapshot, request.by_gas)
    chunk_rows = int(request.chunk_rows or context.settings.batch_chunk_rows)
    total = None
    done = 0

    def advance(rows: int, _variants: int) -> None:
        nonlocal done
        done += rows
        if progress is not None:
            progress(done, total)

    if request.distributed:
        return _run_distributed(context, request, snapshot, found, source, advance)
    batches, total = _batches(context, request, chunk_rows)
    index = activity_index(snapshot.activity_ids)
    chunks = variants.chunks_from_batches(batches, index, request.variants)
    gases_used = found.gases if request.by_gas else ()
    sinks, run_id = _sinks(context, request, snapshot, gases_used)
    try:
        stats = batch_run.run(
            chunks,
            found,
            sinks,
            by_gas=request.by_gas,
            threads=int(context.settings.batch_threads),
            progress=advance,
            source=request.variants,
        )
    except BaseException as exc:
        if run_id is not None:
            # The rows were rolled back; record why. If even that fails (the database went
            # away), the run stays "running" without rows and the first error is the one shown.
            with suppress(SQLAlchemyError, TanzujiError):
                batch_store.fail_run(
                    context.require_database(),
                    run_id,
                    str(exc) or type(exc).__name__,
                    context.now(),
                )
        raise
    return BatchResult(
        snapshot_key=snapshot.key,
        release=snapshot.release,
        variants=stats.variants,
        rows=stats.rows,
        chunks=stats.chunks,
        seconds=stats.seconds,
        out=request.out,
        gases=list(gases_used),
        cache=source,
        run_id=run_id,
    )


def _sinks(
    context: Context, request: BatchRequest, snapshot: Snapshot, gases_used: tuple[str, ...]
) -> tuple[list[batch_run.ResultSink], int | None]:
    """Where the results go, and the id of the run recorded in the database (if asked).

    The database comes first: its commit (rows and status together) is the one that can
    fail, and the file is renamed into place after it.
    """
    sinks: list[batch_run.ResultSink] = []
    run_id = None
    if request.to_database:
        database = context.require_database()
        run_id = batch_store.start_run(
            database,
            snapshot_key=snapshot.key,
            release=snapshot.release,
            model_hash=snapshot.model_hash,
            gwp_set=snapshot.gwp_set,
            gases=gases_used,
            source=request.variants,
            now=context.now(),
        )
        sinks.append(batch_store.DatabaseResults(database, run_id, gases_used, now=context.now))
    if request.out:
        sinks.append(batch_run.ParquetResults(Path(request.out), gases_used))
    return sinks, run_id


def _run_distributed(
    context: Context,
    request: BatchRequest,
    snapshot: Snapshot,
    found: Intensities,
    source: str,
    advance: Callable[[int, int], None],
) -> BatchResult:
    from tanzuji.scale import distributed

    if (
        _format(request) is not VariantFormat.parquet
        or request.by_gas
        or request.to_database
        or not request.out
    ):
        raise BatchInputError(
            "a distributed run reads Parquet files (cut along their row groups) and writes "
            "the total only, to Parquet; convert the CSV or table to Parquet, or drop "
            "--by-gas / --to-db (分布式运行只支持 Parquet 输入和输出)",
            location=request.variants,
        )
    path = Path(request.variants)
    if not path.is_file():
        raise BatchInputError(
            f"the variants file {path} does not exist (变体文件不存在)", location=str(path)
        )
    out = Path(request.out)
    settings = context.settings
    with distributed.client_for(str(settings.dask_scheduler), int(settings.dask_workers)) as client:
        workers = len(client.scheduler_info().get("workers", {}))
        stats = distributed.batch_parquet(
            client,
            path,
            out,
            snapshot,
            found,
            chunk_rows=int(request.chunk_rows or settings.batch_chunk_rows),
            progress=advance,
        )
    return BatchResult(
        snapshot_key=snapshot.key,
        release=snapshot.release,
        variants=stats.variants,
        rows=stats.rows,
        chunks=stats.chunks,
        seconds=stats.seconds,
        out=request.out,
        cache=source,
        workers=workers,
    )


class BatchRun(Result):
    """A batch run stored in the database (``tanzuji batch ... --to-db``)."""

    id: int
    #: ``running`` while it writes, ``done`` when its results are stored, ``failed``.
    status: str
    snapshot_key: str
    release: str
    model_hash: str
    gwp_set: str
    by_gas: bool
    gases: list[str]
    source: str
    #: ``integer`` or ``text``: the type of the variant ids of its source.
    variant_type: str
    variants: int
    rows: int
    created_at: dt.datetime
    finished_at: dt.datetime | None
    error: str | None


def _run(row: BatchRunRow) -> BatchRun:
    return BatchRun(
        id=row.id,
        status=row.status,
        snapshot_key=row.snapshot_key,
        release=row.release,
        model_hash=row.model_hash,
        gwp_set=row.gwp_set,
        by_gas=row.by_gas,
        gases=list(row.gases or []),
        source=row.source,
        variant_type=row.variant_type,
        variants=row.variants,
        rows=row.rows,
        created_at=aware(row.created_at),
        finished_at=aware(row.finished_at),
        error=row.error,
    )


class BatchRunsRequest(Request):
    limit: int = Field(20, ge=1, le=10_000, description="newest runs first")


class BatchRunsResult(Result):
    runs: list[BatchRun]


def list_batch_runs(
    context: Context, request: BatchRunsRequest, progress: Progress | None = None
) -> BatchRunsResult:
    """The newest batch runs stored in the database, newest first."""
    with context.unit_of_work(write=False) as session:
        rows = batch_store.list_runs(session, request.limit)
    if progress is not None:
        progress(1, 1)
    return BatchRunsResult(runs=[_run(row) for row in rows])


def _done_run(context: Context, run_id: int) -> BatchRunRow:
    with context.unit_of_work(write=False) as session:
        row = batch_store.get_run(session, run_id)
    if row.status != batch_store.DONE:
        why = f": {row.error}" if row.error else ""
        raise NotFound(
            f"batch run {run_id} is {row.status}{why}; only a finished (done) run has results "
            "(该批量计算未完成，没有结果)",
            run_id=run_id,
            status=row.status,
        )
    return row


class BatchResultsRequest(Request):
    run_id: int
    offset: int = Field(0, ge=0, description="first variant (0-based, in the run's order)")
    limit: int = Field(100, ge=1, le=100_000, description="variants at most")


class BatchResultRecord(Result):
    variant_id: int | str
    kg_co2e: float
    by_gas: dict[str, float] = Field(default_factory=dict)


class BatchResultsPage(Result):
    run: BatchRun
    offset: int
    results: list[BatchResultRecord]


def read_batch_results(
    context: Context, request: BatchResultsRequest, progress: Progress | None = None
) -> BatchResultsPage:
    """A page of a finished run's results, in the run's order (ascending variant id).

    Raises
    ------
    NotFound
        No such run, or it is not ``done`` (running, or failed: it has no results).
    """
    row = _done_run(context, request.run_id)
    records = []
    for scored in batch_store.result_batches(
        context.require_database(), row, request.limit, first=request.offset, limit=request.limit
    ):
        for k, (variant, kg) in enumerate(
            zip(scored.variant_ids.to_pylist(), scored.kg_co2e.tolist(), strict=True)
        ):
            per_gas = {}
            if scored.by_gas is not None:
                per_gas = dict(zip(row.gases, scored.by_gas[k].tolist(), strict=True))
            records.append(BatchResultRecord(variant_id=variant, kg_co2e=kg, by_gas=per_gas))
    if progress is not None:
        progress(len(records), len(records))
    return BatchResultsPage(run=_run(row), offset=request.offset, results=records)


class BatchExportRequest(Request):
    run_id: int
    out: str = Field(description="Parquet file of the results")
    chunk_rows: int | None = Field(None, ge=1, description="None: setting batch_chunk_rows")


class BatchExportResult(Result):
    run: BatchRun
    out: str
    variants: int


def export_batch_results(
    context: Context, request: BatchExportRequest, progress: Progress | None = None
) -> BatchExportResult:
    """All results of a finished run to a Parquet file, streamed in chunks: the same columns
    and values as the run's own ``--out`` file (``variant_id`` of the source's type,
    ``kg_co2e``, ``kg_co2e_<GAS>`` for a by-gas run); written to a temporary file renamed
    into place at the end.

    Raises
    ------
    NotFound
        No such run, or it is not ``done``.
    """
    row = _done_run(context, request.run_id)
    chunk_rows = int(request.chunk_rows or context.settings.batch_chunk_rows)
    sink = batch_run.ParquetResults(Path(request.out), tuple(row.gases or ()))
    done = 0
    try:
        for scored in batch_store.result_batches(context.require_database(), row, chunk_rows):
            sink.write(scored)
            done += len(scored.variant_ids)
            if progress is not None:
                progress(done, row.variants)
        sink.commit()
    except BaseException:
        sink.abort()
        raise
    return BatchExportResult(run=_run(row), out=request.out, variants=done)


class MonteCarloJobRequest(SnapshotRequest):
    """Monte Carlo of a model in blocks of iterations, in this process or on the cluster."""

    iterations: int = Field(ge=1)
    seed: int = 0
    block_size: int = Field(1_000, ge=1, description="iterations per task")
    distributed: bool = False


class MonteCarloJobResult(Result):
    snapshot_key: str
    iterations: int
    seed: int
    block_size: int
    workers: int
    mean_kg_co2e: float
    p2_5_kg_co2e: float
    p97_5_kg_co2e: float
    scores: list[float]
    stage_names: list[str]


def run_monte_carlo(
    context: Context, request: MonteCarloJobRequest, progress: Progress | None = None
) -> MonteCarloJobResult:
    """Monte Carlo of a model under a release, iterations cut into blocks (one task each on
    dask.distributed); the same request gives the same scores in this process and on any
    cluster (:mod:`tanzuji.scale.distributed`)."""
    from tanzuji.scale import distributed

    compiled, snapshot = compiled_snapshot(context, request)
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, request.iterations)

    arguments = (
        compiled.system,
        snapshot.key,
        snapshot.gwp_set,
        request.iterations,
        request.seed,
        request.block_size,
        context.monte_carlo_options,
    )
    workers = 0
    if request.distributed:
        settings = context.settings
        with distributed.client_for(
            str(settings.dask_scheduler), int(settings.dask_workers)
        ) as client:
            workers = len(client.scheduler_info().get("workers", {}))
            run = distributed.monte_carlo_distributed(client, *arguments, progress=advance)
    else:
        run = distributed.monte_carlo_blocks(*arguments, progress=advance)
    low, high = np.percentile(run.scores, [2.5, 97.5])
    return MonteCarloJobResult(
        snapshot_key=snapshot.key,
        iterations=request.iterations,
        seed=request.seed,
        block_size=request.block_size,
        workers=workers,
        mean_kg_co2e=float(run.scores.mean()),
        p2_5_kg_co2e=float(low),
        p97_5_kg_co2e=float(high),
        scores=run.scores.tolist(),
        stage_names=run.stage_names,
    )


__all__ = [
    "BatchExportRequest",
    "BatchExportResult",
    "BatchRequest",
    "BatchResult",
    "BatchResultRecord",
    "BatchResultsPage",
    "BatchResultsRequest",
    "BatchRun",
    "BatchRunsRequest",
    "BatchRunsResult",
    "MonteCarloJobRequest",
    "MonteCarloJobResult",
    "Progress",
    "SnapshotInput",
    "SnapshotRequest",
    "SnapshotResult",
    "VariantFormat",
    "compiled_snapshot",
    "export_batch_results",
    "list_batch_runs",
    "model_snapshot",
    "read_batch_results",
    "run_batch",
    "run_monte_carlo",
    "snapshot_intensities",
]
