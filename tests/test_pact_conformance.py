"""The official PACT conformance tester against the Tanzuji host (scripts/pact_conformance.py).

Needs ``node`` and ``npm`` (the tester is built from ../shared/tools on first use and cached in
``~/.cache/tanzuji``; ``TANZUJI_PACT_TESTER`` names a build to reuse) and, for the asynchronous
cases (TC13, TC14.B: the host's callbacks), PostgreSQL for the tester's server mode. One run of
the script (about 15 s once the tester is built) serves both tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import make_url

from conftest import POSTGRES_URL
from shared_data import TOOLS, present

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "pact_conformance.py"
TESTER = os.environ.get("TANZUJI_PACT_TESTER")  # read before the settings are isolated

#: Every V3 case of the tester (its src/test-cases/v3-test-cases.ts).
CASES = [str(n) for n in range(1, 14)] + ["14.A", "14.B"] + [str(n) for n in range(15, 41)]
ASYNCHRONOUS = {"13", "14.B"}

pytestmark = [
    pytest.mark.skipif(
        shutil.which("node") is None or shutil.which("npm") is None,
        reason="node and npm are needed to build and run the PACT conformance tester: skipped",
    ),
    pytest.mark.skipif(
        not TESTER and not (present() and (TOOLS / "pact-conformance-service").is_dir()),
        reason="the PACT conformance tester's sources (../shared/tools) are not here: skipped",
    ),
]


def _postgres() -> str | None:
    url = make_url(POSTGRES_URL).set(drivername="postgresql", database="postgres")
    text = url.render_as_string(hide_password=False)
    try:
        psycopg.connect(text, connect_timeout=3).close()
    except psycopg.OperationalError:
        return None
    return text


@pytest.fixture(scope="module")
def results() -> dict[tuple[str, str], str]:
    """(mode, case) -> PASS / FAIL / PENDING from one run of the script."""
    postgres = _postgres()
    command = [sys.executable, str(SCRIPT), "--mode", "both" if postgres else "cli"]
    if postgres:
        command += ["--postgres", postgres]
    if TESTER:
        command += ["--tester", TESTER]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1200)
    rows = {}
    for line in done.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] in ("cli", "server") and parts[1].startswith("TC"):
            rows[(parts[0], parts[1][2:])] = parts[2]
    assert rows, (
        f"no result lines (exit {done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    )
    rows[("script", "exit")] = str(done.returncode)
    rows[("script", "output")] = done.stdout
    return rows


def test_cli_mode_passes_every_synchronous_case(results):
    got = {case: results.get(("cli", case)) for case in CASES}
    expected = {case: "PENDING" if case in ASYNCHRONOUS else "PASS" for case in CASES}
    assert got == expected, results[("script", "output")][-4000:]


def test_server_mode_passes_every_case_including_the_callbacks(results):
    if not any(mode == "server" for mode, _ in results):
        pytest.skip("PostgreSQL not reachable: the tester's server mode did not run: skipped")
    got = {case: results.get(("server", case)) for case in CASES}
    assert got == dict.fromkeys(CASES, "PASS"), results[("script", "output")][-4000:]
    assert results[("script", "exit")] == "0"
