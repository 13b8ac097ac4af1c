"""``tanzuji serve`` as a real process: ``--demo`` (what ``make run`` runs) loads the demo,
prints the URL and the logins and serves them; and a job whose web process is killed in the
middle (SIGKILL) is taken up again and finished by the next process."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from web_helpers import apply, web_context

TANZUJI = str(Path(sys.executable).with_name("tanzuji"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [TANZUJI, "serve", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _wait_until_up(process: subprocess.Popen, url: str, timeout_s: float = 300) -> str:
    """Read the server's output until it serves ``url``; returns the output so far.

    Both lines are needed: with one worker uvicorn logs "Application startup complete" *before*
    it binds the socket ("Uvicorn running on" follows), with several the parent binds and logs
    first and each worker completes its startup after; a request between the two is refused
    (seen on a loaded CI machine)."""
    lines: list[str] = []
    waiting = {"Application startup complete", "Uvicorn running on"}
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                raise AssertionError("the server stopped:\n" + "".join(lines))
            continue
        lines.append(line)
        waiting = {marker for marker in waiting if marker not in line}
        if not waiting:
            httpx.get(url, timeout=10).raise_for_status()
            return "".join(lines)
    raise AssertionError("the server did not start in time:\n" + "".join(lines))


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    process.stdout.close()


def _environment(data_dir: Path, port: int, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANZUJI_")}
    env.update(
        TANZUJI_DATA_DIR=str(data_dir),
        TANZUJI_CONFIG=str(data_dir / "no-config.toml"),
        TANZUJI_WEB_PORT=str(port),
        COLUMNS="200",
    )
    env.update({f"TANZUJI_{k.upper()}": v for k, v in settings.items()})
    return env


def test_serve_demo_prints_url_and_logins_that_work(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    process = _start(_environment(tmp_path / "data", port), "--demo")
    try:
        output = _wait_until_up(process, f"{base}/")
        assert f"open 打开: {base}/" in output
        logins = dict(re.findall(r"login 登录 (\S+)\s+password 密码 (\S+)", output))
        assert logins == {
            "applicant": "applicant-demo",
            "verifier": "verifier-demo",
            "decider": "decider-demo",
            "admin": "admin-demo",
            "steward": "steward-demo",
        }
        certificate_url = re.search(r"certificate 证书: (\S+)", output).group(1)
        assert certificate_url.startswith(f"{base}/c/")
        page = httpx.get(certificate_url + "?lang=en", timeout=30)
        assert page.status_code == 200 and "The certificate is valid" in page.text
        with httpx.Client(base_url=base, timeout=30) as client:
            answer = client.post(
                "/api/v1/auth/login", json={"user_id": "admin", "password": logins["admin"]}
            )
            assert answer.status_code == 200
            assert answer.json()["user"]["role"] == "administrator"
            catalogue = client.get("/api/v1/public/catalogue").json()
            assert catalogue["total"] == 1
    finally:
        _stop(process)


def test_job_survives_a_killed_web_process(tmp_path: Path) -> None:
    """SIGKILL while a Monte Carlo job runs: the job stays 'running' in the database; the next
    process sees its heartbeat stop (job_stale_after_s = 2 s), queues it again and finishes."""
    data_dir = tmp_path / "data"
    url = f"sqlite:///{tmp_path / 'tanzuji.db'}"
    ctx = web_context(url, data_dir)
    application_id = apply(ctx)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = _environment(
        data_dir,
        port,
        database_url=url,
        job_stale_after_s="2",
        job_poll_interval_s="0.2",
    )
    first = _start(env)
    try:
        _wait_until_up(first, f"{base}/")
        client = httpx.Client(base_url=base, timeout=30)
        answer = client.post(
            "/api/v1/auth/login", json={"user_id": "applicant", "password": "applicant-password"}
        )
        client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        job_id = client.post(
            "/api/v1/jobs",
            json={
                "kind": "monte_carlo",
                "parameters": {"application_id": application_id, "iterations": 1_000_000},
            },
        ).json()["id"]
        deadline = time.monotonic() + 120
        while client.get(f"/api/v1/jobs/{job_id}").json()["state"] != "running":
            assert time.monotonic() < deadline, "the job did not start"
            time.sleep(0.05)
    finally:
        _stop(first, signal.SIGKILL)
    from tanzuji.services import jobs

    left = jobs.job(ctx, job_id)
    assert (left.state, left.attempts) == (jobs.JobState.running, 1)  # left behind by the kill
    second = _start(env)
    try:
        _wait_until_up(second, f"{base}/")
        deadline = time.monotonic() + 600
        while True:
            view = client.get(f"/api/v1/jobs/{job_id}").json()
            if view["state"] in ("succeeded", "failed"):
                break
            assert time.monotonic() < deadline, f"the job did not finish: {view}"
            time.sleep(0.5)
        assert (view["state"], view["attempts"], view["error"]) == ("succeeded", 2, None)
        assert view["result"]["iterations"] == 1_000_000
        client.close()
    finally:
        _stop(second)
