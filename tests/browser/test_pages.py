"""Pages as people meet them in headless Chromium: the home page searches as you type (and works as a plain
form without JavaScript), everything is reachable by keyboard, usable at 390 px, in light and dark, and passes
axe-core's audit with no serious or critical violation. Screenshots in test-artifacts/browser/."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from digest import clock
from tests.browser.conftest import WIDTHS, layout_problems, serious_violations, shot, viewport
from tests.support import synthetic

pytestmark = pytest.mark.browser
COUNTS = {"Kubernetes": 40, "Python": 25, "PostgreSQL": 12, "Pytest": 3}


@pytest.fixture
def data(session: Session) -> date:
    """Postings in the 90 days to today (the server reads the real clock): each skill's own count."""
    today = clock.today()
    skills = synthetic.skills(session, [*COUNTS, "Rust"])
    titles = synthetic.titles(session, ["Platform Engineer", "Backend Engineer"])
    metros = synthetic.metros(session, ["Berlin", "London"])
    items = []
    for skill in skills:
        for n in range(COUNTS.get(skill.name, 0)):
            items.append(
                synthetic.posting(today - timedelta(days=n % 60), [skill.id], titles[n % 2].id, metros[n % 2].id)
            )
    synthetic.add(session, items)
    session.commit()
    return today


def _results(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("#skill-results li .name").all_inner_texts()]


def test_home_searches_as_you_type_by_keyboard(data: date, server: str, page: Any) -> None:
    page.goto(server + "/")
    assert _results(page)[:3] == ["Kubernetes", "Python", "PostgreSQL"]  # the popular list, by demand
    assert "Most asked for" in page.locator("#results-status").inner_text()
    shot(page, "30-home")
    for _ in range(10):  # the search box is reachable by keyboard
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("p")
    page.get_by_text("matching “p”").wait_for()  # no submit: the list follows the typing
    assert _results(page)[:3] == ["Python", "PostgreSQL", "Pytest"]  # by postings in the window
    assert page.locator("#skill-results li .count").first.inner_text() == "25 postings"
    assert page.url == server + "/?q=p"
    page.keyboard.type("yt")
    page.get_by_text("matching “pyt”").wait_for()
    assert _results(page) == ["Python", "Pytest"]
    shot(page, "31-home-search-as-you-type")
    page.keyboard.press("Tab")  # past the Search button to the first result
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Python"
    page.keyboard.press("Enter")
    page.wait_for_url("**/skills/python")
    page.locator("p.summary").wait_for()
    assert page.console_errors == []


def test_home_search_works_without_javascript(data: date, server: str, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(server + "/")
        page.get_by_label("Skill name").fill("py")
        page.keyboard.press("Enter")
        page.wait_for_url("**/?q=py")
        assert _results(page) == ["Python", "Pytest"]
        assert "2 skills matching “py”" in page.locator("#results-status").inner_text()
        shot(page, "32-home-search-without-js")
    finally:
        context.close()


def test_a_refused_subscription_shows_its_reason_on_a_phone(data: date, server: str, browser: Any) -> None:
    """From a skill page at 390 px, an address the server refuses comes back on the home page, whose skill
    lists are long: the reason (and the form with what was typed) must be on screen, not below the fold."""
    with viewport(browser, 390, "light") as page:
        page.goto(server + "/skills/python")
        page.locator("#sub-email").fill("ann@example")  # the browser lets it through; the server does not
        page.get_by_role("button", name="Subscribe").click()
        notice = page.locator(".notice-error")
        notice.wait_for()
        shot(page, "41-subscribe-refused-390")
        box = notice.bounding_box()
        assert box is not None and box["y"] + box["height"] <= page.viewport_size["height"], box
        assert page.locator("#sub-email").input_value() == "ann@example"


PAGES = {
    "home": "/",
    "search": "/?q=p",
    "skill": "/skills/kubernetes",
    "skill-stale": "/skills/kubernetes?as_of=2000-01-01",
    "not-found": "/skills/kubernetez",
    "login": "/login",
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_pass_axe_at_desktop_and_390px(data: date, server: str, browser: Any, scheme: str) -> None:
    problems: dict[str, list[str]] = {}
    for width in WIDTHS:
        with viewport(browser, width, scheme) as page:
            for name, path in PAGES.items():
                page.goto(server + path)
                shot(page, f"40-{name}-{scheme}-{width}")
                problems |= layout_problems(page, width, f"{name} {scheme}")
    assert problems == {}


def test_the_audit_finds_what_it_should(page: Any) -> None:
    """The axe check can fail: an image without a text alternative and an unlabelled field are caught."""
    page.set_content('<html lang="en"><title>t</title><main><img src="x.png"><input id="f"></main></html>')
    found = " ".join(serious_violations(page))
    assert "image-alt" in found and "label" in found
