"""Sliding-window rate limits kept in the database (rate_events), so they hold across web processes and
need no Redis on the embedded default."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from digest.store.models import RateEvent


def hit(session: Session, key: str, limit: int, window: timedelta, now: datetime) -> bool:
    """Count one action under `key`; False (and nothing counted) when `limit` actions already happened
    in the last `window`."""
    return hit_all(session, [(key, limit)], window, now)


def hit_all(session: Session, limits: Sequence[tuple[str, int]], window: timedelta, now: datetime) -> bool:
    """Count one action under each key; False (and nothing counted) when any key already had its limit of
    actions in the last `window`. One query and one insert, however many keys; old rows are the
    housekeeping's (`prune`)."""
    since = now - window
    # counted up to `limit` only: a client hammering a form costs each of its requests `limit` index entries at
    # most, not every event it caused in the window
    counts = [
        select(func.count())
        .select_from(select(RateEvent.id).where(RateEvent.key == key, RateEvent.at > since).limit(limit).subquery())
        .scalar_subquery()
        for key, limit in limits
    ]
    found = session.execute(select(*counts)).one()
    if any(count >= limit for count, (_, limit) in zip(found, limits, strict=True)):
        return False
    session.execute(insert(RateEvent), [{"key": key, "at": now} for key, _ in limits])
    return True


def prune(session: Session, now: datetime, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete every event older than `older_than` (all windows are shorter); the number deleted."""
    result = session.execute(delete(RateEvent).where(RateEvent.at <= now - older_than))
    return int(getattr(result, "rowcount", 0) or 0)
