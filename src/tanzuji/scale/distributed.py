"""Batch footprints and Monte Carlo as tasks on dask.distributed.

The client is a LocalCluster on this machine (``dask_workers`` worker processes) unless the
``dask_scheduler`` setting names a scheduler (``tcp://host:8786``): then the tasks run on that
cluster's workers, which must see the variants file and the output directory at the same path
(shared storage; docs/scale.md).

What a task needs from a snapshot is shipped once per worker: the intensities (batch) or the
product system (Monte Carlo) are scattered to every worker (``broadcast=True``) and each task
receives the worker's copy; a worker builds its Monte Carlo engine (the mean factorization)
once per snapshot and keeps it for the next tasks.

Results are identical to the single-process run:

* **batch** — a task scores whole variants of a run of row groups (a variant that straddles
  two tasks belongs to the task where it starts); each variant's sum runs over its rows in
  file order, as in one process, so every score is bitwise the same;
* **Monte Carlo** — iterations are cut into blocks, block ``k`` seeded from
  ``SeedSequence([seed, k])``; :func:`monte_carlo_blocks` runs the same blocks in this
  process, so the scores are bitwise those of the cluster's run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from tanzuji.engine.montecarlo import MonteCarlo, MonteCarloOptions
from tanzuji.engine.system import ProductSystem
from tanzuji.errors import BatchInputError
from tanzuji.scale import batch, variants
from tanzuji.scale.snapshot import Intensities, Snapshot, activity_index

#: Tasks in flight per worker (the client holds at most this many results per worker).
TASKS_PER_WORKER = 2


@contextmanager
def local_client(workers: int, threads_per_worker: int = 1) -> Iterator[Any]:
    """A LocalCluster of ``workers`` worker processes and its client (closed on exit)."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=threads_per_worker,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@contextmanager
def client_for(scheduler: str, workers: int) -> Iterator[Any]:
    """The client of the scheduler at ``scheduler``, else of a LocalCluster of ``workers``
    (settings ``dask_scheduler`` and ``dask_workers``, read by the edge into the Context)."""
    if scheduler:
        from distributed import Client

        with Client(scheduler) as client:
            yield client
        return
    with local_client(workers) as client:
        yield client


# -- batch -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Partition:
    """What one task reads: row groups ``groups``, the leading rows of variant ``skip_id``
    left to the previous task, and the following row groups in ``extend`` whose leading rows
    finish the task's last variant."""

    groups: tuple[int, ...]
    first_row: int
    skip_id: object | None
    extend: tuple[int, ...]


def plan(path: Path, groups_per_task: int = 1) -> list[Partition]:
    """Cut a Parquet file of variants into tasks along row groups, using the row groups'
    ``variant_id`` statistics (first and last id of each group: the file is sorted).

    Raises
    ------
    BatchInputError
        When the file has no statistics of ``variant_id`` or its row groups are out of order.
    """
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(path).metadata
    position = metadata.schema.to_arrow_schema().get_field_index("variant_id")
    if position < 0:
        raise BatchInputError(
            f"the variants have no column variant_id; expected {', '.join(variants.COLUMNS)}",
            location=str(path),
            column="variant_id",
        )
    firsts, lasts, rows = [], [], []
    for g in range(metadata.num_row_groups):
        group = metadata.row_group(g)
        stats = group.column(position).statistics
        if stats is None or not stats.has_min_max:
            raise BatchInputError(
                f"row group {g} of {path} has no statistics of variant_id, which a distributed "
                "run needs to cut the file between variants; write the file with statistics "
                "(the default of pyarrow and most writers) or run without --distributed",
                location=str(path),
            )
        firsts.append(stats.min)
        lasts.append(stats.max)
        rows.append(group.num_rows)
    for g in range(1, len(firsts)):
        if firsts[g] < lasts[g - 1]:
            raise BatchInputError(
                f"row group {g} starts with variant_id {firsts[g]!r}, below {lasts[g - 1]!r} "
                "at the end of the row group before; the rows must be sorted by variant_id",
                location=str(path),
                column="variant_id",
            )
    offsets = np.concatenate(([0], np.cumsum(rows))).astype(int)
    parts = []
    count = len(firsts)
    for lo in range(0, count, groups_per_task):
        hi = min(count, lo + groups_per_task)
        skip = lasts[lo - 1] if lo > 0 and firsts[lo] == lasts[lo - 1] else None
        extend = []
        g = hi
        while g < count and firsts[g] == lasts[hi - 1]:
            extend.append(g)
            if lasts[g] != firsts[g]:
                break
            g += 1
        parts.append(Partition(tuple(range(lo, hi)), int(offsets[lo]), skip, tuple(extend)))
    return parts


