"""Tenant isolation: a user of another organisation tries to read and change an enterprise's
models, results, evidence, applications and jobs through the pages and the API (session and
token) — every attempt fails as "not found" and nothing changes. SQLite and PostgreSQL."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tanzuji.certify.records import Role
from tanzuji.services import access, accounts, organisations
from web_helpers import PASSWORD_SUFFIX, apply, login, token_for, web_client, web_context


@pytest.fixture
def world(database_url: str, tmp_path: Path):
    ctx = web_context(database_url, tmp_path / "data")
    organisations.add_organisation(
        ctx, organisations.OrganisationRequest(id="rival-co", name="Rival Co", kind="enterprise")
    )
    organisations.add_organisation(
        ctx,
        organisations.OrganisationRequest(
            id="other-body", name="Other Body", kind="certification_body", accredited=True
        ),
    )
    for user_id, role, org in (
        ("rival", Role.applicant, "rival-co"),
        ("other-verifier", Role.verifier, "other-body"),
    ):
        organisations.add_user(
            ctx, organisations.UserRequest(id=user_id, name=user_id, role=role, organisation=org)
        )
    for user_id in ("rival", "other-verifier"):
        accounts.set_password(
            ctx, accounts.PasswordRequest(user_id=user_id, password=user_id + PASSWORD_SUFFIX)
        )
    application_id = apply(ctx)
    owner = web_client(ctx)
    login(owner, "applicant")
    job = owner.post(
        "/api/v1/jobs",
        json={"kind": "monte_carlo", "parameters": {"application_id": application_id}},
    ).json()
    return ctx, application_id, job["id"]


def _attempts(application_id: str, job_id: str, sha256: str) -> list[tuple[str, str, dict]]:
    evidence = {"files": [{"name": "x.csv", "content": base64.b64encode(b"forged").decode()}]}
    return [
        ("GET", f"/api/v1/applications/{application_id}", {}),
        ("GET", f"/api/v1/applications/{application_id}/models/1", {}),
        ("GET", f"/api/v1/applications/{application_id}/result", {}),
        ("GET", f"/api/v1/applications/{application_id}/evidence/{sha256}", {}),
        ("POST", f"/api/v1/applications/{application_id}/evidence", {"json": evidence}),
        ("POST", f"/api/v1/applications/{application_id}/submit", {"json": {"reason": "x"}}),
        ("GET", f"/api/v1/jobs/{job_id}", {}),
        ("GET", f"/api/v1/jobs/{job_id}/file", {}),
        (
            "POST",
            "/api/v1/jobs",
            {"json": {"kind": "monte_carlo", "parameters": {"application_id": application_id}}},
        ),
        (
            "POST",
            "/api/v1/jobs",
            {"json": {"kind": "report", "parameters": {"application_id": application_id}}},
        ),
        ("GET", f"/applications/{application_id}", {}),
        ("GET", f"/jobs/{job_id}", {}),
    ]


@pytest.mark.parametrize("intruder", ["rival", "other-verifier", "steward-token", "rival-token"])
def test_another_tenant_reads_and_changes_nothing(world, intruder: str) -> None:
    ctx, application_id, job_id = world
    before = access.application(ctx, application_id)
    sha256 = before.evidence[0].sha256
    client = web_client(ctx)
    headers = {}
    if intruder == "steward-token":
        # a data steward of the platform (not an administrator) with a read/write token
        organisations.add_user(
            ctx,
            organisations.UserRequest(
                id="steward", name="steward", role=Role.data_steward, organisation="platform"
            ),
        )
        accounts.set_password(
            ctx, accounts.PasswordRequest(user_id="steward", password="steward-password")
        )
        headers = {"Authorization": f"Bearer {token_for(client, 'steward', ['read', 'write'])}"}
    elif intruder == "rival-token":
        headers = {"Authorization": f"Bearer {token_for(client, 'rival', ['read', 'write'])}"}
    else:
        login(client, intruder)
    for method, path, extra in _attempts(application_id, job_id, sha256):
        answer = client.request(method, path, headers=headers, **extra)
        assert answer.status_code == 404, (intruder, method, path, answer.status_code)
        if path.startswith("/api/"):
            assert answer.json()["error"]["code"] == "not_found", (method, path)
            assert "Rival" not in answer.text and "Widget" not in answer.text
    listed = client.get("/api/v1/applications", headers=headers).json()
    assert listed["total"] == 0
    assert client.get("/api/v1/jobs", headers=headers).json()["total"] == 0
    after = access.application(ctx, application_id)
    assert after == before  # nothing changed: same state, evidence, audit trail


def test_the_owner_and_the_body_do_see_it(world) -> None:
    """The same requests succeed for the owner (so the 404s above are about tenancy); a
    verifier of an accredited body sees the application once it waits in the queue."""
    ctx, application_id, job_id = world
    owner = web_client(ctx)
    login(owner, "applicant")
    assert owner.get(f"/api/v1/applications/{application_id}").json()["id"] == application_id
    assert owner.get(f"/api/v1/applications/{application_id}/result").status_code == 200
    assert owner.get(f"/applications/{application_id}").status_code == 200
    assert owner.get(f"/api/v1/jobs/{job_id}").status_code == 200
    body = web_client(ctx)
    login(body, "other-verifier")
    assert body.get(f"/api/v1/applications/{application_id}").status_code == 404  # a draft
    assert owner.post(f"/api/v1/applications/{application_id}/submit", json={}).status_code == 200
    assert body.get(f"/api/v1/applications/{application_id}").status_code == 200  # in the queue
    # but the rival enterprise still does not
    rival = web_client(ctx)
    login(rival, "rival")
    assert rival.get(f"/api/v1/applications/{application_id}").status_code == 404
