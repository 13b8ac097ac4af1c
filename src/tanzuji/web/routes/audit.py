"""The audit trail of administrative changes: ``GET /api/v1/audit`` and the page ``/admin/audit``
(platform administrators only; see :mod:`tanzuji.services.audit`)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from tanzuji.context import Context
from tanzuji.services import audit
from tanzuji.web.auth import admin_context
from tanzuji.web.pages import render
from tanzuji.web.pagination import Page, PageParams, page_of, page_params

router = APIRouter(tags=["administration"])

#: The filters of a listing: query parameter -> field of :class:`audit.AuditQuery`.
FILTERS = {
    "subject_kind": "subject_kind",
    "subject_id": "subject_id",
    "actor": "actor_id",
    "action": "action",
    "since": "since",
    "until": "until",
}


@router.get("/api/v1/audit", response_model=Page[audit.AuditEvent])
def list_events(
    subject_kind: audit.SubjectKind | None = Query(None, description="what the event is about"),
    subject_id: str | None = Query(None, min_length=1, max_length=64, description="its id"),
    actor: str | None = Query(None, min_length=1, max_length=64, description="who acted"),
    action: audit.AuditAction | None = Query(None, description="what was done"),
    since: dt.datetime | None = Query(
        None, description="from this time on (inclusive; ISO 8601, UTC when no zone is given)"
    ),
    until: dt.datetime | None = Query(None, description="before this time (exclusive)"),
    params: PageParams = Depends(page_params),
    context: Context = Depends(admin_context),
) -> Page[audit.AuditEvent]:
    """The audit trail, newest first: who changed which user, API token or organisation, when,
    from what to what and why (administrators)."""
    query = audit.AuditQuery(
        subject_kind=subject_kind,
        subject_id=subject_id,
        actor_id=actor,
        action=action,
        since=since,
        until=until,
        offset=params.offset,
        limit=params.limit,
    )
    found = audit.events(context, query)
    return page_of(found.items, params, total=found.total)


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def changes(event: audit.AuditEvent) -> list[tuple[str, str, str]]:
    """The event's fields as (name, before, after) rows for the page, in a stable order."""
    before, after = event.before or {}, event.after or {}
    names = [*before, *(k for k in after if k not in before)]
    return [(n, _shown(before.get(n)), _shown(after.get(n))) for n in names]


@router.get("/admin/audit", response_class=HTMLResponse, include_in_schema=False)
def audit_page(
    request: Request,
    params: PageParams = Depends(page_params),
    context: Context = Depends(admin_context),
) -> HTMLResponse:
    """The trail with a filter form; an empty field of the form filters nothing."""
    chosen = {
        name: value
        for name in FILTERS
        if (value := request.query_params.get(name, "").strip()[:100])
    }
    values: dict[str, Any] = {
        "filters": chosen,
        "actions": list(audit.AuditAction),
        "kinds": list(audit.SubjectKind),
        "error": None,
        "rows": [],
        "page": None,
    }
    try:
        query = audit.AuditQuery.model_validate(
            {FILTERS[k]: v for k, v in chosen.items()}
            | {"offset": params.offset, "limit": params.limit}
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = next((k for k, v in FILTERS.items() if v == first["loc"][0]), first["loc"][0])
        values["error"] = (
            f"{field}: {first['msg']}; found {first.get('input')!r} / 筛选条件 {field} 无效"
        )
        return render(request, "audit.html", values, status=422)
    found = audit.events(context, query)
    page = page_of(found.items, params, total=found.total)

    def link(offset: int) -> str:
        return "?" + urlencode([*chosen.items(), ("offset", offset), ("limit", page.limit)])

    values |= {
        "page": page,
        "rows": [(event, changes(event)) for event in page.items],
        "previous_link": link(max(page.offset - page.limit, 0)) if page.offset else None,
        "next_link": link(page.next_offset) if page.next_offset is not None else None,
    }
    return render(request, "audit.html", values)


__all__ = ["router"]
