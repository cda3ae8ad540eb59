"""Browser fixtures: the web app in its own uvicorn process and a headless Debian chromium page.

There is no skip for a missing browser: scripts/test installs chromium (scripts/debian-packages) before pytest runs.
Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import REPO, celery_worker, digest_env, wait_for

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts" / "browser"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """Browser journeys run on the embedded default (the HTTP tests cover PostgreSQL)."""
    return sqlite_url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server_env(settings: Any) -> dict[str, str]:
    """The environment of the web process and of its worker: the same database, outbox, broker and base URL."""
    base = f"http://127.0.0.1:{free_port()}"
    return digest_env(
        DIGEST_DATA_DIR=str(settings.data_dir),
        DIGEST_DATABASE_URL=settings.db_url,
        DIGEST_SECRET_KEY="browser-test-secret",
        DIGEST_BASE_URL=base,
        DIGEST_EMAIL_BACKEND="file",
        DIGEST_WEB_CACHE_TTL="0",
    )


@pytest.fixture
def server(server_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    base = server_env["DIGEST_BASE_URL"]
    port = base.rsplit(":", 1)[1]
    cmd = [sys.executable, "-m", "uvicorn", "digest.web.app:create_app", "--factory", "--host", "127.0.0.1"]
    log = (tmp_path / "uvicorn.log").open("wb")
    proc = subprocess.Popen([*cmd, "--port", port], env=server_env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    try:

        def up() -> bool:
            try:
                return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, timeout=30, message="uvicorn to answer /healthz")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture
def worker(server_env: dict[str, str], settings: Any, tmp_path: Path) -> Iterator[None]:
    """A Celery worker beside the server, as `digest run` starts one: it sends the sign-up emails the web owes."""
    from workers.app import ensure_broker_dirs, queue_names

    ensure_broker_dirs(settings)
    with celery_worker(server_env, queue_names(settings)["delivery"], tmp_path / "worker.log"):
        yield


@pytest.fixture(scope="module")  # per module: another test's own sync_playwright() must not meet a live one
def browser() -> Iterator[Any]:
    assert CHROMIUM.exists(), f"Debian's chromium is missing at {CHROMIUM}: run scripts/debian-packages"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(server: str, browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 800}, timezone_id="Europe/Berlin")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    errors: list[str] = []  # script errors (a 4xx page's own status is logged too, and asserted elsewhere)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" and "status of 4" not in m.text else None)
    pg.console_errors = errors
    try:
        yield pg
    finally:
        context.close()


def serious_violations(page: Any) -> list[str]:
    """axe-core's audit of the page (bundled by axe-playwright-python): violations of serious or critical impact."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


WIDTHS = (1100, 390)  # a desktop, and a phone


@contextmanager
def viewport(browser: Any, width: int, scheme: str) -> Iterator[Any]:
    """A page in a fresh browser context of that width and colour scheme."""
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    try:
        yield context.new_page()
    finally:
        context.close()


def layout_problems(page: Any, width: int, label: str) -> dict[str, list[str]]:
    """What a person would meet on the page as it stands: wider than the screen, and (at desktop width) axe's
    serious or critical violations."""
    problems: dict[str, list[str]] = {}
    overflow = page.evaluate("document.documentElement.scrollWidth") - width
    if overflow > 0:
        problems[f"{label} {width}px"] = [f"{overflow}px wider than the screen"]
    if width == WIDTHS[0]:
        found = serious_violations(page)
        if found:
            problems[f"{label} axe"] = found
    return problems


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
