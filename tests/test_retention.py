"""Item retention: old news and old job postings go, with tombstones; what an unfinished digest may still
show, recent imports of old postings and the demand rollups stay; the daily task and its beat entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest.config import Settings
from digest.ingest.retention import JOB_LOOKBACK_DAYS, prune_expired
from digest.store.models import (
    Cadence,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    DeliverySubscription,
    DemandSkillDay,
    Heartbeat,
    Item,
    ItemKind,
    ItemSource,
    ItemTombstone,
    Subscription,
    SubscriptionStatus,
    User,
)
from tests.support import synthetic
from workers.beat import SCHEDULE

NOW = datetime(2026, 6, 1, 3, 15, tzinfo=UTC)


def _item(session: Session, title: str, kind: ItemKind, fetched_days_ago: int, posted_days_ago: int | None) -> Item:
    posted = (NOW - timedelta(days=posted_days_ago)).date() if posted_days_ago is not None else NOW.date()
    (item,) = synthetic.add(session, [synthetic.posting(posted, [], kind=kind, title=title)])
    item.fetched_at = NOW - timedelta(days=fetched_days_ago)
    if kind == ItemKind.job and posted_days_ago is None:
        item.posted_on = None
    return item


def _unfinished_digest(session: Session, window_start: datetime) -> Delivery:
    (skill,) = synthetic.skills(session, ["Retention skill"])
    user = User(email="r@example.com", created_at=window_start, confirmed_at=window_start)
    session.add(user)
    session.flush()
    sub = Subscription(user_id=user.id, skill_id=skill.id, cadence=Cadence.weekly, status=SubscriptionStatus.active,
                       cursor=window_start, created_at=window_start, updated_at=window_start)  # fmt: skip
    delivery = Delivery(user_id=user.id, kind=DeliveryKind.digest, cadence="weekly", window_end=NOW,
                        status=DeliveryStatus.sending, attempts=1, created_at=NOW, updated_at=NOW)  # fmt: skip
    session.add_all([sub, delivery])
    session.flush()
    session.add(DeliverySubscription(delivery_id=delivery.id, subscription_id=sub.id, window_start=window_start))
    return delivery


def _titles(session: Session) -> set[str]:
    return set(session.scalars(select(Item.title)))


def test_prune_keeps_what_is_still_needed(settings: Settings, session: Session) -> None:
    assert (settings.item_retention_days, settings.job_retention_days) == (90, 400)
    _item(session, "old news", ItemKind.news, 120, None)
    _item(session, "news in an unfinished digest", ItemKind.news, 95, None)
    _item(session, "recent news", ItemKind.news, 10, None)
    _item(session, "old posting", ItemKind.job, 500, 500)
    _item(session, "old posting without a day", ItemKind.job, 500, None)
    _item(session, "posting within the demand look-back", ItemKind.job, 300, 300)
    _item(session, "old posting imported lately", ItemKind.job, 20, 500)
    old = session.scalars(select(Item).where(Item.title == "old news")).one()
    session.add(ItemSource(item_id=old.id, source_key="feed:1", identity="i" * 64, first_seen_at=old.fetched_at))
    delivery = _unfinished_digest(session, NOW - timedelta(days=100))
    session.commit()
    rollup = session.scalar(select(func.sum(DemandSkillDay.postings)))
    total_rollup = session.scalar(select(func.count()).select_from(DemandSkillDay))

    assert prune_expired(session, settings, NOW, batch=1) == 3
    kept = {"news in an unfinished digest", "recent news", "posting within the demand look-back",
            "old posting imported lately"}  # fmt: skip
    assert _titles(session) == kept
    assert session.scalars(select(ItemTombstone.identity)).all() == ["i" * 64]
    # the figures read the rollups, which pruning leaves alone
    assert session.scalar(select(func.sum(DemandSkillDay.postings))) == rollup
    assert session.scalar(select(func.count()).select_from(DemandSkillDay)) == total_rollup

    delivery.status = DeliveryStatus.sent  # the digest is done: what only it held may go
    session.commit()
    assert prune_expired(session, settings, NOW) == 1
    assert _titles(session) == kept - {"news in an unfinished digest"}
    assert prune_expired(session, settings, NOW) == 0


def test_daily_task_and_beat_entry(settings: Settings, session: Session) -> None:
    from workers.tasks import prune_items

    _item(session, "old news", ItemKind.news, 120, None)
    _item(session, "recent news", ItemKind.news, 1, None)
    session.commit()
    assert prune_items.run(NOW.isoformat()) == 1
    assert _titles(session) == {"recent news"}
    beat = session.get(Heartbeat, "prune_items")
    assert beat is not None and beat.at == NOW and beat.detail == "1 deleted"
    entry = SCHEDULE["prune-items"]
    assert entry["task"] == "workers.tasks.prune_items"
    assert entry["schedule"].hour == {3} and entry["schedule"].minute == {15}  # daily, 03:15 UTC


def test_job_retention_covers_the_demand_look_back(monkeypatch: pytest.MonkeyPatch) -> None:
    from digest.demand.figures import WINDOW_DAYS

    assert JOB_LOOKBACK_DAYS >= WINDOW_DAYS
    monkeypatch.setenv("DIGEST_JOB_RETENTION_DAYS", str(JOB_LOOKBACK_DAYS))
    assert Settings().job_retention_days == JOB_LOOKBACK_DAYS
    monkeypatch.setenv("DIGEST_JOB_RETENTION_DAYS", str(JOB_LOOKBACK_DAYS - 1))
    with pytest.raises(ValidationError):
        Settings()
