"""Batch footprints and the database (an edge module): variants read from a table or view,
results written to ``batch_runs`` and ``batch_results`` (:mod:`tanzuji.store.batch_tables`)
and read back.

**Variants from a table or view** (``db:TABLE`` or ``db:SCHEMA.TABLE``): any table or view of
the platform database with the columns ``variant_id``, ``input_id`` and ``amount`` (the long
format of :mod:`tanzuji.scale.variants`). The name must be a plain SQL identifier (letters,
digits, ``_``), must name an existing table or view (looked up, not interpolated) and is
quoted by SQLAlchemy, so a source can never carry SQL. The rows are read ordered by
``variant_id, input_id, amount`` (text compared byte by byte: ``COLLATE "C"`` on PostgreSQL,
SQLite's ``BINARY``), so a variant's rows are summed in the same order whatever the physical
order of the table, and streamed: on PostgreSQL through ``COPY (SELECT ...) TO STDOUT`` parsed
by Arrow's CSV reader, elsewhere through a cursor fetched ``chunk_rows`` at a time. Memory is
bounded by the chunk size whatever the size of the table; row numbers in errors are positions
in that order (1-based).

**Results to the database**: :func:`start_run` records a run as ``running`` (committed at
once, so the run shows while it works); :class:`DatabaseResults` writes its rows in one
transaction (PostgreSQL ``COPY ... FROM STDIN``; ``executemany`` on SQLite) that also sets the
run ``done`` — results and status become visible together or not at all. On any error the
transaction is rolled back (no row of the run remains) and :func:`fail_run` records the error.
A process killed mid-run leaves its run ``running`` with no rows.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import selectors
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy import Engine, Select, func, select, update
from sqlalchemy.exc import DBAPIError, NoSuchTableError
from sqlalchemy.orm import Session

from tanzuji.errors import BatchInputError, ConcurrentUpdate, NotFound, StoreUnavailable
from tanzuji.scale import variants
from tanzuji.scale.batch import ScoredChunk
from tanzuji.store import search
from tanzuji.store.batch_tables import BatchResultRow, BatchRunRow
from tanzuji.store.db import Database, load_all_tables, rows_matched

#: How a database source is written: ``db:TABLE`` or ``db:SCHEMA.TABLE``.
SOURCE_PREFIX = "db:"

#: One part of a table name: a plain SQL identifier, at most PostgreSQL's 63 bytes.
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")

#: Rows a cursor fetches at a time (then converted to Arrow).
FETCH_ROWS = 65_536

#: Bytes of CSV per row of variants, to size Arrow's blocks on PostgreSQL (as the CSV source).
_BYTES_PER_ROW = 40

RUNNING, DONE, FAILED = "running", "done", "failed"


def is_database_source(text: str) -> bool:
    """True when ``text`` names a table or view (``db:NAME``) rather than a file."""
    return text.startswith(SOURCE_PREFIX)


# -- variants from a table or view ------------------------------------------------------------
@dataclass(frozen=True)
class VariantTable:
    """A table or view of variants, found in the database and checked.

    Attributes
    ----------
    source : str
        As the user named it (``db:...``): the location in error messages.
    schema : str or None
        Its schema (None: the default one).
    name : str
        Its name as the database spells it.
    columns : tuple of str
        Its columns holding ``variant_id``, ``input_id`` and ``amount``.
    types : tuple of sqlalchemy TypeEngine
        Their types as the database reports them.
    """

    source: str
    schema: str | None
    name: str
    columns: tuple[str, str, str]
    types: tuple[Any, Any, Any]

    def _table(self) -> sa.TableClause:
        return sa.table(self.name, *(sa.column(c) for c in self.columns), schema=self.schema)

    def query(self, dialect: str) -> Select[Any]:
        """``SELECT variant_id, input_id, amount ... ORDER BY`` all three, text byte-wise."""
        table = self._table()
        pairs = zip(self.columns, variants.COLUMNS, strict=True)
        picked = [table.c[column].label(name) for column, name in pairs]
        order = []
        for column, kind in zip(self.columns, self.types, strict=True):
            expression: Any = table.c[column]
            if dialect == "postgresql" and isinstance(kind, sa.String):
                expression = sa.collate(expression, "C")
            elif dialect == "sqlite" and not _is_number(kind):
                expression = sa.collate(expression, "BINARY")
            order.append(expression)
        return select(*picked).order_by(*order)

    def count(self) -> Select[Any]:
        return select(func.count()).select_from(self._table())


def _is_number(kind: Any) -> bool:
    return isinstance(kind, sa.Integer | sa.Numeric)


def _is_integer(kind: Any) -> bool:
    return isinstance(kind, sa.Integer)


def variant_table(engine: Engine, source: str) -> VariantTable:
    """Find the table or view that ``source`` (``db:NAME``) names and its three columns.

    Raises
    ------
    BatchInputError
        The name is not a plain identifier, no such table or view exists, or a column is
        missing (each naming what was found and what was expected).
    """
    schema, name = _parse_name(source)
    inspector = sa.inspect(engine)
    try:
        names = [*inspector.get_table_names(schema), *inspector.get_view_names(schema)]
    except (DBAPIError, NoSuchTableError):  # SQLite: no attached database of that name
        names = []
    actual = _match(name, names)
    if actual is None:
        own = set(load_all_tables().tables) | {"alembic_version"}
        theirs = sorted(n for n in names if n not in own and not search.is_search_table(n))
        shown = ", ".join(theirs[:10]) + (", ..." if len(theirs) > 10 else "")
        raise BatchInputError(
            f"the database has no table or view {name!r}"
            + (f" in schema {schema!r}" if schema else "")
            + f"; found {shown or 'none besides Tanzuji’s own'}; expected a table or view with "
            f"the columns {', '.join(variants.COLUMNS)} (数据库中没有该表或视图)",
            location=source,
        )
    found = {c["name"]: c["type"] for c in inspector.get_columns(actual, schema)}
    columns: list[str] = []
    types: list[Any] = []
    missing: list[str] = []
    for wanted in variants.COLUMNS:
        column = _match(wanted, list(found))
        if column is None:
            missing.append(wanted)
        else:
            columns.append(column)
            types.append(found[column])
    if missing:
        raise BatchInputError(
            f"the variants have no column {', '.join(missing)}; found columns "
            f"{', '.join(found) or '(none)'}; expected {', '.join(variants.COLUMNS)} "
            "(缺少列；见 docs/scale.md 的输入格式)",
            location=source,
            column=missing[0],
        )
    names3 = (columns[0], columns[1], columns[2])
    return VariantTable(source, schema, actual, names3, (types[0], types[1], types[2]))


def _parse_name(source: str) -> tuple[str | None, str]:
    text = source[len(SOURCE_PREFIX) :] if is_database_source(source) else source
    parts = text.split(".")
    if not (1 <= len(parts) <= 2 and all(_IDENTIFIER.fullmatch(p) for p in parts)):
        raise BatchInputError(
            f"{text!r} is not a table name; expected a plain SQL identifier (letters, digits "
            "and _, not starting with a digit, at most 63 characters), optionally after a "
            "schema: db:my_variants or db:sales.my_variants (表名只能包含字母、数字和下划线)",
            location=source,
        )
    return (None, parts[0]) if len(parts) == 1 else (parts[0], parts[1])


def _match(wanted: str, names: list[str]) -> str | None:
    """``wanted`` among ``names``; else the one name equal to it ignoring case (PostgreSQL
    folds unquoted names to lower case: ``db:My_Variants`` finds ``my_variants``)."""
    if wanted in names:
        return wanted
    folded = [n for n in names if n.lower() == wanted.lower()]
    return folded[0] if len(folded) == 1 else None


def count_rows(engine: Engine, table: VariantTable) -> int:
    """Rows of the table (the total of the progress bar)."""
    try:
        with engine.connect() as connection:
            return int(connection.execute(table.count()).scalar_one())
    except DBAPIError as exc:
        raise _read_error(table.source, exc) from None


def variant_batches(
    engine: Engine, table: VariantTable, chunk_rows: int, *, method: str | None = None
) -> Iterator[pa.RecordBatch]:
    """Record batches of at most ``chunk_rows`` rows of ``table`` in the order of
    :meth:`VariantTable.query`, for :func:`tanzuji.scale.variants.chunks_from_batches`.

    ``method``: ``copy`` (PostgreSQL only, its default) or ``cursor`` (the default elsewhere).
    """
    dialect = engine.dialect.name
    query = table.query(dialect)
    try:
        if (method or ("copy" if dialect == "postgresql" else "cursor")) == "copy":
            types = {
                "variant_id": pa.int64() if _is_integer(table.types[0]) else pa.string(),
                "input_id": pa.dictionary(pa.int32(), pa.string()),
                # Non-float amounts (numeric, text) as text: converted, and named by row when
                # not numbers, by the checker.
                "amount": pa.float64() if isinstance(table.types[2], sa.Float) else pa.string(),
            }
            yield from copy_batches(engine, query, types, chunk_rows)
        else:
            yield from _cursor_batches(engine, query, chunk_rows, table.source)
    except (DBAPIError, psycopg.Error, sqlite3.Error) as exc:
        raise _read_error(table.source, exc) from None
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise _read_error(table.source, exc) from None


def _cursor_batches(
    engine: Engine, query: Select[Any], chunk_rows: int, source: str
) -> Iterator[pa.RecordBatch]:
    """Record batches of up to ``chunk_rows`` rows, fetched :data:`FETCH_ROWS` at a time
    (Python rows cost about 150 bytes each: converted to Arrow block by block, they never
    number more than one block)."""
    pending: list[pa.RecordBatch] = []
    count = first_row = 0
    for rows in cursor_blocks(engine, query, min(chunk_rows, FETCH_ROWS)):
        batch = variants.rows_batch(rows, first_row, source)
        if pending and batch.schema != pending[0].schema:
            if batch.schema.field(0).type != pending[0].schema.field(0).type:
                raise _id_type_error(source, first_row, batch, pending[0])
            yield _combined(pending)  # other column types: the checker converts each batch
            pending, count = [], 0
        pending.append(batch)
        first_row += len(rows)
        count += len(rows)
        if count >= chunk_rows:
            yield _combined(pending)
            pending, count = [], 0
    if pending:
        yield _combined(pending)


def _combined(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(batches) == 1:
        return batches[0]
    return pa.Table.from_batches(batches).combine_chunks().to_batches()[0]


def _id_type_error(
    source: str, row: int, batch: pa.RecordBatch, before: pa.RecordBatch
) -> BatchInputError:
    found = batch.column(0)[0].as_py()
    return BatchInputError(
        f"variant_id {found!r} is {batch.schema.field(0).type} where the rows before it hold "
        f"{before.schema.field(0).type}; expected integers or text throughout, one type for "
        "the whole column (变体编号类型不一致)",
        location=f"{source}, row {row + 1}, column variant_id",
        row=row + 1,
        column="variant_id",
    )


def _sql(engine: Engine, query: Select[Any]) -> str:
    """``query`` as SQL text (values inlined by the dialect: they are ours, checked)."""
    return str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))


def cursor_blocks(engine: Engine, query: Select[Any], chunk_rows: int) -> Iterator[list[Any]]:
    """Rows of ``query`` as lists of at most ``chunk_rows`` tuples, fetched by the driver's
    cursor (server-side on PostgreSQL) without SQLAlchemy's row objects; a stream stopped
    early discards its connection."""
    raw = engine.raw_connection()
    finished = False
    try:
        if engine.dialect.name == "postgresql":
            connection = cast(Any, raw.driver_connection)
            cursor = connection.cursor(name=f"tanzuji_batch_{secrets.token_hex(4)}")
        else:
            cursor = raw.cursor()
        cursor.execute(_sql(engine, query))
        while rows := cursor.fetchmany(chunk_rows):
            yield rows
        cursor.close()
        raw.rollback()  # ends the reading transaction
        finished = True
    finally:
        if finished:
            raw.close()
        else:
            raw.invalidate()


def _read_error(source: str, exc: Exception) -> BatchInputError:
    text = str(getattr(exc, "orig", None) or exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return BatchInputError(
        f"the variants cannot be read from the database: {first}; expected a readable table "
        f"or view with the columns {', '.join(variants.COLUMNS)} (无法从数据库读取变体)",
        location=source,
    )


def _copy_out(pgconn: Any, sql: str, block_bytes: int) -> Iterator[bytearray]:
    """The bytes of ``COPY (sql) TO STDOUT`` in blocks of about ``block_bytes``, read with
    libpq's ``PQgetCopyData`` directly.

    PostgreSQL sends one message per row; psycopg's ``Copy.read`` costs about 2 µs of Python
    per message, this loop about 1 µs (it waits on the socket only when no whole row is
    buffered, as libpq's documentation describes).

    Raises
    ------
    psycopg.Error
        The server refused the query or failed during the copy.
    """
    from psycopg import pq

    pgconn.send_query(f"COPY ({sql}) TO STDOUT (FORMAT csv)".encode())
    result = pgconn.get_result()
    if result is None or result.status != pq.ExecStatus.COPY_OUT:
        message = result.error_message if result is not None else pgconn.error_message
        while pgconn.get_result() is not None:
            pass
        raise psycopg.Error(bytes(message).decode(errors="replace").strip())
    get = pgconn.get_copy_data
    waiting = selectors.DefaultSelector()
    waiting.register(pgconn.socket, selectors.EVENT_READ)
    buffer = bytearray()
    try:
        while True:
            size, data = get(1)
            if size > 0:
                buffer += data
                if len(buffer) >= block_bytes:
                    yield buffer
                    buffer = bytearray()
            elif size == 0:  # no whole row buffered: wait for the server
                waiting.select()
                pgconn.consume_input()
            else:
                break
    finally:
        waiting.close()
    if buffer:
        yield buffer
    result = pgconn.get_result()
    while pgconn.get_result() is not None:
        pass
    if result is not None and result.status != pq.ExecStatus.COMMAND_OK:
        raise psycopg.Error(bytes(result.error_message).decode(errors="replace").strip())


def copy_batches(
    engine: Engine, query: Select[Any], types: dict[str, pa.DataType], chunk_rows: int
) -> Iterator[pa.RecordBatch]:
    """Record batches of at most ``chunk_rows`` rows of ``query`` on PostgreSQL, streamed by
    ``COPY (query) TO STDOUT (FORMAT csv)``, each block of about ``chunk_rows`` rows parsed by
    Arrow's CSV parser as it comes (a block ends with a whole row: PostgreSQL sends one row
    per message).

    Blocks are parsed here, one at a time, rather than by Arrow's streaming reader, which
    reads blocks ahead when the consumer is slower (measured: 34 blocks held at once), so
    memory stays bounded by the chunk size. Only an unquoted empty field is NULL
    (PostgreSQL's CSV NULL), so ``NaN`` stays a number. The copy runs on a connection of the
    pool outside any transaction (one statement, one snapshot); a stream stopped early (an
    error further on) discards that connection: a COPY cannot be abandoned half-read on a
    connection that goes back to the pool.
    """
    import pyarrow.csv as csv

    sql = _sql(engine, query)
    block_bytes = max(1 << 16, chunk_rows * _BYTES_PER_ROW)
    parse = csv.ParseOptions(newlines_in_values=True)
    convert = csv.ConvertOptions(
        column_types=types, null_values=[""], strings_can_be_null=True,
        quoted_strings_can_be_null=False,
    )  # fmt: skip
    raw = engine.raw_connection()
    finished = False
    try:
        connection = cast(Any, raw.driver_connection)
        for block in _copy_out(connection.pgconn, sql, block_bytes):
            read = csv.ReadOptions(
                column_names=list(types), block_size=len(block) + 1, use_threads=False
            )
            table = csv.read_csv(
                pa.py_buffer(block), read_options=read, parse_options=parse, convert_options=convert
            )
            for batch in table.to_batches():
                for start in range(0, batch.num_rows, chunk_rows):
                    yield batch.slice(start, chunk_rows)
        finished = True
    finally:
        if finished:
            raw.close()
        else:
            raw.invalidate()


# -- runs and their results -------------------------------------------------------------------
def start_run(
    database: Database,
    *,
    snapshot_key: str,
    release: str,
    model_hash: str,
    gwp_set: str,
    gases: tuple[str, ...],
    source: str,
    now: dt.datetime,
) -> int:
    """Record a run as ``running`` (committed at once) and return its id (1, 2, ...)."""
    with database.unit_of_work() as session:
        row = BatchRunRow(
            status=RUNNING,
            snapshot_key=snapshot_key,
            release=release,
            model_hash=model_hash,
            gwp_set=gwp_set,
            by_gas=bool(gases),
            gases=list(gases),
            source=source,
            variant_type="integer",
            variants=0,
            rows=0,
            created_at=now,
        )
        session.add(row)
        session.flush()
        return row.id


def fail_run(database: Database, run_id: int, error: str, now: dt.datetime) -> None:
    """Mark a run ``failed`` with its error (its rows were rolled back)."""
    with database.unit_of_work() as session:
        session.execute(
            update(BatchRunRow)
            .where(BatchRunRow.id == run_id, BatchRunRow.status == RUNNING)
            .values(status=FAILED, error=error[:4000], finished_at=now)
        )


def get_run(session: Session, run_id: int) -> BatchRunRow:
    """The run ``run_id``.

    Raises
    ------
    NotFound
        No such run.
    """
    row = session.get(BatchRunRow, run_id)
    if row is None:
        raise NotFound(
            f"there is no batch run {run_id}; `tanzuji batch-runs` lists them (没有该批量计算记录)",
            run_id=run_id,
        )
    return row


def list_runs(session: Session, limit: int) -> list[BatchRunRow]:
    """The newest ``limit`` runs, newest first."""
    query = select(BatchRunRow).order_by(BatchRunRow.created_at.desc(), BatchRunRow.id.desc())
    return list(session.scalars(query.limit(limit)))


def _gas_json(by_gas: np.ndarray, gases: tuple[str, ...]) -> list[str]:
    """``{"CO2": kg, ...}`` per variant (``repr``: the shortest text that reads back as the
    same double)."""
    keys = [json.dumps(g) for g in gases]
    return [
        "{" + ", ".join(f"{k}: {v!r}" for k, v in zip(keys, row, strict=True)) + "}"
        for row in by_gas.tolist()
    ]


class DatabaseResults:
    """Footprints to ``batch_results``, visible with the run's ``done`` at :meth:`commit`.

    A :class:`tanzuji.scale.batch.ResultSink`: every chunk is written into one transaction,
    committed with the run's status, counts and variant id type; :meth:`abort` rolls it back.
    """

    def __init__(
        self,
        database: Database,
        run_id: int,
        gases: tuple[str, ...] = (),
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.database = database
        self.run_id = run_id
        self.gases = gases
        self.now = now
        self.variants = 0
        self.rows = 0
        self.variant_type: str | None = None
        self._stack: ExitStack | None = None
        self._session: Session | None = None

    def _open(self) -> Session:
        if self._session is None:
            self._stack = ExitStack()
            self._session = self._stack.enter_context(self.database.unit_of_work())
        return self._session

    def write(self, scored: ScoredChunk) -> None:
        session = self._open()
        count = len(scored.variant_ids)
        if count:
            ids = scored.variant_ids
            if self.variant_type is None:
                self.variant_type = "integer" if pa.types.is_integer(ids.type) else "text"
            text_ids = ids if pa.types.is_string(ids.type) else pc.cast(ids, pa.string())
            by_gas = None if scored.by_gas is None else _gas_json(scored.by_gas, self.gases)
            if self.database.backend == "postgresql":
                self._copy(session, text_ids, scored.kg_co2e, by_gas)
            else:
                self._insert(session, text_ids, scored.kg_co2e, by_gas)
        self.variants += count
        self.rows += scored.rows

    def _copy(
        self, session: Session, ids: pa.Array, kg_co2e: np.ndarray, by_gas: list[str] | None
    ) -> None:
        import pyarrow.csv as csv

        count = len(ids)
        table = pa.table(
            {
                "run_id": pa.array([self.run_id]).take(np.zeros(count, dtype=np.int64)),
                "position": np.arange(self.variants, self.variants + count, dtype=np.int64),
                "variant_id": ids,
                "kg_co2e": kg_co2e,
                "kg_co2e_by_gas": pa.array(by_gas, pa.string())
                if by_gas is not None
                else pa.nulls(count, pa.string()),
            }
        )
        sink = pa.BufferOutputStream()
        csv.write_csv(table, sink, csv.WriteOptions(include_header=False))
        connection = cast(Any, session.connection().connection.driver_connection)
        columns = ", ".join(table.column_names)
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY batch_results ({columns}) FROM STDIN (FORMAT csv)") as copy,
        ):
            copy.write(memoryview(sink.getvalue()))

    def _insert(
        self, session: Session, ids: pa.Array, kg_co2e: np.ndarray, by_gas: list[str] | None
    ) -> None:
        count = len(ids)
        rows = zip(
            [self.run_id] * count,
            range(self.variants, self.variants + count),
            ids.to_pylist(),
            kg_co2e.tolist(),
            by_gas if by_gas is not None else [None] * count,
            strict=True,
        )
        session.connection().exec_driver_sql(
            "INSERT INTO batch_results (run_id, position, variant_id, kg_co2e, kg_co2e_by_gas) "
            "VALUES (?, ?, ?, ?, ?)",
            list(rows),
        )

    def commit(self) -> None:
        session = self._open()
        done = rows_matched(
            session,
            update(BatchRunRow)
            .where(BatchRunRow.id == self.run_id, BatchRunRow.status == RUNNING)
            .values(
                status=DONE,
                variants=self.variants,
                rows=self.rows,
                variant_type=self.variant_type or "integer",
                finished_at=self.now(),
            ),
        )
        if done != 1:
            raise ConcurrentUpdate(
                f"batch run {self.run_id} is no longer running (changed by another process); "
                "its results were not kept (批量计算记录已被其他进程更改)"
            )
        stack, self._stack, self._session = self._stack, None, None
        if stack is not None:
            stack.close()  # commits

    def abort(self) -> None:
        if self._stack is not None:
            stack, self._stack, self._session = self._stack, None, None
            cancelled = RuntimeError("batch run aborted")
            stack.__exit__(type(cancelled), cancelled, None)  # rolls back


def result_batches(
    database: Database, run: BatchRunRow, chunk_rows: int, *, first: int = 0, limit: int = -1
) -> Iterator[ScoredChunk]:
    """The results of a ``done`` run in its order, ``chunk_rows`` variants at a time, as
    they were written (variant ids of the run's type, by gas in the run's gas order).

    ``first``, ``limit``: positions ``first`` to ``first + limit - 1`` only (-1: all).
    """
    table = BatchResultRow.__table__
    query = (
        select(table.c.variant_id, table.c.kg_co2e, sa.cast(table.c.kg_co2e_by_gas, sa.Text))
        .where(table.c.run_id == run.id, table.c.position >= first)
        .order_by(table.c.position)
    )
    if limit >= 0:
        query = query.where(table.c.position < first + limit)
    try:
        yield from _result_chunks(database, run, query, chunk_rows)
    except (DBAPIError, psycopg.Error, sqlite3.Error) as exc:
        text = str(getattr(exc, "orig", None) or exc).strip()
        raise StoreUnavailable(
            f"the results of batch run {run.id} cannot be read from the database "
            f"{database.display_url}: {text.splitlines()[0] if text else type(exc).__name__} "
            "(无法读取批量计算结果)"
        ) from None


def _result_chunks(
    database: Database, run: BatchRunRow, query: Select[Any], chunk_rows: int
) -> Iterator[ScoredChunk]:
    integer = run.variant_type == "integer"
    gases = tuple(run.gases or ())
    if database.backend == "postgresql":
        types = {
            "variant_id": pa.int64() if integer else pa.string(),
            "kg_co2e": pa.float64(),
            "kg_co2e_by_gas": pa.string(),
        }
        for batch in copy_batches(database.engine, query, types, chunk_rows):
            yield _scored(batch.column(0), batch.column(1), batch.column(2), gases)
        return
    for part in cursor_blocks(database.engine, query, min(chunk_rows, FETCH_ROWS)):
        id_array = pa.array([row[0] for row in part], pa.string())
        if integer:
            id_array = pc.cast(id_array, pa.int64())
        kg = pa.array([row[1] for row in part], pa.float64())
        yield _scored(id_array, kg, pa.array([row[2] for row in part], pa.string()), gases)


def _scored(ids: pa.Array, kg: pa.Array, by_gas: pa.Array, gases: tuple[str, ...]) -> ScoredChunk:
    matrix = None
    if gases:
        matrix = np.array(
            [[found[g] for g in gases] for found in map(json.loads, by_gas.to_pylist())],
            dtype=np.float64,
        ).reshape(len(ids), len(gases))
    return ScoredChunk(ids, kg.to_numpy(zero_copy_only=False), matrix)


__all__ = [
    "DONE",
    "FAILED",
    "RUNNING",
    "SOURCE_PREFIX",
    "DatabaseResults",
    "VariantTable",
    "copy_batches",
    "count_rows",
    "fail_run",
    "get_run",
    "is_database_source",
    "list_runs",
    "result_batches",
    "start_run",
    "variant_batches",
    "variant_table",
]
