"""What every service shares: the request base class and the unit of work with retries."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tanzuji.context import Context
from tanzuji.errors import ConcurrentUpdate

T = TypeVar("T")

#: How often a unit of work that met a concurrent update is tried in all.
ATTEMPTS = 8

#: Longest random wait before the n-th retry, in seconds (times n): conflicting writers fall
#: out of step instead of meeting again.
RETRY_JITTER_S = 0.025

#: Logs each retried conflict at INFO (``tanzuji.services``), so operators can see contention.
log = logging.getLogger("tanzuji.services")

#: PostgreSQL SQLSTATEs of transactions the server aborted for concurrency (serialization
#: failure, deadlock); like ConcurrentUpdate they are safe to retry from the start.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


class StartOver(ConcurrentUpdate):
    """What a computation outside the transaction was based on changed: start the whole
    operation over (:func:`retrying`); retrying only the transaction would not help."""


class Request(BaseModel):
    """Base of every service request: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Result(BaseModel):
    """Base of every service result."""

    model_config = ConfigDict(frozen=True)


def run_unit_of_work(
    context: Context,
    work: Callable[[Session], T],
    *,
    attempts: int = ATTEMPTS,
) -> T:
    """Run ``work`` in one transaction of the context's database; retry it on a conflict.

    ``work`` receives the open session and must do everything it writes through it: it is
    committed when ``work`` returns and rolled back when it raises. When it raises
    :class:`ConcurrentUpdate` (or the server aborted it for concurrency) the whole ``work``
    runs again from the start, in a new transaction, up to ``attempts`` times in all.

    Raises
    ------
    ConcurrentUpdate
        When every attempt met a concurrent update.
    """
    database = context.require_database()
    for attempt in range(1, attempts):
        try:
            with database.unit_of_work() as session:
                return work(session)
        except StartOver:
            raise
        except ConcurrentUpdate as exc:
            log.info("retrying after a concurrent update (attempt %d): %s", attempt, exc)
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) not in RETRYABLE_SQLSTATES:
                raise
            log.info("retrying after the database aborted a transaction (attempt %d)", attempt)
        _pause(attempt)
    with database.unit_of_work() as session:
        return work(session)


def retrying(operation: Callable[[], T], *, attempts: int = ATTEMPTS) -> T:
    """Run ``operation`` (which opens its own units of work) again when it meets a conflict.

    For operations that read, compute outside any transaction, then write naming the version
    they read (a PCR check, a model revision): a conflict means the inputs changed, so the
    whole operation starts over.
    """
    for attempt in range(1, attempts):
        try:
            return operation()
        except ConcurrentUpdate as exc:
            log.info("starting over after a concurrent update (attempt %d): %s", attempt, exc)
            _pause(attempt)
    return operation()


def _pause(attempt: int) -> None:
    """A short random wait before retrying, so that conflicting writers fall out of step."""
    time.sleep(random.uniform(0, 0.02 * attempt))
