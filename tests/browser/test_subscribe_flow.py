"""A person in headless Chromium: finds a skill, subscribes, confirms from the outbox email, signs in by magic
link, changes cadence daily -> weekly and sees the next digest move, then unsubscribes from the email's link.
Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from digest import clock
from digest.models import Subscription, SubscriptionStatus
from digest.subscriptions import WEEKDAYS
from tests.accounts_data import add_skills, link_in, outbox
from tests.helpers import REPO, digest_env, wait_for

pytestmark = pytest.mark.browser

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
    """The browser journey runs once, on the embedded default (the HTTP tests cover PostgreSQL)."""
    return sqlite_url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(settings: Any, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = digest_env(
        DIGEST_DATA_DIR=str(settings.data_dir),
        DIGEST_DATABASE_URL=settings.db_url,
        DIGEST_SECRET_KEY="browser-test-secret",
        DIGEST_BASE_URL=base,
        DIGEST_EMAIL_BACKEND="file",
    )
    cmd = [sys.executable, "-m", "uvicorn", "digest.web.app:create_app", "--factory", "--host", "127.0.0.1"]
    log = (tmp_path / "uvicorn.log").open("wb")
    proc = subprocess.Popen([*cmd, "--port", str(port)], env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
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
def page(server: str) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 1100, "height": 800}, timezone_id="Europe/Berlin")
        pg = context.new_page()
        pg.set_default_timeout(15_000)
        try:
            yield pg
        finally:
            context.close()
            browser.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_person_subscribes_confirms_signs_in_changes_cadence_and_unsubscribes(
    settings: Any, session: Session, server: str, page: Any
) -> None:
    add_skills(session)
    email = "ada@example.com"
    refused: list[str] = []  # the CSP allows no inline script: whatever a page needs runs from /static
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)

    # find a skill
    page.goto(server + "/")
    page.get_by_placeholder("Search skills").fill("kube")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Follow Kubernetes").click()
    assert page.locator("#sub-skill").input_value() == "kubernetes"
    shot(page, "01-home-found-skill")

    # subscribe
    page.locator("#sub-email").fill(email)
    page.locator("#sub-cadence").select_option("daily")
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    shot(page, "02-check-inbox")

    # confirm from the outbox email
    [confirmation] = wait_for(lambda: outbox(settings.outbox_dir), timeout=10, message="the confirmation email")
    assert confirmation["To"] == email and "Kubernetes" in confirmation["Subject"]
    [eml] = settings.outbox_dir.glob("confirm-*.eml")
    page.goto(f"{server}/outbox?key={settings.outbox_key}")  # as `digest run` prints it; a cookie after
    page.goto(f"{server}/outbox/{eml.name}")
    page.get_by_role("link", name="Confirm my Kubernetes digest").wait_for()
    shot(page, "02b-confirmation-email")
    page.goto(link_in(confirmation, "/confirm"))
    page.get_by_role("heading", name="You're subscribed").wait_for()
    shot(page, "03-confirmed")

    # sign in by magic link
    page.goto(server + "/settings")
    page.locator("#login-email").fill(email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    login = wait_for(lambda: [m for m in outbox(settings.outbox_dir) if "sign-in" in m["Subject"]], timeout=10)[0]
    page.goto(link_in(login, "/login"))
    shot(page, "04-sign-in-continue")
    page.get_by_role("button", name="Continue to my settings").click()
    page.get_by_role("heading", name="Your digests").wait_for()

    # the browser's time zone is offered; weekly digests go out three days from today, so the daily and
    # weekly next-digest times always differ whatever day the test runs
    page.get_by_role("button", name="Use Europe/Berlin").click()
    weekday = (clock.utcnow().astimezone(ZoneInfo("Europe/Berlin")).weekday() + 3) % 7
    page.locator("#weekday").select_option(str(weekday))
    page.locator("#send-hour").select_option("7")
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Your settings are saved").wait_for()
    assert page.locator("#tz").input_value() == "Europe/Berlin"
    row = page.locator("tr", has_text="Kubernetes")
    daily_next = row.locator(".next-digest").inner_text()
    assert daily_next.startswith("next digest:") and "07:00 CE" in daily_next
    shot(page, "05-settings-daily")

    # daily -> weekly: the next digest time changes
    page.get_by_label("Cadence for Kubernetes").select_option("weekly")
    row.get_by_role("button", name="Save").click()
    page.get_by_text("Cadence changed").wait_for()
    weekly_next = page.locator("tr", has_text="Kubernetes").locator(".next-digest").inner_text()
    assert weekly_next.startswith(f"next digest: {WEEKDAYS[weekday][:3]} ") and weekly_next != daily_next
    shot(page, "06-settings-weekly")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "06b-settings-phone")
    page.set_viewport_size({"width": 1100, "height": 800})

    # unsubscribe from the email's link: the page changes nothing until the button is pressed
    page.goto(link_in(confirmation, "/unsubscribe"))
    page.get_by_role("button", name="Unsubscribe from Kubernetes").wait_for()
    shot(page, "07-unsubscribe-page")
    session.rollback()
    sub = session.scalar(select(Subscription))
    assert sub is not None and sub.status == SubscriptionStatus.active
    page.get_by_role("button", name="Unsubscribe from Kubernetes").click()
    page.get_by_role("heading", name="Unsubscribed").wait_for()
    shot(page, "08-unsubscribed")
    session.rollback()
    sub = session.scalar(select(Subscription))
    assert sub is not None and sub.status == SubscriptionStatus.unsubscribed

    page.goto(server + "/settings")
    assert "You follow no skills right now" in page.content()
    assert refused == []
