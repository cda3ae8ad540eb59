"""Per-day demand rollups, counted from the postings in bulk and rebuildable from them.

Five tables keyed by day, so every window edge (D-90, D-28, D-56) is exact: total (all postings), title
(all postings of a title), skill, skill x title, skill x metro; and the skill pairs of the current 90-day
window (digest.demand.window). A posting counts once, on its `posted_on` day.
Pay and seniority per skill and day too (levels, stated salaries, titles' yearly salaries:
digest.store.pay_rollups, digest.demand.pay_counts), and postings per skill, day and employer
(digest.store.employer_rollups, digest.demand.employer_counts).

A new posting is stored with a `demand_pending` row in the same transaction. `fold` counts pending
postings into the rollups with one INSERT .. SELECT .. GROUP BY .. ON CONFLICT per table, run by the
database over the postings' rows (the statements: digest.store.rollups), and deletes their pending rows in
the same transaction: a feed poll folds its own new postings at once, an import folds its postings when it
is done (one pass, however many batches it stored), and the beat folds whatever a crash left pending. Folds
are serialised (PostgreSQL: an advisory lock; SQLite: its one writer), so no posting is counted twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from digest.demand import window
from digest.demand.employer_counts import raw_employer_counts
from digest.demand.pay_counts import raw_pay_counts
from digest.store import rollups as sql
from digest.store.bulk import add_rows, insert_rows
from digest.store.models import DemandPending, Item, ItemKind, ItemSkill
from digest.store.rollups import ROLLUPS as ROLLUPS  # table -> (model, key columns, the SQL of a fold)

REBUILT = "demand_rollups_rebuilt"  # heartbeat name: the generation mark of the rollups

Counts = dict[str, Counter[tuple[Any, ...]]]


@dataclass(frozen=True)
class Folded:
    postings: int  # pending postings counted by this fold
    skipped: bool = False  # another fold held the lock (wait=False): nothing was done


def _empty() -> Counts:
    return {name: Counter() for name in ROLLUPS}


def mark_pending(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Record just stored job postings as not yet counted, in their transaction: dicts with item_id and the
    posting's posted_on (not None), job_title_id and metro_id."""
    insert_rows(session, DemandPending.__table__, rows)  # type: ignore[arg-type]


def fold(session: Session, item_ids: Sequence[int] | None = None, wait: bool = True) -> Folded:
    """Count pending postings into the rollups and the pair window; their pending rows go in the same
    transaction. `item_ids`: only these (a poll's own new postings); None: every pending posting.
    `wait=False`: when another fold holds the lock, return at once (the postings stay pending for the next
    fold). Call it in a transaction that has already written, or outside one (SQLite: it then begins one
    that takes the write lock first, so its reads and writes see one state)."""
    if not window.lock(session, wait):
        return Folded(0, skipped=True)
    session.flush()
    n = sql.take_pending(session, item_ids)
    if n:
        sql.count_folded(session)
        window.add_fold(session)
        sql.clear_folded_pending(session)
    sql.clear_fold(session)
    return Folded(n)


def unfold(session: Session, item_ids: Sequence[int]) -> int:
    """Take counted postings (not pending) out of the rollups and the pair window as they stand now (their
    day, title, metro and mentions): the caller then re-resolves them, `repend`s them and folds them, all
    under the fold's lock (window.lock) in one transaction. Returns the number of postings taken out."""
    n = sql.take_counted(session, item_ids)
    if n:
        sql.uncount_folded(session)
        window.subtract_fold(session)
    sql.clear_fold(session)
    return n


def repend(session: Session, item_ids: Sequence[int]) -> list[int]:
    """Make these job postings pending with their current day, title and metro (replacing any pending row):
    after a re-resolution, before `fold(item_ids)`. Returns the postings made pending."""
    ids = sorted(set(item_ids))
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        session.execute(delete(DemandPending).where(DemandPending.item_id.in_(chunk)))
        rows += [
            {"item_id": i, "posted_on": d, "job_title_id": t, "metro_id": m}
            for i, d, t, m in session.execute(
                select(Item.id, Item.posted_on, Item.job_title_id, Item.metro_id).where(
                    Item.id.in_(chunk), Item.kind == ItemKind.job, Item.posted_on.is_not(None)
                )
            ).tuples()
        ]
    mark_pending(session, rows)
    return [int(r["item_id"]) for r in rows]


