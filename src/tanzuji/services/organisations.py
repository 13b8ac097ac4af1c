"""Organisations service: the organisations and users who act on the platform.

An organisation is an enterprise (applies for labels), a certification body (reviews and
decides; ``accredited`` when its accreditation is in force), the platform operator, or the
public. A user is one person in one role (:class:`~tanzuji.certify.records.Role`) for one
organisation; the certification workflow checks role and organisation at every step.

Adding organisations and users, and moving a user to another role or organisation
(:func:`change_role`), needs an administrator of the platform operator, or no acting user at
all: the local operator of the command line, who owns the data directory. A web edge always
names the user.

Every change is written to the audit trail (:mod:`tanzuji.services.audit`) in its own unit of
work: committed with it, or not at all.

The earlier ``participants.yaml`` file is imported once by :func:`import_participants`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from tanzuji.certify.records import Actor, Organisation, Role
from tanzuji.context import Context
from tanzuji.errors import (
    LastAdministrator,
    ModelFileError,
    NotFound,
    ParticipantError,
    PermissionDenied,
)
from tanzuji.model.files import parse_document, validate_document
from tanzuji.services import audit
from tanzuji.services.audit import AuditAction, SubjectKind
from tanzuji.services.base import Request, Result, run_unit_of_work
from tanzuji.store.organisations import OrganisationRepository
from tanzuji.store.platform_tables import UserRow

#: The log the audit trail copies each committed change to (:mod:`tanzuji.services.audit`).
audit_log = audit.audit_log

#: The organisation kinds each role works for (:class:`~tanzuji.certify.records.Role`):
#: applicants for an enterprise, verifiers and decision makers for a certification body
#: (the workflow and :mod:`tanzuji.services.access` check it), administrators and data
#: stewards for the platform operator. ``public`` is anyone's role, given to nobody.
ROLE_ORGANISATION_KINDS: dict[Role, tuple[str, ...]] = {
    Role.applicant: ("enterprise",),
    Role.verifier: ("certification_body",),
    Role.decision_maker: ("certification_body",),
    Role.administrator: ("platform",),
    Role.data_steward: ("platform",),
}


class OrganisationRequest(Request):
    """A new organisation."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")
    name: str = Field(min_length=1, max_length=300)
    kind: str = Field(description="enterprise, certification_body, platform or public")
    accredited: bool = False


class UserRequest(Request):
    """A new user: one person in one role for one organisation."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-@]*$")
    name: str = Field(min_length=1, max_length=300)
    role: Role
    organisation: str
    email: str | None = None


class UserView(Result):
    """A user as listed: the actor and whether the account is active."""

    user: Actor
    active: bool


class RoleChangeRequest(Request):
    """Move a user to another role, another organisation, or both."""

    user_id: str = Field(min_length=1, max_length=64)
    role: str = Field(
        min_length=1,
        max_length=40,
        description="applicant, verifier, decision_maker, administrator or data_steward",
    )
    organisation: str | None = Field(
        None, min_length=1, max_length=64, description="organisation id; default: unchanged"
    )
    reason: str | None = Field(None, max_length=1000, description="why (kept in the audit trail)")


class Placement(Result):
    """Where a user works: one role for one organisation."""

    role: Role
    organisation: str


class UserChange(Result):
    """A user's role and organisation before and after a change, who made it and when."""

    user: Actor
    before: Placement
    after: Placement
    changed: bool = Field(description="false when the user already had this role and organisation")
    changed_by: str = Field(description="the administrator's id, or 'local operator'")
    changed_at: dt.datetime


class ParticipantsImport(Result):
    """What an import of a participants file added."""

    organisations: list[str]
    users: list[str]


def _require_administrator(context: Context, what: str) -> None:
    """Refuse anyone but the platform operator's administrators (and the local operator).

    An ``administrator`` of another organisation (possible in data of earlier versions, whose
    participants file did not check kinds) administers nothing.
    """
    actor = context.actor
    if actor is not None and actor.role is not Role.administrator:
        raise PermissionDenied(
            f"{actor.id} acts as {actor.role.value}; only an administrator may {what} / "
            "仅管理员可执行"
        )
    if actor is not None and actor.organisation.kind != "platform":
        raise PermissionDenied(
            f"{actor.id} is an administrator of {actor.organisation.id} "
            f"({actor.organisation.kind}); only the platform operator's administrators may "
            f"{what} / 仅平台运营方的管理员可执行"
        )


