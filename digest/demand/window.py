"""Skill pairs summed over the current 90-day window: `paired_skills` without reading every pair of every
day.

A frequent skill pairs with thousands of skills on every day, and pairs per day were half of all rollup
rows an import wrote. So pairs are kept for one window only: `demand_skill_pair_window` holds, for the
as-of date in `demand_window`, how many counted postings in (as_of - 90 days, as_of] mention each pair of
skills. A fold adds its postings that fall in the window (`fold_pairs`); `advance` moves the window to a
new date (beat, daily; and after an import) by adding the postings of the days entering it and
subtracting those of the days leaving it, read from the postings themselves (`items` by posted_on, their
`item_skills`). A `stats` for that date reads its top pairs from this table; any other date counts the
pairs of the skill's postings in that window (digest.demand.figures). Postings still pending are in
neither until their fold.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, bindparam, delete, select, text
from sqlalchemy.orm import Session

from digest.bulk import add_selected
from digest.db import immediate_transactions
from digest.models import DemandSkillPairWindow, DemandWindow

WINDOW_DAYS = 90
TABLE = DemandSkillPairWindow.__tablename__
KEYS = ("skill_id", "other_skill_id")
_PAIRS = "JOIN item_skills a ON a.item_id = i.id JOIN item_skills b ON b.item_id = i.id AND b.skill_id <> a.skill_id"
_COUNTED = "NOT EXISTS (SELECT 1 FROM demand_pending p WHERE p.item_id = i.id)"

_FOLD = (
    "SELECT a.skill_id, b.skill_id, COUNT(*) FROM demand_fold f JOIN item_skills a ON a.item_id = f.item_id "
    "JOIN item_skills b ON b.item_id = f.item_id AND b.skill_id <> a.skill_id "
    "WHERE f.posted_on > :after AND f.posted_on <= :upto GROUP BY 1, 2"
)

# + the days entering the window, - the days leaving it
_SHIFT = (
    "SELECT a.skill_id, b.skill_id, SUM(CASE WHEN i.posted_on > :enter_after THEN 1 ELSE -1 END) "
    f"FROM items i {_PAIRS} WHERE i.kind = 'job' "
    "AND ((i.posted_on > :enter_after AND i.posted_on <= :enter_upto) "
    "OR (i.posted_on > :leave_after AND i.posted_on <= :leave_upto)) "
    f"AND {_COUNTED} GROUP BY 1, 2"
)

_SUMS = text(
    f"SELECT a.skill_id, b.skill_id, COUNT(*) FROM items i {_PAIRS} "
    f"WHERE i.kind = 'job' AND i.posted_on > :after AND i.posted_on <= :upto AND {_COUNTED} GROUP BY 1, 2"
).bindparams(bindparam("after", type_=Date), bindparam("upto", type_=Date))


_REFILL = text(f"INSERT INTO {TABLE} (skill_id, other_skill_id, postings) {_SUMS.text}").bindparams(
    bindparam("after", type_=Date), bindparam("upto", type_=Date)
)

LOCK_KEY = 0x64656D616E64  # PostgreSQL advisory lock ("demand"): one writer of the rollups at a time


def lock(session: Session, wait: bool = True) -> bool:
    """Take the rollups' write lock for this transaction: every fold, window move and rebuild holds it, so
    each sees the others' work whole. PostgreSQL: an advisory lock (`wait=False`: False at once when it is
    held). SQLite has one writer: outside a transaction this begins one that takes the write lock first
    (a deferred one that read before writing could not write after another commit); inside one, call it
    after the transaction's first write."""
    if session.get_bind().dialect.name == "postgresql":
        fn = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
        return session.execute(text(f"SELECT {fn}(:key)"), {"key": LOCK_KEY}).scalar() is not False
    if not session.in_transaction():
        with immediate_transactions():
            session.connection()
    return True


def as_of(session: Session) -> date | None:
    """The date the window is summed for (None before the first `advance`)."""
    return session.execute(select(DemandWindow.as_of).where(DemandWindow.id == 1)).scalar()


def _bounds(end: date) -> dict[str, date]:
    return {"after": end - timedelta(days=WINDOW_DAYS), "upto": end}


def _dates(session: Session, params: dict[str, date]) -> dict[str, Any]:
    """Dates as the database stores them, for statements given as plain SQL (SQLite: ISO text)."""
    if session.get_bind().dialect.name == "postgresql":
        return dict(params)
    return {k: v.isoformat() for k, v in params.items()}


def fold_pairs(session: Session) -> None:
    """Add the pairs of the postings being folded (the `demand_fold` table of rollups.fold) whose day is in
    the window. Runs under the fold's lock, as `advance` does."""
    end = as_of(session)
    if end is not None:
        add_selected(session, TABLE, KEYS, _FOLD, _dates(session, _bounds(end)))


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
        add_selected(session, TABLE, KEYS, _SHIFT, _dates(session, moves))
        session.execute(delete(DemandSkillPairWindow).where(DemandSkillPairWindow.postings == 0))
        return
    session.flush()
    refill(session)


def refill(session: Session) -> None:
    """Sum the window afresh for its as-of date (nothing when there is none)."""
    session.execute(delete(DemandSkillPairWindow))
    end = as_of(session)
    if end is not None:
        session.execute(_REFILL, _bounds(end))


def check(session: Session) -> list[str]:
    """Differences between the window table and the counted postings it sums (empty when they agree)."""
    end = as_of(session)
    if end is None:
        return []
    expected = {(s, o): int(n) for s, o, n in session.execute(_SUMS, _bounds(end))}
    w = DemandSkillPairWindow
    stored = {(s, o): n for s, o, n in session.execute(select(w.skill_id, w.other_skill_id, w.postings))}
    return [
        f"pair_window{key}: stored {stored.get(key, 0)}, postings {expected.get(key, 0)}"
        for key in sorted(set(expected) | set(stored))
        if expected.get(key, 0) != stored.get(key, 0)
    ]
