"""Eight OS processes apply and move applications at once: distinct ids, no lost update.

Each process (``multiprocessing``, forked: its own engine and connections — the store drops
the parent's pools in a forked child, ``tanzuji.store.db``) opens
its own applications and moves them through submit and review, and all of them raise findings
on the same shared applications at the same time. Afterwards every id is distinct and
consecutive, every application's audit trail is contiguous and equal in the record and in
``cert_audit``, the stored version is the number of audit lines, and the shared applications
hold every finding and PCR check recorded (none lost). On PostgreSQL a step locks its
application's row for its transaction (``SELECT ... FOR UPDATE``), so steps on one application
queue, and every update still names the version it read; conflicts left over are retried by
the services (counted from the ``tanzuji.services`` log). On SQLite writers queue on the
database lock (``BEGIN IMMEDIATE`` with a busy timeout).
"""

from __future__ import annotations

import logging
import multiprocessing
import traceback
from pathlib import Path

from sqlalchemy import text

from service_helpers import as_user, service_context
from tanzuji.certify import workflow as wf
from tanzuji.services import certification
from tanzuji.services.base import run_unit_of_work
from tanzuji.services.calculation import ModelInput
from tanzuji.store.certify import CertificationRepository

PROCESSES = 8
OWN_APPLICATIONS = 3  # opened by each process
SHARED_APPLICATIONS = 2  # all processes raise findings on these
FINDINGS_EACH = 3  # per process and shared application
WIDGET = Path(__file__).parent / "data" / "widget.yaml"


def _apply(ctx) -> str:
    request = certification.ApplyRequest(
        model=ModelInput(name="widget.yaml", text=WIDGET.read_text("utf-8")),
        pcr_id="electronics-itu-l1410",
        pcr_version="1.0",
        release="builtin",
    )
    return certification.apply(as_user(ctx, "applicant"), request).id


class _Retries(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += record.getMessage().startswith(("retrying", "starting over"))


def worker(number: int, database_url: str, data_dir: str, shared: list[str], start, out) -> None:
    """One process: its own applications, and findings on the shared ones."""
    retries = _Retries()
    logging.getLogger("tanzuji.services").addHandler(retries)
    logging.getLogger("tanzuji.services").setLevel(logging.INFO)
    try:
        from tanzuji import settings
        from tanzuji.context import Context

        snapshot = settings.Settings.defaults().replace(
            database_url=database_url, data_dir=data_dir
        )
        ctx = Context.from_settings(snapshot)
        start.wait(timeout=120)
        own = [_apply(ctx) for _ in range(OWN_APPLICATIONS)]
        verifier = as_user(ctx, "verifier")
        for k in range(FINDINGS_EACH):
            for app_id in shared[number % len(shared) :] + shared[: number % len(shared)]:
                certification.review(
                    verifier,
                    certification.ReviewRequest(
                        application_id=app_id,
                        action="finding",
                        text=f"process {number} finding {k}",
                    ),
                )
        for k in range(FINDINGS_EACH):  # optimistic only: read without a lock, save by version
            for app_id in shared:
                run_unit_of_work(
                    ctx,
                    lambda s, a=app_id, k=k: _optimistic_finding(s, a, verifier, number, k),
                    attempts=200,
                )
        for app_id in shared:
            certification.review(
                verifier,
                certification.ReviewRequest(
                    application_id=app_id,
                    action="pcr-check",
                    findings=[{"severity": "info", "message": f"process {number}"}],
                ),
            )
        for app_id in own:
            certification.submit(as_user(ctx, "applicant"), app_id)
            certification.review(
                verifier, certification.ReviewRequest(application_id=app_id, action="start")
            )
        out.put((number, own, retries.count, None))
    except BaseException:  # reported to the parent, which fails the test with it
        out.put((number, [], retries.count, traceback.format_exc()))


def _optimistic_finding(session, app_id: str, verifier, number: int, k: int) -> None:
    """Raise a finding reading the application without a row lock; the save names the version
    read, so a concurrent change makes it a ConcurrentUpdate (retried), never a lost update."""
    repository = CertificationRepository(session)
    before = repository.load(app_id)
    after = wf.raise_finding(
        before, verifier.require_actor(), f"process {number} optimistic {k}", verifier.now()
    )
    repository.save(after, expected_version=len(before.audit))


def test_eight_processes_apply_and_transition_at_once(database_url: str, tmp_path: Path):
    ctx = service_context(database_url, tmp_path / "data")
    shared = [_shared_in_verification(ctx) for _ in range(SHARED_APPLICATIONS)]

    fork = multiprocessing.get_context("fork")
    start, out = fork.Barrier(PROCESSES), fork.Queue()
    processes = [
        fork.Process(
            target=worker,
            args=(n, database_url, str(tmp_path / "data"), shared, start, out),
        )
        for n in range(PROCESSES)
    ]
    for p in processes:
        p.start()
    results = [out.get(timeout=600) for _ in processes]
    for p in processes:
        p.join(timeout=60)
    errors = [error for *_, error in results if error]
    assert errors == [], errors[0] if errors else ""

    own = [app_id for _, ids, *_ in results for app_id in ids]
    assert len(own) == len(set(own)) == PROCESSES * OWN_APPLICATIONS
    with ctx.unit_of_work(write=False) as session:
        repository = CertificationRepository(session)
        applications = {a.id: a for a in repository.applications()}
        numbers = sorted(int(i.rsplit("-", 1)[1]) for i in applications)
        # the shared ones set up here, then every process's own: 1..N, no gap, no repeat
        assert numbers == list(range(1, len(applications) + 1))
        for app_id, application in applications.items():
            seqs = [line.seq for line in application.audit]
            assert seqs == list(range(len(seqs))), app_id
            rows = session.execute(
                text("SELECT seq, action FROM cert_audit WHERE application_id = :a ORDER BY seq"),
                {"a": app_id},
            ).all()
            assert [tuple(r) for r in rows] == [(a.seq, a.action) for a in application.audit]
            version = session.execute(
                text("SELECT version FROM cert_applications WHERE id = :a"), {"a": app_id}
            ).scalar_one()
            assert version == len(application.audit)
    for app_id in own:
        assert [a.action for a in applications[app_id].audit] == ["apply", "submit", "start_review"]
    for app_id in shared:
        findings = applications[app_id].findings
        assert len(findings) == 2 * PROCESSES * FINDINGS_EACH  # none lost
        assert [f.id for f in findings] == list(range(1, 2 * PROCESSES * FINDINGS_EACH + 1))
        assert {f.text for f in findings} == {
            f"process {n} {kind} {k}"
            for n in range(PROCESSES)
            for k in range(FINDINGS_EACH)
            for kind in ("finding", "optimistic")
        }
        checks = [a for a in applications[app_id].audit if a.action == "pcr_check"]
        assert len(checks) == PROCESSES  # one per process
    retried = sum(count for _, _, count, _ in results)
    print(f"{database_url.split(':')[0]}: {retried} conflicting units of work retried")


def _shared_in_verification(ctx) -> str:
    """An application in data verification: findings may be raised on it."""
    app_id = _apply(ctx)
    certification.submit(as_user(ctx, "applicant"), app_id)
    verifier = as_user(ctx, "verifier")
    for action in ("start", "accept"):
        certification.review(
            verifier, certification.ReviewRequest(application_id=app_id, action=action)
        )
    return app_id
