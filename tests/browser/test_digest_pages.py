"""In headless Chromium: the digest's web view from the link in a sent email (every item, grouped as in the
email, job facts and why each item came), and the skill page's paged list of every posting of the window,
newest first by posting date. Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import uvicorn
from sqlalchemy.orm import Session

from digest.config import Settings
from digest.store.models import Item, ItemKind, ItemSkill
from digest.web.app import create_app
from tests.browser.conftest import ARGS, CHROMIUM, shot
from tests.helpers import wait_for
from tests.test_digest_ledger import T0, World, outbox, run, text_of

pytestmark = pytest.mark.browser
NOW = T0 + timedelta(hours=8, minutes=5)


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:  # in this process: the app reads the test's settings
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    srv = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    wait_for(lambda: srv.started, timeout=20, message="uvicorn to start")
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        pg = browser.new_page(viewport={"width": 1000, "height": 900})
        pg.set_default_timeout(15_000)
        try:
            yield pg
        finally:
            browser.close()


def test_digest_web_view_holds_every_item(settings: Settings, session: Session, server: str, page: Any) -> None:
    w = World(session)
    ann = w.user("ann@example.com")
    w.subscribe(ann, "python")
    w.subscribe(ann, "rust")
    for n in range(12):
        w.item(f"Python release note {n}", T0 + timedelta(minutes=n + 1), "python", summary="What changed, in short.")
    pay = {"salary_min": 116_800.0, "salary_max": 175_200.0, "salary_currency": "USD", "salary_period": "year"}
    for n in range(10):
        w.item(f"Senior Python Engineer {n}", T0 + timedelta(minutes=20 + n), "python", kind="job",
               company=f"Company {n}", location_raw="Berlin, Germany", remote=n % 2 == 0, seniority="senior",
               **(pay if n % 3 == 0 else {}))  # fmt: skip
    w.item("Rust in the kernel", T0 + timedelta(hours=2), "rust")
    w.commit()
    assert run(session, settings, NOW).get("sent") == 1
    (msg,) = outbox(settings).values()
    link = re.search(r"View it in your browser \(every item\): (\S+)", text_of(msg))
    assert link is not None
    page.goto(server + link[1].removeprefix(settings.base_url))
    assert page.locator("h1").inner_text() == "Your daily digest"
    assert page.locator("section#skill-python li.item").count() == 22  # the email showed 8 + 8
    assert page.locator("section#skill-rust li.item").count() == 1
    job = page.locator("section#skill-python li.item", has_text="Senior Python Engineer 0")
    assert "$116,800–175,200" in job.inner_text() and "Berlin, Germany (remote possible)" in job.inner_text()
    assert "senior" in job.inner_text() and "matched “python”" in job.inner_text()
    shot(page, "digest-web-view")
    # "+N more" in the email leads to its skill's part of this page
    more = re.search(r"\+\d+ more: (\S+)", text_of(msg))
    assert more is not None
    page.goto(server + more[1].removeprefix(settings.base_url))
    assert page.evaluate("location.hash") == "#skill-python"


def test_skill_page_lists_every_posting_of_the_window_paged(
    settings: Settings, session: Session, server: str, page: Any
) -> None:
    w = World(session)
    python = w.skill("python")
    as_of = date(2026, 3, 2)
    for n in range(45):  # posted on 45 different days, ingested in the opposite order
        posted = as_of - timedelta(days=n)
        item = Item(kind=ItemKind.job, title=f"Posting from {posted.isoformat()}", url=f"https://example.com/j{n}",
                    summary="", published_at=T0 - timedelta(days=n), fetched_at=T0 + timedelta(minutes=n),
                    posted_on=posted, company="Acme", location_raw="Remote", remote=True)  # fmt: skip
        session.add(item)
        session.flush()
        session.add(ItemSkill(item_id=item.id, skill_id=python.id, alias="Python", span_start=0, span_end=6,
                              posted_on=posted, found_in=1))  # fmt: skip
    old = Item(kind=ItemKind.job, title="Too old", summary="", published_at=T0 - timedelta(days=120),
               fetched_at=T0, posted_on=as_of - timedelta(days=120))  # fmt: skip
    session.add(old)
    session.flush()
    session.add(ItemSkill(item_id=old.id, skill_id=python.id, alias="Python", span_start=0, span_end=6,
                          posted_on=old.posted_on))  # fmt: skip
    w.commit()
    page.goto(f"{server}/skills/python?as_of={as_of.isoformat()}")
    postings = page.locator("#postings li.item a.item-title")
    assert "(45)" in page.locator("#postings h2").inner_text()
    first = postings.all_inner_texts()
    assert len(first) == 20 and first[0] == f"Posting from {as_of.isoformat()}"
    assert first == sorted(first, reverse=True)  # newest first by posting date
    shot(page, "skill-page-postings-page-1")
    page.locator("#postings a[rel=next]").click()
    second = page.locator("#postings li.item a.item-title").all_inner_texts()
    assert len(second) == 20 and second[0] < first[-1] and "page 2 of 3" in page.locator("#postings").inner_text()
    page.locator("#postings a[rel=next]").click()
    third = page.locator("#postings li.item a.item-title").all_inner_texts()
    assert len(third) == 5 and "Too old" not in third and not set(first) & set(second) & set(third)
    shot(page, "skill-page-postings-page-3")
