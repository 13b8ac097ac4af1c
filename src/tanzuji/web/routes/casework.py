"""The queues of the certification body and the operator: the verifier's review queue and
recheck list, the decision maker's decisions and certificates, the administrator's issuance,
accreditation of bodies and factor releases.

Each queue is a filtered list of :func:`tanzuji.services.access.applications` (what the caller
may read); the steps themselves are taken on the application's page. Accreditation has its API
route here; recheck runs as a ``recheck`` job (``POST /api/v1/jobs``).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tanzuji.certify.records import Organisation, Role, State
from tanzuji.context import Context
from tanzuji.errors import TanzujiError
from tanzuji.services import access, factors, jobs, organisations
from tanzuji.web.auth import admin_context, user_context
from tanzuji.web.pages import remember, render

router = APIRouter(tags=["casework"])

#: States in which an application is with its verifier.
IN_REVIEW = (State.document_review, State.data_verification)
#: States of a certificate in force or paused.
CERTIFIED = (State.issued, State.under_surveillance, State.renewed, State.suspended)


class AccreditationBody(BaseModel):
    accredited: bool
    reason: str | None = Field(None, max_length=1000, description="why (kept in the audit trail)")


@router.put("/api/v1/organisations/{organisation_id}/accreditation", response_model=Organisation)
def set_accreditation(
    organisation_id: str, body: AccreditationBody, context: Context = Depends(admin_context)
) -> Organisation:
    """Grant or withdraw a certification body's accreditation (administrators)."""
    return organisations.set_accreditation(context, organisation_id, body.accredited, body.reason)


def _recheck_jobs(context: Context) -> list[jobs.JobView]:
    found, _ = jobs.jobs(context, offset=0, limit=20)
    return [j for j in found if j.kind == "recheck"]


@router.get("/review", response_class=HTMLResponse, include_in_schema=False)
def review_page(request: Request, context: Context = Depends(user_context)) -> HTMLResponse:
    """The verifier's queue: submitted applications waiting for a body, and their own cases."""
    me = context.require_actor().id
    readable = access.applications(context)
    return render(
        request,
        "review.html",
        {
            "waiting": [a for a in readable if a.state is State.submitted],
            "mine": [a for a in readable if a.verifier == me and a.state in IN_REVIEW],
            "done": [a for a in readable if a.verifier == me and a.state not in IN_REVIEW],
            "releases": factors.releases(context),
            "rechecks": _recheck_jobs(context),
        },
    )


@router.get("/operator", response_class=HTMLResponse, include_in_schema=False)
def operator_page(
    request: Request, context: Context = Depends(user_context), error: str | None = None
) -> HTMLResponse:
    """Decisions (decision maker), issuance, accreditation and releases (administrator), and
    the certificates in force with their status."""
    actor = context.require_actor()
    readable = access.applications(context)
    admin = actor.role is Role.administrator
    return render(
        request,
        "operator.html",
        {
            "decisions": [a for a in readable if a.state is State.decision],
            "approved": [a for a in readable if a.state is State.approved],
            "certificates": [a for a in readable if a.state in CERTIFIED],
            "bodies": [
                o for o in organisations.organisations(context) if o.kind == "certification_body"
            ]
            if admin
            else [],
            "releases": factors.releases(context),
            "rechecks": _recheck_jobs(context),
            "is_admin": admin,
            "error": error,
        },
        page_path="/operator",
    )


@router.post(
    "/operator/accreditation/{organisation_id}",
    response_class=HTMLResponse,
    include_in_schema=False,
)
async def accreditation_form(
    organisation_id: str, request: Request, context: Context = Depends(admin_context)
) -> Response:
    form = await request.form()
    accredited = form.get("accredited") == "yes"
    try:
        await run_in_threadpool(
            organisations.set_accreditation, context, organisation_id, accredited
        )
    except TanzujiError as exc:
        return operator_page(request, context, exc.message)
    response = RedirectResponse("/operator", status_code=303)
    remember(request, response)
    return response


@router.post("/recheck", response_class=HTMLResponse, include_in_schema=False)
async def recheck_form(request: Request, context: Context = Depends(user_context)) -> Response:
    """The recheck form (review and operator pages): a ``recheck`` job; to its page."""
    from tanzuji.jobs import kinds

    form = await request.form()
    view = await run_in_threadpool(
        kinds.queue,
        context,
        jobs.JobRequest(kind="recheck", parameters={"release": str(form.get("release", ""))}),
    )
    runner = request.app.state.web.runner
    if runner is not None:
        runner.wake()
    response = RedirectResponse(f"/jobs/{view.id}", status_code=303)
    remember(request, response)
    return response


__all__ = ["router"]
