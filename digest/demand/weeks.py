"""Weeks start on Monday (ISO), the same on both databases: computed from dates, never strftime('%W')."""

from __future__ import annotations

from datetime import date, timedelta

EPOCH_MONDAY = date(2000, 1, 3)


def monday(d: date) -> date:
    """The Monday that starts d's ISO week."""
    return d - timedelta(days=d.weekday())


def week_index(d: date) -> int:
    """Weeks since EPOCH_MONDAY (in SQL: digest.store.weeks.week_index_sql with that epoch)."""
    return (d - EPOCH_MONDAY).days // 7


def weeks_meeting(first_day: date, last_day: date) -> list[date]:
    """The Monday of every week that meets [first_day, last_day], oldest first."""
    out, w = [], monday(first_day)
    while w <= last_day:
        out.append(w)
        w += timedelta(days=7)
    return out
