"""The web platform's skeleton, in process, on SQLite and PostgreSQL: the one JSON error shape
on every kind of error, login and sessions, CSRF, API tokens and scopes, the login rate limit,
pagination, the request size limit, languages and the administrator API (whole payloads)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from fastapi import APIRouter

from tanzuji.web import i18n
from tanzuji.web.pages import TEMPLATES
from web_helpers import FIXED_NOW, form_csrf, login, token_for, web_client, web_context

ADMIN = {
    "id": "admin",
    "name": "Platform Admin",
    "role": "administrator",
    "organisation": {
        "id": "platform",
        "name": "大湾区碳足迹平台 GBA Platform",
        "kind": "platform",
        "accredited": False,
    },
}


def _error(code: str, status: int, message: str, details: dict | None = None) -> dict:
    return {
        "error": {
            "code": code,
            "status": status,
            "title": i18n.both(f"error.{code}"),
            "message": message,
            "location": None,
            "details": details or {},
        }
    }


@pytest.fixture
def ctx(database_url: str, tmp_path: Path):
    """On SQLite and PostgreSQL: the tests whose answers come from the database."""
    return web_context(database_url, tmp_path / "data", clock=lambda: FIXED_NOW)


@pytest.fixture
def lite(tmp_path: Path):
    """On SQLite only: the tests of the web layer itself (errors, languages, limits)."""
    url = f"sqlite:///{tmp_path / 'tanzuji.db'}"
    return web_context(url, tmp_path / "data", clock=lambda: FIXED_NOW)


def test_error_shape_on_framework_errors(lite) -> None:
    """404, 405, 422 and 500 on the API all answer with the one shape and a bilingual title."""
    client = web_client(lite, raise_server_exceptions=False)
    boom = APIRouter()

    @boom.get("/api/v1/test-boom")
    def _boom() -> None:
        raise RuntimeError("secret detail")

    client.app.include_router(boom)
    assert client.get("/api/v1/nothing").json() == _error(
        "not_found", 404, "no route /api/v1/nothing / 无此地址"
    )
    answer = client.delete("/api/v1/auth/me")
    assert answer.status_code == 405
    assert answer.json() == _error(
        "method_not_allowed", 405, "DELETE is not allowed on /api/v1/auth/me / 不允许的请求方法"
    )
    answer = client.post("/api/v1/auth/login", json={"user_id": "admin"})
    assert answer.status_code == 422
    assert answer.json() == _error(
        "invalid_request",
        422,
        "the request does not validate: body.password: Field required (1 problem(s)) / "
        "请求内容不符合要求",
        {
            "problems": [
                {"location": "body.password", "message": "Field required", "type": "missing"}
            ]
        },
    )
    answer = client.get("/api/v1/test-boom")
    assert answer.status_code == 500
    body = answer.json()
    reference = body["error"]["details"]["reference"]
    assert body == _error(
        "internal_error",
        500,
        f"internal error (RuntimeError, reference {reference} in the server log) / 服务器内部错误",
        {"reference": reference},
    )
    assert "secret detail" not in answer.text


def test_error_page_for_browsers(lite) -> None:
    """A page path answers an HTML page in the chosen language, with the same message."""
    client = web_client(lite)
    answer = client.get("/nothing?lang=en")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "<h1>Not found (404)</h1>" in answer.text
    assert "no route /nothing / 无此地址" in answer.text
    assert "<h1>未找到 (404)</h1>" in client.get("/nothing?lang=zh").text


def test_service_error_keeps_its_status_and_message(lite) -> None:
    """A service's NotFound (token of nobody) keeps its code, status and message."""
    client = web_client(lite)
    login(client, "applicant")
    answer = client.delete("/api/v1/tokens/abc")
    assert answer.status_code == 404
    assert answer.json() == _error("not_found", 404, "no API token 'abc' / 令牌不存在")


