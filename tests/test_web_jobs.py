"""Background jobs through the API and pages, on SQLite and PostgreSQL: queue, progress,
result, failure kept, recovery after the runner's process stopped, and tenant isolation."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest

from tanzuji.jobs.runner import JobRunner
from tanzuji.services import access, calculation, jobs
from web_helpers import FIXED_NOW, apply, login, run_jobs, web_client, web_context


@pytest.fixture
def clock():
    return [FIXED_NOW]


@pytest.fixture
def ctx(database_url: str, tmp_path: Path, clock):
    return web_context(database_url, tmp_path / "data", clock=lambda: clock[0])


def _queue(client, kind: str, **parameters) -> dict:
    answer = client.post("/api/v1/jobs", json={"kind": kind, "parameters": parameters})
    assert answer.status_code == 202, answer.text
    assert answer.headers["location"] == f"/api/v1/jobs/{answer.json()['id']}"
    return answer.json()


def test_monte_carlo_job_of_a_stored_model(ctx) -> None:
    application_id = apply(ctx)
    client = web_client(ctx)
    login(client, "applicant")
    queued = _queue(client, "monte_carlo", application_id=application_id, iterations=200, seed=7)
    job_id = queued["id"]
    assert queued == {
        "id": job_id,
        "kind": "monte_carlo",
        "organisation_id": "demo-enterprise",
        "created_by": "applicant",
        "state": "queued",
        "progress": 0.0,
        "message": "",
        "parameters": {
            "application_id": application_id,
            "version": None,
            "iterations": 200,
            "seed": 7,
        },
        "result": None,
        "error": None,
        "attempts": 0,
        "created_at": "2026-12-02T10:00:00Z",
        "started_at": None,
        "finished_at": None,
    }
    assert run_jobs(client) == [job_id]
    done = client.get(f"/api/v1/jobs/{job_id}").json()
    # the same calculation through the service directly (independent of the job machinery)
    model = access.model_input(ctx, application_id)
    expected = calculation.calculate(
        ctx.with_release("builtin"),
        calculation.CalculationRequest(model=model, monte_carlo_iterations=200, seed=7),
    ).footprint
    assert done == {
        **queued,
        "state": "succeeded",
        "progress": 1.0,
        "message": "",
        "attempts": 1,
        "started_at": "2026-12-02T10:00:00Z",
        "finished_at": "2026-12-02T10:00:00Z",
        "result": {
            "application_id": application_id,
            "model": f"{application_id}-v1",
            "factor_release": "builtin",
            "iterations": 200,
            "seed": 7,
            "total_kg_co2e": expected.total_kg_co2e,
            "uncertainty": expected.uncertainty.model_dump(mode="json"),
        },
    }
    page = client.get(f"/jobs/{job_id}?lang=en")
    assert "succeeded" in page.text and "total_kg_co2e" in page.text
    listed = client.get("/api/v1/jobs").json()
    assert [j["id"] for j in listed["items"]] == [job_id] and listed["total"] == 1


def test_failure_is_kept_and_shown(ctx) -> None:
    client = web_client(ctx)
    login(client, "admin")
    content = base64.b64encode(b"this is not a factor table\n\x00\x01").decode()
    job_id = _queue(client, "factor_import", name="broken.csv", content_base64=content)["id"]
    run_jobs(client)
    failed = client.get(f"/api/v1/jobs/{job_id}").json()
    assert failed["state"] == "failed"
    assert failed["result"] is None and failed["finished_at"] == "2026-12-02T10:00:00Z"
    assert failed["error"].startswith(("factor_import_error: ", "unknown_import_format: "))
    assert "broken.csv" in failed["error"]
    page = client.get(f"/jobs/{job_id}?lang=en")
    assert 'role="alert"' in page.text and "Why it failed" in page.text
    assert "broken.csv" in page.text


def test_bad_jobs_are_refused_at_once(ctx) -> None:
    client = web_client(ctx)
    login(client, "applicant")
    unknown = client.post("/api/v1/jobs", json={"kind": "mine_bitcoin", "parameters": {}})
    assert unknown.status_code == 422
    assert unknown.json()["error"] == {
        "code": "job_error",
        "status": 422,
        "title": {"zh": "无法完成请求", "en": "The request cannot be carried out"},
        "message": "unknown job kind 'mine_bitcoin'; known: monte_carlo, recheck, "
        "factor_import, report / 未知任务类型",
        "location": None,
        "details": {},
    }
    bad = client.post(
        "/api/v1/jobs",
        json={"kind": "monte_carlo", "parameters": {"application_id": "x", "iterations": 1}},
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["location"] == "parameters.iterations"
    # an applicant may not recheck every certificate
    refused = client.post("/api/v1/jobs", json={"kind": "recheck", "parameters": {"release": "r"}})
    assert refused.status_code == 403
    assert client.get("/api/v1/jobs").json()["total"] == 0


def test_interrupted_job_is_resumed_by_the_next_runner(ctx, clock) -> None:
    """A runner claims a job and its process stops (no more heartbeats); after
    job_stale_after_s (30 s) another runner queues it again and runs it to the end."""
    application_id = apply(ctx)
    client = web_client(ctx)
    login(client, "applicant")
    job_id = _queue(client, "monte_carlo", application_id=application_id, iterations=50)["id"]
    claimed = jobs.claim(ctx.with_actor(None), "dead-process")
    assert claimed.id == job_id and claimed.state is jobs.JobState.running
    clock[0] = FIXED_NOW + dt.timedelta(seconds=10)
    assert run_jobs(client, "new-process") == []  # the heartbeat is 10 s old: still alive
    clock[0] = FIXED_NOW + dt.timedelta(seconds=31)
    assert run_jobs(client, "new-process") == [job_id]
    done = client.get(f"/api/v1/jobs/{job_id}").json()
    assert (done["state"], done["attempts"], done["error"]) == ("succeeded", 2, None)


def test_interrupted_job_without_attempts_left_fails_with_the_reason(
    database_url: str, tmp_path: Path, clock
) -> None:
    ctx = web_context(database_url, tmp_path / "data", clock=lambda: clock[0], job_max_attempts=1)
    application_id = apply(ctx)
    client = web_client(ctx)
    login(client, "applicant")
    job_id = _queue(client, "monte_carlo", application_id=application_id, iterations=50)["id"]
    jobs.claim(ctx.with_actor(None), "dead-process")
    clock[0] = FIXED_NOW + dt.timedelta(seconds=31)
    JobRunner(client.app.state.web.context, name="new-process").run_once()
    failed = client.get(f"/api/v1/jobs/{job_id}").json()
    assert failed["state"] == "failed"
    assert failed["error"] == (
        "interrupted: runner dead-process stopped while the job ran (last heartbeat "
        "2026-12-02T10:00:00+00:00) / 运行任务的进程已停止"
    )


def test_jobs_of_another_tenant_are_not_found(ctx) -> None:
    application_id = apply(ctx)
    own = web_client(ctx)
    login(own, "applicant")
    job_id = _queue(own, "monte_carlo", application_id=application_id, iterations=20)["id"]
    other = web_client(ctx)
    login(other, "verifier")  # another organisation (the certification body)
    not_found = {
        "code": "not_found",
        "status": 404,
        "title": {"zh": "未找到", "en": "Not found"},
        "message": f"no job {job_id!r} / 无此任务",
        "location": None,
        "details": {},
    }
    assert other.get(f"/api/v1/jobs/{job_id}").json() == {"error": not_found}
    assert other.get(f"/api/v1/jobs/{job_id}/file").status_code == 404
    assert other.get(f"/jobs/{job_id}").status_code == 404
    assert other.get("/api/v1/jobs").json()["total"] == 0
    # nor may the other tenant run a job on the applicant's (draft) application
    refused = other.post(
        "/api/v1/jobs",
        json={"kind": "monte_carlo", "parameters": {"application_id": application_id}},
    )
    assert refused.status_code == 404
    assert refused.json()["error"]["message"] == f"no application {application_id!r} / 无此申请"
    # the administrator sees it
    admin = web_client(ctx)
    login(admin, "admin")
    assert admin.get(f"/api/v1/jobs/{job_id}").status_code == 200


def test_report_job_file(ctx) -> None:
    application_id = apply(ctx, model="widget.yaml")
    client = web_client(ctx)
    login(client, "applicant")
    job_id = _queue(client, "report", application_id=application_id, format="html", lang="en")["id"]
    run_jobs(client)
    done = client.get(f"/api/v1/jobs/{job_id}").json()
    assert done["state"] == "succeeded", done["error"]
    file = done["result"]["file"]
    assert file["download"] == f"/api/v1/jobs/{job_id}/file"
    assert "content_base64" not in file
    download = client.get(file["download"])
    assert download.headers["content-type"].startswith("text/html")
    assert len(download.content) == file["size_bytes"]
    assert b"widget" in download.content.lower()