def _organisation(request: OrganisationRequest) -> Organisation:
    try:
        return Organisation.model_validate(request.model_dump())
    except ValueError as exc:
        raise ParticipantError(
            f"organisation {request.id!r}: kind {request.kind!r} is not one of enterprise, "
            "certification_body, platform, public"
        ) from exc


def add_organisation(context: Context, request: OrganisationRequest) -> Organisation:
    """Add an organisation (one transaction).

    Raises
    ------
    ParticipantError
        When the id is taken or the kind unknown.
    PermissionDenied
        When the acting user is not an administrator.
    """
    _require_administrator(context, "add an organisation")
    organisation = _organisation(request)

    def work(session: Session) -> Organisation:
        added = OrganisationRepository(session).add_organisation(organisation, context.now())
        _record_organisation(session, context, added)
        return added

    return run_unit_of_work(context, work)


def _record_organisation(
    session: Session, context: Context, organisation: Organisation, reason: str | None = None
) -> None:
    audit.record_in(
        session,
        context,
        AuditAction.organisation_create,
        SubjectKind.organisation,
        organisation.id,
        after=organisation.model_dump(mode="json", exclude={"id"}),
        reason=reason,
    )


def set_accreditation(
    context: Context, organisation_id: str, accredited: bool, reason: str | None = None
) -> Organisation:
    """Grant or withdraw a certification body's accreditation (administrator; one transaction).

    Its staff may review and decide only while it is accredited (the workflow checks it at
    every step). A change (not a repeat of the current state) is written to the audit trail
    with ``reason``.

    Raises
    ------
    NotFound, ParticipantError, PermissionDenied
        No such organisation; not a certification body; the actor is not an administrator.
    """
    _require_administrator(context, "change an accreditation")

    def work(session: Session) -> Organisation:
        repository = OrganisationRepository(session)
        was = repository.organisation(organisation_id).accredited
        changed = repository.set_accredited(organisation_id, accredited)
        if was != accredited:
            audit.record_in(
                session,
                context,
                AuditAction.organisation_accreditation,
                SubjectKind.organisation,
                organisation_id,
                before={"accredited": was},
                after={"accredited": accredited},
                reason=reason,
            )
        return changed

    return run_unit_of_work(context, work)


def organisations(context: Context) -> list[Organisation]:
    """Every organisation, by id."""
    with context.unit_of_work(write=False) as session:
        return OrganisationRepository(session).organisations()


def add_user(context: Context, request: UserRequest) -> Actor:
    """Add a user (one transaction).

    Raises
    ------
    ParticipantError
        When the id is taken, or the role is ``public`` or does not fit the organisation's
        kind (:data:`ROLE_ORGANISATION_KINDS`).
    NotFound
        When the organisation does not exist.
    PermissionDenied
        When the acting user is not an administrator.
    """
    _require_administrator(context, "add a user")

    def work(session: Session) -> Actor:
        added = OrganisationRepository(session).add_user(
            request.id,
            request.name,
            request.role,
            request.organisation,
            context.now(),
            request.email,
        )
        # after the store's own checks (id taken or reserved); a refusal rolls the row back
        assignable_role(added.role.value)
        _check_fits(added.role, added.organisation)
        _record_user(session, context, added, request.email)
        return added

    return run_unit_of_work(context, work)


def _record_user(
    session: Session,
    context: Context,
    user: Actor,
    email: str | None,
    reason: str | None = None,
) -> None:
    audit.record_in(
        session,
        context,
        AuditAction.user_create,
        SubjectKind.user,
        user.id,
        after={
            "name": user.name,
            "role": user.role.value,
            "organisation": user.organisation.id,
            "email": email,
            "active": True,
        },
        reason=reason,
    )


