"""Jobs service: background work queued by a user, its state, progress, result or error.

A job belongs to the organisation of the user who queued it: only that organisation's users
(and the platform's administrators) see it; another tenant's job is :class:`NotFound`. Its
life: ``queued`` -> ``running`` (claimed by one runner, which writes a heartbeat) ->
``succeeded`` (``result``) or ``failed`` (``error``, kept and shown). A job left ``running``
by a runner that stopped (no heartbeat for ``job_stale_after_s``) is queued again, when it has
attempts left (``job_max_attempts``), else marked failed saying why
(:func:`recover_interrupted`). The runner (:mod:`tanzuji.jobs.runner`) calls the ``claim`` /
``progress`` / ``finish`` / ``fail`` functions here; users call :func:`submit`, :func:`job`
and :func:`jobs`.
"""

from __future__ import annotations

import datetime as dt
import secrets
from enum import StrEnum
from typing import Any

from pydantic import Field
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tanzuji.certify.records import Role
from tanzuji.context import Context
from tanzuji.errors import NotFound, PermissionDenied
from tanzuji.services.base import Request, Result, run_unit_of_work
from tanzuji.store.web_tables import JobRow


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


FINISHED = (JobState.succeeded, JobState.failed)


class JobRequest(Request):
    kind: str = Field(min_length=1, max_length=40, description="monte_carlo, recheck, ...")
    parameters: dict[str, Any] = Field(default_factory=dict)


class JobView(Result):
    id: str
    kind: str
    organisation_id: str
    created_by: str
    state: JobState
    progress: float = Field(description="0 to 1")
    message: str
    parameters: dict[str, Any]
    result: Any | None
    error: str | None
    attempts: int
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


def _aware(stamp: dt.datetime | None) -> dt.datetime | None:
    if stamp is not None and stamp.tzinfo is None:
        return stamp.replace(tzinfo=dt.UTC)
    return stamp


def view(row: JobRow) -> JobView:
    return JobView(
        id=row.id,
        kind=row.kind,
        organisation_id=row.organisation_id,
        created_by=row.created_by,
        state=JobState(row.state),
        progress=row.progress,
        message=row.message,
        parameters=row.parameters or {},
        result=row.result,
        error=row.error,
        attempts=row.attempts,
        created_at=_aware(row.created_at),
        started_at=_aware(row.started_at),
        finished_at=_aware(row.finished_at),
    )


def submit(context: Context, request: JobRequest) -> JobView:
    """Store a queued job for the acting user's organisation. The parameters must have been
    checked by the job's kind (:func:`tanzuji.jobs.kinds.queue` does both).

    Raises
    ------
    PermissionDenied
        When nobody (or the public) acts.
    """
    actor = context.require_actor()
    if actor.role is Role.public:
        raise PermissionDenied("log in to start a job / 请先登录")
    now = context.now()
    job_id = f"job-{now:%Y%m%d}-{secrets.token_hex(5)}"

    def work(session: Session) -> JobView:
        row = JobRow(
            id=job_id,
            kind=request.kind,
            organisation_id=actor.organisation.id,
            created_by=actor.id,
            state=JobState.queued.value,
            progress=0.0,
            message="",
            parameters=dict(request.parameters),
            attempts=0,
            created_at=now,
        )
        session.add(row)
        session.flush()
        return view(row)

    return run_unit_of_work(context, work)


def _visible(context: Context, row: JobRow | None, job_id: str) -> JobRow:
    actor = context.actor
    if row is None or (
        actor is not None
        and actor.role is not Role.administrator
        and row.organisation_id != actor.organisation.id
    ):
        raise NotFound(f"no job {job_id!r} / 无此任务")
    return row


def job(context: Context, job_id: str) -> JobView:
    """A job of the acting user's organisation (administrators and the local operator: any).

    Raises
    ------
    NotFound
        When it does not exist or belongs to another organisation.
    """
    with context.unit_of_work(write=False) as session:
        return view(_visible(context, session.get(JobRow, job_id), job_id))


def jobs(
    context: Context, *, state: JobState | None = None, offset: int = 0, limit: int = 50
) -> tuple[list[JobView], int]:
    """The jobs of the acting user's organisation, newest first, and how many there are."""
    actor = context.actor
    query = select(JobRow)
    if actor is not None and actor.role is not Role.administrator:
        query = query.where(JobRow.organisation_id == actor.organisation.id)
    if state is not None:
        query = query.where(JobRow.state == state.value)
    with context.unit_of_work(write=False) as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(
            query.order_by(JobRow.created_at.desc(), JobRow.id.desc()).offset(offset).limit(limit)
        )
        return [view(r) for r in rows], int(total)


