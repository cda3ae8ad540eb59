"""Sign-up emails through the ledger, on SQLite and PostgreSQL: the subscribe only owes one; a lost task is the
sweeper's, and the email goes out once, even when a worker died between the send and its record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from digest.accounts import subscriptions as subs
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