def assignable_role(value: str) -> Role:
    """The role named ``value``, when a user may be given it.

    Raises
    ------
    ParticipantError
        Naming the value and the roles a user may have.
    """
    allowed = ", ".join(r.value for r in ROLE_ORGANISATION_KINDS)
    try:
        role = Role(value.strip())
    except ValueError:
        role = None
    if role is None or role not in ROLE_ORGANISATION_KINDS:
        raise ParticipantError(
            f"role {value!r} is not a role a user may have; expected one of {allowed} / "
            f"角色 {value!r} 无效，可选：{allowed}",
            location="role",
            allowed=list(allowed.split(", ")),
        )
    return role


def _check_fits(role: Role, organisation: Organisation) -> None:
    kinds = ROLE_ORGANISATION_KINDS[role]
    if organisation.kind not in kinds:
        raise ParticipantError(
            f"role {role.value} belongs to an organisation of kind {' or '.join(kinds)}; "
            f"{organisation.id!r} is of kind {organisation.kind}: choose another organisation "
            f"or role / 角色 {role.value} 须属于 {'、'.join(kinds)} 类机构，而 "
            f"{organisation.id} 是 {organisation.kind}",
            location="organisation",
        )


def _keep_an_administrator(session: Session, user_id: str) -> None:
    """Refuse when ``user_id`` is the last active administrator (who is being moved away).

    The active administrators' rows are locked first (in id order), so two administrators
    demoting each other at the same moment are taken one after the other: the second sees
    the first's change and is refused.
    """
    admins = session.scalars(
        select(UserRow.id)
        .where(UserRow.role == Role.administrator.value, UserRow.active.is_(True))
        .order_by(UserRow.id)
        .with_for_update()
    ).all()
    if user_id in admins and len(admins) == 1:
        raise LastAdministrator(
            f"{user_id} is the last active administrator: the platform would have nobody to "
            "administer it; make another user an administrator first / "
            f"{user_id} 是最后一位在用的管理员，请先指定另一位管理员"
        )


def change_role(context: Context, request: RoleChangeRequest) -> UserChange:
    """Move a user to another role and/or organisation (administrator; one transaction).

    The change holds from the user's next request: sessions and API tokens look the user up
    at every request. The last active administrator cannot be moved away from that role
    (nor move themself). A change (not a repeat of the current placement) is written to the
    audit trail in the same transaction (:mod:`tanzuji.services.audit`: who, when, from what
    to what, the request's reason), and copied to the ``tanzuji.audit`` log once committed.

    Raises
    ------
    PermissionDenied
        When the actor is not an administrator of the platform operator.
    ParticipantError
        An unknown role, or one that does not fit the organisation's kind
        (:data:`ROLE_ORGANISATION_KINDS`).
    NotFound
        No such user or organisation.
    LastAdministrator
        When the change would leave no active administrator.
    """
    _require_administrator(context, "change a user's role or organisation")
    role = assignable_role(request.role)
    now = context.now()
    by = context.actor.id if context.actor is not None else "local operator"

    def work(session: Session) -> UserChange:
        repository = OrganisationRepository(session)
        if role is not Role.administrator:
            _keep_an_administrator(session, request.user_id)
        row = session.get(UserRow, request.user_id, with_for_update=True)
        if row is None:
            raise NotFound(f"no user {request.user_id!r} / 用户不存在", location="user_id")
        organisation = repository.organisation(request.organisation or row.organisation_id)
        _check_fits(role, organisation)
        before = Placement(role=Role(row.role), organisation=row.organisation_id)
        row.role, row.organisation_id = role.value, organisation.id
        session.flush()
        after = Placement(role=role, organisation=organisation.id)
        if before != after:
            audit.record_in(
                session,
                context,
                AuditAction.user_role_change,
                SubjectKind.user,
                row.id,
                before=before.model_dump(mode="json"),
                after=after.model_dump(mode="json"),
                reason=request.reason,
            )
        return UserChange(
            user=Actor(id=row.id, name=row.name, role=role, organisation=organisation),
            before=before,
            after=after,
            changed=before != after,
            changed_by=by,
            changed_at=now,
        )

    return run_unit_of_work(context, work)


