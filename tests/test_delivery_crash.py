"""Crash test: real workers on Redis are SIGKILLed between claim and send, and between send and record.
After the sweeper runs, every due digest was delivered exactly once: in the outbox (the file backend), or
accepted once by the fake SendGrid (the retry asks its Email Activity API before sending again)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.config import Settings
from digest.store.models import Delivery, DeliveryStatus
from tests.fakes.sendgrid import FakeSendGrid
from tests.helpers import celery_worker, digest_env, wait_for
from tests.test_digest_ledger import T0, World, outbox, titles_sent
from workers.app import make_celery, queue_names

CRASH_WORKER = "tests.support.crash_worker"  # the worker app that kills itself at DIGEST_TEST_CRASH_AT


def _statuses(session: Session) -> dict[int, str]:
    session.expire_all()
    return {d.id: str(d.status) for d in session.scalars(select(Delivery))}


Delivered = tuple[dict[str, str], Callable[[], list[str]]]


@pytest.fixture(params=["file", "sendgrid"])
def delivered(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Delivered]:
    """(the backend's environment, the delivery ids it has delivered, once per delivery)."""
    if request.param == "file":
        yield {}, lambda: sorted(name.removeprefix("delivery-").removesuffix(".eml") for name in outbox(settings))
        return
    with ExitStack() as stack:
        fake = stack.enter_context(FakeSendGrid().running())
        env = {"DIGEST_EMAIL_BACKEND": "sendgrid", "DIGEST_SENDGRID_API_KEY": fake.api_key,
               "DIGEST_SENDGRID_HOST": fake.host, "DIGEST_SENDGRID_ACTIVITY_API": "1"}  # fmt: skip
        yield env, lambda: sorted(fake.delivery_ids().elements())


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_killed_workers_lose_and_duplicate_nothing(
    settings: Settings,
    session: Session,
    redis_url: str,
    tmp_path: Path,
    delivered: Delivered,
) -> None:
    backend_env, sent = delivered
    w = World(session)
    for n in range(3):
        w.subscribe(w.user(f"u{n}@example.com"), "python")
        w.item(f"Python story {n}", T0 + timedelta(hours=1 + n), "python")
    w.commit()
    now = T0 + timedelta(hours=8)
    env = {
        "DIGEST_DATA_DIR": str(settings.data_dir),
        "DIGEST_DATABASE_URL": settings.db_url,
        "DIGEST_BROKER_URL": redis_url,
        "DIGEST_QUEUE_PREFIX": f"crash{uuid.uuid4().hex[:8]}",
        "DIGEST_SECRET_KEY": settings.secret,
        "DIGEST_DISPATCH_BATCH_SIZE": "2",  # two delivery tasks: users 1-2, then user 3
        **backend_env,
    }
    worker_settings = Settings(**{k.removeprefix("DIGEST_").lower(): v for k, v in env.items()})
    queues = ",".join(queue_names(worker_settings).values())
    sender = make_celery(worker_settings)
    sender.send_task("workers.tasks.dispatch_due", args=[now.isoformat()])

    # 1. killed after the claim committed, before anything was sent
    crashing = digest_env(**env, DIGEST_TEST_CRASH_AT="after_claim")
    with celery_worker(crashing, queues, tmp_path / "w1.log", app=CRASH_WORKER) as proc:
        wait_for(lambda: proc.poll() is not None, timeout=60, message="the worker to kill itself after the claim")
    assert sorted(_statuses(session).values()) == ["sending", "sending"]
    assert sent() == []

    # 2. killed after the send, before it was recorded
    crashing = digest_env(**env, DIGEST_TEST_CRASH_AT="after_send")
    with celery_worker(crashing, queues, tmp_path / "w2.log", app=CRASH_WORKER) as proc:
        wait_for(lambda: proc.poll() is not None, timeout=60, message="the worker to kill itself after the send")
    assert sorted(_statuses(session).values()) == ["sending"] * 3
    assert len(sent()) == 1  # sent, not recorded

    # 3. a healthy worker; the sweeper finds the stuck deliveries once they pass the deadline
    with celery_worker(digest_env(**env), queues, tmp_path / "w3.log") as proc:
        sender.send_task("workers.tasks.sweep", args=[now.isoformat()])  # too early: nothing is stuck yet
        later = now + timedelta(seconds=settings.delivery_stuck_after)
        sender.send_task("workers.tasks.sweep", args=[later.isoformat()])
        wait_for(
            lambda: set(_statuses(session).values()) == {"sent"} or proc.poll() is not None,
            timeout=60,
            message="the swept deliveries to be sent",
        )
        assert proc.poll() is None, (tmp_path / "w3.log").read_text()
    ids = sorted(_statuses(session))
    assert len(ids) == 3
    assert sent() == sorted(str(i) for i in ids)  # each exactly once
    if not backend_env:
        for n in range(3):
            assert titles_sent(settings, f"u{n}@example.com") == ["Python story 0", "Python story 1", "Python story 2"]
    rows = session.scalars(select(Delivery)).all()
    assert all(r.status == DeliveryStatus.sent and r.attempts == 2 for r in rows)
    sender.close()
