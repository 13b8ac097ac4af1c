"""PACT exchange records in the database (tables of :mod:`tanzuji.store.pact_tables`).

:class:`PactRepository` works inside the caller's session (one unit of work of
:mod:`tanzuji.services.pact`) and returns table rows; the service turns them into results
before the transaction ends.

ListFootprints is one SQL query (:meth:`PactRepository.footprints`): access (the footprint's
owner is the client's owner, a share names the partner or every partner and the product or
every product, not withdrawn), every criterion of :class:`~tanzuji.exchange.filters.
FootprintQuery` (list criteria through the indexed ``pact_footprint_keys``, validity through
the stored epoch milliseconds), keyset pagination on ``(created_ms, id)`` — stable while
footprints are added, so a pagination link stays valid.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from tanzuji.errors import NotFound, PactInvalid
from tanzuji.exchange.filters import FootprintQuery
from tanzuji.store.db import aware
from tanzuji.store.pact_tables import (
    PactClientRow,
    PactFootprintKeyRow,
    PactFootprintRow,
    PactInboxRow,
    PactOutboxRow,
    PactProfileRow,
    PactReceivedRow,
    PactRemoteRow,
    PactRequestRow,
    PactShareRow,
    PactTaskRow,
)

#: List criteria and the key kind each compares with.
KEY_KINDS = {
    "product_ids": "product",
    "company_ids": "company",
    "classifications": "classification",
    "geographies": "geography",
}


def epoch_ms(moment: dt.datetime) -> int:
    """Milliseconds since 1970-01-01T00:00:00Z of an aware datetime."""
    return round(moment.timestamp() * 1000)


class PactRepository:
    """PACT records read and written inside one open session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- clients ------------------------------------------------------------------------------
    def add_client(self, row: PactClientRow) -> PactClientRow:
        self.session.add(row)
        self.session.flush()
        return row

    def client(self, client_id: str) -> PactClientRow | None:
        return self.session.get(PactClientRow, client_id)

    def clients(self, owner_id: str | None = None) -> list[PactClientRow]:
        query = select(PactClientRow).order_by(PactClientRow.created_at, PactClientRow.client_id)
        if owner_id is not None:
            query = query.where(PactClientRow.owner_id == owner_id)
        return list(self.session.scalars(query))

    # -- profiles and shares --------------------------------------------------------------------
    def profile(self, organisation_id: str) -> PactProfileRow | None:
        return self.session.get(PactProfileRow, organisation_id)

    def set_profile(
        self, organisation_id: str, company_ids: Sequence[str], domain: str, now: dt.datetime
    ) -> PactProfileRow:
        row = self.profile(organisation_id)
        if row is None:
            row = PactProfileRow(organisation_id=organisation_id)
            self.session.add(row)
        row.company_ids = json.dumps(list(company_ids))
        row.product_domain = domain
        row.updated_at = now
        self.session.flush()
        return row

    def shares(self, owner_id: str | None = None) -> list[PactShareRow]:
        query = select(PactShareRow).order_by(PactShareRow.id)
        if owner_id is not None:
            query = query.where(PactShareRow.owner_id == owner_id)
        return list(self.session.scalars(query))

    def add_share(
        self,
        owner_id: str,
        partner_id: str | None,
        product_key: str | None,
        now: dt.datetime,
        created_by: str | None,
    ) -> tuple[PactShareRow, bool]:
        """The share (owner, partner, product), added unless it exists; and whether it was."""
        existing = self.session.scalar(
            select(PactShareRow).where(
                PactShareRow.owner_id == owner_id,
                _equal_or_null(PactShareRow.partner_id, partner_id),
                _equal_or_null(PactShareRow.product_key, product_key),
            )
        )
        if existing is not None:
            return existing, False
        row = PactShareRow(
            owner_id=owner_id,
            partner_id=partner_id,
            product_key=product_key,
            created_at=now,
            created_by=created_by,
        )
        self.session.add(row)
        self.session.flush()
        return row, True

    def remove_share(self, share_id: int) -> PactShareRow:
        row = self.session.get(PactShareRow, share_id)
        if row is None:
            raise NotFound(f"no PACT share {share_id}; `tanzuji pact share list` shows them")
        self.session.delete(row)
        self.session.flush()
        return row

    def partners_sharing(self, owner_id: str, product_key: str) -> list[str | None]:
        """Partners (None: every partner) that may read the owner's ``product_key``."""
        rows = self.session.scalars(
            select(PactShareRow.partner_id).where(
                PactShareRow.owner_id == owner_id,
                or_(PactShareRow.product_key.is_(None), PactShareRow.product_key == product_key),
            )
        )
        return list(dict.fromkeys(rows))

    # -- footprints ------------------------------------------------------------------------------
    def add_footprint(self, row: PactFootprintRow, keys: dict[str, list[str]]) -> PactFootprintRow:
        self.session.add(row)
        self.session.flush()
        self.session.add_all(
            PactFootprintKeyRow(footprint_id=row.id, kind=kind, value=value[:500])
            for kind, values in keys.items()
            for value in values
        )
        self.session.flush()
        return row

    def footprint(self, footprint_id: str, *, for_update: bool = False) -> PactFootprintRow | None:
        query = select(PactFootprintRow).where(PactFootprintRow.id == footprint_id.lower())
        if for_update:
            query = query.with_for_update()
        return self.session.scalar(query)

    def lineage_head(self, owner_id: str, product_key: str) -> PactFootprintRow | None:
        """The owner's newest footprint of ``product_key`` that is not superseded."""
        return self.session.scalar(
            select(PactFootprintRow)
            .where(
                PactFootprintRow.owner_id == owner_id,
                PactFootprintRow.product_key == product_key,
                PactFootprintRow.superseded_by.is_(None),
            )
            .order_by(PactFootprintRow.created_ms.desc(), PactFootprintRow.id.desc())
            .with_for_update()
            .limit(1)
        )

    def of_certificate(self, certificate_id: str) -> list[PactFootprintRow]:
        return list(
            self.session.scalars(
                select(PactFootprintRow)
                .where(PactFootprintRow.certificate_id == certificate_id)
                .order_by(PactFootprintRow.created_ms)
                .with_for_update()
            )
        )

    def owned(self, owner_id: str | None = None) -> list[PactFootprintRow]:
        query = select(PactFootprintRow).order_by(PactFootprintRow.created_ms, PactFootprintRow.id)
        if owner_id is not None:
            query = query.where(PactFootprintRow.owner_id == owner_id)
        return list(self.session.scalars(query))

    def footprints_of_products(
        self, owner_id: str, product_ids: Sequence[str]
    ) -> list[PactFootprintRow]:
        """The owner's footprints (any status) naming one of ``product_ids``."""
        if not product_ids:
            return []
        keys = select(PactFootprintKeyRow.footprint_id).where(
            PactFootprintKeyRow.kind == "product",
            PactFootprintKeyRow.value.in_(sorted({p.lower() for p in product_ids})),
        )
        return list(
            self.session.scalars(
                select(PactFootprintRow).where(
                    PactFootprintRow.owner_id == owner_id, PactFootprintRow.id.in_(keys)
                )
            )
        )

    def shared_with(self, footprint: PactFootprintRow, partner_id: str) -> bool:
        return bool(
            self.session.scalar(
                select(func.count())
                .select_from(PactShareRow)
                .where(_share_condition(footprint.owner_id, partner_id, footprint.product_key))
            )
        )

    def footprints(
        self,
        owner_id: str,
        partner_id: str,
        query: FootprintQuery,
        *,
        after: tuple[int, str] | None = None,
        limit: int | None = None,
    ) -> list[PactFootprintRow]:
        """The footprints ``partner_id`` may list of ``owner_id`` that match ``query``, in
        creation order, after the ``(created_ms, id)`` position ``after``; at most ``limit``."""
        fp = PactFootprintRow
        conditions: list[Any] = [
            fp.owner_id == owner_id,
            fp.withdrawn_at.is_(None),
            select(PactShareRow.id)
            .where(_share_condition(owner_id, partner_id, fp.product_key))
            .exists(),
        ]
        for field, kind in KEY_KINDS.items():
            values = getattr(query, field)
            if values:
                keys = select(PactFootprintKeyRow.footprint_id).where(
                    PactFootprintKeyRow.kind == kind,
                    PactFootprintKeyRow.value.in_(sorted({v.lower() for v in values})),
                )
                conditions.append(fp.id.in_(keys))
        if query.statuses:
            conditions.append(
                func.lower(fp.status).in_(sorted({s.lower() for s in query.statuses}))
            )
        if query.valid_on is not None:
            moment = epoch_ms(query.valid_on)
            conditions += [fp.valid_start_ms <= moment, fp.valid_end_ms >= moment]
        if query.valid_after is not None:
            conditions.append(fp.valid_start_ms > epoch_ms(query.valid_after))
        if query.valid_before is not None:
            conditions.append(fp.valid_end_ms < epoch_ms(query.valid_before))
        if after is not None:
            created, last_id = after
            conditions.append(
                or_(fp.created_ms > created, and_(fp.created_ms == created, fp.id > last_id))
            )
        statement = select(fp).where(*conditions).order_by(fp.created_ms, fp.id)
        if limit is not None:
            statement = statement.limit(limit)
        return list(self.session.scalars(statement))

    # -- tasks -----------------------------------------------------------------------------------
    def task_for_event(self, partner_id: str, source: str, event_id: str) -> PactTaskRow | None:
        return self.session.scalar(
            select(PactTaskRow).where(
                PactTaskRow.partner_id == partner_id,
                PactTaskRow.source == source,
                PactTaskRow.request_event_id == event_id,
            )
        )

    def add_task(self, row: PactTaskRow) -> PactTaskRow:
        self.session.add(row)
        self.session.flush()
        return row

    def task(self, task_id: int, *, for_update: bool = False) -> PactTaskRow:
        query = select(PactTaskRow).where(PactTaskRow.id == task_id)
        if for_update:
            query = query.with_for_update()
        row = self.session.scalar(query)
        if row is None:
            raise NotFound(f"no PACT task {task_id}; `tanzuji pact tasks` lists them")
        return row

    def tasks(self, owner_id: str | None = None, status: str | None = None) -> list[PactTaskRow]:
        query = select(PactTaskRow).order_by(PactTaskRow.id)
        if owner_id is not None:
            query = query.where(PactTaskRow.owner_id == owner_id)
        if status is not None:
            query = query.where(PactTaskRow.status == status)
        return list(self.session.scalars(query))

    # -- outbox ----------------------------------------------------------------------------------
    def add_event(self, row: PactOutboxRow) -> PactOutboxRow:
        self.session.add(row)
        self.session.flush()
        return row

    def due_events(self, now: dt.datetime, limit: int) -> list[PactOutboxRow]:
        """Pending events whose next attempt is due, locked (others skip them: SKIP LOCKED on
        PostgreSQL; SQLite's writer lock serialises the delivery transactions)."""
        statement = (
            select(PactOutboxRow)
            .where(PactOutboxRow.state == "pending", PactOutboxRow.next_attempt_at <= now)
            .order_by(PactOutboxRow.next_attempt_at, PactOutboxRow.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.scalars(statement))

    def event(self, event_id: str, *, for_update: bool = False) -> PactOutboxRow:
        query = select(PactOutboxRow).where(PactOutboxRow.id == event_id)
        if for_update:
            query = query.with_for_update()
        row = self.session.scalar(query)
        if row is None:
            raise NotFound(f"no outgoing PACT event {event_id}; `tanzuji pact events` lists them")
        return row

    def events(
        self, organisation_id: str | None = None, state: str | None = None
    ) -> list[PactOutboxRow]:
        query = select(PactOutboxRow).order_by(PactOutboxRow.created_at, PactOutboxRow.id)
        if organisation_id is not None:
            query = query.where(PactOutboxRow.organisation_id == organisation_id)
        if state is not None:
            query = query.where(PactOutboxRow.state == state)
        return list(self.session.scalars(query))

    def next_due(self) -> dt.datetime | None:
        return aware(
            self.session.scalar(
                select(func.min(PactOutboxRow.next_attempt_at)).where(
                    PactOutboxRow.state == "pending"
                )
            )
        )

    # -- remotes, requests, received footprints, inbox -----------------------------------------
    def remote(self, remote_id: int) -> PactRemoteRow:
        row = self.session.get(PactRemoteRow, remote_id)
        if row is None:
            raise NotFound(f"no PACT remote {remote_id}; `tanzuji pact remote list` shows them")
        return row

    def remote_for_url(self, organisation_id: str, base_url: str) -> PactRemoteRow | None:
        return self.session.scalar(
            select(PactRemoteRow).where(
                PactRemoteRow.organisation_id == organisation_id,
                PactRemoteRow.base_url == base_url,
                PactRemoteRow.revoked_at.is_(None),
            )
        )

    def remotes(
        self, organisation_id: str | None = None, partner_id: str | None = None
    ) -> list[PactRemoteRow]:
        query = select(PactRemoteRow).order_by(PactRemoteRow.id)
        if organisation_id is not None:
            query = query.where(PactRemoteRow.organisation_id == organisation_id)
        if partner_id is not None:
            query = query.where(
                PactRemoteRow.partner_id == partner_id, PactRemoteRow.revoked_at.is_(None)
            )
        return list(self.session.scalars(query))

    def put_remote(self, row: PactRemoteRow) -> PactRemoteRow:
        """Store a remote; one with the same organisation and URL is replaced in place."""
        existing = self.session.scalar(
            select(PactRemoteRow).where(
                PactRemoteRow.organisation_id == row.organisation_id,
                PactRemoteRow.base_url == row.base_url,
            )
        )
        if existing is None:
            self.session.add(row)
            self.session.flush()
            return row
        for name in ("partner_id", "auth_base_url", "client_id", "secret_sealed", "created_at"):
            setattr(existing, name, getattr(row, name))
        existing.revoked_at = None
        self.session.flush()
        return existing

    def add_request(self, row: PactRequestRow) -> PactRequestRow:
        self.session.add(row)
        self.session.flush()
        return row

    def request(self, request_id: str, *, for_update: bool = False) -> PactRequestRow | None:
        query = select(PactRequestRow).where(PactRequestRow.id == request_id)
        if for_update:
            query = query.with_for_update()
        return self.session.scalar(query)

    def requests(self, organisation_id: str | None = None) -> list[PactRequestRow]:
        query = select(PactRequestRow).order_by(PactRequestRow.created_at)
        if organisation_id is not None:
            query = query.where(PactRequestRow.organisation_id == organisation_id)
        return list(self.session.scalars(query))

    def received(self, host: str, footprint_id: str) -> PactReceivedRow | None:
        return self.session.scalar(
            select(PactReceivedRow).where(
                PactReceivedRow.host == host, PactReceivedRow.footprint_id == footprint_id.lower()
            )
        )

    def received_all(self, factor_id: str | None = None) -> list[PactReceivedRow]:
        query = select(PactReceivedRow).order_by(PactReceivedRow.id)
        if factor_id is not None:
            query = query.where(PactReceivedRow.factor_id == factor_id)
        return list(self.session.scalars(query))

    def factor_of_lineage(self, host: str, footprint_ids: Iterable[str]) -> str | None:
        """The factor a preceding footprint from ``host`` became, if any was received."""
        ids = [i.lower() for i in footprint_ids]
        if not ids:
            return None
        return self.session.scalar(
            select(PactReceivedRow.factor_id)
            .where(PactReceivedRow.host == host, PactReceivedRow.footprint_id.in_(ids))
            .order_by(PactReceivedRow.id.desc())
            .limit(1)
        )

    def factor_of_products(self, host: str, product_ids: Sequence[str]) -> str | None:
        """The factor footprints from ``host`` with exactly these product ids became."""
        wanted = json.dumps(sorted(p.lower() for p in product_ids))
        return self.session.scalar(
            select(PactReceivedRow.factor_id)
            .where(PactReceivedRow.host == host, PactReceivedRow.product_ids == wanted)
            .order_by(PactReceivedRow.id.desc())
            .limit(1)
        )

    def add_received(self, row: PactReceivedRow) -> PactReceivedRow:
        self.session.add(row)
        self.session.flush()
        return row

    def inbox_has(self, partner_id: str, source: str, event_id: str) -> bool:
        return bool(
            self.session.scalar(
                select(func.count())
                .select_from(PactInboxRow)
                .where(
                    PactInboxRow.partner_id == partner_id,
                    PactInboxRow.source == source,
                    PactInboxRow.event_id == event_id,
                )
            )
        )

    def add_inbox(self, row: PactInboxRow) -> PactInboxRow:
        self.session.add(row)
        self.session.flush()
        return row

    def inbox(
        self, organisation_id: str | None = None, *, unhandled: bool = False
    ) -> list[PactInboxRow]:
        query = select(PactInboxRow).order_by(PactInboxRow.id)
        if organisation_id is not None:
            query = query.where(PactInboxRow.organisation_id == organisation_id)
        if unhandled:
            query = query.where(PactInboxRow.handled.is_(False))
        return list(self.session.scalars(query))

    def notice(self, notice_id: int) -> PactInboxRow:
        row = self.session.get(PactInboxRow, notice_id)
        if row is None:
            raise NotFound(f"no PACT notice {notice_id}; `tanzuji pact inbox` lists them")
        return row

    def deprecate(self, footprint_id: str, superseded_by: str | None) -> None:
        self.session.execute(
            update(PactFootprintRow)
            .where(PactFootprintRow.id == footprint_id)
            .values(status="Deprecated", superseded_by=superseded_by)
        )


def _equal_or_null(column: Any, value: str | None) -> Any:
    return column.is_(None) if value is None else column == value


def _share_condition(owner_id: str, partner_id: str, product_key: Any) -> Any:
    return and_(
        PactShareRow.owner_id == owner_id,
        or_(PactShareRow.partner_id.is_(None), PactShareRow.partner_id == partner_id),
        or_(PactShareRow.product_key.is_(None), PactShareRow.product_key == product_key),
    )


def parse_cursor(text: str) -> tuple[int, str]:
    """A pagination position ``CREATEDMS_ID`` (as :func:`cursor` writes it).

    Raises
    ------
    PactInvalid
        When the text is not such a position.
    """
    created, _, last_id = text.partition("_")
    if not created.isdigit() or not last_id:
        raise PactInvalid(f"pagination position {text!r} is not one this host wrote")
    return int(created), last_id


def cursor(row: PactFootprintRow) -> str:
    """The pagination position after ``row``."""
    return f"{row.created_ms}_{row.id}"


__all__ = ["PactRepository", "aware", "cursor", "epoch_ms", "parse_cursor"]