def users(context: Context, organisation: str | None = None) -> list[UserView]:
    """Every user (of one organisation), by id."""
    with context.unit_of_work(write=False) as session:
        found = OrganisationRepository(session).users(organisation)
    return [UserView(user=actor, active=active) for actor, active in found]


def actor(context: Context, user_id: str) -> Actor:
    """The active user ``user_id`` as the workflow sees it."""
    return context.with_user(user_id).require_actor()


def has_organisations(context: Context) -> bool:
    """True when at least one organisation is stored."""
    with context.unit_of_work(write=False) as session:
        return not OrganisationRepository(session).is_empty()


def import_participants(
    context: Context, content: bytes, name: str, *, only_if_empty: bool = False
) -> ParticipantsImport | None:
    """Import a participants file (``organisations:`` and ``actors:``) in one transaction.

    The format of the earlier ``participants.yaml``: organisations with ``id``, ``name``,
    ``kind``, ``accredited``; actors with ``id``, ``name``, ``role``, ``organisation``.
    With ``only_if_empty`` nothing happens (``None``) when organisations are already stored:
    the one-time migration of a data directory.

    Raises
    ------
    ParticipantError
        Naming the file, line and field of each problem; nothing is stored.
    """
    _require_administrator(context, "import participants")
    orgs, people = _read_participants(content, name)

    def work(session: Any) -> ParticipantsImport | None:
        repository = OrganisationRepository(session)
        if only_if_empty and not repository.is_empty():
            return None
        now = context.now()
        reason = f"imported from {name}"
        for organisation in orgs:
            repository.add_organisation(organisation, now)
            _record_organisation(session, context, organisation, reason)
        for person in people:
            added = repository.add_user(
                person.id, person.name, person.role, person.organisation.id, now
            )
            _record_user(session, context, added, None, reason)
        return ParticipantsImport(organisations=[o.id for o in orgs], users=[p.id for p in people])

    return run_unit_of_work(context, work)


def _read_participants(content: bytes, name: str) -> tuple[list[Organisation], list[Actor]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParticipantError(f"{name} is not UTF-8 text (byte {exc.start})") from None
    try:
        data, where = parse_document(text, name, expected="a participants file")
    except ModelFileError as exc:  # YAML syntax, size limits
        raise ParticipantError(exc.message) from None
    if not isinstance(data, dict):
        raise ParticipantError(
            f"{name} holds a {type(data).__name__}; expected a mapping with 'organisations' and "
            "'actors' (see docs/certification.md)"
        )
    orgs: dict[str, Organisation] = {}
    for i, item in enumerate(data.get("organisations") or []):
        org = validate_document(
            Organisation, item, where, what=f"{name} organisations[{i}]", error=ParticipantError
        )
        orgs[org.id] = org
    people: list[Actor] = []
    for i, item in enumerate(data.get("actors") or []):
        line = where.where(("actors", i))
        if not isinstance(item, dict) or not item.get("id") or not item.get("role"):
            raise ParticipantError(
                f"{line}: an actor needs 'id', 'role' and 'organisation'; found {item!r}"
            )
        org_id = item.get("organisation")
        if org_id not in orgs:
            raise ParticipantError(
                f"{line}: actor {item.get('id')!r} names organisation {org_id!r}, which is not "
                f"listed; known: {sorted(orgs)}"
            )
        people.append(
            validate_document(
                Actor,
                {
                    "id": item["id"],
                    "name": item.get("name", item["id"]),
                    "role": item["role"],
                    "organisation": orgs[org_id],
                },
                None,
                what=f"{line} actor {item['id']!r}",
                error=ParticipantError,
            )
        )
    return list(orgs.values()), people


__all__ = [
    "ROLE_ORGANISATION_KINDS",
    "OrganisationRequest",
    "ParticipantsImport",
    "Placement",
    "RoleChangeRequest",
    "UserChange",
    "UserRequest",
    "UserView",
    "actor",
    "add_organisation",
    "add_user",
    "assignable_role",
    "change_role",
    "has_organisations",
    "import_participants",
    "organisations",
    "set_accreditation",
    "users",
]
