"""Making and editing a search in headless Chromium (#19): on the skill page a person opens the filters, sees how
many postings the search would have matched lately change as they narrow it, subscribes and confirms; in the
settings the row names the search in words and edits it in place. Without JavaScript the Preview button
renders the same counts. Desktop and 390 px, no overflow, no serious axe violation. Screenshots in
test-artifacts/browser/."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from digest import clock
from digest.accounts.searches import from_json
from digest.store.models import Subscription
from tests.accounts_data import link_in, outbox
from tests.browser.conftest import WIDTHS, layout_problems, shot, viewport
from tests.helpers import wait_for
from tests.support import synthetic

pytestmark = pytest.mark.browser


@pytest.fixture
def data(session: Session) -> date:
    today = clock.today()  # the server reads the real clock
    python, go = synthetic.skills(session, ["Python", "Go"])
    (berlin,) = synthetic.metros(session, ["Berlin"])
    items = []
    for n in range(24):  # 3 days apart over ~70 days: 10 in the last 30 days, 2 in the last 7
        skills = [python.id] + ([go.id] if n % 4 == 0 else [])
        metro = berlin.id if n % 2 else None
        it = synthetic.posting(today - timedelta(days=1 + 3 * n), skills, metro_id=metro, company="Initech")
        it.remote = n % 3 == 0
        it.seniority = "senior" if n % 2 else "junior"
        items.append(it)
    synthetic.add(session, items)
    session.commit()
    return today


def _preview_text(page: Any) -> str:
    out = page.locator("form#subscribe [data-preview-output]")
    wait_for(lambda: "job posting" in out.inner_text(), timeout=10, message="the preview counts")
    return " ".join(out.inner_text().split())


def test_make_and_edit_a_search(
    data: date, settings: Any, session: Session, server: str, worker: None, browser: Any
) -> None:
    problems: dict[str, list[str]] = {}
    for width in WIDTHS:
        with viewport(browser, width, "light") as page:
            page.goto(server + "/skills/python")
            page.locator("form#subscribe summary").click()
            assert _preview_text(page).startswith("Python: 2 job postings in the last 7 days, 10 job postings in")
            page.locator("#sub-metros").fill("Berlin")
            page.locator("form#subscribe input[name=or_remote]").check()
            wait_for(lambda: "remote or Berlin" in _preview_text(page), timeout=10, message="the narrower count")
            page.locator("form#subscribe input[name=seniority][value=senior]").check()
            wait_for(lambda: "senior" in _preview_text(page), timeout=10, message="the senior count")
            assert _preview_text(page).startswith("Python · remote or Berlin · senior: 1 job posting in the last 7")
            page.locator("form#subscribe").scroll_into_view_if_needed()
            shot(page, f"60-search-form-{width}")
            problems |= layout_problems(page, width, "skill page form")
    assert problems == {}

    # subscribe with that search, confirm from the email, and land in the settings
    with viewport(browser, WIDTHS[0], "light") as page:
        page.goto(server + "/skills/python")
        page.locator("form#subscribe summary").click()
        page.locator("#sub-email").fill("ada@example.com")
        page.locator("#sub-more").fill("Go")
        page.locator("#sub-metros").fill("Berlin")
        page.locator("form#subscribe input[name=or_remote]").check()
        page.locator("#sub-salary").fill("70000")
        page.locator("#sub-words").fill("php")
        page.get_by_role("button", name="Subscribe").click()
        page.get_by_role("heading", name="Check your inbox").wait_for()
        [confirmation] = wait_for(lambda: outbox(settings.outbox_dir), timeout=10, message="the confirmation email")
        page.goto(link_in(confirmation, "/confirm"))
        page.get_by_role("button", name="Confirm and open my settings").click()
        page.get_by_role("heading", name="Your digests").wait_for()
        words = "Python or Go · remote or Berlin · ≥ €70k or unstated · without “php”"
        assert page.locator(".search-words").inner_text() == words
        cookies = page.context.cookies()

    session.rollback()
    sub = session.scalars(select(Subscription)).one()
    assert sub.search is not None and from_json(sub.search).min_salary == 70000

    # edit it in place: desktop and phone
    for width in WIDTHS:
        with viewport(browser, width, "light") as page:
            page.context.add_cookies(cookies)
            page.goto(server + "/settings")
            row = page.locator(f"tr[data-search-for='{sub.id}']")
            row.locator("summary").click()
            form = row.locator("form")
            out = form.locator("[data-preview-output]")
            wait_for(lambda o=out: "job posting" in o.inner_text(), timeout=10, message="the settings preview")
            form.locator("input[name=seniority][value=senior]").check()
            wait_for(lambda o=out: "senior" in o.inner_text(), timeout=10, message="the edited preview")
            shot(page, f"61-settings-edit-search-{width}")
            problems |= layout_problems(page, width, "settings edit")
    assert problems == {}
    with viewport(browser, WIDTHS[1], "light") as page:
        page.context.add_cookies(cookies)
        page.goto(server + "/settings")
        row = page.locator(f"tr[data-search-for='{sub.id}']")
        row.locator("summary").click()
        row.locator("input[name=seniority][value=senior]").check()
        row.locator("input[name=exclude_words]").fill("")
        row.get_by_role("button", name="Save search").click()
        page.get_by_text("Search saved").wait_for()
        assert (
            page.locator(".search-words").inner_text()
            == "Python or Go · remote or Berlin · senior · ≥ €70k or unstated"
        )
        shot(page, "62-settings-search-saved-390")
    session.rollback()
    session.refresh(sub)
    assert from_json(sub.search or "").seniority == ("senior",) and from_json(sub.search or "").exclude_words == ()


def test_preview_without_javascript(data: date, server: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 900}, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(server + "/skills/python")
        page.locator("form#subscribe summary").click()
        page.locator("#sub-metros").fill("Berlin")
        page.get_by_role("button", name="Preview").click()
        page.get_by_role("heading", name="What this search would have matched").wait_for()
        text = " ".join(page.locator("[data-preview-output]").inner_text().split())
        assert text.startswith("Python · Berlin: 1 job posting in the last 7 days, 5 job postings in the last 30")
        assert page.locator("#sub-metros").input_value() == "Berlin"  # everything as typed, ready to subscribe
        shot(page, "63-search-preview-no-js-390")
        assert layout_problems(page, 390, "no-js preview") == {}
    finally:
        context.close()
