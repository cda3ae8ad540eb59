"""Weeks start on Monday (ISO), the same on both databases: computed from dates, never strftime('%W')."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Integer, cast, func, literal
from sqlalchemy.sql.elements import ColumnElement

EPOCH_MONDAY = date(2000, 1, 3)


def monday(d: date) -> date:
    """The Monday that starts d's ISO week."""
    return d - timedelta(days=d.weekday())


def week_index(d: date) -> int:
    return (d - EPOCH_MONDAY).days // 7


def week_index_sql(column: Any, dialect: str) -> ColumnElement[int]:
    """SQL for week_index(column), for dates on or after 2000-01-03 (day arithmetic; no locale rules)."""
    if dialect == "postgresql":
        days = column - literal(EPOCH_MONDAY)
        return cast(func.floor(days / 7.0), Integer)
    days = func.julianday(column) - func.julianday(EPOCH_MONDAY.isoformat())
    return cast(days / 7, Integer)


def weeks_meeting(first_day: date, last_day: date) -> list[date]:
    """The Monday of every week that meets [first_day, last_day], oldest first."""
    out, w = [], monday(first_day)
    while w <= last_day:
        out.append(w)
        w += timedelta(days=7)
    return out
