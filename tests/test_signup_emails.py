"""Sign-up and sign-in emails through the ledger, on SQLite and PostgreSQL: the request only owes one; a lost
task is the sweeper's, and the email goes out once, even when a worker died between the send and its record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy.orm import Session

from digest.accounts import people, signin
from digest.accounts import subscriptions as subs
from digest.accounts.links import TokenUsed
from digest.accounts.tokens import ExpiredToken
from digest.delivery.context import Context
from digest.delivery.deliver import deliver_one
from digest.delivery.due import stuck_deliveries
from digest.store.models import Delivery, DeliveryStatus
from tests.accounts_data import add_skills, link_in, outbox

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_a_lost_task_is_the_sweepers_and_the_email_goes_out_once(settings: Any, session: Session) -> None:
    add_skills(session)
    owed = subs.subscribe(session, settings, "lo@example.com", "go", "daily", NOW).email_id
    session.commit()  # the request's one commit; its task never reaches a worker
    assert owed is not None and outbox(settings.outbox_dir) == []
    assert stuck_deliveries(session, settings, NOW + timedelta(minutes=5)) == []  # its task may be on its way
    later = NOW + timedelta(seconds=settings.delivery_stuck_after)
    assert stuck_deliveries(session, settings, later) == [owed]
    ctx = Context.for_settings(settings)
    deliver_one(session, ctx, owed, later)
    deliver_one(session, ctx, owed, later)  # the lost task turns up after all: nothing more
    [mail] = outbox(settings.outbox_dir)
    assert mail["To"] == "lo@example.com" and "/confirm?token=" in link_in(mail, "/confirm")
    row = session.get(Delivery, owed)
    assert row is not None and row.status == DeliveryStatus.sent and row.attempts == 1

    # a worker killed after the send, before its record: the retry finds the message and only records it
    [eml] = settings.outbox_dir.glob("confirm-*.eml")
    sent = eml.read_bytes()
    row.status, row.updated_at = DeliveryStatus.sending, later
    session.commit()
    retry = later + timedelta(seconds=settings.delivery_stuck_after)
    assert stuck_deliveries(session, settings, retry) == [owed]
    deliver_one(session, ctx, owed, retry)
    session.refresh(row)
    assert row.status == DeliveryStatus.sent and row.attempts == 2
    assert list(settings.outbox_dir.glob("*.eml")) == [eml] and eml.read_bytes() == sent  # not rendered again


def test_a_lost_sign_in_email_is_the_sweepers_and_its_link_is_the_same_on_a_retry(
    settings: Any, session: Session
) -> None:
    people.get_or_create_user(session, "si@example.com", NOW)
    owed = signin.request_login(session, "si@example.com", NOW)
    session.commit()  # the request's one commit; its task never reaches a worker
    assert owed is not None and outbox(settings.outbox_dir) == []
    row = session.get(Delivery, owed)
    assert row is not None and row.payload == {"template": "login"}  # no link stored: the worker makes it
    later = NOW + timedelta(seconds=settings.delivery_stuck_after)
    assert stuck_deliveries(session, settings, later) == [owed]
    ctx = Context.for_settings(settings)
    assert dict(deliver_one(session, ctx, owed, later)) == {"sign-in sent": 1}
    [eml] = settings.outbox_dir.glob("login-*.eml")
    link = link_in(outbox(settings.outbox_dir)[0], "/login")
    token = parse_qs(urlparse(link).query)["token"][0]
    with pytest.raises(ExpiredToken):  # dated when the person asked, not when it went out
        signin.check_login_token(session, settings, token, NOW + timedelta(seconds=settings.login_link_max_age + 1))

    # a worker killed after the send, before its record, where the provider cannot tell whether it has the
    # message (SMTP; here the outbox file gone): the retry sends it again, with the same link
    row.status, row.updated_at = DeliveryStatus.sending, later
    session.commit()
    eml.unlink()
    retry = later + timedelta(seconds=settings.delivery_stuck_after)
    deliver_one(session, ctx, owed, retry)
    assert [link_in(m, "/login") for m in outbox(settings.outbox_dir)] == [link]
    user = signin.complete_login(session, settings, token, retry)
    assert user.email == "si@example.com"
    with pytest.raises(TokenUsed):  # one use, whichever copy
        signin.check_login_token(session, settings, token, retry)


def test_a_sign_in_email_too_late_for_its_link_is_not_sent(settings: Any, session: Session) -> None:
    people.get_or_create_user(session, "lt@example.com", NOW)
    owed = signin.request_login(session, "lt@example.com", NOW)
    session.commit()
    late = NOW + timedelta(seconds=settings.login_link_max_age)
    deliver_one(session, Context.for_settings(settings), owed or 0, late)
    row = session.get(Delivery, owed)
    assert row is not None and row.status == DeliveryStatus.failed and "expired" in (row.last_error or "")
    assert outbox(settings.outbox_dir) == []


def test_the_already_subscribed_notice_does_not_say_a_paused_digest_comes() -> None:
    """Asking again for a digest you paused: the notice says it is paused and how to resume, not "You already
    get the Python digest" (subject and both parts)."""
    from digest.mail.render import render_email

    base = {"skill": "Python", "settings_url": "http://h/settings", "base_url": "http://h", "unsubscribe_url": "u"}
    paused = render_email("already_subscribed", {**base, "status": "paused"})
    assert paused.subject.endswith("Your Python digest is paused")
    assert paused.html is not None
    for part in (paused.text, paused.html):
        assert "You already get" not in part and "Your Python digest is paused" in part
    active = render_email("already_subscribed", {**base, "status": "active"})
    assert active.subject.endswith("You already get the Python digest")