def drop_zeros(session: Session) -> None:
    """Delete rollup rows an unfold left at zero (readers skip them; this keeps the tables lean)."""
    for model, _keys, _ in ROLLUPS.values():
        session.execute(delete(model).where(model.postings == 0))
    window.drop_zeros(session)


def pending_count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(DemandPending)).scalar_one())


def apply_counts(session: Session, counts: Counts) -> None:
    """Add increments given directly (tests and the backtest put series into the rollups this way; postings
    are counted by `fold`). Rows sorted: see add_rows."""
    for name, counter in counts.items():
        model, keys, _ = ROLLUPS[name]
        add_rows(session, model.__tablename__, keys, [(*k, n) for k, n in sorted(counter.items())])


def count_postings(rows: Iterable[tuple[date | None, int | None, int | None, Sequence[int]]]) -> Counts:
    """Rollup increments for postings given as (posted_on, job_title_id, metro_id, skill ids)."""
    counts = _empty()
    for day, title_id, metro_id, skill_ids in rows:
        counts["total"][(day,)] += 1
        if title_id is not None:
            counts["title"][(title_id, day)] += 1
        for s in set(skill_ids):
            counts["skill"][(s, day)] += 1
            if title_id is not None:
                counts["skill_title"][(s, day, title_id)] += 1
            if metro_id is not None:
                counts["skill_metro"][(s, day, metro_id)] += 1
    return counts


def raw_counts(session: Session) -> Counts:
    """Every rollup computed straight from the raw postings that are counted (not pending): the reference
    for checks."""
    job = (Item.kind == ItemKind.job) & Item.posted_on.is_not(None) & Item.id.not_in(select(DemandPending.item_id))
    rows: dict[int, tuple[date | None, int | None, int | None, list[int]]] = {}
    for iid, day, title_id, metro_id in session.execute(
        select(Item.id, Item.posted_on, Item.job_title_id, Item.metro_id).where(job)
    ):
        rows[iid] = (day, title_id, metro_id, [])
    for iid, skill_id in session.execute(
        select(ItemSkill.item_id, ItemSkill.skill_id).join(Item, Item.id == ItemSkill.item_id).where(job)
    ):
        rows[iid][3].append(skill_id)
    counts = count_postings(rows.values())
    counts.update(raw_pay_counts(session))  # pay and seniority: from the postings' salaries and levels
    counts.update(raw_employer_counts(session))  # employers: from the postings' employer keys
    return counts


def stored_counts(session: Session) -> Counts:
    counts = _empty()
    for name, (model, keys, _) in ROLLUPS.items():
        cols = [getattr(model, k) for k in keys]
        for row in session.execute(select(*cols, model.postings).where(model.postings != 0)):
            counts[name][tuple(row[:-1])] = row[-1]
    return counts


def rebuild(session: Session, now: datetime) -> dict[str, int]:
    """Recompute every rollup from the raw postings (after a taxonomy change re-linked items, or to
    repair): every posting becomes pending again and one fold counts them all. Returns rows per table."""
    from digest.health import beat

    window.lock(session)
    beat(session, REBUILT, now)  # moves the generation mark: memoised figures are recomputed
    for model, _keys, _ in ROLLUPS.values():
        session.execute(delete(model))
    sql.mark_all_pending(session)
    fold(session)
    window.refill(session)
    session.flush()
    return {
        name: int(session.execute(select(func.count()).select_from(model)).scalar_one())
        for name, (model, _keys, _) in ROLLUPS.items()
    }


def check(session: Session) -> list[str]:
    """Differences between the stored rollups and the counted raw postings (empty when they agree)."""
    raw, stored = raw_counts(session), stored_counts(session)
    problems: list[str] = []
    for name in ROLLUPS:
        for key in sorted(set(raw[name]) | set(stored[name]), key=str):
            if raw[name].get(key, 0) != stored[name].get(key, 0):
                problems.append(f"{name}{key}: stored {stored[name].get(key, 0)}, raw {raw[name].get(key, 0)}")
    return problems + window.check(session)
