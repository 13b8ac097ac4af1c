"""Where job work runs: the :class:`Executor` interface and the default thread pool.

The runner hands an executor one call per job: ``executor.submit(execute, context, job_id,
runner)``, and watches the returned future. The default :class:`ThreadExecutor` runs it in a
thread of the web process. An executor that runs work elsewhere (a dask cluster) cannot ship a
Context (it holds the database engine): it submits :func:`tanzuji.jobs.runner.execute_remote`
with ``context.settings`` instead, which rebuilds the Context where it runs — the state still
goes through the database, so the runner sees progress, result and failure the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol


class Executor(Protocol):
    """Runs job calls and answers futures (``concurrent.futures.Future`` or alike: ``done()``,
    ``result()``)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future: ...

    def shutdown(self, wait: bool = True) -> None: ...


class ThreadExecutor:
    """A pool of ``threads`` threads in this process (the default)."""

    def __init__(self, threads: int) -> None:
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="tanzuji-job")

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future:
        return self.pool.submit(fn, *args)

    def shutdown(self, wait: bool = True) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=True)


__all__ = ["Executor", "ThreadExecutor"]
