"""The digest's web view: every item of a sent digest, grouped as in the email, behind a signed link that
"+N more" and "view in browser" carry; refused for a changed, foreign or expired link. And the first digest
of a new subscriber holds the last week, marked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.accounts.tokens import ExpiredToken, InvalidToken
from digest.config import Settings
from digest.delivery.preview import preview
from digest.delivery.webview import web_view
from digest.store.models import Delivery, DeliveryItem, Item, ItemSkill
from digest.web.app import create_app
from tests.test_digest_ledger import T0, World, outbox, run, text_of

NOW = T0 + timedelta(hours=8, minutes=5)  # Monday 08:05 UTC: the daily 08:00 digest is due


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Any:
    from digest import clock
    from tests.test_api_accounts import START, Clock

    c = Clock(START)
    monkeypatch.setattr(clock, "utcnow", c)
    return c


@pytest.fixture
def accounts(settings: Settings, session: Session, frozen: Any) -> Iterator[TestClient]:
    from tests.accounts_data import add_skills

    add_skills(session)
    with TestClient(create_app(settings)) as c:
        yield c


def _world(session: Session) -> World:
    w = World(session)
    ann = w.user("ann@example.com")
    w.subscribe(ann, "python")
    w.subscribe(ann, "django")
    for n in range(20):  # more than the 8 a section shows
        w.item(f"Python story {n}", T0 + timedelta(minutes=n + 1), "python")
    for n in range(11):
        w.item(f"Python job {n}", T0 + timedelta(minutes=30 + n), "python", "django", kind="job", company="Acme")
    w.item("Django story", T0 + timedelta(hours=1), "django")
    w.commit()
    return w


def test_more_and_view_in_browser_lead_to_every_item(settings: Settings, session: Session) -> None:
    _world(session)
    assert run(session, settings, NOW).get("sent") == 1
    (msg,) = outbox(settings).values()
    text = text_of(msg)
    view = re.search(r"View it in your browser \(every item\): (\S+)", text)
    assert view is not None
    mores = re.findall(r"\+\d+ more: (\S+)", text)
    assert mores and all(m.startswith(view[1] + "#skill-") for m in mores)
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert view[1].replace("&", "&amp;") in html

    url = view[1].removeprefix(settings.base_url)
    page = TestClient(create_app(settings)).get(url)
    assert page.status_code == 200
    delivery = session.scalars(select(Delivery)).one()
    every = {i for (i,) in session.execute(select(Item.id))}  # 32 items: 20 + 11 + 1, each under one skill
    shown = set(map(int, re.findall(r'data-item="(\d+)"', page.text)))
    assert shown == every
    recorded = set(session.scalars(select(DeliveryItem.item_id).where(DeliveryItem.delivery_id == delivery.id)))
    assert recorded < shown  # the email showed 8 per list; the web view holds the rest
    # grouped as in the email: the jobs matching both skills under the first subscription (Python)
    python = page.text[page.text.index('id="skill-python"') : page.text.index('id="skill-django"')]
    assert python.count("Python job") == 11 and "Django story" not in python
    assert "noindex" in page.text


def test_the_link_is_checked(settings: Settings, session: Session) -> None:
    _world(session)
    run(session, settings, NOW)
    delivery = session.scalars(select(Delivery)).one()
    (msg,) = outbox(settings).values()
    link = re.search(r"View it in your browser \(every item\): (\S+)", text_of(msg))
    assert link is not None
    token = link[1].split("token=", 1)[1]
    web = TestClient(create_app(settings))
    assert web.get(f"/digests/{delivery.id}?token={token[:-3]}xyz").status_code == 400  # changed
    assert web.get(f"/digests/{delivery.id + 1}?token={token}").status_code == 400  # another digest
    assert web.get(f"/digests/{delivery.id}").status_code == 404  # no token
    huge = web.get(f"/digests/{delivery.id}?token={'a' * 5000}")
    assert huge.status_code == 400 and "a" * 100 not in huge.text
    later = NOW + timedelta(seconds=settings.unsubscribe_link_max_age - 60)
    assert web_view(session, settings, delivery.id, token, later).sections  # as long as the unsubscribe link
    with pytest.raises(ExpiredToken):
        web_view(session, settings, delivery.id, token, NOW + timedelta(seconds=settings.unsubscribe_link_max_age + 60))
    with pytest.raises(InvalidToken):
        web_view(session, settings, delivery.id, "junk", NOW)


def test_first_digest_holds_the_last_week_marked(settings: Settings, session: Session, monkeypatch: Any) -> None:
    from digest.accounts import subscriptions as subs

    w = World(session)
    w.skill("python")
    old = w.item("Three weeks old", T0 - timedelta(days=21), "python")
    recent = [w.item(f"Last week {n}", T0 - timedelta(days=n + 1), "python") for n in range(3)]
    w.commit()
    at = T0 + timedelta(hours=10)  # confirmed after Monday's 08:00 slot
    out = subs.subscribe(session, settings, "new@example.com", "python", "daily", at, confirmed=True)
    session.commit()
    (p,) = preview(session, settings, "new@example.com", at)
    assert not p.digest.is_empty and "nothing new" not in p.digest.subject
    shown = {i.id for s in p.digest.sections for i in s.shown_items}
    assert shown == {i.id for i in recent} and old.id not in shown
    summary = run(session, settings, at)
    assert summary.get("sent") == 1
    (msg,) = outbox(settings).values()
    assert text_of(msg).count("(recent, before you subscribed)") == 3
    assert msg["Subject"].endswith("Python — 3 new")
    assert out.subscription_id
    session.execute(select(ItemSkill))


def test_settings_preview_shows_the_next_send(
    settings: Settings, session: Session, accounts: TestClient, frozen: Any
) -> None:
    from digest.store.models import ItemKind, Skill
    from tests.test_api_accounts import sign_in, subscribe_and_confirm

    python = session.scalars(select(Skill).where(Skill.slug == "python")).one()
    for n in range(3):
        item = Item(kind=ItemKind.job, title=f"Python role {n}", url=f"https://example.com/{n}", summary="",
                    published_at=frozen.now - timedelta(days=1), fetched_at=frozen.now - timedelta(days=1, minutes=n),
                    company="Acme", salary_min=100_000.0, salary_max=120_000.0, salary_currency="USD",
                    salary_period="year", seniority="senior")  # fmt: skip
        session.add(item)
        session.flush()
        session.add(
            ItemSkill(item_id=item.id, skill_id=python.id, alias="Python", span_start=0, span_end=6, found_in=2)
        )
    session.commit()
    subscribe_and_confirm(accounts, settings, "ann@example.com", "python")
    sign_in(accounts, settings, "ann@example.com")
    page = accounts.get("/settings")
    assert 'href="/settings/preview"' in page.text
    shown = accounts.get("/settings/preview")
    assert shown.status_code == 200
    (expected,) = preview(session, settings, "ann@example.com", frozen.now)
    assert f'<span class="subject">{expected.digest.subject}</span>' in shown.text
    assert shown.text.count("data-item=") == 3 and "recent, before you subscribed" in shown.text
    assert "$100k–120k" in shown.text and "senior" in shown.text and "matched “Python” in the title" in shown.text
    assert TestClient(create_app(settings)).get("/settings/preview").text.count("data-item=") == 0  # signed out


def test_the_web_view_dates_the_digest_in_the_readers_time_zone(settings: Settings, session: Session) -> None:
    """Settings and the preview say "08:00 CET" to a reader in Berlin: the web view of that digest too."""
    w = World(session)
    w.subscribe(w.user("eva@example.com", tz="Europe/Berlin"), "python")
    w.item("Python story", T0 + timedelta(hours=1), "python")
    w.commit()
    assert run(session, settings, NOW).get("sent") == 1
    (msg,) = outbox(settings).values()
    view = re.search(r"View it in your browser \(every item\): (\S+)", text_of(msg))
    assert view is not None
    page = TestClient(create_app(settings)).get(view[1].removeprefix(settings.base_url))
    assert page.status_code == 200
    assert "up to Mon 02 Mar 2026, 08:00 CET" in page.text and "UTC" not in page.text
