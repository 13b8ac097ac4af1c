"""``tanzuji audit list`` — the audit trail of administrative changes (审计记录)."""

from __future__ import annotations

import datetime as dt
import json

import typer
from rich.table import Table

from tanzuji.cli.app import app, console, context
from tanzuji.services import audit as service

audit_app = typer.Typer(
    help="Audit trail 审计记录: who changed users, API tokens and organisations.",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")

#: Accepted forms of --since and --until (a time without a zone is UTC).
TIME_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"]


def _change(event: service.AuditEvent) -> str:
    """``name: before -> after`` for each field the event names, one per line."""
    before, after = event.before or {}, event.after or {}
    names = [*before, *(k for k in after if k not in before)]
    shown = [
        f"{n}: {json.dumps(before.get(n), ensure_ascii=False)} -> "
        f"{json.dumps(after.get(n), ensure_ascii=False)}"
        for n in names
    ]
    return "\n".join(shown)


@audit_app.command("list")
def audit_list(
    kind: service.SubjectKind = typer.Option(None, "--kind", help="Subject kind."),
    subject: str = typer.Option(
        None, "--subject", help="Subject id (a user, token or organisation)."
    ),
    actor_id: str = typer.Option(None, "--actor", help="Only changes made by this user."),
    action: service.AuditAction = typer.Option(None, "--action", help="Only this action."),
    since: dt.datetime = typer.Option(
        None, "--since", formats=TIME_FORMATS, help="From this time on (inclusive; UTC)."
    ),
    until: dt.datetime = typer.Option(
        None, "--until", formats=TIME_FORMATS, help="Before this time (exclusive; UTC)."
    ),
    offset: int = typer.Option(0, "--offset", min=0, help="Events to skip."),
    limit: int = typer.Option(50, "--limit", min=1, max=10**6, help="Events to show."),
    as_json: bool = typer.Option(False, "--json", help="The page as JSON (as GET /api/v1/audit)."),
    actor: str = typer.Option(
        None, "--as", help="Administrator reading (default: the local operator)."
    ),
) -> None:
    """The audit trail, newest first, with filters (审计记录)."""
    query = service.AuditQuery(
        subject_kind=kind,
        subject_id=subject,
        actor_id=actor_id,
        action=action,
        since=since,
        until=until,
        offset=offset,
        limit=limit,
    )
    found = service.events(context(actor=actor, need_database=True), query)
    if as_json:
        end = offset + len(found.items)
        page = {
            "items": [e.model_dump(mode="json") for e in found.items],
            "total": found.total,
            "offset": offset,
            "limit": limit,
            "next_offset": end if end < found.total else None,
        }
        typer.echo(json.dumps(page, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"audit trail 审计记录: {len(found.items)} of {found.total}")
    for header in (
        "id",
        "at (UTC) 时间",
        "by 操作人",
        "action 操作",
        "subject 对象",
        "change 变更",
        "reason 理由",
    ):
        table.add_column(header)
    for event in found.items:
        by = (
            f"{event.actor_id} ({event.actor_organisation_id})"
            if event.actor_id
            else service.LOCAL_OPERATOR
        )
        table.add_row(
            str(event.id),
            event.at.isoformat(),
            by,
            event.action.value,
            f"{event.subject_kind.value} {event.subject_id}",
            _change(event),
            event.reason or "",
        )
    console.print(table)
