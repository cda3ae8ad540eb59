"""Subscribe takes the same work for a known and a new address: each answer is the same, and each owes one
email that the worker sends (a confirmation, or a notice that the digest already runs), so neither the
answer nor its timing says whether someone is subscribed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digest.accounts import subscriptions as subs
from digest.store.models import Delivery
from digest.web.app import create_app
from tests.accounts_data import add_skills, link_in, outbox, press_confirm

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_known_and_new_addresses_queue_the_same_email_work(settings: Any, session: Session) -> None:
    add_skills(session)
    subs.subscribe(session, settings, "known@example.com", "python", "daily", NOW - timedelta(days=3), confirmed=True)
    session.commit()
    owed = [
        subs.subscribe(session, settings, a, "python", "daily", NOW) for a in ("known@example.com", "new@example.com")
    ]
    rows = [session.get(Delivery, o.email_id) for o in owed]  # one email owed each (today: nothing sent yet)
    assert [r.payload["template"] if r and r.payload else None for r in rows] == ["already_subscribed", "confirm"]
    assert outbox(settings.outbox_dir) == []


def test_the_answers_are_identical_and_the_owner_hears_of_it(settings: Any, session: Session) -> None:
    add_skills(session)
    settings.confirm_resend_after = 0  # no throttle between the confirmation and the repeat
    client = TestClient(create_app(settings))
    body = {"email": "ann@example.com", "skill": "python", "cadence": "daily"}
    client.post("/api/subscriptions", json=body)
    owner = TestClient(create_app(settings))  # confirming signs the owner in; the repeats come from elsewhere
    assert press_confirm(owner, link_in(outbox(settings.outbox_dir)[-1], "/confirm")).status_code == 303
    again = client.post("/api/subscriptions", json=body)
    new = client.post("/api/subscriptions", json={**body, "email": "bob@example.com"})
    assert (again.status_code, again.json()) == (new.status_code, new.json())
    notice = [m for m in outbox(settings.outbox_dir) if m["To"] == "ann@example.com"][-1]
    assert "already get the Python digest" in notice["Subject"]
    parts = {p.get_content_type(): p.get_content() for p in notice.iter_parts()}
    assert settings.base_url + "/settings" in parts["text/plain"] and "Open my settings" in parts["text/html"]
