"""Organisations service: the organisations and users who act on the platform.

An organisation is an enterprise (applies for labels), a certification body (reviews and
decides; ``accredited`` when its accreditation is in force), the platform operator, or the
public. A user is one person in one role (:class:`~tanzuji.certify.records.Role`) for one
organisation; the certification workflow checks role and organisation at every step.

Adding organisations and users needs an administrator, or no acting user at all: the local
operator of the command line, who owns the data directory. A web edge always names the user.

The earlier ``participants.yaml`` file is imported once by :func:`import_participants`.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tanzuji.certify.records import Actor, Organisation, Role
from tanzuji.context import Context
from tanzuji.errors import ModelFileError, ParticipantError, PermissionDenied
from tanzuji.model.files import parse_document, validate_document
from tanzuji.services.base import Request, Result, run_unit_of_work
from tanzuji.store.organisations import OrganisationRepository


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


class ParticipantsImport(Result):
    """What an import of a participants file added."""

    organisations: list[str]
    users: list[str]


def _require_administrator(context: Context, what: str) -> None:
    actor = context.actor
    if actor is not None and actor.role is not Role.administrator:
        raise PermissionDenied(
            f"{actor.id} acts as {actor.role.value}; only an administrator may {what} / "
            "仅管理员可执行"
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
    return run_unit_of_work(
        context,
        lambda s: OrganisationRepository(s).add_organisation(organisation, context.now()),
    )


def set_accreditation(context: Context, organisation_id: str, accredited: bool) -> Organisation:
    """Grant or withdraw a certification body's accreditation (administrator; one transaction).

    Its staff may review and decide only while it is accredited (the workflow checks it at
    every step).

    Raises
    ------
    NotFound, ParticipantError, PermissionDenied
        No such organisation; not a certification body; the actor is not an administrator.
    """
    _require_administrator(context, "change an accreditation")
    return run_unit_of_work(
        context, lambda s: OrganisationRepository(s).set_accredited(organisation_id, accredited)
    )


def organisations(context: Context) -> list[Organisation]:
    """Every organisation, by id."""
    with context.unit_of_work(write=False) as session:
        return OrganisationRepository(session).organisations()


def add_user(context: Context, request: UserRequest) -> Actor:
    """Add a user (one transaction).

    Raises
    ------
    ParticipantError
        When the id is taken.
    NotFound
        When the organisation does not exist.
    PermissionDenied
        When the acting user is not an administrator.
    """
    _require_administrator(context, "add a user")
    return run_unit_of_work(
        context,
        lambda s: OrganisationRepository(s).add_user(
            request.id,
            request.name,
            request.role,
            request.organisation,
            context.now(),
            request.email,
        ),
    )


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
        for organisation in orgs:
            repository.add_organisation(organisation, now)
        for person in people:
            repository.add_user(person.id, person.name, person.role, person.organisation.id, now)
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
    "OrganisationRequest",
    "ParticipantsImport",
    "UserRequest",
    "UserView",
    "actor",
    "add_organisation",
    "add_user",
    "has_organisations",
    "import_participants",
    "organisations",
    "set_accreditation",
    "users",
]
