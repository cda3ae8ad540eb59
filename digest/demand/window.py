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

A fold adds its postings that fall in the window (`add_folded`); `advance` moves the window to a new date by
adding the postings of the days entering it and subtracting those of the days leaving it, read from the
postings themselves (`items` by posted_on, their `item_skills`), or sums it afresh. A `stats` for that date
reads these; any other date sums the day rollups for titles and metros, and counts the pairs of the skill's
postings in that window (digest.demand.figures). Postings still pending are in neither until their fold.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from digest.store.bulk import add_selected
from digest.store.engine import immediate_transactions, join_in_order
from digest.store.models import (
    DemandSkillMetroWindow,
    DemandSkillPairWindow,
    DemandSkillTitleWindow,
    DemandTitleWindow,
    DemandWindow,
)

WINDOW_DAYS = 90
LOCK_KEY = 0x64656D616E64  # PostgreSQL advisory lock ("demand"): one writer of the rollups at a time

# Each table's sums as a SELECT of (*keys, n) over postings `p` (item_id, posted_on, job_title_id, metro_id,
# sign): the postings being folded, the days entering (+1) and leaving (-1) the window, or all of it.
_SKILLS = "{join} item_skills s ON s.item_id = p.item_id"  # digest.store.engine.join_in_order
TABLES: dict[str, tuple[Any, tuple[str, ...], str]] = {
    "title": (
        DemandTitleWindow,
        ("job_title_id",),
        "SELECT p.job_title_id, SUM(p.sign) FROM {p} p WHERE p.job_title_id IS NOT NULL GROUP BY 1",
    ),
    "skill_title": (
        DemandSkillTitleWindow,
        ("skill_id", "job_title_id"),
        f"SELECT s.skill_id, p.job_title_id, SUM(p.sign) FROM {{p}} p {_SKILLS} "
        "WHERE p.job_title_id IS NOT NULL GROUP BY 1, 2",
    ),
    "skill_metro": (
        DemandSkillMetroWindow,
        ("skill_id", "metro_id"),
        f"SELECT s.skill_id, p.metro_id, SUM(p.sign) FROM {{p}} p {_SKILLS} WHERE p.metro_id IS NOT NULL GROUP BY 1, 2",
    ),
    "pair": (
        DemandSkillPairWindow,
        ("skill_id", "other_skill_id"),
        "SELECT a.skill_id, b.skill_id, SUM(p.sign) FROM {p} p {join} item_skills a ON a.item_id = p.item_id "
        "{join} item_skills b ON b.item_id = p.item_id AND b.skill_id <> a.skill_id WHERE true GROUP BY 1, 2",
    ),
}
TABLE = DemandSkillPairWindow.__tablename__

_COLUMNS = "posted_on, job_title_id, metro_id"
_COUNTED = "i.kind = 'job' AND NOT EXISTS (SELECT 1 FROM demand_pending d WHERE d.item_id = i.id)"
_FOLDED = f"(SELECT item_id, {_COLUMNS}, 1 AS sign FROM demand_fold WHERE posted_on > :after AND posted_on <= :upto)"
_UNFOLDED = _FOLDED.replace("1 AS sign", "-1 AS sign")
_IN_WINDOW = (
    f"(SELECT i.id AS item_id, {_COLUMNS}, 1 AS sign FROM items i "
    f"WHERE i.posted_on > :after AND i.posted_on <= :upto AND {_COUNTED})"
)
_MOVED = (
    f"(SELECT i.id AS item_id, {_COLUMNS}, CASE WHEN i.posted_on > :enter_after THEN 1 ELSE -1 END AS sign "
    "FROM items i WHERE ((i.posted_on > :enter_after AND i.posted_on <= :enter_upto) "
    f"OR (i.posted_on > :leave_after AND i.posted_on <= :leave_upto)) AND {_COUNTED})"
)


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


def _add(session: Session, postings: str, params: dict[str, date]) -> None:
    for model, keys, sums in TABLES.values():
        add_selected(
            session,
            model.__tablename__,
            keys,
            sums.format(p=postings, join=join_in_order(session)),
            _dates(session, params),
        )


def add_folded(session: Session) -> None:
    """Add the postings being folded (the `demand_fold` table of rollups.fold) whose day is in the window.
    Runs under the fold's lock, as `advance` does."""
    end = as_of(session)
    if end is not None:
        _add(session, _FOLDED, _bounds(end))


def subtract_unfolded(session: Session) -> None:
    """Subtract the postings in `demand_fold` (rollups.unfold: taken out to be re-resolved) whose day is in
    the window, with the mentions they have now."""
    end = as_of(session)
    if end is not None:
        _add(session, _UNFOLDED, _bounds(end))


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
        _add(session, _MOVED, moves)
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
        _add(session, _IN_WINDOW, _bounds(end))


def check(session: Session) -> list[str]:
    """Differences between the window tables and the counted postings they sum (empty when they agree)."""
    end = as_of(session)
    if end is None:
        return []
    problems = []
    for name, (model, keys, sums) in TABLES.items():
        query = text(sums.format(p=_IN_WINDOW, join=join_in_order(session)))
        expected = {tuple(r[:-1]): int(r[-1]) for r in session.execute(query, _dates(session, _bounds(end)))}
        columns = [getattr(model, k) for k in keys]
        stored = {tuple(r[:-1]): r[-1] for r in session.execute(select(*columns, model.postings))}
        problems += [
            f"{name}_window{key}: stored {stored.get(key, 0)}, postings {expected.get(key, 0)}"
            for key in sorted(set(expected) | set(stored))
            if expected.get(key, 0) != stored.get(key, 0)
        ]
    return problems
