"""Subscribe takes the same work for a known and a new address: each answer is the same, and each queues one
email to send after answering (a confirmation, or a notice that the digest already runs), so neither the
answer nor its timing says whether someone is subscribed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digest.accounts import emails
from digest.accounts import subscriptions as subs
from digest.web.app import create_app
from tests.accounts_data import add_skills, link_in, outbox, press_confirm

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_known_and_new_addresses_queue_the_same_email_work(settings: Any, session: Session) -> None:
    add_skills(session)
    subs.subscribe(session, settings, "known@example.com", "python", "daily", NOW - timedelta(days=3), confirmed=True)
    session.commit()
    queued: dict[str, list[emails.PendingEmail]] = {}
    for address in ("known@example.com", "new@example.com"):
        later: list[emails.PendingEmail] = []
        subs.subscribe(session, settings, address, "python", "daily", NOW, later=later)
        queued[address] = later
    assert [len(q) for q in queued.values()] == [1, 1]  # today: nothing for the known address
    assert [q[0].template for q in queued.values()] == ["already_subscribed", "confirm"]


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
