"""Operator administration: organisations, users, passwords, activation (API and page)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from tanzuji.certify.records import Actor, Organisation
from tanzuji.context import Context
from tanzuji.errors import NotFound
from tanzuji.services import accounts, organisations
from tanzuji.web.auth import admin_context, user_context
from tanzuji.web.pages import render
from tanzuji.web.pagination import Page, PageParams, page_of, page_params

router = APIRouter(tags=["administration"])


class NewUser(organisations.UserRequest):
    password: str | None = Field(
        None, min_length=8, max_length=1024, description="initial password (8 or more characters)"
    )


class PasswordBody(BaseModel):
    password: str = Field(min_length=8, max_length=1024)


class ActiveBody(BaseModel):
    active: bool


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
    user_id: str, body: PasswordBody, context: Context = Depends(user_context)
) -> None:
    """Set a password: one's own, or anyone's for an administrator."""
    accounts.set_password(
        context, accounts.PasswordRequest(user_id=user_id, password=body.password)
    )


@router.put("/api/v1/users/{user_id}/active", status_code=204)
def set_active(user_id: str, body: ActiveBody, context: Context = Depends(admin_context)) -> None:
    """Activate or deactivate a user; deactivating ends their sessions (administrators)."""
    accounts.set_active(context, user_id, body.active)


@router.get("/admin", response_class=HTMLResponse, include_in_schema=False)
def admin_page(request: Request, context: Context = Depends(admin_context)) -> HTMLResponse:
    return render(
        request,
        "admin.html",
        {
            "organisations": organisations.organisations(context),
            "users": organisations.users(context),
        },
    )


__all__ = ["router"]
