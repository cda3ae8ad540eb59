"""How long items are kept: news for DIGEST_ITEM_RETENTION_DAYS, job postings for DIGEST_JOB_RETENTION_DAYS.

The demand figures and shift alerts read the per-day rollups, which pruning does not touch; only
`rebuild_rollups` and `digest check` read raw postings, so job postings are kept at least as long as any
figure looks back (JOB_LOOKBACK_DAYS: the shift test's 26 weeks of history before its two 4-week windows),
and a job counts as old only when both its posting day and its ingestion are. An item is never deleted while
a digest that has not finished (pending or sending) may still show it: nothing ingested after the oldest
window start of an unfinished digest goes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from digest.config import Settings
from digest.demand.shifts import HISTORY_WEEKS
from digest.demand.shifts import WINDOW_DAYS as SHIFT_WINDOW_DAYS
from digest.ingest.pipeline import delete_items
from digest.store.models import Delivery, DeliveryStatus, DeliverySubscription, Item, ItemKind

# the shift test's two windows and its history, the previous week's run (persistence) and the current week
JOB_LOOKBACK_DAYS = 2 * SHIFT_WINDOW_DAYS + 7 * HISTORY_WEEKS + 7 + 7


def _oldest_unfinished_window(session: Session) -> datetime | None:
    return session.scalar(
        select(func.min(DeliverySubscription.window_start))
        .join(Delivery, Delivery.id == DeliverySubscription.delivery_id)
        .where(Delivery.status.in_([DeliveryStatus.pending, DeliveryStatus.sending]))
    )


def expired_item_ids(session: Session, settings: Settings, now: datetime, limit: int) -> list[int]:
    """Up to `limit` ids of items past their retention, oldest first."""
    news_before = now - timedelta(days=settings.item_retention_days)
    jobs_before = now - timedelta(days=settings.job_retention_days)
    held = _oldest_unfinished_window(session)
    if held is not None:
        news_before, jobs_before = min(news_before, held), min(jobs_before, held)
    old_news = and_(Item.kind == ItemKind.news, Item.fetched_at < news_before)
    old_jobs = and_(
        Item.kind == ItemKind.job,
        Item.fetched_at < jobs_before,
        or_(Item.posted_on.is_(None), Item.posted_on < jobs_before.date()),
    )
    return list(session.scalars(select(Item.id).where(or_(old_news, old_jobs)).order_by(Item.id).limit(limit)))


def prune_expired(session: Session, settings: Settings, now: datetime, batch: int = 2000) -> int:
    """Delete every item past its retention, committing after each batch. Returns the number deleted."""
    deleted = 0
    while ids := expired_item_ids(session, settings, now, batch):
        deleted += delete_items(session, ids, now)
        session.commit()
    return deleted
