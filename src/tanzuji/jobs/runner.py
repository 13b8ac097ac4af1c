"""The job runner a web process runs: recover interrupted jobs, claim queued ones, execute
them on an executor, keep their heartbeat.

One runner per process, named ``host:pid:random``. Every ``job_poll_interval_s`` it

1. queues again (or fails, when out of attempts) the jobs whose runner stopped — no heartbeat
   for ``job_stale_after_s`` (:func:`tanzuji.services.jobs.recover_interrupted`): a web
   process killed in the middle of a job leaves it ``running``; the next runner to look,
   in this process after a restart or in a sibling worker, takes it up;
2. writes the heartbeat of the jobs it runs;
3. claims queued jobs while fewer than ``job_threads`` of its own run, and hands each to the
   executor as :func:`execute`.

:func:`execute` runs one job as the user who queued it and records its end: the result, or
the error (a Tanzuji error's message; for anything else its type and text, with the traceback
in the log) — a failure is kept in the job, never lost.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from concurrent.futures import Future
from typing import Any

from tanzuji.context import Context
from tanzuji.errors import TanzujiError
from tanzuji.jobs.executors import Executor, ThreadExecutor
from tanzuji.jobs.kinds import kind_of
from tanzuji.services import jobs
from tanzuji.settings import Settings

log = logging.getLogger("tanzuji.jobs")

#: Write a job's progress at most this often (s), whatever the work reports.
PROGRESS_INTERVAL_S = 0.5


class JobLost(Exception):
    """The job is no longer this runner's (recovered by another after a long stall)."""


class Progress:
    """The ``report(fraction, message)`` a job's work calls; written at most every
    :data:`PROGRESS_INTERVAL_S` (and always at 0 and 1)."""

    def __init__(self, context: Context, job_id: str, runner: str) -> None:
        self.context, self.job_id, self.runner = context, job_id, runner
        self.last = 0.0

    def __call__(self, fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if fraction not in (0.0, 1.0) and now - self.last < PROGRESS_INTERVAL_S:
            return
        self.last = now
        if not jobs.progress(self.context, self.job_id, self.runner, fraction, message):
            raise JobLost(self.job_id)


def execute(context: Context, job_id: str, runner: str) -> str:
    """Run job ``job_id`` (claimed by ``runner``) and record how it ended; returns the state.

    ``context`` is the process's Context with nobody acting; the work runs as the user who
    queued the job, looked up now.
    """
    view = jobs.job(context, job_id)
    try:
        acting = context.with_user(view.created_by)
        result = kind_of(view.kind).run(acting, view.parameters, Progress(context, job_id, runner))
    except JobLost:
        log.warning("job %s was taken over by another runner; its result is dropped", job_id)
        return "lost"
    except TanzujiError as exc:
        jobs.fail(context, job_id, runner, f"{exc.code}: {exc}")
        return jobs.JobState.failed.value
    except Exception as exc:
        log.exception("job %s (%s) failed", job_id, view.kind)
        jobs.fail(context, job_id, runner, f"internal error ({type(exc).__name__}): {exc}")
        return jobs.JobState.failed.value
    jobs.finish(context, job_id, runner, result)
    return jobs.JobState.succeeded.value


def execute_remote(settings: Settings, job_id: str, runner: str) -> str:
    """:func:`execute` for an executor in another process or machine: the Context is rebuilt
    from the settings snapshot there (a Context holds an engine and cannot travel)."""
    return execute(Context.from_settings(settings), job_id, runner)


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class JobRunner:
    """Runs the jobs of one process (see the module docstring)."""

    def __init__(
        self, context: Context, *, executor: Executor | None = None, name: str | None = None
    ) -> None:
        self.context = context.with_actor(None)
        settings = context.settings
        self.capacity = int(settings.job_threads)
        self.interval_s = float(settings.job_poll_interval_s)
        self.executor: Any = executor or ThreadExecutor(self.capacity)
        self.name = name or runner_name()
        self.running: dict[str, Future] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the loop in a background thread (after recovering this name's old jobs)."""
        jobs.recover_interrupted(self.context, runner=self.name)
        self._thread = threading.Thread(target=self._loop, name="tanzuji-jobs", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for queued jobs now (a job was just queued)."""
        self._wake.set()

    def stop(self, wait: bool = False) -> None:
        """Stop claiming; with ``wait``, let running jobs finish first."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.executor.shutdown(wait=wait)

    def run_once(self) -> list[str]:
        """One pass: recover, heartbeat, claim and submit; returns the jobs claimed."""
        jobs.recover_interrupted(self.context)
        for job_id, future in list(self.running.items()):
            if future.done():
                del self.running[job_id]
        if self.running:
            jobs.heartbeat(self.context, self.name)
        claimed = []
        while len(self.running) < self.capacity and not self._stop.is_set():
            view = jobs.claim(self.context, self.name)
            if view is None:
                break
            self.running[view.id] = self.executor.submit(execute, self.context, view.id, self.name)
            claimed.append(view.id)
        return claimed

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # the database was away: try again next time
                log.exception("job runner pass failed")
            self._wake.wait(self.interval_s)
            self._wake.clear()


__all__ = ["JobLost", "JobRunner", "Progress", "execute", "execute_remote", "runner_name"]
