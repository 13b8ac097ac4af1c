"""Accounts service: passwords, login sessions and API tokens of the web platform's users.

A user (:mod:`tanzuji.services.organisations`) logs in with a password (an argon2id hash in
``users.password_hash``, RFC 9106) and gets a server-side session: a random token in a cookie,
of which the database keeps only the SHA-256, and a CSRF token the pages repeat in every form.
Machines use API tokens (``Authorization: Bearer tzj_<id>_<secret>``): they act as the user
who made them, within their scopes (``read``: safe methods; ``write``: changes; ``admin``:
the administrator routes), and can be revoked.

Failed logins are counted per user name and per client address: after ``web_login_attempts``
failures within ``web_login_window_s`` further attempts are refused (:class:`TooManyAttempts`,
HTTP 429) until the window has passed, whether or not the password would be right.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import Field
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tanzuji.certify.records import Actor, Role
from tanzuji.context import Context
from tanzuji.errors import AuthenticationFailed, NotFound, PermissionDenied, TooManyAttempts
from tanzuji.services import audit
from tanzuji.services.audit import AuditAction, SubjectKind
from tanzuji.services.base import Request, Result, run_unit_of_work
from tanzuji.store.db import aware
from tanzuji.store.organisations import OrganisationRepository
from tanzuji.store.platform_tables import UserRow
from tanzuji.store.web_tables import ApiTokenRow, LoginAttemptRow, WebSessionRow

#: argon2id with the OWASP Password Storage Cheat Sheet's first configuration (m = 19 MiB =
#: 19456 KiB, t = 2, p = 1; accessed 2026-12): about 0.1-0.3 s per login on a 2-core machine,
#: where RFC 9106's 64 MiB and p = 4 took over 1 s. ``check_needs_rehash`` upgrades stored
#: hashes when these parameters change.
HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)

#: A hash of a random password, checked when the user does not exist, so that an unknown user
#: name takes as long to refuse as a wrong password.
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))

TOKEN_PREFIX = "tzj_"

#: Write a session's new expiry or a token's last use at most this often (s): most requests
#: then only read.
TOUCH_INTERVAL_S = 60


class Scope(StrEnum):
    read = "read"  # GET, HEAD
    write = "write"  # POST, PUT, PATCH, DELETE
    admin = "admin"  # the administrator routes (with the administrator role)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _actor_row(session: Session, user_id: str) -> Actor:
    return OrganisationRepository(session).actor(user_id)


def administers(actor: Actor) -> bool:
    """Whether ``actor`` administers the platform (:meth:`Actor.administers_platform`)."""
    return actor.administers_platform()


# -- passwords ----------------------------------------------------------------------------------
class PasswordRequest(Request):
    user_id: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8, max_length=1024, description="8 characters or more")


def set_password(context: Context, request: PasswordRequest) -> None:
    """Set a user's password (the user, an administrator, or the local operator).

    Written to the audit trail (that it was set, by whom; never the password or its hash).

    Raises
    ------
    PermissionDenied
        When someone else than the user or an administrator tries.
    NotFound
        When the user does not exist.
    """
    actor = context.actor
    if actor is not None and actor.id != request.user_id and not administers(actor):
        raise PermissionDenied(
            f"{actor.id} may not set the password of {request.user_id}; only the user or an "
            "administrator may / 仅本人或管理员可设置密码"
        )
    hashed = HASHER.hash(request.password)

    def work(session: Session) -> None:
        row = session.get(UserRow, request.user_id)
        if row is None:
            raise NotFound(f"no user {request.user_id!r} / 用户不存在")
        had = bool(row.password_hash)
        row.password_hash = hashed
        audit.record_in(
            session,
            context,
            AuditAction.user_password_set,
            SubjectKind.user,
            row.id,
            before={"has_password": had},
            after={"has_password": True},
        )

    run_unit_of_work(context, work)


def has_password(context: Context, user_id: str) -> bool:
    """Whether the user has a password set (can log in to the web platform)."""
    with context.unit_of_work(write=False) as session:
        row = session.get(UserRow, user_id)
        return row is not None and bool(row.password_hash)


# -- login sessions -----------------------------------------------------------------------------
class LoginRequest(Request):
    user_id: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)
    client: str = Field("unknown", max_length=100, description="the client's address")


class NewSession(Result):
    """A session just opened: ``token`` goes into the cookie and is not stored."""

    token: str
    csrf_token: str
    user: Actor
    expires_at: dt.datetime


class SessionView(Result):
    user: Actor
    csrf_token: str
    expires_at: dt.datetime


def _check_rate(context: Context, session: Session, request: LoginRequest) -> None:
    settings = context.settings
    limit = int(settings.web_login_attempts)
    window = dt.timedelta(seconds=int(settings.web_login_window_s))
    since = context.now() - window
    for column, value, what in (
        (LoginAttemptRow.user_name, request.user_id, f"user {request.user_id!r}"),
        (LoginAttemptRow.client, request.client, f"client {request.client}"),
    ):
        failures = session.execute(
            select(func.count(), func.min(LoginAttemptRow.at)).where(
                column == value, LoginAttemptRow.at > since, LoginAttemptRow.success.is_(False)
            )
        ).one()
        if failures[0] >= limit:
            oldest = aware(failures[1]) or context.now()
            wait = max(1, int((oldest + window - context.now()).total_seconds()) + 1)
            raise TooManyAttempts(
                f"{failures[0]} failed logins for {what} within {window.seconds} s; try again "
                f"in {wait} s / 登录失败次数过多，请 {wait} 秒后再试",
                retry_after_s=wait,
            )


def login(context: Context, request: LoginRequest) -> NewSession:
    """Check a user's password and open a session (one transaction).

    Raises
    ------
    TooManyAttempts
        When the user name or the client address has too many recent failures.
    AuthenticationFailed
        When the user is unknown, deactivated, has no password or the password is wrong (one
        message for all: it does not reveal which).
    """
    with context.unit_of_work(write=False) as session:
        _check_rate(context, session, request)
        row = session.get(UserRow, request.user_id)
        stored = row.password_hash if row is not None and row.active else None
    ok = _verify(stored, request.password)
    now = context.now()
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = now + dt.timedelta(seconds=int(context.settings.web_session_lifetime_s))

    def work(session: Session) -> Actor | None:
        session.add(
            LoginAttemptRow(user_name=request.user_id, client=request.client, at=now, success=ok)
        )
        if not ok:
            return None
        if stored is not None and HASHER.check_needs_rehash(stored):
            session.get_one(UserRow, request.user_id).password_hash = HASHER.hash(request.password)
        session.add(
            WebSessionRow(
                token_sha256=_sha256(token),
                user_id=request.user_id,
                csrf_token=csrf,
                created_at=now,
                expires_at=expires,
            )
        )
        return _actor_row(session, request.user_id)

    actor = run_unit_of_work(context, work)
    if actor is None:
        raise AuthenticationFailed("wrong user name or password / 用户名或密码错误")
    return NewSession(token=token, csrf_token=csrf, user=actor, expires_at=expires)


def _verify(stored: str | None, password: str) -> bool:
    try:
        HASHER.verify(stored or _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return stored is not None


def session_user(context: Context, token: str) -> SessionView:
    """The user of an open session (its expiry moved on when it is used).

    Raises
    ------
    AuthenticationFailed
        When the session does not exist, has ended or expired, or its user was deactivated.
    """
    now = context.now()
    key = _sha256(token)
    with context.unit_of_work(write=False) as session:
        row = session.get(WebSessionRow, key)
        if row is None or row.ended_at is not None or aware(row.expires_at) <= now:
            raise AuthenticationFailed(
                "the session has ended; log in again / 会话已结束，请重新登录"
            )
        try:
            actor = _actor_row(session, row.user_id)
        except Exception:
            raise AuthenticationFailed("the session's user is no longer active") from None
        csrf, expires = row.csrf_token, aware(row.expires_at)
    lifetime = dt.timedelta(seconds=int(context.settings.web_session_lifetime_s))
    if expires - now < lifetime - dt.timedelta(seconds=TOUCH_INTERVAL_S):
        expires = now + lifetime

        def touch(session: Session) -> None:
            session.execute(
                update(WebSessionRow)
                .where(WebSessionRow.token_sha256 == key)
                .values(expires_at=expires)
            )

        run_unit_of_work(context, touch)
    return SessionView(user=actor, csrf_token=csrf, expires_at=expires)


def logout(context: Context, token: str) -> None:
    """End a session (nothing happens when it does not exist)."""
    now = context.now()

    def work(session: Session) -> None:
        session.execute(
            update(WebSessionRow)
            .where(WebSessionRow.token_sha256 == _sha256(token), WebSessionRow.ended_at.is_(None))
            .values(ended_at=now)
        )

    run_unit_of_work(context, work)


# -- API tokens ---------------------------------------------------------------------------------
class TokenRequest(Request):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[Scope] = Field(min_length=1)
    expires_in_days: int | None = Field(None, ge=1, le=3650)


class TokenView(Result):
    id: str
    user_id: str
    name: str
    scopes: list[Scope]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class NewToken(TokenView):
    """A token just made: ``token`` is shown once and not stored."""

    token: str


class TokenUser(Result):
    user: Actor
    token_id: str
    scopes: list[Scope]


def _token_view(row: ApiTokenRow) -> TokenView:
    return TokenView(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        scopes=[Scope(s) for s in row.scopes.split()],
        created_at=aware(row.created_at),
        expires_at=aware(row.expires_at),
        revoked_at=aware(row.revoked_at),
        last_used_at=aware(row.last_used_at),
    )


def _token_state(view: TokenView) -> dict[str, object]:
    """What the audit trail keeps of a token: whose, what for, what it may, until when."""
    return view.model_dump(
        mode="json", include={"user_id", "name", "scopes", "expires_at", "revoked_at"}
    )


def create_token(context: Context, request: TokenRequest) -> NewToken:
    """Make an API token for the acting user (``admin`` scope only for an administrator).

    Written to the audit trail (id, user, name, scopes, expiry; never the secret).

    Raises
    ------
    PermissionDenied
        When nobody acts, or a non-administrator asks for the ``admin`` scope.
    """
    actor = context.require_actor()
    if actor.role is Role.public:
        raise PermissionDenied("log in to make an API token / 请先登录")
    if Scope.admin in request.scopes and not administers(actor):
        raise PermissionDenied(
            f"{actor.id} acts as {actor.role.value}; only an administrator's token may have the "
            "admin scope / 仅管理员令牌可含 admin 权限"
        )
    token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    now = context.now()
    expires = now + dt.timedelta(days=request.expires_in_days) if request.expires_in_days else None
    scopes = " ".join(sorted({s.value for s in request.scopes}))

    def work(session: Session) -> TokenView:
        row = ApiTokenRow(
            id=token_id,
            secret_sha256=_sha256(secret),
            user_id=actor.id,
            name=request.name,
            scopes=scopes,
            created_at=now,
            expires_at=expires,
        )
        session.add(row)
        session.flush()
        made = _token_view(row)
        audit.record_in(
            session,
            context,
            AuditAction.token_create,
            SubjectKind.api_token,
            made.id,
            after=_token_state(made),
        )
        return made

    view = run_unit_of_work(context, work)
    return NewToken(**view.model_dump(), token=f"{TOKEN_PREFIX}{token_id}_{secret}")


def token_user(context: Context, token: str) -> TokenUser:
    """The user and scopes of a Bearer token.

    Raises
    ------
    AuthenticationFailed
        When the token is malformed, unknown, revoked or expired, or its user deactivated.
    """
    refused = AuthenticationFailed(
        "the API token is not valid (unknown, revoked or expired) / API 令牌无效"
    )
    if not token.startswith(TOKEN_PREFIX):
        raise refused
    token_id, _, secret = token[len(TOKEN_PREFIX) :].partition("_")
    now = context.now()
    with context.unit_of_work(write=False) as session:
        row = session.get(ApiTokenRow, token_id)
        if (
            row is None
            or not hmac.compare_digest(row.secret_sha256, _sha256(secret))
            or row.revoked_at is not None
            or (row.expires_at is not None and aware(row.expires_at) <= now)
        ):
            raise refused
        try:
            actor = _actor_row(session, row.user_id)
        except Exception:
            raise refused from None
        scopes = [Scope(s) for s in row.scopes.split()]
        last = aware(row.last_used_at)
    if last is None or (now - last).total_seconds() >= TOUCH_INTERVAL_S:

        def touch(session: Session) -> None:
            session.execute(
                update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(last_used_at=now)
            )

        run_unit_of_work(context, touch)
    return TokenUser(user=actor, token_id=token_id, scopes=scopes)


def tokens(context: Context, user_id: str | None = None) -> list[TokenView]:
    """API tokens of the acting user (an administrator: of ``user_id``, or everyone's)."""
    actor = context.require_actor()
    query = select(ApiTokenRow).order_by(ApiTokenRow.created_at, ApiTokenRow.id)
    if not administers(actor):
        query = query.where(ApiTokenRow.user_id == actor.id)
    elif user_id is not None:
        query = query.where(ApiTokenRow.user_id == user_id)
    with context.unit_of_work(write=False) as session:
        return [_token_view(r) for r in session.scalars(query)]


def revoke_token(context: Context, token_id: str) -> TokenView:
    """Revoke an API token (its user's or, for an administrator, anyone's).

    Written to the audit trail (a token already revoked stays as it was: nothing written).

    Raises
    ------
    NotFound
        When there is no such token of the acting user (another user's token is not found
        either, unless an administrator acts).
    """
    actor = context.require_actor()
    now = context.now()

    def work(session: Session) -> TokenView:
        row = session.get(ApiTokenRow, token_id)
        if row is None or (not administers(actor) and row.user_id != actor.id):
            raise NotFound(f"no API token {token_id!r} / 令牌不存在")
        if row.revoked_at is not None:
            return _token_view(row)
        before = _token_state(_token_view(row))
        row.revoked_at = now
        session.flush()
        revoked = _token_view(row)
        audit.record_in(
            session,
            context,
            AuditAction.token_revoke,
            SubjectKind.api_token,
            row.id,
            before=before,
            after=_token_state(revoked),
        )
        return revoked

    return run_unit_of_work(context, work)


def set_active(context: Context, user_id: str, active: bool, reason: str | None = None) -> None:
    """Activate or deactivate a user (an administrator, or the local operator); deactivating
    ends the user's sessions, and their tokens stop working while they are inactive.

    A change (not a repeat of the current state) is written to the audit trail with
    ``reason``.

    Raises
    ------
    PermissionDenied
        When the acting user is not an administrator, or deactivates themself.
    NotFound
        When the user does not exist.
    """
    actor = context.actor
    if actor is not None and not administers(actor):
        raise PermissionDenied(
            f"{actor.id} acts as {actor.role.value} of {actor.organisation.id}; only the "
            "platform's administrators may (de)activate users / 仅平台管理员可启用或停用用户"
        )
    if actor is not None and actor.id == user_id and not active:
        raise PermissionDenied("an administrator cannot deactivate themself / 不能停用自己")
    now = context.now()

    def work(session: Session) -> None:
        row = session.get(UserRow, user_id)
        if row is None:
            raise NotFound(f"no user {user_id!r} / 用户不存在")
        if row.active != active:
            audit.record_in(
                session,
                context,
                AuditAction.user_reactivate if active else AuditAction.user_deactivate,
                SubjectKind.user,
                row.id,
                before={"active": row.active},
                after={"active": active},
                reason=reason,
            )
        row.active = active
        if not active:
            session.execute(
                update(WebSessionRow)
                .where(WebSessionRow.user_id == user_id, WebSessionRow.ended_at.is_(None))
                .values(ended_at=now)
            )

    run_unit_of_work(context, work)


def forget_attempts(context: Context, older_than: dt.timedelta) -> int:
    """Delete login attempts older than ``older_than`` (housekeeping); returns how many."""
    since = context.now() - older_than

    def work(session: Session) -> int:
        rows = session.scalars(select(LoginAttemptRow.id).where(LoginAttemptRow.at < since))
        ids = list(rows)
        if ids:
            session.query(LoginAttemptRow).filter(LoginAttemptRow.id.in_(ids)).delete()
        return len(ids)

    return run_unit_of_work(context, work)


__all__ = [
    "HASHER",
    "LoginRequest",
    "NewSession",
    "NewToken",
    "PasswordRequest",
    "Scope",
    "SessionView",
    "TokenRequest",
    "TokenUser",
    "TokenView",
    "administers",
    "create_token",
    "forget_attempts",
    "has_password",
    "login",
    "logout",
    "revoke_token",
    "session_user",
    "set_active",
    "set_password",
    "token_user",
    "tokens",
]
