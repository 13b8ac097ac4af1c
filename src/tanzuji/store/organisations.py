"""Organisations and users in the database (tables of :mod:`tanzuji.store.platform_tables`).

:class:`OrganisationRepository` works inside the caller's transaction and speaks the records
of :mod:`tanzuji.certify.records` (:class:`Organisation`, :class:`Actor`): a user is an actor,
one person in one role for one organisation.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tanzuji.certify.records import Actor, Organisation, Role
from tanzuji.errors import NotFound, ParticipantError
from tanzuji.store.platform_tables import OrganisationRow, UserRow


def public_actor() -> Actor:
    """Anyone: the public role, reading and verifying only."""
    return Actor(
        id="public",
        name="public",
        role=Role.public,
        organisation=Organisation(id="public", name="public", kind="public"),
    )


def _organisation(row: OrganisationRow) -> Organisation:
    return Organisation.model_validate(
        {"id": row.id, "name": row.name, "kind": row.kind, "accredited": row.accredited}
    )


class OrganisationRepository:
    """Organisations and users, read and written inside one open session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def is_empty(self) -> bool:
        """True when no organisation is stored."""
        return not self.session.scalar(select(func.count()).select_from(OrganisationRow))

    def add_organisation(self, organisation: Organisation, now: dt.datetime) -> Organisation:
        """Store a new organisation.

        Raises
        ------
        ParticipantError
            When the id is taken.
        """
        if self.session.get(OrganisationRow, organisation.id) is not None:
            raise ParticipantError(f"organisation {organisation.id!r} already exists")
        self.session.add(
            OrganisationRow(
                id=organisation.id,
                name=organisation.name,
                kind=organisation.kind,
                accredited=organisation.accredited,
                created_at=now,
            )
        )
        self.session.flush()
        return organisation

    def organisation(self, organisation_id: str) -> Organisation:
        row = self.session.get(OrganisationRow, organisation_id)
        if row is None:
            raise NotFound(
                f"no organisation {organisation_id!r}; known: "
                f"{', '.join(self._ids(OrganisationRow)) or 'none yet (tanzuji org add)'}"
            )
        return _organisation(row)

    def organisations(self) -> list[Organisation]:
        rows = self.session.scalars(select(OrganisationRow).order_by(OrganisationRow.id))
        return [_organisation(r) for r in rows]

    def set_accredited(self, organisation_id: str, accredited: bool) -> Organisation:
        """Grant or withdraw the accreditation of a certification body.

        Raises
        ------
        NotFound
            When the organisation does not exist.
        ParticipantError
            When it is not a certification body.
        """
        self.organisation(organisation_id)  # NotFound names the known ones
        # checked just above; locked now
        row = self.session.get_one(OrganisationRow, organisation_id, with_for_update=True)
        if row.kind != "certification_body":
            raise ParticipantError(
                f"organisation {organisation_id!r} is of kind {row.kind}; only a "
                "certification_body is accredited / 仅认证机构可获认可"
            )
        row.accredited = accredited
        self.session.flush()
        return _organisation(row)

    def add_user(
        self,
        user_id: str,
        name: str,
        role: Role,
        organisation_id: str,
        now: dt.datetime,
        email: str | None = None,
    ) -> Actor:
        """Store a new user acting in ``role`` for ``organisation_id``.

        Raises
        ------
        ParticipantError
            When the id is taken or ``public`` (reserved for anyone).
        NotFound
            When the organisation does not exist.
        """
        if user_id == "public":
            raise ParticipantError("user id 'public' is reserved for anyone (the public role)")
        if self.session.get(UserRow, user_id) is not None:
            raise ParticipantError(f"user {user_id!r} already exists")
        organisation = self.organisation(organisation_id)
        self.session.add(
            UserRow(
                id=user_id,
                name=name,
                organisation_id=organisation_id,
                role=role.value,
                email=email,
                password_hash=None,
                active=True,
                created_at=now,
            )
        )
        self.session.flush()
        return Actor(id=user_id, name=name, role=role, organisation=organisation)

    def users(self, organisation_id: str | None = None) -> list[tuple[Actor, bool]]:
        """Every user as (actor, active), optionally of one organisation, by id."""
        query = select(UserRow, OrganisationRow).join(
            OrganisationRow, OrganisationRow.id == UserRow.organisation_id
        )
        if organisation_id is not None:
            query = query.where(UserRow.organisation_id == organisation_id)
        rows = self.session.execute(query.order_by(UserRow.id)).all()
        return [
            (
                Actor(id=u.id, name=u.name, role=Role(u.role), organisation=_organisation(o)),
                u.active,
            )
            for u, o in rows
        ]

    def user(self, user_id: str, *, for_update: bool = False) -> tuple[Actor, bool]:
        """The user ``user_id`` as (actor, active), whether active or not; ``for_update`` locks
        the row until the transaction ends (a concurrent change of role or activity waits).

        Raises
        ------
        NotFound
            When there is no such user, naming the known ones.
        """
        row = self.session.get(UserRow, user_id, with_for_update=for_update)
        if row is None:
            known = self._ids(UserRow)
            raise NotFound(
                f"no user {user_id!r}; known: "
                f"{', '.join(known) if known else 'none yet (tanzuji user add)'}"
            )
        organisation = self.organisation(row.organisation_id)
        actor = Actor(id=row.id, name=row.name, role=Role(row.role), organisation=organisation)
        return actor, row.active

    def actor(self, user_id: str) -> Actor:
        """The active user ``user_id`` as an actor.

        Raises
        ------
        NotFound
            When there is no such user, naming the known ones.
        ParticipantError
            When the user is deactivated.
        """
        row = self.session.get(UserRow, user_id)
        if row is None:
            known = self._ids(UserRow)
            raise NotFound(
                f"no user {user_id!r}; known: "
                f"{', '.join(known) if known else 'none yet (tanzuji user add)'}"
            )
        if not row.active:
            raise ParticipantError(f"user {user_id!r} is deactivated")
        organisation = self.organisation(row.organisation_id)
        return Actor(id=row.id, name=row.name, role=Role(row.role), organisation=organisation)

    def _ids(self, table: type[OrganisationRow] | type[UserRow]) -> list[str]:
        return list(self.session.scalars(select(table.id).order_by(table.id)))
