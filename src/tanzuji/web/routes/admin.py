"""Operator administration: organisations, users, roles, passwords, activation (API and page)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tanzuji.certify.records import Actor, Organisation, Role
from tanzuji.context import Context
from tanzuji.errors import NotFound, TanzujiError
from tanzuji.services import accounts, organisations
from tanzuji.web.auth import admin_context, user_context
from tanzuji.web.pages import remember, render
from tanzuji.web.pagination import Page, PageParams, page_of, page_params

router = APIRouter(tags=["administration"])


class NewUser(organisations.UserRequest):
    password: str | None = Field(
        None, min_length=8, max_length=1024, description="initial password (8 or more characters)"
    )


#: A user id in a path, checked as the services' requests check it (else a 500, not a 422).
USER_ID = Path(min_length=1, max_length=64)


class PasswordBody(BaseModel):
    password: str = Field(min_length=8, max_length=1024)


#: The reason of a change, kept in the audit trail.
REASON = Field(None, max_length=1000, description="why (kept in the audit trail)")


class ActiveBody(BaseModel):
    active: bool
    reason: str | None = REASON


class RoleBody(BaseModel):
    role: str = Field(
        min_length=1,
        max_length=40,
        description="applicant, verifier, decision_maker, administrator or data_steward",
    )
    organisation: str | None = Field(
        None, min_length=1, max_length=64, description="organisation id; default: unchanged"
    )
    reason: str | None = REASON


@router.get("/api/v1/organisations", response_model=Page[Organisation])
def list_organisations(
    params: PageParams = Depends(page_params), context: Context = Depends(admin_context)
) -> Page[Organisation]:
    """Every organisation (administrators)."""
    return page_of(organisations.organisations(context), params)


@router.post("/api/v1/organisations", response_model=Organisation, status_code=201)
def add_organisation(
    body: organisations.OrganisationRequest, context: Context = Depends(admin_context)
) -> Organisation:
    """Add an organisation (administrators)."""
    return organisations.add_organisation(context, body)


@router.get("/api/v1/organisations/{organisation_id}", response_model=Organisation)
def get_organisation(
    organisation_id: str, context: Context = Depends(user_context)
) -> Organisation:
    """One organisation: the caller's own, or any for an administrator."""
    actor = context.require_actor()
    if actor.role.value != "administrator" and actor.organisation.id != organisation_id:
        raise NotFound(f"no organisation {organisation_id!r} / 机构不存在")
    for organisation in organisations.organisations(context):
        if organisation.id == organisation_id:
            return organisation
    raise NotFound(f"no organisation {organisation_id!r} / 机构不存在")


@router.get("/api/v1/users", response_model=Page[organisations.UserView])
def list_users(
    organisation: str | None = None,
    params: PageParams = Depends(page_params),
    context: Context = Depends(admin_context),
) -> Page[organisations.UserView]:
    """Every user, or those of one organisation (administrators)."""
    return page_of(organisations.users(context, organisation), params)


@router.post("/api/v1/users", response_model=Actor, status_code=201)
def add_user(body: NewUser, context: Context = Depends(admin_context)) -> Actor:
    """Add a user, with an initial password when given (administrators)."""
    request = organisations.UserRequest(**body.model_dump(exclude={"password"}))
    actor = organisations.add_user(context, request)
    if body.password:
        accounts.set_password(
            context, accounts.PasswordRequest(user_id=actor.id, password=body.password)
        )
    return actor


@router.put("/api/v1/users/{user_id}/password", status_code=204)
def set_password(
    body: PasswordBody, user_id: str = USER_ID, context: Context = Depends(user_context)
) -> None:
    """Set a password: one's own, or anyone's for an administrator."""
    accounts.set_password(
        context, accounts.PasswordRequest(user_id=user_id, password=body.password)
    )


@router.put("/api/v1/users/{user_id}/active", status_code=204)
def set_active(user_id: str, body: ActiveBody, context: Context = Depends(admin_context)) -> None:
    """Activate or deactivate a user; deactivating ends their sessions (administrators)."""
    accounts.set_active(context, user_id, body.active, body.reason)


@router.put("/api/v1/users/{user_id}/role", response_model=organisations.UserChange)
def set_role(
    body: RoleBody, user_id: str = USER_ID, context: Context = Depends(admin_context)
) -> organisations.UserChange:
    """Move a user to another role and/or organisation, from their next request on
    (administrators; the last active administrator stays one)."""
    return organisations.change_role(
        context,
        organisations.RoleChangeRequest(
            user_id=user_id, role=body.role, organisation=body.organisation, reason=body.reason
        ),
    )


@router.get("/admin", response_class=HTMLResponse, include_in_schema=False)
def admin_page(request: Request, context: Context = Depends(admin_context)) -> HTMLResponse:
    return _admin_page(request, context)


def _admin_page(
    request: Request, context: Context, error: str | None = None, status: int = 200
) -> HTMLResponse:
    users = organisations.users(context)
    changed = request.query_params.get("changed")
    return render(
        request,
        "admin.html",
        {
            "organisations": organisations.organisations(context),
            "users": users,
            "roles": list(organisations.ROLE_ORGANISATION_KINDS),
            "error": error,
            "changed": changed if changed in {v.user.id for v in users} else None,
        },
        status=status,
        page_path="/admin",
    )


@router.post("/admin/users/{user_id}/role", response_class=HTMLResponse, include_in_schema=False)
async def role_form(
    user_id: str, request: Request, context: Context = Depends(admin_context)
) -> Response:
    """The role form of a user's row: change, then back to the page (or the page with the
    error). An administrator who gave up their own role goes to the home page."""
    form = await request.form()
    # not validated here: the service checks role, organisation and user, in both languages
    change_request = organisations.RoleChangeRequest.model_construct(
        user_id=user_id,
        role=str(form.get("role", "")),
        organisation=str(form.get("organisation", "")) or None,
        reason=str(form.get("reason", "")).strip()[:1000] or None,
    )
    try:
        change = await run_in_threadpool(organisations.change_role, context, change_request)
    except TanzujiError as exc:
        return _admin_page(request, context, exc.message, exc.http_status)
    me = context.require_actor().id
    gave_up = change.user.id == me and change.after.role is not Role.administrator
    target = "/" if gave_up else f"/admin?changed={change.user.id}#user-{change.user.id}"
    response = RedirectResponse(target, status_code=303)
    remember(request, response)
    return response


__all__ = ["router"]
