"""A batch run: variant chunks in, footprints out, with memory bounded by the chunk size.

Three stages overlap, each in its own thread and joined by queues of :data:`QUEUE_DEPTH`
chunks: reading and checking the next chunk (Arrow decodes without the GIL), scoring the
current one (:func:`tanzuji.scale.kernel.score`) and writing the previous one. At most
``2 * QUEUE_DEPTH + 3`` chunks exist at once, whatever the size of the input.

Results go to sinks: :class:`ParquetResults` writes ``variant_id, kg_co2e`` (and one
``kg_co2e_<GAS>`` column per gas when asked) to a temporary file renamed into place only when
the whole run succeeded, so a failed run leaves no half-written file.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np
import pyarrow as pa

from tanzuji.scale import kernel, variants
from tanzuji.scale.snapshot import Intensities
from tanzuji.scale.variants import VariantChunk

#: Chunks waiting between two stages (bounds memory at a few chunks).
QUEUE_DEPTH = 2

T = TypeVar("T")


@dataclass(frozen=True)
class ScoredChunk:
    """A chunk's variant ids with their footprints."""

    variant_ids: pa.Array
    kg_co2e: np.ndarray
    by_gas: np.ndarray | None = None
    rows: int = 0


class ResultSink(Protocol):
    def write(self, scored: ScoredChunk) -> None: ...

    def commit(self) -> None: ...

    def abort(self) -> None: ...


def result_schema(variant_type: pa.DataType, gases: Iterable[str]) -> pa.Schema:
    """``variant_id``, ``kg_co2e`` and ``kg_co2e_<GAS>`` per gas."""
    fields = [pa.field("variant_id", variant_type), pa.field("kg_co2e", pa.float64())]
    fields += [pa.field(f"kg_co2e_{gas}", pa.float64()) for gas in gases]
    return pa.schema(fields)


def result_table(scored: ScoredChunk, gases: tuple[str, ...]) -> pa.Table:
    arrays = [scored.variant_ids, pa.array(scored.kg_co2e)]
    if scored.by_gas is not None:
        arrays += [pa.array(np.ascontiguousarray(scored.by_gas[:, k])) for k in range(len(gases))]
    return pa.Table.from_arrays(arrays, schema=result_schema(scored.variant_ids.type, gases))


class ParquetResults:
    """Footprints to a Parquet file, renamed into place at :meth:`commit`."""

    def __init__(self, path: Path, gases: tuple[str, ...] = ()) -> None:
        self.path = Path(path)
        self.gases = gases
        self.temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.partial")
        self._writer = None

    def write(self, scored: ScoredChunk) -> None:
        import pyarrow.parquet as pq

        table = result_table(scored, self.gases)
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Plain, uncompressed columns: scores are random doubles (nothing to compress) and
            # writing is on the critical path of a run.
            self._writer = pq.ParquetWriter(
                self.temporary, table.schema, compression="none", use_dictionary=False
            )
        self._writer.write_table(table)

    def commit(self) -> None:
        import pyarrow.parquet as pq

        if self._writer is None:  # no variants: an empty file with the result columns
            pq.write_table(result_schema(pa.int64(), self.gases).empty_table(), self.temporary)
        else:
            self._writer.close()
        os.replace(self.temporary, self.path)

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self.temporary.unlink(missing_ok=True)


@dataclass
class BatchStatistics:
    """What a run did."""

    variants: int = 0
    rows: int = 0
    chunks: int = 0
    seconds: float = 0.0
    largest_chunk_rows: int = 0
    stage_seconds: dict[str, float] = field(default_factory=dict)


