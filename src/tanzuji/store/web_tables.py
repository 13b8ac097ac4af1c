"""Web platform tables (Alembic revision ``0011_web``): sessions, API tokens, login attempts
and background jobs.

* ``web_sessions``: one login in a browser. The cookie holds a random token; only its SHA-256
  is stored (a leaked table opens no session). ``csrf_token`` is the session's CSRF secret that
  every form post and every cookie-authenticated unsafe request repeats.
* ``api_tokens``: scoped, revocable Bearer tokens for machines, acting as the user who made
  them (role and organisation) within their ``scopes`` (``read``, ``write``, ``admin``).
  Only the SHA-256 of the secret is stored; ``id`` is the public part shown in lists.
* ``login_attempts``: each login try (user name, client address, success), read by the rate
  limit (``web_login_attempts`` failures per ``web_login_window_s``).
* ``jobs``: background work (Monte Carlo, recheck, factor import, report) with state,
  progress, result or error, the organisation and user that queued it, and the runner and
  heartbeat that show whether the process running it is still alive.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tanzuji.store.db import Base

Stamp = DateTime(timezone=True)


class WebSessionRow(Base):
    __tablename__ = "web_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(Stamp)
    expires_at: Mapped[dt.datetime] = mapped_column(Stamp)
    ended_at: Mapped[dt.datetime | None] = mapped_column(Stamp)


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(Stamp)
    expires_at: Mapped[dt.datetime | None] = mapped_column(Stamp)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(Stamp)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(Stamp)


class LoginAttemptRow(Base):
    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_name: Mapped[str] = mapped_column(String(200), index=True)
    client: Mapped[str] = mapped_column(String(100), index=True)
    at: Mapped[dt.datetime] = mapped_column(Stamp, index=True)
    success: Mapped[bool] = mapped_column(Boolean)


class JobRow(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20), index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    parameters: Mapped[Any] = mapped_column(JSON, nullable=False)
    result: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    runner: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(Stamp)
    started_at: Mapped[dt.datetime | None] = mapped_column(Stamp)
    finished_at: Mapped[dt.datetime | None] = mapped_column(Stamp)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(Stamp)
