"""Real-browser test support (a pytest plugin; not a test module): Chromium, pages, screenshots.

The browser is Chromium from the Debian packages (``make browser`` installs it as root),
driven by Playwright through ``executable_path``: Playwright's own browser builds are never
downloaded. Where it is missing the browser tests are skipped with the reason, unless
``TANZUJI_REQUIRE_SHARED=1`` (CI), where a missing browser is an error: CI never passes by
skipping them.

Fixtures: ``chromium`` (one browser for the session), ``platform_url`` (``tanzuji serve
--demo`` in a subprocess), ``page`` (a fresh page), ``as_user`` (pages logged in as demo users)
and ``journey`` (screenshots). ``tests/conftest.py`` loads this module as a plugin, so every
test module has them without importing them.

Every journey step can be saved as a screenshot (:class:`Journey`) under ``test-artifacts/``
at the repository root (ignored by git), one folder per test, so a failed run leaves the
pictures of what the browser showed.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Where the screenshots of the journeys go (``.gitignore`` lists it).
ARTIFACTS = ROOT / "test-artifacts"
#: The Debian package's browser (``make browser``); ``TANZUJI_TEST_CHROMIUM`` names another.
DEFAULT_CHROMIUM = "/usr/bin/chromium"
#: A phone-sized viewport (CSS pixels of a 6.1-inch phone) for the label-scanning journey.
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
#: Longest wait for one page or element, in milliseconds: a step that takes longer is broken.
STEP_TIMEOUT_MS = 20_000
#: Longest wait for ``tanzuji serve --demo`` to load the demo and answer, in seconds.
SERVER_START_S = 300
#: Password of every demo user (``tanzuji.services.demo.DEMO_PASSWORD_SUFFIX``).
PASSWORD_SUFFIX = "-demo"


def chromium_path() -> str:
    """The Chromium executable; skip (or fail where CI requires it) when there is none."""
    path = os.environ.get("TANZUJI_TEST_CHROMIUM") or DEFAULT_CHROMIUM
    if Path(path).is_file() and os.access(path, os.X_OK):
        return path
    found = shutil.which("chromium")
    if found:
        return found
    reason = f"Chromium not found at {path} (install it: `make browser` as root)"
    if os.environ.get("TANZUJI_REQUIRE_SHARED") == "1":
        raise RuntimeError(f"{reason}; the browser tests must run here (TANZUJI_REQUIRE_SHARED=1)")
    pytest.skip(f"{reason}: skipped")


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """One headless Chromium for the session (Debian's, through Playwright)."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: object, *, viewport: dict[str, int] = DESKTOP, locale: str = "zh-CN"):
    """A page in a fresh browser context (own cookies) with the step timeout set."""
    context = browser.new_context(viewport=viewport, locale=locale)  # type: ignore[attr-defined]
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.script_errors = errors  # what the page's scripts threw, for tests to assert on
    return page


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"tanzuji serve --demo stopped ({process.returncode}): {log.read_text()}"
            )
        try:
            with urllib.request.urlopen(url + "login", timeout=5) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(
        f"tanzuji serve --demo did not answer in {SERVER_START_S} s: {log.read_text()}"
    )


@pytest.fixture(scope="session")
def platform_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the server of :func:`platform_url` writes its output (standard output and error)."""
    return tmp_path_factory.mktemp("platform") / "serve.log"


@pytest.fixture(scope="session")
def platform_url(platform_log: Path) -> Iterator[str]:
    """``make run`` for real: ``tanzuji serve --demo`` on a free loopback port with a fresh data
    folder (embedded SQLite, the demo loaded: factors, the demo cast with passwords
    ``<id>-demo``, three example products, one issued certificate), in a subprocess; its URL.
    """
    data_dir = platform_log.parent
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANZUJI_")}
    env.update(TANZUJI_DATA_DIR=str(data_dir), TANZUJI_CONFIG=str(data_dir / "none.toml"))
    command = [
        str(Path(sys.executable).with_name("tanzuji")),
        "serve",
        "--demo",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
    ]
    log = platform_log
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def login(page: object, base: str, user: str) -> None:
    """Log ``page`` in as demo user ``user`` through the login form."""
    page.goto(base + "login")  # type: ignore[attr-defined]
    page.fill("#user_id", user)  # type: ignore[attr-defined]
    page.fill("#password", user + PASSWORD_SUFFIX)  # type: ignore[attr-defined]
    page.click("main button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_selector("#whoami")  # type: ignore[attr-defined]


@pytest.fixture
def page(chromium: object) -> Iterator[object]:
    """A desktop-sized page in its own browser context, closed after the test."""
    tab = new_page(chromium)
    yield tab
    tab.context.close()


@pytest.fixture
def as_user(chromium: object, platform_url: str) -> Iterator[Callable[[str], object]]:
    """``as_user(name)``: a new desktop page (own browser context) logged in as demo user
    ``name``; every page it opened is closed after the test."""
    pages: list[object] = []

    def open_as(user: str) -> object:
        tab = new_page(chromium)
        pages.append(tab)
        login(tab, platform_url, user)
        return tab

    yield open_as
    for tab in pages:
        tab.context.close()  # type: ignore[attr-defined]


class Journey:
    """Numbered screenshots of one test's steps in ``test-artifacts/<test name>/``."""

    def __init__(self, name: str) -> None:
        self.folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.count = 0

    def shot(self, page: object, step: str) -> Path:
        """Save the whole page as ``NN-step.png`` and return its path."""
        self.count += 1
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^A-Za-z0-9_-]+', '-', step)}.png"
        page.evaluate("document.fonts.ready.then(() => true)")  # type: ignore[attr-defined]
        page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        return path


@pytest.fixture
def journey(request: pytest.FixtureRequest) -> Journey:
    """Screenshots of this test's journey (folder named after the test)."""
    return Journey(request.node.name)