def test_login_me_logout(ctx) -> None:
    client = web_client(ctx)
    assert client.get("/api/v1/auth/me").json() == {
        "user": {
            "id": "public",
            "name": "public",
            "role": "public",
            "organisation": {
                "id": "public",
                "name": "public",
                "kind": "public",
                "accredited": False,
            },
        },
        "via": "anonymous",
        "scopes": None,
    }
    answer = client.post(
        "/api/v1/auth/login", json={"user_id": "admin", "password": "admin-password"}
    )
    body = answer.json()
    assert len(body.pop("csrf_token")) >= 40
    # session lifetime: web_session_lifetime_s = 28800 s = 8 h after the (fixed) login time
    assert body == {"user": ADMIN, "expires_at": "2026-12-02T18:00:00Z"}
    assert answer.cookies.get("tzj_session")
    assert client.get("/api/v1/auth/me").json() == {"user": ADMIN, "via": "session", "scopes": None}
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/auth/me").json()["via"] == "anonymous"


def test_wrong_password_and_unknown_user_say_the_same(ctx) -> None:
    client = web_client(ctx)
    expected = _error("unauthenticated", 401, "wrong user name or password / 用户名或密码错误")
    wrong = client.post("/api/v1/auth/login", json={"user_id": "admin", "password": "nope"})
    unknown = client.post("/api/v1/auth/login", json={"user_id": "ghost", "password": "nope"})
    assert (wrong.status_code, wrong.json()) == (401, expected)
    assert (unknown.status_code, unknown.json()) == (401, expected)


