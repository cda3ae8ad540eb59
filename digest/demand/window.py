"""Skill pairs summed over the current 90-day window: `paired_skills` without summing every day row.

A frequent skill pairs with thousands of skills on every day, so summing `demand_skill_pair_day` over 90
days reads tens of thousands of rows per `stats`. `demand_skill_pair_window` holds those sums for one
as-of date (the row of `demand_window`): moved forward once a day (`advance`, beat), kept current as
postings arrive (`add_pairs`, from the rollups' one write path), rebuilt with the rollups. A `stats` for
that date reads its top pairs from it; any other date sums the day rows as before. Same numbers either
way (`check` compares them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, bindparam, delete, func, select, text
from sqlalchemy.orm import Session

from digest.bulk import add_rows
from digest.models import DemandSkillPairDay, DemandSkillPairWindow, DemandWindow

WINDOW_DAYS = 90
TABLE = DemandSkillPairWindow.__tablename__
KEYS = ("skill_id", "other_skill_id")

# one statement for both databases: + the days entering the window, - the days leaving it
_SHIFT = text(
    f"INSERT INTO {TABLE} (skill_id, other_skill_id, postings) "
    "SELECT skill_id, other_skill_id, SUM(CASE WHEN day > :enter_after THEN postings ELSE -postings END) "
    "FROM demand_skill_pair_day "
    "WHERE (day > :enter_after AND day <= :enter_upto) OR (day > :leave_after AND day <= :leave_upto) "
    "GROUP BY skill_id, other_skill_id "
    f"ON CONFLICT (skill_id, other_skill_id) DO UPDATE SET postings = {TABLE}.postings + excluded.postings"
).bindparams(*(bindparam(n, type_=Date) for n in ("enter_after", "enter_upto", "leave_after", "leave_upto")))


def as_of(session: Session, lock: bool = False) -> date | None:
    """The date the window is summed for (None before the first `advance`). `lock`: a writer adding pairs
    holds it shared, so `advance` (which holds it exclusively) never moves the window under it (PostgreSQL;
    SQLite writers are serialised anyway)."""
    q = select(DemandWindow.as_of).where(DemandWindow.id == 1)
    return session.execute(q.with_for_update(read=True) if lock else q).scalar()


def add_pairs(session: Session, pairs: Mapping[tuple[Any, Any, Any], int]) -> None:
    """Add pair increments given per (skill, other skill, day) to the window, those whose day is in it.
    Days may be dates or ISO text (SQLite): both compare in date order."""
    end = as_of(session, lock=True)
    if end is None or not pairs:
        return
    first, last = end - timedelta(days=WINDOW_DAYS), end
    if isinstance(next(iter(pairs))[2], str):
        first, last = first.isoformat(), last.isoformat()  # type: ignore[assignment]
    sums: dict[tuple[int, int], int] = {}
    for (s, o, day), n in pairs.items():
        if first < day <= last:
            sums[(s, o)] = sums.get((s, o), 0) + n
    add_rows(session, TABLE, KEYS, [(*k, n) for k, n in sorted(sums.items())])


def advance(session: Session, to: date) -> None:
    """Sum the window for as-of date `to`: shift it by the days between (a few days' rows), or sum it
    afresh when it is new, moves back, or moves by a whole window or more."""
    if session.get_bind().dialect.name == "postgresql":
        # writers of pair rows finish first and wait for this one: what is summed is what is committed,
        # also before the first window exists (no demand_window row to lock yet)
        session.execute(text("LOCK TABLE demand_skill_pair_day IN SHARE MODE"))
    current = session.execute(select(DemandWindow).where(DemandWindow.id == 1).with_for_update()).scalar()
    if current is not None and current.as_of == to:
        return
    if current is None or to < current.as_of or (to - current.as_of).days >= WINDOW_DAYS:
        session.execute(delete(DemandSkillPairWindow))
        session.flush()
        refill(session, to)
    else:
        old = current.as_of
        session.execute(
            _SHIFT,
            {
                "enter_after": old,
                "enter_upto": to,
                "leave_after": old - timedelta(days=WINDOW_DAYS),
                "leave_upto": to - timedelta(days=WINDOW_DAYS),
            },
        )
        session.execute(delete(DemandSkillPairWindow).where(DemandSkillPairWindow.postings == 0))
    if current is None:
        session.add(DemandWindow(id=1, as_of=to))
    else:
        current.as_of = to
    session.flush()


def refill(session: Session, to: date) -> None:
    """Insert the window's sums for `to` into an empty window table."""
    session.execute(
        DemandSkillPairWindow.__table__.insert().from_select(  # type: ignore[attr-defined]
            ["skill_id", "other_skill_id", "postings"], _sums(to)
        )
    )


def _sums(to: date) -> Any:
    d = DemandSkillPairDay
    n = func.sum(d.postings)
    return (
        select(d.skill_id, d.other_skill_id, n)
        .where(d.day > to - timedelta(days=WINDOW_DAYS), d.day <= to)
        .group_by(d.skill_id, d.other_skill_id)
        .having(n != 0)
    )


def check(session: Session) -> list[str]:
    """Differences between the window table and the day rows it sums (empty when they agree)."""
    end = as_of(session)
    if end is None:
        return []
    expected = {(s, o): int(n) for s, o, n in session.execute(_sums(end))}
    w = DemandSkillPairWindow
    stored = {(s, o): n for s, o, n in session.execute(select(w.skill_id, w.other_skill_id, w.postings))}
    return [
        f"pair_window{key}: stored {stored.get(key, 0)}, days {expected.get(key, 0)}"
        for key in sorted(set(expected) | set(stored))
        if expected.get(key, 0) != stored.get(key, 0)
    ]
