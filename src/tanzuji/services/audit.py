"""Audit service: the durable trail of administrative changes, written and read.

Every change to users (creation, role and organisation, deactivation and reactivation,
password), to API tokens (creation, revocation) and to organisations (creation,
accreditation) writes one :class:`AuditEvent` with :func:`record_in` inside the unit of work
of the change itself: the change and its event are committed together or not at all (a
refused or failed change leaves no event; an event that cannot be written takes its change
with it). The table refuses updates and deletes (``0013_audit``).

Each event is also written, once its transaction has committed, as one line to the
``tanzuji.audit`` log (:data:`audit_log`; ``tanzuji serve`` sends it to standard error), for
operators who ship logs: the database is the record, the log line a copy.

Only the platform's administrators (:func:`tanzuji.services.accounts.administers`) and the
local operator of the command line read the trail (:func:`events`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from enum import StrEnum
from typing import Any

from pydantic import Field
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from tanzuji.context import Context
from tanzuji.errors import PermissionDenied
from tanzuji.services.base import Request, Result
from tanzuji.store.audit import AuditFilter, AuditRepository
from tanzuji.store.audit_tables import AuditEventRow
from tanzuji.store.db import aware

#: One line per committed event (see the module docstring).
audit_log = logging.getLogger("tanzuji.audit")

#: Who acted when no user is named: the owner of the data directory at the command line.
LOCAL_OPERATOR = "local operator"

#: Key of the events waiting for their transaction's commit in ``Session.info``.
_PENDING = "tanzuji_audit_pending"


class AuditAction(StrEnum):
    """What was done (``<subject kind>.<verb>``)."""

    user_create = "user.create"
    user_role_change = "user.role_change"
    user_deactivate = "user.deactivate"
    user_reactivate = "user.reactivate"
    user_password_set = "user.password_set"
    token_create = "token.create"
    token_revoke = "token.revoke"
    organisation_create = "organisation.create"
    organisation_accreditation = "organisation.accreditation"


class SubjectKind(StrEnum):
    """What an event is about."""

    user = "user"
    api_token = "api_token"
    organisation = "organisation"


class AuditEvent(Result):
    """One administrative change: who, when, what, to what, from what to what, and why."""

    id: int
    at: dt.datetime = Field(description="when the change was made (UTC)")
    actor_id: str | None = Field(description="the user who made the change; null: local operator")
    actor_organisation_id: str | None = Field(description="that user's organisation then")
    action: AuditAction
    subject_kind: SubjectKind
    subject_id: str
    before: dict[str, Any] | None = Field(description="the subject's state before; null: new")
    after: dict[str, Any] | None = Field(description="the subject's state after")
    reason: str | None = Field(description="the reason given with the change, if any")


class AuditQuery(Request):
    """Which events to list (every field optional), and which page of them."""

    subject_kind: SubjectKind | None = None
    subject_id: str | None = Field(None, min_length=1, max_length=64)
    actor_id: str | None = Field(None, min_length=1, max_length=64)
    action: AuditAction | None = None
    since: dt.datetime | None = Field(None, description="from this time on (inclusive, UTC)")
    until: dt.datetime | None = Field(None, description="before this time (exclusive, UTC)")
    offset: int = Field(0, ge=0)
    limit: int = Field(50, ge=1, le=10**6)


class AuditPage(Result):
    """A page of events, newest first, and how many the query selects in all."""

    items: list[AuditEvent]
    total: int


def record_in(
    session: Session,
    context: Context,
    action: AuditAction,
    subject_kind: SubjectKind,
    subject_id: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Write one event into the open unit of work ``session`` (the change's own).

    The acting user is the context's (``None``: the local operator); the time is the
    context's clock. ``before`` and ``after`` must be JSON values (text, numbers, booleans,
    null, lists, objects). The log line follows when the transaction commits.
    """
    actor = context.actor
    row = AuditRepository(session).append(
        at=context.now(),
        actor_id=actor.id if actor is not None else None,
        actor_organisation_id=actor.organisation.id if actor is not None else None,
        action=action.value,
        subject_kind=subject_kind.value,
        subject_id=subject_id,
        before=before,
        after=after,
        reason=reason or None,
    )
    recorded = _event(row)
    _log_after_commit(session, recorded)
    return recorded


def _event(row: AuditEventRow) -> AuditEvent:
    return AuditEvent(
        id=row.id,
        at=aware(row.at),
        actor_id=row.actor_id,
        actor_organisation_id=row.actor_organisation_id,
        action=AuditAction(row.action),
        subject_kind=SubjectKind(row.subject_kind),
        subject_id=row.subject_id,
        before=row.before,
        after=row.after,
        reason=row.reason,
    )


def _log_after_commit(session: Session, recorded: AuditEvent) -> None:
    """Keep ``recorded`` for the log until ``session`` commits (dropped on a rollback)."""
    pending: list[AuditEvent] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        sa_event.listen(session, "after_commit", _write_pending)
        sa_event.listen(session, "after_rollback", _drop_pending)
    pending.append(recorded)


def _write_pending(session: Session) -> None:
    for recorded in session.info.pop(_PENDING, []):
        audit_log.info("%s", describe(recorded))


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def describe(recorded: AuditEvent) -> str:
    """The event's one log line: subject, what changed, by whom, when (ISO 8601)."""
    by = recorded.actor_id or LOCAL_OPERATOR
    when = recorded.at.isoformat()
    before, after = recorded.before or {}, recorded.after or {}
    if recorded.action is AuditAction.user_role_change:
        what = (
            f"role {before.get('role')} of {before.get('organisation')} -> "
            f"role {after.get('role')} of {after.get('organisation')}"
        )
    else:
        what = recorded.action.value
        if after:
            what += " " + json.dumps(after, ensure_ascii=False, sort_keys=True)
    reason = f" ({recorded.reason})" if recorded.reason else ""
    return f"{recorded.subject_kind.value} {recorded.subject_id}: {what}, by {by} at {when}{reason}"


def _require_reader(context: Context) -> None:
    from tanzuji.services.accounts import administers  # accounts writes events: no cycle

    actor = context.actor
    if actor is not None and not administers(actor):
        raise PermissionDenied(
            f"{actor.id} acts as {actor.role.value} of {actor.organisation.id}; only the "
            "platform's administrators may read the audit trail / 仅平台管理员可查看审计记录"
        )


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """A time as UTC; a time without a zone is taken as UTC. A time that has no UTC
    equivalent (year 1 east of Greenwich, year 9999 west of it) is the first or last one."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        edge = dt.datetime.min if value.year == dt.MINYEAR else dt.datetime.max
        return edge.replace(tzinfo=dt.UTC)


def events(context: Context, query: AuditQuery) -> AuditPage:
    """A page of the audit trail, newest first (administrators and the local operator).

    Raises
    ------
    PermissionDenied
        When the acting user is not an administrator of the platform operator.
    """
    _require_reader(context)
    where = AuditFilter(
        subject_kind=query.subject_kind.value if query.subject_kind else None,
        subject_id=query.subject_id,
        actor_id=query.actor_id,
        action=query.action.value if query.action else None,
        since=_utc(query.since),
        until=_utc(query.until),
    )
    with context.unit_of_work(write=False) as session:
        rows, total = AuditRepository(session).find(where, offset=query.offset, limit=query.limit)
        return AuditPage(items=[_event(r) for r in rows], total=total)


__all__ = [
    "LOCAL_OPERATOR",
    "AuditAction",
    "AuditEvent",
    "AuditPage",
    "AuditQuery",
    "SubjectKind",
    "audit_log",
    "describe",
    "events",
    "record_in",
]
