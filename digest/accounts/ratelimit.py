"""Sliding-window rate limits kept in the database (rate_events), so they hold across web processes and
need no Redis on the embedded default."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, delete, func, insert, select
from sqlalchemy.orm import Session

from digest.store.models import RateEvent


def hit_all(session: Session, limits: Sequence[tuple[str, int]], window: timedelta, now: datetime) -> bool:
    """Count one action under each key; False (and nothing counted) when any key already had its limit of
    actions in the last `window`. One query and one insert, however many keys; old rows are the
    housekeeping's (`prune`)."""
    params: dict[str, Any] = {"since": now - window}
    for i, (key, limit) in enumerate(limits):
        params |= {f"key{i}": key, f"limit{i}": limit}
    conn = session.connection()  # Core statements, without the ORM's execute path
    found = conn.execute(_counts(len(limits)), params).one()
    if any(count >= limit for count, (_, limit) in zip(found, limits, strict=True)):
        return False
    conn.execute(_INSERT, [{"key": key, "at": now} for key, _ in limits])
    return True


_INSERT = insert(cast(Table, RateEvent.__table__))


@cache
def _counts(keys: int) -> Select[Any]:
    """Each key's actions since `since`, counted up to its limit only: a client hammering a form costs each of
    its requests `limit` index entries at most, not every event it caused in the window."""
    events = RateEvent.__table__.c
    return select(
        *(
            select(func.count())
            .select_from(
                select(events.id)
                .where(events.key == bindparam(f"key{i}"), events.at > bindparam("since"))
                .limit(bindparam(f"limit{i}"))
                .subquery()
            )
            .scalar_subquery()
            for i in range(keys)
        )
    )


def prune(session: Session, now: datetime, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete every event older than `older_than` (all windows are shorter); the number deleted."""
    result = session.execute(delete(RateEvent).where(RateEvent.at <= now - older_than))
    return int(getattr(result, "rowcount", 0) or 0)
