"""``tanzuji org | user`` — organisations and users (who may act with ``--as``)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from tanzuji.certify.records import Role
from tanzuji.cli.app import app, console, context
from tanzuji.cli.inputs import read_bytes
from tanzuji.errors import ParticipantError
from tanzuji.services import organisations as service

org_app = typer.Typer(
    help="Organisations 机构: enterprises, certification bodies.", no_args_is_help=True
)
user_app = typer.Typer(
    help="Users 用户: one person, one role, one organisation.", no_args_is_help=True
)
app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")

KINDS = "enterprise, certification_body, platform"


@org_app.command("add")
def org_add(
    org_id: str = typer.Argument(..., metavar="ID", help="Short id, e.g. acme."),
    name: str = typer.Option(..., "--name", help="Name (Chinese and English)."),
    kind: str = typer.Option(..., "--kind", help=KINDS),
    accredited: bool = typer.Option(
        False, "--accredited", help="Certification body: accreditation in force."
    ),
) -> None:
    """Add an organisation (添加机构)."""
    request = service.OrganisationRequest(id=org_id, name=name, kind=kind, accredited=accredited)
    organisation = service.add_organisation(context(need_database=True), request)
    console.print(
        f"organisation 机构 {organisation.id} ({organisation.kind}) added", highlight=False
    )


@org_app.command("list")
def org_list() -> None:
    """All organisations (机构列表)."""
    table = Table(title="organisations 机构")
    for header in ("id", "name 名称", "kind 类型", "accredited 认可"):
        table.add_column(header)
    for o in service.organisations(context(need_database=True)):
        table.add_row(o.id, o.name, o.kind, "yes 是" if o.accredited else "")
    console.print(table)


@org_app.command("import")
def org_import(
    file: Path = typer.Argument(..., help="Participants YAML (organisations and actors)."),
) -> None:
    """Import a participants file of earlier versions (organisations and users), all or none."""
    ctx = context(need_database=True)
    done = service.import_participants(
        ctx, read_bytes(file, "participants file", ParticipantError, ctx.limits), str(file)
    )
    if done is not None:
        console.print(
            f"imported {len(done.organisations)} organisation(s), {len(done.users)} user(s)",
            highlight=False,
        )


@user_app.command("add")
def user_add(
    user_id: str = typer.Argument(..., metavar="ID", help="Short id used with --as."),
    name: str = typer.Option(..., "--name", help="Full name."),
    role: Role = typer.Option(..., "--role", help="The one role this user acts in."),
    organisation: str = typer.Option(..., "--org", help="Organisation id."),
    email: str = typer.Option(None, "--email"),
) -> None:
    """Add a user acting in one role for one organisation (添加用户)."""
    request = service.UserRequest(
        id=user_id, name=name, role=role, organisation=organisation, email=email
    )
    user = service.add_user(context(need_database=True), request)
    console.print(
        f"user 用户 {user.id} ({user.role.value} of {user.organisation.id}) added", highlight=False
    )


@user_app.command("list")
def user_list(
    organisation: str = typer.Option(None, "--org", help="Only users of this organisation."),
) -> None:
    """All users with their role and organisation (用户列表)."""
    table = Table(title="users 用户")
    for header in ("id", "name 姓名", "role 角色", "organisation 机构", "active 有效"):
        table.add_column(header)
    for view in service.users(context(need_database=True), organisation):
        u = view.user
        table.add_row(u.id, u.name, u.role.value, u.organisation.id, "yes" if view.active else "no")
    console.print(table)


@user_app.command("set-role")
def user_set_role(
    user_id: str = typer.Argument(..., metavar="ID", help="The user to change."),
    role: str = typer.Option(
        ..., "--role", help="applicant, verifier, decision_maker, administrator, data_steward."
    ),
    organisation: str = typer.Option(
        None, "--org", help="Move to this organisation too (default: keep)."
    ),
    reason: str = typer.Option(None, "--reason", help="Why (kept in the audit trail)."),
    actor: str = typer.Option(
        None, "--as", help="Administrator acting (default: the local operator)."
    ),
) -> None:
    """Give a user another role and/or organisation, from their next request on (更改角色)."""
    request = service.RoleChangeRequest(
        user_id=user_id, role=role, organisation=organisation, reason=reason
    )
    change = service.change_role(context(actor=actor, need_database=True), request)
    before, after = change.before, change.after
    if not change.changed:
        console.print(
            f"user 用户 {user_id} is already {after.role.value} of {after.organisation}; "
            "nothing changed",
            highlight=False,
        )
        return
    console.print(
        f"user 用户 {user_id}: {before.role.value} of {before.organisation} -> "
        f"{after.role.value} of {after.organisation} (by {change.changed_by})",
        highlight=False,
    )
