"""The audit trail in the database (table of :mod:`tanzuji.store.audit_tables`).

:class:`AuditRepository` works inside the caller's transaction: :meth:`~AuditRepository.append`
adds one event to the unit of work of the change it describes (committed with it or not at
all); :meth:`~AuditRepository.find` reads a page of events, newest first, with the filters of
:class:`AuditFilter`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from tanzuji.store.audit_tables import AuditEventRow


@dataclass(frozen=True)
class AuditFilter:
    """Which events to read; ``None`` leaves a field unfiltered.

    ``since`` is inclusive and ``until`` exclusive (UTC), so consecutive ranges do not
    overlap. ``actor_id`` names a user id (the local operator's events have none).
    """

    subject_kind: str | None = None
    subject_id: str | None = None
    actor_id: str | None = None
    action: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        conditions = [
            column == value
            for column, value in (
                (AuditEventRow.subject_kind, self.subject_kind),
                (AuditEventRow.subject_id, self.subject_id),
                (AuditEventRow.actor_id, self.actor_id),
                (AuditEventRow.action, self.action),
            )
            if value is not None
        ]
        if self.since is not None:
            conditions.append(AuditEventRow.at >= self.since)
        if self.until is not None:
            conditions.append(AuditEventRow.at < self.until)
        return query.where(*conditions) if conditions else query


class AuditRepository:
    """Audit events, appended and read inside one open session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def append(
        self,
        *,
        at: dt.datetime,
        actor_id: str | None,
        actor_organisation_id: str | None,
        action: str,
        subject_kind: str,
        subject_id: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        reason: str | None,
    ) -> AuditEventRow:
        """Add one event to the open transaction (flushed: its id is known)."""
        row = AuditEventRow(
            at=at,
            actor_id=actor_id,
            actor_organisation_id=actor_organisation_id,
            action=action,
            subject_kind=subject_kind,
            subject_id=subject_id,
            before=before,
            after=after,
            reason=reason,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def find(
        self, where: AuditFilter, *, offset: int, limit: int
    ) -> tuple[list[AuditEventRow], int]:
        """One page of the events ``where`` selects, newest first, and how many it selects."""
        query = where.apply(select(AuditEventRow))
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = self.session.scalars(
            query.order_by(AuditEventRow.at.desc(), AuditEventRow.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return list(rows), int(total)
