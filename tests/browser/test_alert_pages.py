"""An open alert on the skill page (its chart marked, the p-value in words, "Why am I seeing this?") and the
page that link opens, in headless Chromium at desktop and phone width, light and dark, with no overflow and
no serious axe-core violation; then an alert email sent with links to this server (a non-default port), its
links followed in the browser. Screenshots in test-artifacts/browser/."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from digest import clock
from digest.demand.explain import compared_windows
from digest.store.models import DemandSkillDay, Direction, ShiftAlert
from tests.browser.conftest import WIDTHS, layout_problems, shot, viewport
from tests.test_digest_ledger import World, outbox, run

pytestmark = pytest.mark.browser


@pytest.fixture
def alert(session: Session) -> ShiftAlert:
    """Python with 90 days of counts, twice as many in the 4 weeks tested, and an alert opened this week."""
    today = clock.today()  # the server reads the real clock
    week = today - timedelta(days=today.weekday())
    w = World(session)
    w.subscribe(w.user("ann@example.com", alerts=True), "python")
    python = w.skill("python")
    tested = compared_windows(week).tested
    for d in range(90):
        day = today - timedelta(days=d)
        session.add(DemandSkillDay(skill_id=python.id, day=day, postings=4 if tested[0] <= day < tested[1] else 2))
    a = ShiftAlert(skill_id=python.id, direction=Direction.up, opened_on=week, change=1.0, p_value=0.0004,
                   q_value=0.004, recent=112, prior=56, created_at=datetime.now(UTC) - timedelta(minutes=5),
                   )  # fmt: skip
    session.add(a)
    session.commit()
    return a


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_skill_page_with_an_open_alert_and_the_about_page(
    alert: ShiftAlert, server: str, browser: Any, scheme: str
) -> None:
    problems: dict[str, list[str]] = {}
    for width in WIDTHS:
        with viewport(browser, width, scheme) as page:
            page.goto(server + "/skills/python")
            why = page.locator("section.why")
            assert "less than 1 time in 1,000 weeks like these" in why.inner_text()
            chart = page.locator("section.chart img")
            chart.scroll_into_view_if_needed()
            assert chart.evaluate("i => i.complete && i.naturalWidth > 300")
            assert f"alert={alert.id}" in chart.evaluate("i => i.currentSrc")
            assert "The test compared the 4 weeks" in page.locator("section.chart .note").inner_text()
            shot(page, f"50-skill-alert-{scheme}-{width}")
            problems |= layout_problems(page, width, f"skill {scheme}")
            why.get_by_role("link", name="Why am I seeing this?").click()
            page.wait_for_url("**/about/alerts")
            assert page.get_by_role("heading", name="Why am I seeing this alert?").is_visible()
            shot(page, f"51-about-alerts-{scheme}-{width}")
            problems |= layout_problems(page, width, f"about {scheme}")
    assert problems == {}


def test_an_alert_emails_links_work_on_this_servers_port(
    alert: ShiftAlert, settings: Any, session: Session, server: str, page: Any
) -> None:
    # the sender as `digest serve --port P` configures it: links to this port, signed with the server's key
    here = settings.model_copy(update={"base_url": server, "secret_key": "browser-test-secret"})
    assert run(session, here, datetime.now(UTC))["alert sent"] == 1  # (a digest may be due too: nothing new)
    (mail,) = [m for m in outbox(here).values() if "demand rising" in m["Subject"]]
    html = str(mail.get_body(("html",)).get_content())  # type: ignore[union-attr]
    text = str(mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    links = {u.replace("&amp;", "&") for u in re.findall(r'href="([^"]+)"', html)} | set(
        re.findall(r"https?://\S+", text)
    )
    assert f"{server}/about/alerts" in links and ":8000" not in " ".join(links)
    for url in links:
        assert url.startswith(server + "/") and httpx.get(url, timeout=10).status_code == 200, url
    name = next(n for n, m in outbox(here).items() if "demand rising" in m["Subject"])
    page.goto(f"{server}/outbox?key={settings.outbox_key}")  # the key's cookie opens the outbox
    page.goto(f"{server}/outbox/{name}")  # the email as a person reads it: the marked chart shown
    img = page.locator('img[src^="data:image/png;base64,"]').first
    assert img.evaluate("i => i.complete && i.naturalWidth == 360")
    shot(page, "52-outbox-alert-email")
    page.get_by_role("link", name="Why am I seeing this?").click()
    page.wait_for_url(f"{server}/about/alerts")
    assert page.get_by_role("heading", name="Why am I seeing this alert?").is_visible()
