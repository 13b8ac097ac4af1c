"""The web platform under load: requests/s and p50/p99 latency of the public certificate
page, the catalogue search and the factor search API, 50 concurrent clients on loopback,
PostgreSQL, after loading 10,000 certificates and 100,000 factors (issue 9's benchmark; target
for the certificate page: p99 < 100 ms at >= 500 requests/s on 2 cores).

Usage::

    .venv/bin/python bench/web.py                        # full size (loads for a while)
    .venv/bin/python bench/web.py --certificates 1000 --factors 20000 --duration 10

Steps: a new PostgreSQL database next to ``--postgres`` (dropped afterwards); the starter
factors and release 2026.1, synthetic factors up to ``--factors`` (``bench/match.py``: random
bilingual names, timing only); the three example products approved through the real
certification workflow (apply, submit, review, PCR check, sign-off, decision), then copied to
``--certificates`` applications with their own ids and product names and each *issued*
through the certification service (signed, logged, status map updated: the same path as any
certificate); ``tanzuji serve`` with ``--workers`` uvicorn workers; then the load generator
``wrk`` (Debian package ``wrk``; ``apt-get install wrk``) with 50 connections for
``--duration`` seconds per scenario, each request a random certificate id, search word or
factor query (a Lua script), after warm-up passes that let every worker process answer each
URL once (the cold cost is printed: the first pass) and passes of the load itself until its
rate stops growing (every worker's caches full). Without ``wrk`` an httpx asyncio client
does the same (it shares the 2 cores with the server, so it reports lower figures).

What is measured is printed with the machine (CPUs, load average), the versions and the exact
figures; nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).parent))

from match import synthetic_records
from match_db import POSTGRES_URL, postgres_database
from sqlalchemy import make_url

from tanzuji.certify import workflow as wf
from tanzuji.certify.records import LabelType
from tanzuji.cli.demo import DEMO_MODELS, examples_dir
from tanzuji.cli.inputs import model_input
from tanzuji.context import Context
from tanzuji.services import accounts, certification, demo
from tanzuji.settings import Settings
from tanzuji.store import db
from tanzuji.store.certify import CertificationRepository
from tanzuji.store.factor_repository import FactorDatabase

ROOT = Path(__file__).resolve().parents[1]
TANZUJI = str(Path(sys.executable).with_name("tanzuji"))
WORDS = ["battery", "module", "shirt", "pack", "电池", "组件", "cotton", "lfp", "pv", "model 1"]
FACTOR_QUERIES = [
    "electricity",
    "diesel",
    "steel",
    "natural gas",
    "电力",
    "水泥",
    "transport",
    "aluminium",
    "cotton",
    "plastic",
]


def approved(ctx: Context, model_path: Path) -> str:
    """An application of the demo enterprise for ``model_path``, taken through the real
    workflow up to approval; returns its id."""
    model = model_input(model_path, ctx.limits)
    named = model.load(ctx.limits).model.product.pcr
    pcr_id, _, version = str(named).partition("@")
    applicant, verifier = ctx.with_user("applicant"), ctx.with_user("verifier")
    app_id = certification.apply(
        applicant,
        certification.ApplyRequest(
            model=model,
            pcr_id=pcr_id,
            pcr_version=version or "latest",
            label=LabelType.disclosure,
            release=demo.DEMO_RELEASE,
        ),
    ).id
    certification.submit(applicant, app_id)
    step = certification.ReviewRequest
    for action in ("start", "pcr-check", "accept"):
        accepted = certification.review(verifier, step(application_id=app_id, action=action))
    # the examples' placeholder factors are waived openly, as the demo does
    for concern in certification.open_factor_concerns(accepted.application):
        certification.review(
            verifier,
            step(
                application_id=app_id,
                action="waive",
                factor_id=concern.factor_id,
                text="bench: example placeholder value",
            ),
        )
    certification.review(verifier, step(application_id=app_id, action="sign-off"))
    certification.decide(
        ctx.with_user("decider"),
        certification.DecideRequest(application_id=app_id, approve=True, reason="bench"),
    )
    return app_id


def copies(ctx: Context, base_id: str, count: int, offset: int) -> list[str]:
    """``count`` copies of the approved application ``base_id`` with new ids and product names
    (the stored record, model and files as they are: only the names differ)."""
    with ctx.unit_of_work(write=False) as session:
        repository = CertificationRepository(session)
        base = repository.load(base_id)
        files = repository.model_files(base.current_model)
    made = []
    for start in range(0, count, 200):

        def work(session, start=start) -> list[str]:
            repository = CertificationRepository(session)
            ids = []
            for i in range(start, min(start + 200, count)):
                number = offset + i
                new_id = repository.next_application_id(ctx.now().year)
                names = {k: f"{v} model {number}" for k, v in base.product_name.items()}
                copy = base.model_copy(
                    update={
                        "id": new_id,
                        "product_id": f"{base.product_id}-{number}",
                        "product_name": names,
                    }
                )
                repository.save(copy, None, files)
                ids.append(new_id)
            return ids

        made += certification.run_unit_of_work(ctx, work)
    return made


def load(ctx: Context, certificates: int, factors: int) -> dict[str, float]:
    timings = {}
    start = time.perf_counter()
    demo.load_factors(ctx, demo.DEMO_RELEASE)
    database = FactorDatabase(ctx.require_database().engine)
    extra = max(factors - database.indexed_count(), 0)
    synthetic = synthetic_records(extra)
    for i in range(0, extra, 20_000):
        database.add_records(
            synthetic[i : i + 20_000], f"synthetic {i}", status="published", reviewer="bench"
        )
    timings["factors_s"] = time.perf_counter() - start
    demo.logins(ctx)
    start = time.perf_counter()
    bases = [approved(ctx, examples_dir() / name) for name in DEMO_MODELS]
    per = [certificates // 3 + (1 if k < certificates % 3 else 0) for k in range(3)]
    ids = list(bases)
    for k, base in enumerate(bases):
        ids += copies(ctx, base, per[k] - 1, offset=sum(per[:k]))
    timings["applications_s"] = time.perf_counter() - start
    admin = ctx.with_user("admin")
    start = time.perf_counter()
    for n, app_id in enumerate(ids, 1):
        certification.issue(admin, app_id)
        if n % 1000 == 0:
            print(f"  issued {n} / {len(ids)} ({time.perf_counter() - start:.0f} s)", flush=True)
    timings["issue_s"] = time.perf_counter() - start
    with ctx.require_database().engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    return timings


def certificate_ids(ctx: Context) -> list[str]:
    with ctx.unit_of_work(write=False) as session:
        return [
            a.certificate_id
            for a in CertificationRepository(session).applications()
            if a.certificate_id and a.state in wf.CERTIFIED
        ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(url: str, data_dir: Path, port: int, workers: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANZUJI_")}
    env.update(
        TANZUJI_DATABASE_URL=url,
        TANZUJI_DATA_DIR=str(data_dir),
        TANZUJI_CONFIG=str(data_dir / "none.toml"),
        TANZUJI_WEB_PORT=str(port),
        TANZUJI_WEB_WORKERS=str(workers),
    )
    log = open(data_dir / "serve.log", "w")  # open for the server's lifetime
    process = subprocess.Popen(
        [TANZUJI, "serve", "--log-level", "warning"],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=log,
        text=True,
    )
    import httpx

    deadline = time.monotonic() + 600  # workers start slowly on a loaded machine
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("the server did not start: " + (data_dir / "serve.log").read_text())


def lua_script(paths: list[str], token: str | None) -> str:
    quoted = ",\n".join(f'  "{quote(p, safe="/?=&+")}"' for p in paths)
    header = f'wrk.headers["Authorization"] = "Bearer {token}"\n' if token else ""
    return (
        f"{header}local paths = {{\n{quoted}\n}}\n"
        "math.randomseed(os.time())\n"
        "request = function()\n"
        "  return wrk.format('GET', paths[math.random(#paths)])\n"
        "end\n"
        "done = function(summary, latency, requests)\n"
        "  io.write(string.format('RESULT %d %d %.3f %.3f %.3f %d\\n', summary.requests,\n"
        "    summary.duration, latency:percentile(50) / 1000, latency:percentile(99) / 1000,\n"
        "    latency.max / 1000, summary.errors.status + summary.errors.connect +\n"
        "    summary.errors.read + summary.errors.write + summary.errors.timeout))\n"
        "end\n"
    )


def run_wrk(base: str, paths: list[str], token: str | None, duration: int, clients: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(paths, token))
    done = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(clients),
            "-d",
            f"{duration}s",
            "--timeout",
            "10s",
            "-s",
            script.name,
            base,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    out = done.stdout
    os.unlink(script.name)
    found = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+)", out)
    requests, micros, p50, p99, worst, errors = found.groups()
    seconds = int(micros) / 1e6
    return {
        "requests": int(requests),
        "rps": int(requests) / seconds,
        "p50_ms": float(p50),
        "p99_ms": float(p99),
        "max_ms": float(worst),
        "errors": int(errors),
    }


async def _httpx_load(
    base: str, paths: list[str], token: str | None, duration: int, clients: int
) -> dict:
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + duration

    async def one(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.monotonic() < stop:
            start = time.perf_counter()
            answer = await client.get(random.choice(paths), headers=headers)
            latencies.append(1000 * (time.perf_counter() - start))
            errors += answer.status_code != 200

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        began = time.monotonic()
        await asyncio.gather(*(one(client) for _ in range(clients)))
        seconds = time.monotonic() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / seconds,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(0.99 * (len(latencies) - 1))],
        "max_ms": latencies[-1],
        "errors": errors,
    }


def measure(base: str, paths: list[str], token: str | None, duration: int, clients: int) -> dict:
    if shutil.which("wrk"):
        return {"generator": "wrk", **run_wrk(base, paths, token, duration, clients)}
    result = asyncio.run(_httpx_load(base, paths, token, duration, clients))
    return {"generator": "httpx asyncio", **result}


def warm(base: str, paths: list[str], token: str | None, clients: int) -> tuple[float, list[float]]:
    """The cold cost, then the load until the per-process caches are full.

    First one pass over ``paths`` (8 concurrent clients, a new connection per request, so the
    kernel hands the requests to every worker process): its seconds are the cold cost. Then
    the measured load itself (wrk, ``clients`` kept-alive connections spread over the workers,
    random paths) in passes of 10 s until four passes in a row answer no more than 5 % more
    requests per second than the best pass before them (at least 6, at most 60 passes): the
    rate grows while cold verifications remain, so when it stops growing every worker has
    then verified (and kept) nearly every path's view, which on a quiet 2-core machine takes
    about 5 minutes for 10,000 certificates (about 30 ms of CPU each, per worker). Returns the
    first pass's seconds and each load pass's requests/s."""
    cold = asyncio.run(_httpx_load_once(base, paths, token))
    rates: list[float] = []
    while len(rates) < 60:
        rates.append(measure(base, paths, token, 10, clients)["rps"])
        if len(rates) >= 6 and max(rates[-4:]) <= 1.05 * max(rates[:-4]):
            break
    return cold, rates


async def _httpx_load_once(base: str, paths: list[str], token: str | None) -> float:
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    queue = list(paths)
    started = time.perf_counter()

    async def worker(client: httpx.AsyncClient) -> None:
        while queue:
            answer = await client.get(queue.pop(), headers=headers)
            answer.raise_for_status()

    # a new connection per request: the kernel hands each to any worker process (kept-alive
    # connections would stay with the workers they first reached)
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(8)))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certificates", type=int, default=10_000)
    parser.add_argument("--factors", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=20, help="seconds per scenario")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--postgres", default=POSTGRES_URL)
    parser.add_argument(
        "--keep",
        metavar="NAME",
        help="load into the database NAME and keep it (and the data folder "
        "$TMPDIR/tanzuji-bench-web-NAME with the signing keys); a later run with the same NAME "
        "measures again without loading (the sizes are those of the first run)",
    )
    args = parser.parse_args()
    found = postgres_database(args.postgres, name=args.keep)
    if found is None:
        raise SystemExit(f"PostgreSQL not reachable at {args.postgres}")
    url, admin_connection, fresh = found
    if args.keep:  # the platform's keys (data_dir/keys) belong with the kept database
        data_dir = Path(tempfile.gettempdir()) / f"tanzuji-bench-web-{args.keep}"
        data_dir.mkdir(exist_ok=True)
    else:
        data_dir = Path(tempfile.mkdtemp(prefix="tanzuji-bench-web-"))
    process = None
    try:
        db.database_for(url).upgrade()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        snapshot = Settings.defaults().replace(
            database_url=url, data_dir=str(data_dir), certificate_base_url=f"{base}/c/"
        )
        ctx = Context.from_settings(snapshot)
        print(
            f"cpus {os.cpu_count()}, load average {os.getloadavg()}, PostgreSQL "
            f"{make_url(url).database}",
            flush=True,
        )
        timings = load(ctx, args.certificates, args.factors) if fresh else {}
        ids = certificate_ids(ctx)
        indexed = FactorDatabase(ctx.require_database().engine).indexed_count()
        print(
            f"loaded {len(ids)} certificates and {indexed} factors: "
            + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()),
            flush=True,
        )
        if not fresh:
            print(f"reused database {args.keep} (not loaded again)", flush=True)
        token = accounts.create_token(
            ctx.with_user("applicant"), accounts.TokenRequest(name="bench", scopes=["read"])
        ).token
        db.close_all()
        process = serve(url, data_dir, port, args.workers)
        scenarios = {
            "certificate page": ([f"/c/{c}" for c in ids], None),
            "catalogue search": ([f"/catalogue?q={w.replace(' ', '+')}" for w in WORDS], None),
            "factor search API": (
                [f"/api/v1/factors?q={q.replace(' ', '+')}&limit=10" for q in FACTOR_QUERIES],
                token,
            ),
        }
        for name, (paths, auth) in scenarios.items():
            cold, rates = warm(base, paths, auth, args.clients)
            print(
                f"{name}: a pass over {len(paths)} distinct URLs (8 clients, cold) in {cold:.1f} "
                f"s: first requests {1000 * cold * 8 / len(paths):.1f} ms each; warm-up load "
                "passes of 10 s: " + ", ".join(f"{r:.0f}" for r in rates) + " requests/s",
                flush=True,
            )
            result = measure(base, paths, auth, args.duration, args.clients)
            print(
                f"{name}: {result['rps']:.0f} requests/s, p50 {result['p50_ms']:.1f} ms, "
                f"p99 {result['p99_ms']:.1f} ms, max {result['max_ms']:.1f} ms, "
                f"{result['requests']} requests, {result['errors']} errors "
                f"({args.clients} clients, {args.workers} workers, {result['generator']}, "
                f"load average {os.getloadavg()[0]:.1f})",
                flush=True,
            )
    finally:
        if process is not None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        db.close_all()
        if not args.keep:
            database = make_url(url).database
            admin_connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin_connection.close()
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
