"""The demand rollups' SQL: each rollup table's count over the postings being folded (`demand_fold`, a
temporary table), and the statements that fill and clear that table and the pending marks, per database.
On PostgreSQL the rollups with a skill read the fold's mentions joined once, in (skill, day) order
(`demand_fold_mentions`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from digest.store.bulk import add_selected
from digest.store.employer_rollups import EMPLOYER_ROLLUPS
from digest.store.engine import join_in_order
from digest.store.models import (
    DemandSkillDay,
    DemandSkillMetroDay,
    DemandSkillTitleDay,
    DemandTitleDay,
    DemandTotalDay,
)
from digest.store.pay_rollups import PAY_ROLLUPS

# table -> (model, key columns, SELECT of (*keys, count) over the postings being folded: `demand_fold`, a
# copy of their pending rows (day, title, metro) with the few item columns the pay, seniority and employer
# rollups count by, and their mentions; the wide items rows are read once, to fill it).
# {sign} is "" for a fold and "-" for an unfold (a relink takes re-resolved postings out before it re-folds them)
_SKILLS = "FROM demand_fold f {join} item_skills s ON s.item_id = f.item_id"  # digest.store.engine.join_in_order
ROLLUPS: dict[str, tuple[Any, tuple[str, ...], str]] = {
    "total": (DemandTotalDay, ("day",), "SELECT f.posted_on, {sign}COUNT(*) FROM demand_fold f WHERE true GROUP BY 1"),
    "title": (
        DemandTitleDay,
        ("job_title_id", "day"),
        "SELECT f.job_title_id, f.posted_on, {sign}COUNT(*) FROM demand_fold f "
        "WHERE f.job_title_id IS NOT NULL GROUP BY 1, 2",
    ),
    "skill": (
        DemandSkillDay,
        ("skill_id", "day"),
        f"SELECT s.skill_id, f.posted_on, {{sign}}COUNT(*) {_SKILLS} WHERE true GROUP BY 1, 2",
    ),
    "skill_title": (
        DemandSkillTitleDay,
        ("skill_id", "day", "job_title_id"),
        f"SELECT s.skill_id, f.posted_on, f.job_title_id, {{sign}}COUNT(*) {_SKILLS} WHERE f.job_title_id IS NOT NULL "
        "GROUP BY 1, 2, 3",
    ),
    "skill_metro": (
        DemandSkillMetroDay,
        ("skill_id", "day", "metro_id"),
        f"SELECT s.skill_id, f.posted_on, f.metro_id, {{sign}}COUNT(*) {_SKILLS} WHERE f.metro_id IS NOT NULL "
        "GROUP BY 1, 2, 3",
    ),
}
ROLLUPS.update(PAY_ROLLUPS)  # pay and seniority per skill and day (they read the postings' items too)
ROLLUPS.update(EMPLOYER_ROLLUPS)  # postings per skill, day and employer (the key is on the postings' items)

_COLUMNS = "item_id, posted_on, job_title_id, metro_id"
# what the pay, seniority and employer rollups count by, copied from the postings' items into `demand_fold`
# once: each of those four rollups joined the wide items rows again (a third of a 60,000-posting fold on
# PostgreSQL)
_ITEM_COLUMNS = "employer_key, seniority, salary_min, salary_max, salary_currency, salary_period"
_FROM_PENDING = (
    f"INSERT INTO demand_fold ({_COLUMNS}, {_ITEM_COLUMNS}) SELECT p.item_id, p.posted_on, p.job_title_id, "
    "p.metro_id, " + ", ".join(f"i.{c}" for c in _ITEM_COLUMNS.split(", ")) + " "
    "FROM demand_pending p LEFT JOIN items i ON i.id = p.item_id"
)


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def take_pending(session: Session, item_ids: Sequence[int] | None) -> int:
    """Fix the pending postings a fold counts in `demand_fold` (`item_ids`: only these; None: every one) and
    return how many there are. On PostgreSQL a posting committed by another session meanwhile is left for the
    next fold."""
    postgres = _postgres(session)
    _temp_fold_table(session, postgres)
    if item_ids is None:
        session.execute(text(_FROM_PENDING))
    else:
        ids = sorted(set(item_ids))
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            if postgres:
                session.execute(text(f"{_FROM_PENDING} WHERE p.item_id = ANY(:ids)"), {"ids": chunk})
            else:
                marks = ", ".join(map(str, chunk))  # ints only
                session.execute(text(f"{_FROM_PENDING} WHERE p.item_id IN ({marks})"))
    return _fold_size(session)


def take_counted(session: Session, item_ids: Sequence[int]) -> int:
    """Put these counted job postings (not pending) in `demand_fold` as they stand now (day, title, metro),
    for an unfold; return how many there are."""
    _temp_fold_table(session, _postgres(session))
    ids = sorted(set(item_ids))
    for start in range(0, len(ids), 5000):
        marks = ", ".join(map(str, ids[start : start + 5000]))  # ints only
        session.execute(
            text(
                f"INSERT INTO demand_fold ({_COLUMNS}, {_ITEM_COLUMNS}) "
                f"SELECT id, posted_on, job_title_id, metro_id, {_ITEM_COLUMNS} FROM items "
                f"WHERE id IN ({marks}) AND kind = 'job' AND posted_on IS NOT NULL "
                "AND id NOT IN (SELECT item_id FROM demand_pending)"
            )
        )
    return _fold_size(session)


def count_folded(session: Session) -> None:
    """Add the postings in `demand_fold` to every rollup table; then their pending rows can go."""
    if _postgres(session):  # plans for this many ids (the temporary table has no statistics), compiled by no JIT
        session.execute(text("ANALYZE demand_fold"))
        session.execute(text("SET LOCAL jit = off"))  # compiling these plans costs more than running them
        # each statement sorts the fold's mentions by its key: in memory (the default 4 MB spilled a
        # 50,000-posting fold's sorts to disk)
        session.execute(text("SET LOCAL work_mem = '64MB'"))
        # and an empty rollup table's indexes are built after its rows (digest.store.bulk.add_selected): in memory
        session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    _add(session, sign="")


def uncount_folded(session: Session) -> None:
    """Subtract the postings in `demand_fold` from every rollup table, with the mentions they have now."""
    _add(session, sign="-")


def clear_folded_pending(session: Session) -> None:
    """Delete the pending rows of the postings in `demand_fold`: they are counted."""
    session.execute(text("DELETE FROM demand_pending WHERE item_id IN (SELECT item_id FROM demand_fold)"))


def clear_fold(session: Session) -> None:
    session.execute(text("DELETE FROM demand_fold"))
    if _postgres(session):  # what the rest of the transaction runs (a window move, a poll) plans as usual
        session.execute(text("SET LOCAL enable_hashagg TO DEFAULT"))


def mark_all_pending(session: Session) -> None:
    """Make every job posting with a day pending (those that are not already)."""
    session.execute(
        text(
            "INSERT INTO demand_pending (item_id, posted_on, job_title_id, metro_id) "
            "SELECT id, posted_on, job_title_id, metro_id FROM items "
            "WHERE kind = 'job' AND posted_on IS NOT NULL AND id NOT IN (SELECT item_id FROM demand_pending)"
        )
    )


def _add(session: Session, sign: str) -> None:
    join = join_in_order(session)
    postgres = _postgres(session)
    if postgres:
        _presort_mentions(session)
    for model, keys, select_sql in ROLLUPS.values():
        statement = select_sql.format(join=join, sign=sign)
        add_selected(session, model.__tablename__, keys, _from_mentions(statement) if postgres else statement)


# PostgreSQL: the fold's postings joined to their mentions once, in (skill, day) order, with an index in that order
# (`demand_fold_mentions`). Each rollup keyed (skill, day, ...) then reads them in that order and sorts only the
# rows of one skill and day by the rest of its key (an incremental sort), where each statement joined the
# mentions again and sorted all of them (measured, 200,000 postings: docs/demand.md "The fold's statements")
_JOINED = _SKILLS.format(join="JOIN")  # as join_in_order writes it on PostgreSQL
_MENTION_COLUMNS = f"skill_id, {_COLUMNS}, {_ITEM_COLUMNS}"


def _presort_mentions(session: Session) -> None:
    session.execute(
        text(  # the fold's own columns (LIKE) beside the mention's skill
            "CREATE TEMP TABLE IF NOT EXISTS demand_fold_mentions (skill_id int, LIKE demand_fold) "
            "ON COMMIT DELETE ROWS"
        )
    )
    session.execute(
        text("CREATE INDEX IF NOT EXISTS demand_fold_mentions_key ON demand_fold_mentions (skill_id, posted_on)")
    )
    session.execute(text("DELETE FROM demand_fold_mentions"))  # an unfold's, when a relink folds again
    session.execute(
        text(
            f"INSERT INTO demand_fold_mentions ({_MENTION_COLUMNS}) SELECT s.skill_id, "
            + ", ".join(f"f.{c}" for c in f"{_COLUMNS}, {_ITEM_COLUMNS}".split(", "))
            + f" {_JOINED} ORDER BY s.skill_id, f.posted_on"
        )
    )
    session.execute(text("ANALYZE demand_fold_mentions"))
    # a hash aggregate (chosen on the planner's low estimate of the groups) reads them unordered and sorts
    # again; measured slower as well (docs/demand.md)
    session.execute(text("SET LOCAL enable_hashagg = off"))


def _from_mentions(statement: str) -> str:
    """A rollup's statement over the fold's postings joined to their mentions, made to read
    `demand_fold_mentions` (which has the mention's skill_id beside the posting's columns) instead."""
    if _JOINED not in statement:
        return statement
    statement = statement.replace(_JOINED, "FROM demand_fold_mentions f").replace("s.skill_id", "f.skill_id")
    assert not re.search(r"\bs\.", statement), statement
    return statement


def _fold_size(session: Session) -> int:
    return int(session.execute(text("SELECT COUNT(*) FROM demand_fold")).scalar_one())


def _temp_fold_table(session: Session, postgres: bool) -> None:
    if postgres:
        session.execute(
            text(
                "CREATE TEMP TABLE IF NOT EXISTS demand_fold (item_id bigint PRIMARY KEY, posted_on date, "
                "job_title_id int, metro_id int, employer_key text, seniority text, salary_min double precision, "
                "salary_max double precision, salary_currency text, salary_period text) ON COMMIT DELETE ROWS"
            )
        )
    else:
        session.execute(
            text(
                "CREATE TEMP TABLE IF NOT EXISTS demand_fold (item_id INTEGER PRIMARY KEY, posted_on DATE, "
                "job_title_id INTEGER, metro_id INTEGER, employer_key TEXT, seniority TEXT, salary_min REAL, "
                "salary_max REAL, salary_currency TEXT, salary_period TEXT)"
            )
        )
    session.execute(text("DELETE FROM demand_fold"))
