"""Batch footprint tables (Alembic revision ``0012_batch_results``): runs and their results.

* ``batch_runs``: one ``tanzuji batch ... --to-db`` run: what it computed (snapshot key, factor
  release, model hash, GWP set, the gases of ``--by-gas``), where the variants came from, the
  type of their ids, when it started and ended, how many variants and rows it read, and its
  ``status``: ``running`` while it writes, ``done`` in the same transaction that makes its
  results visible, ``failed`` (with the error) when it stopped. A run's results are read only
  when it is ``done``.
* ``batch_results``: one row per variant of a run, in the run's order (``position``, 0-based):
  the variant id as text (the run's ``variant_type`` says whether it was an integer), its
  footprint ``kg_co2e`` and, for a ``--by-gas`` run, ``kg_co2e_by_gas``: a JSON object
  ``{"CO2": kg, "CH4": kg, ...}`` of kg CO2e per characterized gas (they add up to
  ``kg_co2e``).

Written for speed (a run writes millions of rows): the run id is an integer and the only
index is the primary key ``(run_id, position)``; there is **no foreign key** from
``batch_results.run_id`` to ``batch_runs``: PostgreSQL checks one with a trigger per row, which
made writing 3 times slower (measured: 4.1 × 10^4 against 1.3 × 10^5 rows/s,
``bench/batch_db.py``). Rows are written only by :class:`tanzuji.store.batch.DatabaseResults`
for a run it has recorded; deleting a run means deleting its rows too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tanzuji.store.db import Base

Stamp = DateTime(timezone=True)


class BatchRunRow(Base):
    __tablename__ = "batch_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    snapshot_key: Mapped[str] = mapped_column(String(64))
    release: Mapped[str] = mapped_column(String(200))
    model_hash: Mapped[str] = mapped_column(String(64))
    gwp_set: Mapped[str] = mapped_column(String(20))
    by_gas: Mapped[bool] = mapped_column(Boolean)
    gases: Mapped[Any] = mapped_column(JSON, nullable=False)
    source: Mapped[str] = mapped_column(Text)
    variant_type: Mapped[str] = mapped_column(String(20))
    variants: Mapped[int] = mapped_column(BigInteger)
    rows: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(Stamp, index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(Stamp)
    error: Mapped[str | None] = mapped_column(Text)


class BatchResultRow(Base):
    __tablename__ = "batch_results"

    run_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    variant_id: Mapped[str] = mapped_column(Text)
    kg_co2e: Mapped[float] = mapped_column(Float)
    kg_co2e_by_gas: Mapped[Any | None] = mapped_column(JSON, nullable=True)
