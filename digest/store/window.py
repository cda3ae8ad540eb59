"""The 90-day window's SQL: each window table's sums over a set of postings, the statements that add them,
and the rollups' write lock, per database."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from digest.store.bulk import add_selected
from digest.store.engine import immediate_transactions, join_in_order
from digest.store.models import (
    DemandSkillMetroWindow,
    DemandSkillPairWindow,
    DemandSkillTitleWindow,
    DemandTitleWindow,
)

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


# PostgreSQL, a fold's or an unfold's sums: over the fold's mentions as digest.store.rollups joined them once
# (`demand_fold_mentions`: each mention's skill beside its posting's columns, in (skill, day) order), filled by
# the day rollups' statements, which run first; each of these joined the postings to item_skills again
_IN_DAYS = "{m}.posted_on > :after AND {m}.posted_on <= :upto"
_FOLD_MENTIONS = {
    "skill_title": (
        "SELECT f.skill_id, f.job_title_id, {sign}COUNT(*) FROM demand_fold_mentions f "
        f"WHERE {_IN_DAYS.format(m='f')} AND f.job_title_id IS NOT NULL GROUP BY 1, 2"
    ),
    "skill_metro": (
        "SELECT f.skill_id, f.metro_id, {sign}COUNT(*) FROM demand_fold_mentions f "
        f"WHERE {_IN_DAYS.format(m='f')} AND f.metro_id IS NOT NULL GROUP BY 1, 2"
    ),
    "pair": (
        "SELECT a.skill_id, b.skill_id, {sign}COUNT(*) FROM demand_fold_mentions a JOIN demand_fold_mentions b "
        f"ON b.item_id = a.item_id AND b.skill_id <> a.skill_id WHERE {_IN_DAYS.format(m='a')} "
        f"AND {_IN_DAYS.format(m='b')} GROUP BY 1, 2"
    ),
}


def write_lock(session: Session, wait: bool = True) -> bool:
    """PostgreSQL: the rollups' advisory lock for this transaction (`wait=False`: False at once when it is
    held). SQLite: outside a transaction, begin one that takes the write lock first; inside one, nothing."""
    if session.get_bind().dialect.name == "postgresql":
        fn = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
        return session.execute(text(f"SELECT {fn}(:key)"), {"key": LOCK_KEY}).scalar() is not False
    if not session.in_transaction():
        with immediate_transactions():
            session.connection()
    return True


def add_demand_fold(session: Session, after: date, upto: date) -> None:
    """Add the postings in `demand_fold` whose day is in (after, upto] to every window table."""
    _add(session, _FOLDED, {"after": after, "upto": upto}, fold_sign="")


def subtract_demand_fold(session: Session, after: date, upto: date) -> None:
    """Subtract the postings in `demand_fold` whose day is in (after, upto], with the mentions they have now."""
    _add(session, _UNFOLDED, {"after": after, "upto": upto}, fold_sign="-")


def add_in_window(session: Session, after: date, upto: date) -> None:
    """Add every counted posting whose day is in (after, upto] to every window table."""
    _add(session, _IN_WINDOW, {"after": after, "upto": upto})


def add_moved(session: Session, moves: dict[str, date]) -> None:
    """Add the counted postings of the days entering the window, (enter_after, enter_upto], and subtract those
    of the days leaving it, (leave_after, leave_upto]."""
    _add(session, _MOVED, moves)


def sums_in_window(session: Session, name: str, after: date, upto: date) -> dict[tuple[Any, ...], int]:
    """One window table's sums counted afresh from the postings in (after, upto], by key."""
    sums = TABLES[name][2]
    query = text(sums.format(p=_IN_WINDOW, join=join_in_order(session)))
    return {tuple(r[:-1]): int(r[-1]) for r in session.execute(query, _dates(session, {"after": after, "upto": upto}))}


def _dates(session: Session, params: dict[str, date]) -> dict[str, Any]:
    """Dates as the database stores them, for statements given as plain SQL (SQLite: ISO text)."""
    if session.get_bind().dialect.name == "postgresql":
        return dict(params)
    return {k: v.isoformat() for k, v in params.items()}


def _add(session: Session, postings: str, params: dict[str, date], fold_sign: str | None = None) -> None:
    """Add each table's sums over `postings`; `fold_sign` ("" or "-"): they are the fold's (PostgreSQL reads
    its mentions, `_FOLD_MENTIONS`)."""
    mentions = fold_sign is not None and session.get_bind().dialect.name == "postgresql"
    for name, (model, keys, sums) in TABLES.items():
        if mentions and name in _FOLD_MENTIONS:
            statement = _FOLD_MENTIONS[name].format(sign=fold_sign)
        else:
            statement = sums.format(p=postings, join=join_in_order(session))
        add_selected(session, model.__tablename__, keys, statement, _dates(session, params))
