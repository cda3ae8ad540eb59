"""The top lists of the current 90-day window, summed: `stats` for today without reading every day row.

A frequent skill is asked for by hundreds of titles and metros and pairs with thousands of skills on every
day, so summing day rows over 90 days reads tens of thousands of rows per `stats` (and pairs per day were
half of all rollup rows an import wrote). For one as-of date, the one in `demand_window` (today: the beat
moves it), four tables hold the window's sums over the counted postings in (as_of - 90 days, as_of]:

| table | key |
| --- | --- |
| demand_title_window | title (all postings of the title: the denominator of share_of_title) |
| demand_skill_title_window | skill, title |
| demand_skill_metro_window | skill, metro |
| demand_skill_pair_window | skill, other skill (pairs are kept for the window only) |

A fold adds its postings that fall in the window (`add_fold`); `advance` moves the window to a new date by
adding the postings of the days entering it and subtracting those of the days leaving it, read from the
postings themselves (`items` by posted_on, their `item_skills`), or sums it afresh. A `stats` for that date
reads these; any other date sums the day rollups for titles and metros, and counts the pairs of the skill's
postings in that window (digest.demand.figures). Postings still pending are in neither until their fold.
The statements and the lock, per database: digest.store.window.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session, aliased

from digest.store import window as sql
from digest.store.models import DemandSkillPairWindow, DemandWindow, Skill
from digest.store.window import TABLES  # table -> (model, key columns, the SQL of its sums)

WINDOW_DAYS = 90
TABLE = DemandSkillPairWindow.__tablename__


def lock(session: Session, wait: bool = True) -> bool:
    """Take the rollups' write lock for this transaction: every fold, window move and rebuild holds it, so
    each sees the others' work whole. PostgreSQL: an advisory lock (`wait=False`: False at once when it is
    held). SQLite has one writer: outside a transaction this begins one that takes the write lock first
    (a deferred one that read before writing could not write after another commit); inside one, call it
    after the transaction's first write."""
    return sql.write_lock(session, wait)


def as_of(session: Session) -> date | None:
    """The date the window is summed for (None before the first `advance`)."""
    return session.execute(select(DemandWindow.as_of).where(DemandWindow.id == 1)).scalar()


def _bounds(end: date) -> tuple[date, date]:
    return end - timedelta(days=WINDOW_DAYS), end


def add_fold(session: Session) -> None:
    """Add the postings being folded (the `demand_fold` table of rollups.fold) whose day is in the window.
    Runs under the fold's lock, as `advance` does."""
    end = as_of(session)
    if end is not None:
        sql.add_demand_fold(session, *_bounds(end))


def subtract_fold(session: Session) -> None:
    """Subtract the postings in `demand_fold` (rollups.unfold: taken out to be re-resolved) whose day is in
    the window, with the mentions they have now."""
    end = as_of(session)
    if end is not None:
        sql.subtract_demand_fold(session, *_bounds(end))


def drop_zeros(session: Session) -> None:
    for model, _keys, _sums in TABLES.values():
        session.execute(delete(model).where(model.postings == 0))


def advance(session: Session, to: date) -> None:
    """Sum the window for as-of date `to`: shift it by the days between (a few days' postings), or sum it
    afresh when it is new, moves back, or moves by a whole window or more."""
    lock(session)
    current = session.execute(select(DemandWindow).where(DemandWindow.id == 1)).scalar()
    if current is not None and current.as_of == to:
        return
    if current is None:
        session.add(DemandWindow(id=1, as_of=to))
    elif to < current.as_of or (to - current.as_of).days >= WINDOW_DAYS:
        current.as_of = to
    else:
        old = current.as_of
        current.as_of = to
        session.flush()
        moves = {
            "enter_after": old,
            "enter_upto": to,
            "leave_after": old - timedelta(days=WINDOW_DAYS),
            "leave_upto": to - timedelta(days=WINDOW_DAYS),
        }
        sql.add_moved(session, moves)
        for model, _keys, _sums in TABLES.values():
            session.execute(delete(model).where(model.postings == 0))
        return
    session.flush()
    refill(session)


def refill(session: Session) -> None:
    """Sum the window afresh for its as-of date (emptied when there is none)."""
    for model, _keys, _sums in TABLES.values():
        session.execute(delete(model))
    end = as_of(session)
    if end is not None:
        sql.add_in_window(session, *_bounds(end))


def check(session: Session) -> list[str]:
    """Differences between the window tables and the counted postings they sum (empty when they agree)."""
    end = as_of(session)
    if end is None:
        return []
    problems = []
    for name, (model, keys, _sums) in TABLES.items():
        expected = sql.sums_in_window(session, name, *_bounds(end))
        columns = [getattr(model, k) for k in keys]
        stored = {tuple(r[:-1]): r[-1] for r in session.execute(select(*columns, model.postings))}
        problems += [
            f"{name}_window{key}: stored {stored.get(key, 0)}, postings {expected.get(key, 0)}"
            for key in sorted(set(expected) | set(stored))
            if expected.get(key, 0) != stored.get(key, 0)
        ]
    return problems


def paired_into(session: Session, skill_id: int, top: int, among: Any = None) -> list[int]:
    """The skills whose paired-skills figure lists `skill_id` among its first `top` (on the window's date, in
    the figure's order: postings mentioning both, most first, ties by name; digest.demand.figures). One read
    of the pair window: the skills that pair with it at all (only those in `among`, a select of skill ids,
    when given), each ranked by the pairs it has ahead of it."""
    mine, ahead, ahead_skill = DemandSkillPairWindow, aliased(DemandSkillPairWindow), aliased(Skill)
    name = select(Skill.name).where(Skill.id == skill_id).scalar_subquery()
    rank = (
        select(func.count())
        .select_from(ahead)
        .join(ahead_skill, ahead_skill.id == ahead.other_skill_id)
        .where(
            ahead.skill_id == mine.skill_id,
            ahead.postings > 0,
            or_(ahead.postings > mine.postings, and_(ahead.postings == mine.postings, ahead_skill.name < name)),
        )
        .scalar_subquery()
    )
    q = select(mine.skill_id).where(mine.other_skill_id == skill_id, mine.postings > 0, rank < top)
    if among is not None:
        q = q.where(mine.skill_id.in_(among))
    return sorted(session.scalars(q))
