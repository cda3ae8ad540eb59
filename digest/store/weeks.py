"""Week numbers of a date column as SQL, per database (digest.demand.weeks.week_index, in the database)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Integer, cast, func, literal
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement


def week_index_sql(session: Session, column: Any, epoch: date) -> ColumnElement[int]:
    """SQL for the whole weeks from `epoch` to each date in `column`, for dates on or after it (day
    arithmetic; no locale rules)."""
    if session.get_bind().dialect.name == "postgresql":
        days = column - literal(epoch)
        return cast(func.floor(days / 7.0), Integer)
    days = func.julianday(column) - func.julianday(epoch.isoformat())
    return cast(days / 7, Integer)