# -- the runner's side ------------------------------------------------------------------------
def claim(context: Context, runner: str) -> JobView | None:
    """Take the oldest queued job for ``runner`` (``None`` when none is queued).

    The claim is one conditional update (``state = 'queued'`` in its WHERE): of two runners
    claiming the same job one updates a row, the other none and tries the next job.
    """
    now = context.now()
    for _ in range(5):
        with context.unit_of_work(write=False) as session:
            job_id = session.scalar(
                select(JobRow.id)
                .where(JobRow.state == JobState.queued.value)
                .order_by(JobRow.created_at, JobRow.id)
                .limit(1)
            )
        if job_id is None:
            return None

        def work(session: Session, job_id: str = job_id) -> JobView | None:
            taken = session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.state == JobState.queued.value)
                .values(
                    state=JobState.running.value,
                    runner=runner,
                    started_at=now,
                    heartbeat_at=now,
                    attempts=JobRow.attempts + 1,
                    message="",
                )
            ).rowcount
            return view(session.get(JobRow, job_id)) if taken else None

        claimed = run_unit_of_work(context, work)
        if claimed is not None:
            return claimed
    return None


def _update_running(context: Context, job_id: str, runner: str, **values: Any) -> bool:
    def work(session: Session) -> bool:
        return bool(
            session.execute(
                update(JobRow)
                .where(
                    JobRow.id == job_id,
                    JobRow.runner == runner,
                    JobRow.state == JobState.running.value,
                )
                .values(**values)
            ).rowcount
        )

    return run_unit_of_work(context, work)


def progress(context: Context, job_id: str, runner: str, fraction: float, message: str) -> bool:
    """Record a running job's progress (0 to 1) and message; False when the job is no longer
    this runner's (it was recovered by another)."""
    fraction = min(1.0, max(0.0, float(fraction)))
    return _update_running(
        context,
        job_id,
        runner,
        progress=fraction,
        message=message[:2000],
        heartbeat_at=context.now(),
    )


def finish(context: Context, job_id: str, runner: str, result: Any, message: str = "") -> bool:
    """Mark a running job succeeded with its result (JSON)."""
    return _update_running(
        context,
        job_id,
        runner,
        state=JobState.succeeded.value,
        progress=1.0,
        result=result,
        message=message[:2000],
        finished_at=context.now(),
    )


def fail(context: Context, job_id: str, runner: str, error: str) -> bool:
    """Mark a running job failed, keeping why."""
    return _update_running(
        context,
        job_id,
        runner,
        state=JobState.failed.value,
        error=error[:20000],
        finished_at=context.now(),
    )


def heartbeat(context: Context, runner: str) -> int:
    """Stamp every job ``runner`` runs as alive now; returns how many."""
    now = context.now()

    def work(session: Session) -> int:
        return session.execute(
            update(JobRow)
            .where(JobRow.runner == runner, JobRow.state == JobState.running.value)
            .values(heartbeat_at=now)
        ).rowcount

    return run_unit_of_work(context, work)


class Recovered(Result):
    job_id: str
    action: str = Field(description="requeued or failed")


def recover_interrupted(context: Context, *, runner: str | None = None) -> list[Recovered]:
    """Jobs left running by a runner that stopped: queued again or failed, with the reason.

    A running job is interrupted when its heartbeat is older than ``job_stale_after_s``, or
    when ``runner`` names a runner that is starting (a restarted process under the same name
    runs none of its old jobs). With attempts left (``job_max_attempts``) it is queued again
    and starts over (every kind computes from stored inputs, so a new start gives the same
    result); otherwise it is failed saying it was interrupted.
    """
    settings = context.settings
    now = context.now()
    stale = now - dt.timedelta(seconds=float(settings.job_stale_after_s))
    max_attempts = int(settings.job_max_attempts)

    def work(session: Session) -> list[Recovered]:
        rows = session.scalars(
            select(JobRow).where(JobRow.state == JobState.running.value).with_for_update()
        ).all()
        done = []
        for row in rows:
            beat = _aware(row.heartbeat_at) or _aware(row.started_at) or now
            if not (beat < stale or (runner is not None and row.runner == runner)):
                continue
            reason = (
                f"interrupted: runner {row.runner} stopped while the job ran (last heartbeat "
                f"{beat.isoformat()}) / 运行任务的进程已停止"
            )
            if row.attempts < max_attempts:
                row.state, row.runner, row.message = JobState.queued.value, None, reason
                row.progress = 0.0
                done.append(Recovered(job_id=row.id, action="requeued"))
            else:
                row.state, row.error, row.finished_at = JobState.failed.value, reason, now
                row.message = reason
                done.append(Recovered(job_id=row.id, action="failed"))
        return done

    return run_unit_of_work(context, work)


__all__ = [
    "FINISHED",
    "JobRequest",
    "JobState",
    "JobView",
    "Recovered",
    "claim",
    "fail",
    "finish",
    "heartbeat",
    "job",
    "jobs",
    "progress",
    "recover_interrupted",
    "submit",
    "view",
]
