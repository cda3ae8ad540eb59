"""Sliding-window rate limits kept in the database (rate_events), so they hold across web processes and
need no Redis on the embedded default."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from digest.store.models import RateEvent


def hit(session: Session, key: str, limit: int, window: timedelta, now: datetime) -> bool:
    """Count one action under `key`; False (and nothing counted) when `limit` actions already happened
    in the last `window`. Old rows of the key are pruned on the way."""
    since = now - window
    session.execute(delete(RateEvent).where(RateEvent.key == key, RateEvent.at <= since))
    # counted up to `limit` only: a client hammering a form costs each of its requests `limit` index entries at
    # most, not every event it caused in the window
    recent = select(RateEvent.id).where(RateEvent.key == key, RateEvent.at > since).limit(limit).subquery()
    count = session.scalar(select(func.count()).select_from(recent))
    if (count or 0) >= limit:
        return False
    session.add(RateEvent(key=key, at=now))
    session.flush()
    return True


def prune(session: Session, now: datetime, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete every event older than `older_than` (all windows are shorter); the number deleted."""
    result = session.execute(delete(RateEvent).where(RateEvent.at <= now - older_than))
    return int(getattr(result, "rowcount", 0) or 0)
