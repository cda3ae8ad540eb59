"""The range of dates the demand figures answer for, and the days that hold data.

Dates near the calendar's ends overflow the window arithmetic (90 days, 56-week look-backs), and a date with
no postings around it is worth no cache space: callers check a requested as-of date here first.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest.store.models import DemandTotalDay

EARLIEST = date(1990, 1, 1)  # no posting is older (the importer refuses them) and no as-of date either
FUTURE_TOLERANCE = timedelta(days=1)


class BadAsOf(ValueError):
    """An as-of date outside the range; the message says which range."""


def check_as_of(day: date, today: date) -> date:
    latest = today + FUTURE_TOLERANCE
    if not EARLIEST <= day <= latest:
        raise BadAsOf(f"as_of must be between {EARLIEST.isoformat()} and {latest.isoformat()}, not {day.isoformat()}")
    return day


def data_days(session: Session) -> tuple[date, date] | None:
    """The first and last day with postings counted, or None before any."""
    first, last = session.execute(select(func.min(DemandTotalDay.day), func.max(DemandTotalDay.day))).one()
    return (first, last) if first is not None else None


def worth_keeping(day: date, today: date, days: tuple[date, date] | None) -> bool:
    """Whether figures for `day` may take cache space: today's, or a day within the 90-day window's reach
    of the data (an arbitrary date must not push the hot pages out)."""
    if day == today:
        return True
    return days is not None and days[0] <= day <= days[1] + timedelta(days=90)