def _partition_batches(
    path: Path, part: Partition, chunk_rows: int
) -> tuple[Iterator[pa.RecordBatch], list[int]]:
    """The task's batches (leading rows of ``skip_id`` dropped, the last variant finished
    from ``extend``) and, in ``skipped[0]``, how many leading rows were dropped."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    handle = pq.ParquetFile(path, read_dictionary=["input_id"])
    columns = list(variants.COLUMNS)
    skipped = [0]

    def batches() -> Iterator[pa.RecordBatch]:
        skipping = part.skip_id is not None
        last = None
        for g in part.groups:
            for b in handle.iter_batches(batch_size=chunk_rows, row_groups=[g], columns=columns):
                if skipping:
                    same = pc.equal(b.column(0), pa.scalar(part.skip_id, b.column(0).type))
                    keep = np.flatnonzero(~same.to_numpy(zero_copy_only=False))
                    if keep.size == 0:
                        skipped[0] += b.num_rows
                        continue
                    skipped[0] += int(keep[0])
                    b = b.slice(int(keep[0]))
                    skipping = False
                if b.num_rows:
                    last = b.column(0)[b.num_rows - 1].as_py()
                    yield b
        if last is None:  # every row continued the previous task's variant
            return
        for g in part.extend:
            for b in handle.iter_batches(batch_size=chunk_rows, row_groups=[g], columns=columns):
                same = pc.equal(b.column(0), pa.scalar(last, b.column(0).type))
                other = np.flatnonzero(~same.to_numpy(zero_copy_only=False))
                if other.size:
                    yield b.slice(0, int(other[0]))
                    return
                yield b

    return batches(), skipped


def _arrow_threads_as_worker() -> None:
    """In a dask worker, let Arrow decode with as many threads as the worker has (its share of
    the machine), not one per core: workers side by side would each take every core."""
    try:
        from distributed import get_worker

        threads = get_worker().state.nthreads
    except (ImportError, ValueError, AttributeError):
        return  # not in a worker
    if pa.cpu_count() != threads:
        pa.set_cpu_count(threads)


def score_partition(
    path: str, part: Partition, intensities: Intensities, chunk_rows: int
) -> pa.Table:
    """A task: the footprints of the variants that start in ``part`` (variant_id, kg_co2e)."""
    _arrow_threads_as_worker()
    index = activity_index(intensities.activity_ids)
    source = Path(path)
    batches, skipped = _partition_batches(source, part, chunk_rows)
    checker = variants.VariantChecker(index, source.name)
    tables = []
    first = True
    for b in batches:
        if first:  # rows are numbered from the partition's first row read
            checker.rows_seen = part.first_row + skipped[0]
            first = False
        for chunk in checker.feed(b):
            tables.append(_scored(chunk, intensities, source.name))
    for chunk in checker.finish():
        tables.append(_scored(chunk, intensities, source.name))
    if not tables:
        return batch.result_schema(pa.int64(), ()).empty_table()
    return pa.concat_tables(tables)


def _scored(chunk: variants.VariantChunk, intensities: Intensities, source: str) -> pa.Table:
    scores = batch.score_chunk(chunk, intensities.total)
    variants.refuse_nonfinite(chunk, scores, source)
    return batch.result_table(batch.ScoredChunk(chunk.all_variant_ids(), scores), ())


def batch_parquet(
    client: Any,
    path: Path,
    out: Path,
    snapshot: Snapshot,
    intensities: Intensities,
    *,
    chunk_rows: int = 4_000_000,
    progress: Callable[[int, int], None] | None = None,
) -> batch.BatchStatistics:
    """Score a Parquet file of variants on the cluster of ``client``; write ``out`` in order.

    The intensities are scattered to every worker once; each task is one row group (see
    :func:`plan`); at most :data:`TASKS_PER_WORKER` tasks per worker are in flight, so the
    client holds a bounded number of results whatever the input size.
    """
    import time

    from distributed import wait

    started = time.perf_counter()
    parts = plan(path)
    shipped = client.scatter(intensities, broadcast=True, hash=False)
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    window = TASKS_PER_WORKER * workers
    sink = batch.ParquetResults(out)
    stats = batch.BatchStatistics()
    pending: dict[int, Any] = {}
    written = 0
    submitted = 0
    try:
        while written < len(parts):
            while submitted < len(parts) and submitted - written < window:
                pending[submitted] = client.submit(
                    score_partition,
                    str(path),
                    parts[submitted],
                    shipped,
                    chunk_rows,
                    pure=False,
                )
                submitted += 1
            future = pending.pop(written)
            wait([future])
            table = future.result()
            if table.num_rows:
                ids = table.column(0).combine_chunks()
                sink.write(batch.ScoredChunk(ids, table.column(1).to_numpy()))
            rows = sum(_group_rows(path, parts[written].groups))
            stats.variants += table.num_rows
            stats.rows += rows
            stats.chunks += 1
            written += 1
            if progress is not None:
                progress(rows, table.num_rows)
        sink.commit()
    except BaseException:
        for future in pending.values():
            future.cancel()
        sink.abort()
        raise
    stats.seconds = time.perf_counter() - started
    return stats


_GROUP_ROWS: dict[str, list[int]] = {}


def _group_rows(path: Path, groups: tuple[int, ...]) -> list[int]:
    import pyarrow.parquet as pq

    key = str(path)
    if key not in _GROUP_ROWS:
        metadata = pq.ParquetFile(path).metadata
        _GROUP_ROWS[key] = [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)]
    return [_GROUP_ROWS[key][g] for g in groups]


# -- Monte Carlo -----------------------------------------------------------------------------
#: Each worker process's Monte Carlo engines by (snapshot key, GWP set, options): the mean
#: factorization is made once per worker and snapshot.
_ENGINES: dict[tuple[str, str, MonteCarloOptions], MonteCarlo] = {}
_ENGINES_LOCK = threading.Lock()


def block_seed(seed: int, block: int) -> int:
    """The seed of iteration block ``block`` of a run seeded ``seed``."""
    return int(np.random.SeedSequence([seed, block]).generate_state(1, dtype=np.uint64)[0])


def _engine(
    system: ProductSystem, key: str, gwp_set: str, options: MonteCarloOptions
) -> MonteCarlo:
    with _ENGINES_LOCK:
        found = _ENGINES.get((key, gwp_set, options))
        if found is None:
            found = MonteCarlo(system, gwp_set, options=options)
            _ENGINES[(key, gwp_set, options)] = found
        return found


def run_block(
    system: ProductSystem,
    key: str,
    gwp_set: str,
    options: MonteCarloOptions,
    seed: int,
    block: int,
    iterations: int,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """A task: scores, stage scores and stage names of ``iterations`` iterations of block
    ``block``."""
    engine = _engine(system, key, gwp_set, options)
    result = engine.run(iterations, block_seed(seed, block), keep_factors=False)
    return result.scores, result.stage_scores, list(result.stage_names)


def blocks(iterations: int, block_size: int) -> list[tuple[int, int]]:
    """``(block, iterations)`` of each block of a run."""
    return [
        (k, min(block_size, iterations - start))
        for k, start in enumerate(range(0, iterations, block_size))
    ]


@dataclass(frozen=True)
class BlockedMonteCarlo:
    """Scores of a blocked Monte Carlo run (kg CO2e per functional unit)."""

    scores: np.ndarray
    stage_names: list[str]
    stage_scores: np.ndarray
    seed: int
    block_size: int


def monte_carlo_blocks(
    system: ProductSystem,
    key: str,
    gwp_set: str,
    iterations: int,
    seed: int,
    block_size: int,
    options: MonteCarloOptions,
    progress: Callable[[int], None] | None = None,
) -> BlockedMonteCarlo:
    """The blocked run in this process (the reference of the distributed one)."""
    done = [
        run_block(system, key, gwp_set, options, seed, block, count)
        for block, count in _with_progress(blocks(iterations, block_size), progress)
    ]
    return _combined(done, seed, block_size)


def _with_progress(
    plan_: list[tuple[int, int]], progress: Callable[[int], None] | None
) -> Iterator[tuple[int, int]]:
    for block, count in plan_:
        yield block, count
        if progress is not None:
            progress(count)


def _combined(
    done: list[tuple[np.ndarray, np.ndarray, list[str]]], seed: int, block_size: int
) -> BlockedMonteCarlo:
    return BlockedMonteCarlo(
        np.concatenate([d[0] for d in done]),
        done[0][2],
        np.concatenate([d[1] for d in done], axis=1),
        seed,
        block_size,
    )


def monte_carlo_distributed(
    client: Any,
    system: ProductSystem,
    key: str,
    gwp_set: str,
    iterations: int,
    seed: int,
    block_size: int,
    options: MonteCarloOptions,
    progress: Callable[[int], None] | None = None,
) -> BlockedMonteCarlo:
    """The blocked run with one task per block; the system scattered to every worker once."""
    from distributed import as_completed

    shipped = client.scatter(system, broadcast=True, hash=False)
    plan_ = blocks(iterations, block_size)
    futures = {
        client.submit(
            run_block, shipped, key, gwp_set, options, seed, block, count, pure=False
        ): block
        for block, count in plan_
    }
    results: dict[int, tuple[np.ndarray, np.ndarray, list[str]]] = {}
    for future in as_completed(futures):
        results[futures[future]] = future.result()
        if progress is not None:
            progress(len(results[futures[future]][0]))
    return _combined([results[block] for block, _ in plan_], seed, block_size)


__all__ = [
    "TASKS_PER_WORKER",
    "BlockedMonteCarlo",
    "Partition",
    "batch_parquet",
    "block_seed",
    "blocks",
    "client_for",
    "local_client",
    "monte_carlo_blocks",
    "monte_carlo_distributed",
    "plan",
    "run_block",
    "score_partition",
]