def test_login_rate_limit(ctx) -> None:
    """web_login_attempts = 5 failures per 300 s: the sixth try is refused (429), even with the
    right password, and says when to retry; another user from another address is not."""
    client = web_client(ctx)
    for _ in range(5):
        assert (
            client.post("/api/v1/auth/login", json={"user_id": "admin", "password": "x"})
        ).status_code == 401
    refused = client.post(
        "/api/v1/auth/login", json={"user_id": "admin", "password": "admin-password"}
    )
    assert refused.status_code == 429
    # the clock is fixed: all failures at FIXED_NOW, so the window ends 300 s later (+1 s)
    assert refused.headers["retry-after"] == "301"
    assert refused.json()["error"]["code"] == "too_many_attempts"
    # the page form is limited the same way (same user name)
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={"user_id": "admin", "password": "admin-password", "csrf_token": form_csrf(page.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 429


def test_rate_limit_per_client_address(database_url: str, tmp_path: Path) -> None:
    """Failures spread over many user names from one address are limited too."""
    ctx = web_context(database_url, tmp_path / "data", web_login_attempts=3)
    client = web_client(ctx)
    for name in ("a", "b", "c"):
        client.post("/api/v1/auth/login", json={"user_id": name, "password": "x"})
    answer = client.post(
        "/api/v1/auth/login", json={"user_id": "verifier", "password": "verifier-password"}
    )
    assert answer.status_code == 429
    assert "client testclient" in answer.json()["error"]["message"]


def test_page_login_needs_csrf_and_redirects(lite) -> None:
    client = web_client(lite)
    no_token = client.post(
        "/login", data={"user_id": "admin", "password": "admin-password"}, follow_redirects=False
    )
    assert no_token.status_code == 403
    assert "CSRF" in no_token.text or "表单已失效" in no_token.text
    page = client.get("/login?next=/admin")
    answer = client.post(
        "/login",
        data={
            "user_id": "admin",
            "password": "admin-password",
            "next": "/admin",
            "csrf_token": form_csrf(page.text),
        },
        follow_redirects=False,
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/admin")
    admin = client.get("/admin")
    assert admin.status_code == 200 and 'id="whoami">admin<' in admin.text
    # an open redirect is refused: only paths on this site follow a login
    client.cookies.clear()
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={
            "user_id": "admin",
            "password": "admin-password",
            "next": "//evil.example/",
            "csrf_token": form_csrf(page.text),
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/"


def test_session_forms_need_the_session_csrf_token(ctx) -> None:
    client = web_client(ctx)
    token = login(client, "applicant")
    del client.headers["X-CSRF-Token"]
    refused = client.post("/tokens", data={"name": "t", "scopes": "read"})
    assert refused.status_code == 403
    wrong = client.post("/tokens", data={"name": "t", "scopes": "read", "csrf_token": "forged"})
    assert wrong.status_code == 403
    made = client.post("/tokens", data={"name": "t", "scopes": "read", "csrf_token": token})
    assert made.status_code == 200
    assert re.search(r'id="new-token">tzj_[0-9a-f]{12}_', made.text)
    # JSON through the session: the header, not a form field
    assert client.post("/api/v1/tokens", json={"name": "t", "scopes": ["read"]}).status_code == 403


def test_unauthenticated_page_goes_to_login(lite) -> None:
    answer = web_client(lite).get("/admin?lang=en", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (
        303,
        "/login?next=/admin%3Flang%3Den",
    )


def test_tokens_scopes_and_revocation(ctx) -> None:
    client = web_client(ctx)
    read_only = token_for(client, "admin", ["read", "admin"])
    bearer = {"Authorization": f"Bearer {read_only}"}
    assert client.get("/api/v1/auth/me", headers=bearer).json() == {
        "user": ADMIN,
        "via": "token",
        "scopes": ["admin", "read"],
    }
    assert client.get("/api/v1/users", headers=bearer).json()["total"] == 4
    refused = client.post(
        "/api/v1/organisations",
        json={"id": "x", "name": "X", "kind": "enterprise"},
        headers=bearer,
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "insufficient_scope"
    writer = token_for(client, "admin", ["read", "write"])
    no_admin = client.get("/api/v1/users", headers={"Authorization": f"Bearer {writer}"})
    assert no_admin.json() == _error(
        "insufficient_scope", 403, "this API token lacks the 'admin' scope / 令牌缺少 admin 权限"
    )
    token_id = read_only.split("_")[1]
    login(client, "admin")
    revoked = client.delete(f"/api/v1/tokens/{token_id}").json()
    assert revoked["revoked_at"] == "2026-12-02T10:00:00Z"
    client.cookies.clear()
    answer = client.get("/api/v1/auth/me", headers=bearer)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Bearer realm="tanzuji"'
    assert answer.json() == _error(
        "unauthenticated",
        401,
        "the API token is not valid (unknown, revoked or expired) / API 令牌无效",
    )


def test_admin_scope_only_for_administrators(lite) -> None:
    client = web_client(lite)
    login(client, "verifier")
    answer = client.post("/api/v1/tokens", json={"name": "t", "scopes": ["admin"]})
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "permission_denied"


def test_administration_api(ctx) -> None:
    client = web_client(ctx)
    login(client, "applicant")
    assert client.get("/api/v1/users").status_code == 403
    assert client.get("/api/v1/organisations/demo-body").status_code == 404
    assert client.get("/api/v1/organisations/demo-enterprise").json() == {
        "id": "demo-enterprise",
        "name": "示例电子有限公司 Demo Electronics Ltd",
        "kind": "enterprise",
        "accredited": False,
    }
    client = web_client(ctx)
    login(client, "admin")
    made = client.post(
        "/api/v1/organisations", json={"id": "acme", "name": "Acme 公司", "kind": "enterprise"}
    )
    assert (made.status_code, made.json()) == (
        201,
        {"id": "acme", "name": "Acme 公司", "kind": "enterprise", "accredited": False},
    )
    user = client.post(
        "/api/v1/users",
        json={
            "id": "wile",
            "name": "Wile",
            "role": "applicant",
            "organisation": "acme",
            "password": "long-enough-1",
        },
    )
    assert user.status_code == 201
    assert user.json()["organisation"]["id"] == "acme"
    other = web_client(ctx)
    login_answer = other.post(
        "/api/v1/auth/login", json={"user_id": "wile", "password": "long-enough-1"}
    )
    assert login_answer.status_code == 200
    assert client.put("/api/v1/users/wile/active", json={"active": False}).status_code == 204
    # deactivation ends the session at once
    assert other.get("/api/v1/auth/me").json()["via"] == "anonymous"
    page = client.get("/api/v1/users?organisation=acme").json()
    assert page == {
        "items": [{"user": user.json(), "active": False}],
        "total": 1,
        "offset": 0,
        "limit": 50,
        "next_offset": None,
    }


def test_pagination(lite) -> None:
    client = web_client(lite)
    login(client, "admin")
    first = client.get("/api/v1/users?limit=3").json()
    assert [v["user"]["id"] for v in first["items"]] == ["admin", "applicant", "decider"]
    assert (first["total"], first["offset"], first["limit"], first["next_offset"]) == (4, 0, 3, 3)
    last = client.get("/api/v1/users?limit=3&offset=3").json()
    assert ([v["user"]["id"] for v in last["items"]], last["next_offset"]) == (["verifier"], None)
    capped = client.get("/api/v1/users?limit=100000").json()
    assert capped["limit"] == 500  # web_max_page_size
    assert client.get("/api/v1/users?offset=-1").status_code == 422


def test_request_size_limit(tmp_path: Path) -> None:
    ctx = web_context(
        f"sqlite:///{tmp_path / 'tanzuji.db'}", tmp_path / "data", web_max_request_bytes=1000
    )
    client = web_client(ctx)
    big = {"user_id": "admin", "password": "x" * 2000}
    answer = client.post("/api/v1/auth/login", json=big)
    assert answer.status_code == 413
    assert answer.json() == _error(
        "request_too_large",
        413,
        f"the request body has {len(answer.request.content)} bytes; at most 1000 bytes are "
        "accepted (setting web_max_request_bytes) / 请求体过大",
        {"max_bytes": 1000},
    )

    def chunks():
        for _ in range(20):
            yield b"x" * 100

    streamed = client.post(
        "/api/v1/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    assert "a body of unknown size" in streamed.json()["error"]["message"] or (
        "bytes; at most 1000" in streamed.json()["error"]["message"]
    )


def test_language_switch_and_default(lite) -> None:
    client = web_client(lite)
    assert '<html lang="zh-Hans">' in client.get("/").text
    english = client.get("/?lang=en")
    assert '<html lang="en">' in english.text
    assert english.cookies.get("lang") == "en"
    assert "Certified products" in client.get("/login").text  # the cookie keeps English
    assert "认证产品目录" in client.get("/login?lang=zh").text


def test_openapi_document(lite) -> None:
    document = web_client(lite).get("/api/v1/openapi.json").json()
    assert document["info"]["title"] == "Tanzuji platform API / 碳足迹平台 API"
    assert "/api/v1/auth/login" in document["paths"]
    assert all(path.startswith("/api/v1/") for path in document["paths"])


def test_static_files_are_local(lite) -> None:
    client = web_client(lite)
    answer = client.get("/static/style.css")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/css")
    for template in TEMPLATES.glob("*.html"):
        assert "http://" not in template.read_text() and "https://" not in template.read_text()


def test_session_expires(database_url: str, tmp_path: Path) -> None:
    now = [FIXED_NOW]
    ctx = web_context(database_url, tmp_path / "data", clock=lambda: now[0])
    client = web_client(ctx)
    login(client, "admin")
    now[0] = FIXED_NOW + dt.timedelta(hours=7)
    assert client.get("/api/v1/auth/me").json()["via"] == "session"  # used: moved on 8 h
    now[0] = FIXED_NOW + dt.timedelta(hours=14)
    assert client.get("/api/v1/auth/me").json()["via"] == "session"
    now[0] = FIXED_NOW + dt.timedelta(hours=23)
    assert client.get("/api/v1/auth/me").json()["via"] == "anonymous"
