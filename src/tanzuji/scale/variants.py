"""Product variants as sparse demand vectors: the long input format, read in chunks.

The format (``docs/scale.md``) is one row per (variant, input) pair:

=============  =============================================  ==================================
column         type                                           meaning
=============  =============================================  ==================================
``variant_id`` integer or text                                the variant; its rows are
                                                              consecutive and variants come in
                                                              ascending order of this id
``input_id``   text (integers are read as text)               an activity of the model: a
                                                              process id, ``factor:ID`` or
                                                              ``factor:ID@PROCESS``
``amount``     number                                         units of that activity's product
                                                              (the unit the model gives it)
=============  =============================================  ==================================

The footprint of a variant is ``sum(amount * intensity[input_id])`` over its rows (the burdens
of the demand vector; credits valued after the solve, such as avoided products, are not part
of the intensities). Sorting by ``variant_id`` is what lets any input size be read with memory
bounded by the chunk size: a variant ends where the id changes, so nothing needs to be
remembered from earlier chunks but the last id. Every rule is checked, and an error names the
file, the row (1-based, header not counted) and the column, with what was found and expected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tanzuji.errors import BatchInputError, NumericOverflow

COLUMNS = ("variant_id", "input_id", "amount")

#: A decimal number as text (what the CSV ``amount`` column must hold).
_NUMBER = r"^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$"


@dataclass(frozen=True)
class VariantChunk:
    """Whole variants as a CSR matrix (rows: variants, columns: the chunk's input codes).

    Attributes
    ----------
    variant_ids : pyarrow.Array
        One id per variant of the body, in input order.
    indptr : numpy.ndarray of int64, shape (variants + 1,)
        Rows ``indptr[v]:indptr[v + 1]`` of ``inputs`` and ``amounts`` are variant ``v``'s.
    inputs : numpy.ndarray of int32
        Input code of each row: an index into ``columns`` (the row group's dictionary of
        input ids, read as is), or the activity index itself when ``columns`` is None.
    amounts : numpy.ndarray of float64
        Amount of each row, in the activity's unit (finiteness is checked on scoring, where
        a non-finite amount shows as a non-finite footprint: :func:`refuse_nonfinite`).
    first_row : int
        0-based row of the source where the body starts.
    columns : numpy.ndarray of int32 or None
        Activity index of each input code.
    head : VariantChunk or None
        Variants that come before the body (one that continued from the previous batch):
        small, with its own arrays.
    """

    variant_ids: pa.Array
    indptr: np.ndarray
    inputs: np.ndarray
    amounts: np.ndarray
    first_row: int
    columns: np.ndarray | None = None
    head: VariantChunk | None = None

    @property
    def n_variants(self) -> int:
        return len(self.variant_ids) + (self.head.n_variants if self.head else 0)

    @property
    def n_rows(self) -> int:
        return int(self.amounts.size) + (self.head.n_rows if self.head else 0)

    def all_variant_ids(self) -> pa.Array:
        """Ids of the head's and the body's variants, in order."""
        if self.head is None:
            return self.variant_ids
        return pa.concat_arrays([self.head.all_variant_ids(), self.variant_ids])


def refuse_nonfinite(chunk: VariantChunk, scores: np.ndarray, source: str) -> None:
    """Name the row of the first variant whose footprint is not finite.

    Scores are finite unless an amount is NaN or infinite (or products overflow); checking
    the scores (one per variant) instead of every amount keeps the check off the rows.
    """
    bad = np.flatnonzero(~np.isfinite(scores))
    if bad.size == 0:
        return
    v = int(bad[0])
    part = chunk
    if chunk.head is not None:
        if v < chunk.head.n_variants:
            refuse_nonfinite(chunk.head, scores[: chunk.head.n_variants], source)
            return
        v -= chunk.head.n_variants
    lo, hi = int(part.indptr[v]), int(part.indptr[v + 1])
    amounts = part.amounts[lo:hi]
    odd = np.flatnonzero(~np.isfinite(amounts))
    variant = part.variant_ids[v].as_py()
    if odd.size:
        row = part.first_row + lo + int(odd[0])
        raise BatchInputError(
            f"amount is {float(amounts[odd[0]])}; expected a finite number",
            location=f"{source}, row {row + 1}, column amount",
            row=row + 1,
            column="amount",
        )
    raise NumericOverflow(
        f"the footprint of variant {variant!r} leaves the float range: its amounts times the "
        "intensities exceed 1e308 kg CO2e; check the amounts of its rows",
        location=f"{source}, rows {part.first_row + lo + 1}-{part.first_row + hi}",
    )


class VariantChecker:
    """Turns record batches into whole-variant chunks, checking every rule of the format."""

    def __init__(self, index: Mapping[str, int], source: str, row_offset: int = 0) -> None:
        self.index = index
        self.source = source
        self.rows_seen = row_offset
        self._dictionary: pa.Array | None = None
        self._codes: np.ndarray | None = None
        self._last_id: object = None
        self._tail: pa.RecordBatch | None = None  # the last variant seen, maybe unfinished
        self._tail_start = 0

    def error(self, row: int, column: str, message: str) -> BatchInputError:
        return BatchInputError(
            message,
            location=f"{self.source}, row {row + 1}, column {column}",
            row=row + 1,
            column=column,
        )

    def feed(self, batch: pa.RecordBatch) -> Iterator[VariantChunk]:
        """The whole variants of ``batch``; its last variant waits for the next batch.

        The body of each chunk is a zero-copy slice of the batch; only the variant that
        continues from the previous batch is copied (into the chunk's ``head``).
        """
        batch = self._columns(batch)
        start = self.rows_seen  # 0-based source row of the batch's first row
        self.rows_seen += batch.num_rows
        if batch.num_rows == 0:
            return
        bounds, continues = self._bounds(batch.column(0), start)
        head = None
        body_from = 0
        if self._tail is not None:
            tail, tail_start, self._tail = self._tail, self._tail_start, None
            if continues:
                first_end = int(bounds[1]) if bounds.size > 1 else batch.num_rows
                tail = pa.concat_batches([tail, _plain(batch.slice(0, first_end))])
                if first_end == batch.num_rows:  # the variant goes on in the next batch
                    self._tail, self._tail_start = tail, tail_start
                    return
                body_from = first_end
                bounds = bounds[1:]
            head = self._chunk(tail, np.zeros(1, dtype=np.int64), tail_start, mapped=True)
        last_start = int(bounds[-1])
        if last_start > body_from:
            body = batch.slice(body_from, last_start - body_from)
            chunk = self._chunk(body, bounds[:-1] - body_from, start + body_from)
            yield replace(chunk, head=head)
        elif head is not None:
            yield head
        self._tail, self._tail_start = _plain(batch.slice(last_start)), start + last_start

    def finish(self) -> Iterator[VariantChunk]:
        """The last variant, once the input has ended."""
        if self._tail is not None and self._tail.num_rows:
            tail, self._tail = self._tail, None
            yield self._chunk(tail, np.zeros(1, dtype=np.int64), self._tail_start, mapped=True)

    # -- checks ---------------------------------------------------------------------------
    def _columns(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        names = batch.schema.names
        missing = [c for c in COLUMNS if c not in names]
        if missing:
            raise BatchInputError(
                f"the variants have no column {', '.join(missing)}; found columns "
                f"{', '.join(names) or '(none)'}; expected {', '.join(COLUMNS)} "
                "(缺少列；见 docs/scale.md 的输入格式)",
                location=self.source,
                column=missing[0],
            )
        ids = batch.column("variant_id")
        if not (pa.types.is_integer(ids.type) or pa.types.is_string(ids.type)):
            if pa.types.is_large_string(ids.type) or pa.types.is_dictionary(ids.type):
                ids = ids.cast(pa.string())
            else:
                raise self.error(
                    self.rows_seen,
                    "variant_id",
                    f"variant_id has type {ids.type}; expected integers or text",
                )
        if pa.types.is_integer(ids.type):
            ids = ids.cast(pa.int64())
        return pa.RecordBatch.from_arrays(
            [ids, batch.column("input_id"), batch.column("amount")], names=list(COLUMNS)
        )

    def _bounds(self, ids: pa.Array, start: int) -> tuple[np.ndarray, bool]:
        """Positions where a variant starts in ``ids``, and whether the first row continues
        the previous batch's last variant; checks nulls and ascending order."""
        if ids.null_count:
            row = start + int(np.flatnonzero(ids.is_null().to_numpy(zero_copy_only=False))[0])
            raise self.error(row, "variant_id", "variant_id is empty; every row needs one")
        if pa.types.is_integer(ids.type):
            values = ids.to_numpy()
            change = np.flatnonzero(values[1:] != values[:-1]) + 1
            # Ascending: the id of each run above the previous run's (one value per variant).
            firsts = values[np.concatenate(([0], change))]
            descending = np.flatnonzero(firsts[1:] < firsts[:-1])
            if descending.size:
                k = int(change[descending[0]])
                raise self._order_error(start + k, int(values[k]), int(values[k - 1]))
            first, last = int(values[0]), int(values[-1])
        else:
            later, earlier = ids.slice(1), ids.slice(0, len(ids) - 1)
            descending = pc.less(later, earlier).to_numpy(zero_copy_only=False)
            if descending.any():
                k = int(np.flatnonzero(descending)[0])
                raise self._order_error(start + k + 1, later[k].as_py(), earlier[k].as_py())
            differs = pc.not_equal(later, earlier).to_numpy(zero_copy_only=False)
            change = np.flatnonzero(differs) + 1
            first, last = ids[0].as_py(), ids[len(ids) - 1].as_py()
        continues = False
        if self._last_id is not None:
            if _less(first, self._last_id):
                raise self._order_error(start, first, self._last_id)
            continues = first == self._last_id
        self._last_id = last
        return np.concatenate(([0], change)).astype(np.int64), continues

    def _order_error(self, row: int, found: object, before: object) -> BatchInputError:
        return self.error(
            row,
            "variant_id",
            f"variant_id {found!r} comes after {before!r}; the rows must be sorted by "
            "variant_id (each variant's rows together, ids ascending) — sort the file, e.g. "
            "ORDER BY variant_id (按 variant_id 升序排列)",
        )

    def _chunk(
        self, batch: pa.RecordBatch, starts: np.ndarray, start: int, mapped: bool = False
    ) -> VariantChunk:
        """A chunk of ``batch`` (whole variants starting at ``starts``); ``mapped``: input
        codes are activity indices (a small head), else the dictionary's codes."""
        inputs, codes = self._inputs(batch.column(1), start, cache=not mapped)
        columns: np.ndarray | None = codes
        if mapped:
            inputs, columns = codes[inputs], None
        amounts = self._amounts(batch.column(2), start)
        indptr = np.empty(starts.size + 1, dtype=np.int64)
        indptr[:-1] = starts
        indptr[-1] = batch.num_rows
        ids = batch.column(0).take(pa.array(starts))
        return VariantChunk(ids, indptr, inputs, amounts, start, columns)

    def _inputs(
        self, column: pa.Array, start: int, cache: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """The rows' input codes and the activity index of each code (``cache``: keep the
        mapping of the dictionary for the next batch of the same row group)."""
        if column.null_count:
            row = start + int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
            raise self.error(row, "input_id", "input_id is empty; every row needs one")
        if not pa.types.is_dictionary(column.type):
            if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
                column = column.cast(pa.string())
            column = pc.dictionary_encode(column)
        dictionary = column.dictionary
        if cache and self._codes is not None and dictionary.equals(self._dictionary):
            codes = self._codes
        else:
            codes = np.array(
                [self.index.get(str(name), -1) for name in dictionary.to_pylist()],
                dtype=np.int32,
            )
            if cache:
                self._dictionary, self._codes = dictionary, codes
        inputs = column.indices.to_numpy(zero_copy_only=False)
        if inputs.dtype != np.int32:
            inputs = inputs.astype(np.int32)
        if codes.size and codes.min() < 0:
            unknown = codes[inputs] < 0
            if unknown.any():
                k = int(np.flatnonzero(unknown)[0])
                name = column[k].as_py()
                known = ", ".join(sorted(self.index)[:5])
                raise self.error(
                    start + k,
                    "input_id",
                    f"input_id {name!r} is not an activity of the model; expected a process "
                    f"id or factor:ID of the model (e.g. {known}); `tanzuji intensities MODEL` "
                    "lists them (未知的输入编号)",
                )
        return inputs, codes

    def _amounts(self, column: pa.Array, start: int) -> np.ndarray:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            try:
                column = column.cast(pa.float64())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                bad = pc.invert(pc.match_substring_regex(column, _NUMBER))
                k = int(np.flatnonzero(bad.fill_null(False).to_numpy(zero_copy_only=False))[0])
                raise self.error(
                    start + k,
                    "amount",
                    f"amount {column[k].as_py()!r} is not a number; expected a decimal number "
                    "such as 1.5 or 2e-3 (数量不是数字)",
                ) from None
        elif not (
            pa.types.is_floating(column.type)
            or pa.types.is_integer(column.type)
            or pa.types.is_decimal(column.type)
        ):
            raise self.error(
                start, "amount", f"amount has type {column.type}; expected numbers (数量须为数字)"
            )
        if column.null_count:
            row = start + int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
            raise self.error(row, "amount", "amount is empty; expected a number")
        if column.type != pa.float64():
            column = column.cast(pa.float64())
        return column.to_numpy()


def _plain(batch: pa.RecordBatch) -> pa.RecordBatch:
    """``batch`` with dictionary-encoded input ids decoded (batches with different
    dictionaries can then be concatenated)."""
    column = batch.column(1)
    if not pa.types.is_dictionary(column.type):
        return batch
    return pa.RecordBatch.from_arrays(
        [batch.column(0), column.cast(pa.string()), batch.column(2)], names=list(COLUMNS)
    )


def _less(a: object, b: object) -> bool:
    try:
        return bool(a < b)  # type: ignore[operator]
    except TypeError:
        return False


def chunks_from_batches(
    batches: Iterable[pa.RecordBatch], index: Mapping[str, int], source: str
) -> Iterator[VariantChunk]:
    """Whole-variant chunks from record batches of the long format (any source)."""
    checker = VariantChecker(index, source)
    for batch in batches:
        yield from checker.feed(batch)
    yield from checker.finish()


def _wrap_arrow(source: str, exc: Exception) -> BatchInputError:
    message = re.sub(r"\s+", " ", str(exc)).strip()
    return BatchInputError(
        f"the variants file cannot be read: {message}; expected {', '.join(COLUMNS)} in the "
        "long format of docs/scale.md (无法读取变体文件)",
        location=source,
    )


def parquet_batches(path: Path, chunk_rows: int) -> Iterator[pa.RecordBatch]:
    """Record batches of at most ``chunk_rows`` rows of a Parquet file (input ids read
    dictionary-encoded, so each distinct id is looked up once per batch)."""
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path, read_dictionary=["input_id"])
        names = handle.schema_arrow.names
        columns = [c for c in COLUMNS if c in names]
        # Row group by row group: with pre-buffering, one call over the whole file would
        # buffer every row group ahead (memory growing with the file, not the chunk).
        for group in range(handle.num_row_groups):
            yield from handle.iter_batches(
                batch_size=chunk_rows, row_groups=[group], columns=columns
            )
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
        raise _wrap_arrow(str(path), exc) from exc


def parquet_rows(path: Path) -> int:
    """Rows of a Parquet file (its metadata; nothing else is read)."""
    import pyarrow.parquet as pq

    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except (pa.ArrowInvalid, OSError) as exc:
        raise _wrap_arrow(str(path), exc) from exc


def csv_batches(path: Path, chunk_bytes: int) -> Iterator[pa.RecordBatch]:
    """Record batches of a CSV file with a header row, read ``chunk_bytes`` at a time; the
    amounts are read as text and converted here, so a bad one is named by row."""
    import pyarrow.csv as csv

    try:
        reader = csv.open_csv(
            path,
            read_options=csv.ReadOptions(block_size=max(1 << 16, int(chunk_bytes))),
            convert_options=csv.ConvertOptions(
                column_types={
                    "input_id": pa.dictionary(pa.int32(), pa.string()),
                    "amount": pa.string(),
                },
                strings_can_be_null=True,
            ),
        )
        yield from reader
    except (pa.ArrowInvalid, OSError) as exc:
        raise _wrap_arrow(str(path), exc) from exc


def rows_batches(
    rows: Iterable[tuple[object, object, object]], chunk_rows: int, source: str = "variants"
) -> Iterator[pa.RecordBatch]:
    """Record batches of at most ``chunk_rows`` rows from ``(variant_id, input_id, amount)``
    tuples (a database cursor, read row by row: nothing is kept beyond one batch).

    Values come as the database holds them: input ids that are numbers become text; amounts
    that are decimals or text are converted, and named by row when they are not numbers, by
    :class:`VariantChecker`; variant ids of mixed types (integers and text in one SQLite
    column) are refused here, naming the first row that differs.
    """
    buffer: list[tuple[object, object, object]] = []
    first_row = 0
    for row in rows:
        buffer.append(row)
        if len(buffer) >= chunk_rows:
            yield rows_batch(buffer, first_row, source)
            first_row += len(buffer)
            buffer = []
    if buffer:
        yield rows_batch(buffer, first_row, source)


def rows_batch(
    rows: Sequence[Sequence[object]], first_row: int, source: str = "variants"
) -> pa.RecordBatch:
    """One record batch of ``(variant_id, input_id, amount)`` rows (a cursor's
    ``fetchmany``), the first being row ``first_row`` (0-based) of ``source``; see
    :func:`rows_batches`."""
    # One list per column (``zip(*rows)`` passes every row as an argument: slow on many rows).
    ids = tuple(row[0] for row in rows)
    inputs = tuple(row[1] for row in rows)
    amounts = tuple(row[2] for row in rows)
    return pa.RecordBatch.from_arrays(
        [_ids_array(ids, first_row, source), _text_array(inputs), _amounts_array(amounts)],
        names=list(COLUMNS),
    )


def _ids_array(ids: tuple[object, ...], first_row: int, source: str) -> pa.Array:
    try:
        return pa.array(ids)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        pass
    kinds = [type(v) for v in ids if v is not None]
    first = kinds[0] if kinds else type(None)
    k = next((i for i, v in enumerate(ids) if v is not None and type(v) is not first), 0)
    found = ids[k]
    raise BatchInputError(
        f"variant_id {found!r} is {type(found).__name__} where the rows before it hold "
        f"{first.__name__}; expected integers (within 64 bits) or text throughout, one type "
        "for the whole column (变体编号类型不一致)",
        location=f"{source}, row {first_row + k + 1}, column variant_id",
        row=first_row + k + 1,
        column="variant_id",
    )


def _text_array(values: tuple[object, ...]) -> pa.Array:
    try:
        return pa.array(values, pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


def _amounts_array(values: tuple[object, ...]) -> pa.Array:
    try:
        return pa.array(values, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    try:
        return pa.array(values)  # decimals (PostgreSQL numeric): converted by the checker
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return _text_array(values)  # text among numbers: the checker names the bad row


__all__ = [
    "COLUMNS",
    "VariantChecker",
    "VariantChunk",
    "chunks_from_batches",
    "csv_batches",
    "parquet_batches",
    "parquet_rows",
    "refuse_nonfinite",
    "rows_batch",
    "rows_batches",
]
