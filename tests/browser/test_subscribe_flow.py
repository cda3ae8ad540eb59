"""A person in headless Chromium: finds a skill, subscribes, confirms from the outbox email with one button
that also signs them in, changes time zone (a mistyped one first) and cadence daily -> weekly and sees the next
digest move, opens the used confirmation link again, unsubscribes from the email's link, resubscribes from the
settings, signs out and back in by magic link. Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from digest import clock
from digest.accounts.people import WEEKDAYS
from digest.store.models import Subscription, SubscriptionStatus
from tests.accounts_data import add_skills, link_in, outbox
from tests.browser.conftest import serious_violations, shot
from tests.helpers import wait_for

pytestmark = pytest.mark.browser


def _status(session: Session) -> SubscriptionStatus:
    session.rollback()
    sub = session.scalar(select(Subscription))
    assert sub is not None
    return sub.status


def test_a_person_subscribes_confirms_changes_cadence_unsubscribes_and_comes_back(
    settings: Any, session: Session, server: str, worker: None, page: Any
) -> None:
    add_skills(session)
    email = "ada@example.com"
    refused: list[str] = []  # the CSP allows no inline script: whatever a page needs runs from /static
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)

    # find a skill (the plain form: the results page lists it with a Follow link)
    page.goto(server + "/?q=kube")
    page.get_by_role("link", name="Follow Kubernetes").click()
    assert page.locator("#sub-skill").input_value() == "Kubernetes"  # the name, not the slug
    shot(page, "01-home-found-skill")

    # subscribe
    page.locator("#sub-email").fill(email)
    page.locator("#sub-cadence").select_option("daily")
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    shot(page, "02-check-inbox")

    # the confirmation email: opening its link changes nothing; its button confirms and signs in
    [confirmation] = wait_for(lambda: outbox(settings.outbox_dir), timeout=10, message="the confirmation email")
    assert confirmation["To"] == email and "Kubernetes" in confirmation["Subject"]
    [eml] = settings.outbox_dir.glob("confirm-*.eml")
    page.goto(f"{server}/outbox?key={settings.outbox_key}")  # as `digest run` prints it; a cookie after
    page.goto(f"{server}/outbox/{eml.name}")
    page.get_by_role("link", name="Confirm my Kubernetes digest").wait_for()
    shot(page, "02b-confirmation-email")
    page.goto(link_in(confirmation, "/confirm"))
    page.get_by_role("button", name="Confirm and open my settings").wait_for()
    assert _status(session) == SubscriptionStatus.pending  # a mail scanner opening the link confirms nothing
    shot(page, "03-confirm-button")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Confirm and open my settings").click()
    page.get_by_role("heading", name="Your digests").wait_for()
    page.get_by_text("and signed in").wait_for()
    assert _status(session) == SubscriptionStatus.active
    shot(page, "03b-confirmed-settings")

    # a mistyped time zone: the page comes back with every input kept and the field marked
    page.locator("#tz").fill("Europe/Berlinn")
    page.locator("#send-hour").select_option("7")
    page.get_by_role("button", name="Save settings").click()
    page.get_by_role("alert").wait_for()
    assert page.locator("#tz").input_value() == "Europe/Berlinn"
    assert page.locator("#tz").get_attribute("aria-invalid") == "true"
    assert page.locator("#send-hour").input_value() == "7"
    assert "Unknown time zone" in page.locator("#tz-error").inner_text()
    shot(page, "04-settings-bad-time-zone")
    assert serious_violations(page) == []

    # the browser's time zone is offered; weekly digests go out three days from today, so the daily and
    # weekly next-digest times always differ whatever day the test runs
    page.get_by_role("button", name="Use Europe/Berlin").click()
    weekday = (clock.utcnow().astimezone(ZoneInfo("Europe/Berlin")).weekday() + 3) % 7
    page.locator("#weekday").select_option(str(weekday))
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

    # the used confirmation link says where the subscription stands
    page.goto(link_in(confirmation, "/confirm"))
    page.get_by_role("heading", name="You're subscribed").wait_for()
    assert "was used already" in page.content()
    shot(page, "06c-confirm-link-used")

    # unsubscribe from the email's link: the page changes nothing until the button is pressed
    page.goto(link_in(confirmation, "/unsubscribe"))
    page.get_by_role("button", name="Unsubscribe from Kubernetes").wait_for()
    shot(page, "07-unsubscribe-page")
    assert _status(session) == SubscriptionStatus.active
    page.get_by_role("button", name="Unsubscribe from Kubernetes").click()
    page.get_by_role("heading", name="Unsubscribed").wait_for()
    shot(page, "08-unsubscribed")
    assert _status(session) == SubscriptionStatus.unsubscribed

    # the skill stays listed in the settings, with a way back
    page.goto(server + "/settings")
    assert "You follow no skills right now" in page.content()
    assert refused == []
    page.get_by_role("heading", name="Skills you left").wait_for()
    shot(page, "09-settings-skills-you-left")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Resubscribe to Kubernetes").click()
    page.get_by_text("Subscribed again").wait_for()
    assert _status(session) == SubscriptionStatus.active
    assert page.locator("tr", has_text="Kubernetes").locator(".status").inner_text() == "active"

    # sign out, and back in by magic link
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.goto(server + "/settings")
    page.locator("#login-email").fill(email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    login = wait_for(lambda: [m for m in outbox(settings.outbox_dir) if "sign-in" in m["Subject"]], timeout=10)[0]
    page.goto(link_in(login, "/login"))
    shot(page, "10-sign-in-continue")
    page.get_by_role("button", name="Continue to my settings").click()
    page.get_by_role("heading", name="Your digests").wait_for()
    assert page.console_errors == []
