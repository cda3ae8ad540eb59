"""Week numbers of a date column as SQL, per database (digest.demand.weeks.week_index, in the database)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Integer, cast, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from digest.store.models import DemandSkillDay, DemandTotalDay


def week_index_sql(session: Session, column: Any, epoch: date) -> ColumnElement[int]:
    """SQL for the whole weeks from `epoch` to each date in `column`, for dates on or after it (day
    arithmetic; no locale rules)."""
    if session.get_bind().dialect.name == "postgresql":
        days = column - literal(epoch)
        return cast(func.floor(days / 7.0), Integer)
    days = func.julianday(column) - func.julianday(epoch.isoformat())
    return cast(days / 7, Integer)


def weekly_postings(
    session: Session, first: date, weeks: int, skill_ids: Sequence[int] | None = None
) -> tuple[list[int], dict[int, list[int]]]:
    """All postings and each skill's postings per week for the `weeks` weeks from the Monday `first`, from
    the per-day rollups (demand_total_day, demand_skill_day): (totals, {skill_id: counts}), oldest first.
    Skills without a posting in those weeks are left out."""
    end = first + timedelta(days=7 * weeks)
    totals = [0] * weeks
    wk = week_index_sql(session, DemandTotalDay.day, first)
    q = select(wk, func.sum(DemandTotalDay.postings)).where(DemandTotalDay.day >= first, DemandTotalDay.day < end)
    for w, n in session.execute(q.group_by(wk)):
        totals[int(w)] = int(n or 0)
    counts: dict[int, list[int]] = {}
    swk = week_index_sql(session, DemandSkillDay.day, first)
    sq = select(DemandSkillDay.skill_id, swk, func.sum(DemandSkillDay.postings)).where(
        DemandSkillDay.day >= first, DemandSkillDay.day < end
    )
    if skill_ids is not None:
        sq = sq.where(DemandSkillDay.skill_id.in_(list(skill_ids)))
    for s, w, n in session.execute(sq.group_by(DemandSkillDay.skill_id, swk)):
        if n:
            counts.setdefault(int(s), [0] * weeks)[int(w)] = int(n)
    return totals, counts