class _Stop:
    """Marks the end of a queue's stream (with the error that ended it, if any)."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


def prefetch(items: Iterable[T], depth: int = QUEUE_DEPTH) -> Iterator[T]:
    """Iterate ``items`` in a background thread, at most ``depth`` items ahead.

    An exception raised while producing an item is raised here, in the consumer's thread.
    """
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    cancelled = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not cancelled.is_set():
                    try:
                        buffer.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if cancelled.is_set():
                    return
            buffer.put(_Stop())
        except BaseException as exc:  # handed to the consumer
            buffer.put(_Stop(exc))

    thread = threading.Thread(target=produce, name="tanzuji-batch-read", daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if isinstance(item, _Stop):
                if item.error is not None:
                    raise item.error
                return
            yield item
    finally:
        cancelled.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                buffer.get_nowait()
            except queue.Empty:
                thread.join(0.05)


class _Writer:
    """Writes scored chunks to the sinks in a background thread, in order."""

    def __init__(self, sinks: list[ResultSink]) -> None:
        self.sinks = sinks
        self.queue: queue.Queue = queue.Queue(maxsize=QUEUE_DEPTH)
        self.error: BaseException | None = None
        self.seconds = 0.0
        self.thread = threading.Thread(target=self._run, name="tanzuji-batch-write", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            if isinstance(item, _Stop):
                return
            if self.error is not None:
                continue  # drain after a failure
            try:
                started = time.perf_counter()
                for sink in self.sinks:
                    sink.write(item)
                self.seconds += time.perf_counter() - started
            except BaseException as exc:
                self.error = exc

    def put(self, scored: ScoredChunk) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(scored)

    def stop(self) -> None:
        """Wait for the thread to end (chunks still queued are written or drained)."""
        if self.thread.is_alive():
            self.queue.put(_Stop())
            self.thread.join()

    def close(self) -> None:
        self.stop()
        if self.error is not None:
            raise self.error


def score_chunk(
    chunk: VariantChunk,
    intensities: np.ndarray,
    executor: ThreadPoolExecutor | None = None,
    threads: int = 1,
) -> np.ndarray:
    """Footprints of a chunk's variants (its head's first); ``intensities`` by activity.

    The body's codes index the row group's dictionary: the intensities are gathered once
    per chunk for the dictionary (``intensities[columns]``), not once per row.
    """
    x = intensities if chunk.columns is None else intensities[chunk.columns]
    body = kernel.score(
        chunk.indptr, chunk.inputs, chunk.amounts, x, executor=executor, threads=threads
    )
    if chunk.head is None:
        return body
    return np.concatenate([score_chunk(chunk.head, intensities), body])


def run(
    chunks: Iterable[VariantChunk],
    intensities: Intensities,
    sinks: list[ResultSink],
    *,
    by_gas: bool = False,
    threads: int = 2,
    progress: Callable[[int, int], None] | None = None,
    source: str = "variants",
) -> BatchStatistics:
    """Score every variant of ``chunks`` and write the results to ``sinks``.

    Parameters
    ----------
    chunks : iterable of VariantChunk
        From :mod:`tanzuji.scale.variants` (read in a background thread here).
    intensities : Intensities
        The snapshot's intensities (:meth:`SnapshotCache.intensities`).
    sinks : list of ResultSink
        Committed when every chunk is written; aborted on any error.
    by_gas : bool
        Also the footprint by gas (needs ``intensities.by_gas``).
    threads : int
        Threads scoring one chunk.
    progress : callable, optional
        Called with ``(rows, variants)`` done since the last call.
    source : str
        The input's name in error messages.

    Raises
    ------
    BatchInputError
        From the reader, naming the row and column at fault; nothing is committed.
    """
    stats = BatchStatistics()
    started = time.perf_counter()
    per_gas = intensities.by_gas if by_gas else None
    writer = _Writer(sinks)
    scoring = 0.0
    try:
        with ThreadPoolExecutor(max_workers=max(1, threads)) as executor:
            for chunk in prefetch(chunks):
                begin = time.perf_counter()
                total = score_chunk(chunk, intensities.total, executor, threads)
                variants.refuse_nonfinite(chunk, total, source)
                gases = None
                if per_gas is not None:
                    gases = score_chunk(chunk, per_gas, executor, threads)
                scoring += time.perf_counter() - begin
                writer.put(ScoredChunk(chunk.all_variant_ids(), total, gases, chunk.n_rows))
                stats.variants += chunk.n_variants
                stats.rows += chunk.n_rows
                stats.chunks += 1
                stats.largest_chunk_rows = max(stats.largest_chunk_rows, chunk.n_rows)
                if progress is not None:
                    progress(chunk.n_rows, chunk.n_variants)
        writer.close()
        for sink in sinks:
            sink.commit()
    except BaseException:
        writer.stop()
        for sink in sinks:
            sink.abort()
        raise
    stats.seconds = time.perf_counter() - started
    stats.stage_seconds = {"score": scoring, "write": writer.seconds}
    return stats


__all__ = [
    "QUEUE_DEPTH",
    "BatchStatistics",
    "ParquetResults",
    "ResultSink",
    "ScoredChunk",
    "prefetch",
    "result_schema",
    "result_table",
    "run",
    "score_chunk",
]
