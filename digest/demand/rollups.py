"""Per-day demand rollups, maintained as postings arrive and rebuildable from the raw postings.

Six tables, each keyed by day so every window edge (D-90, D-28, D-56) is exact:
total (all postings), skill, title (all postings of a title), skill x title, skill x metro, skill pairs.
A posting counts once, on its `posted_on` day; postings without a date are not counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, aliased

from digest.bulk import add_rows
from digest.demand import window
from digest.models import (
    DemandSkillDay,
    DemandSkillMetroDay,
    DemandSkillPairDay,
    DemandSkillPairWindow,
    DemandSkillTitleDay,
    DemandTitleDay,
    DemandTotalDay,
    Item,
    ItemKind,
    ItemSkill,
)

BATCH = 2000
REBUILT = "demand_rollups_rebuilt"  # heartbeat name: the generation mark of the rollups

# table -> its key columns (all but `postings`)
ROLLUPS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "total": (DemandTotalDay, ("day",)),
    "skill": (DemandSkillDay, ("skill_id", "day")),
    "title": (DemandTitleDay, ("job_title_id", "day")),
    "skill_title": (DemandSkillTitleDay, ("skill_id", "job_title_id", "day")),
    "skill_metro": (DemandSkillMetroDay, ("skill_id", "metro_id", "day")),
    "skill_pair": (DemandSkillPairDay, ("skill_id", "other_skill_id", "day")),
}

Counts = dict[str, Counter[tuple[Any, ...]]]


def _empty() -> Counts:
    return {name: Counter() for name in ROLLUPS}


def count_postings(rows: Iterable[tuple[date, int | None, int | None, Sequence[int]]]) -> Counts:
    """Rollup increments for postings given as (posted_on, job_title_id, metro_id, skill ids)."""
    counts = _empty()
    for day, title_id, metro_id, skill_ids in rows:
        skills = set(skill_ids)
        counts["total"][(day,)] += 1
        if title_id is not None:
            counts["title"][(title_id, day)] += 1
        for s in skills:
            counts["skill"][(s, day)] += 1
            if title_id is not None:
                counts["skill_title"][(s, title_id, day)] += 1
            if metro_id is not None:
                counts["skill_metro"][(s, metro_id, day)] += 1
            for o in skills:
                if o != s:
                    counts["skill_pair"][(s, o, day)] += 1
    return counts


def add_postings(session: Session, items: Sequence[Item], linked: Mapping[int, Sequence[int]] | None = None) -> None:
    """Count newly stored job postings (already linked to skills, title and metro) into the rollups.
    Called exactly once per new posting; a posting seen again on another source is not new.
    `linked`: the skill ids link_items just wrote per item id, saving the read-back of item_skills."""
    jobs = [i for i in items if i.kind == ItemKind.job and i.posted_on is not None]
    if not jobs:
        return
    session.flush()
    # SQLite stores a date as ISO text: convert once per posting rather than per rollup row
    day: Callable[[Any], Any] = date.isoformat if session.get_bind().dialect.name == "sqlite" else (lambda d: d)
    if linked is not None and all(i.id in linked for i in jobs):
        rows_known = ((day(i.posted_on), i.job_title_id, i.metro_id, linked[i.id]) for i in jobs)
        apply_counts(session, count_postings(rows_known))
        return
    skills: dict[int, list[int]] = {i.id: [] for i in jobs}
    ids = list(skills)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        for item_id, skill_id in session.execute(
            select(ItemSkill.item_id, ItemSkill.skill_id).where(ItemSkill.item_id.in_(chunk))
        ):
            skills[item_id].append(skill_id)
    rows = ((day(i.posted_on), i.job_title_id, i.metro_id, skills[i.id]) for i in jobs)
    apply_counts(session, count_postings(rows))


def apply_counts(session: Session, counts: Counts) -> None:
    """Add the increments with one batched upsert per table (rows sorted: see add_rows)."""
    for name, counter in counts.items():
        model, keys = ROLLUPS[name]
        add_rows(session, model.__tablename__, keys, [(*k, n) for k, n in sorted(counter.items())])
    window.add_pairs(session, counts["skill_pair"])


def raw_counts(session: Session) -> Counts:
    """Every rollup computed straight from the raw postings (the reference for rebuild and checks)."""
    counts = _empty()
    job = (Item.kind == ItemKind.job) & Item.posted_on.is_not(None)
    n = func.count()
    for day, c in session.execute(select(Item.posted_on, n).where(job).group_by(Item.posted_on)):
        counts["total"][(day,)] = c
    q = select(Item.job_title_id, Item.posted_on, n).where(job, Item.job_title_id.is_not(None))
    for t, day, c in session.execute(q.group_by(Item.job_title_id, Item.posted_on)):
        counts["title"][(t, day)] = c
    base = select(ItemSkill.skill_id).join(Item, Item.id == ItemSkill.item_id).where(job)
    for s, day, c in session.execute(base.add_columns(Item.posted_on, n).group_by(ItemSkill.skill_id, Item.posted_on)):
        counts["skill"][(s, day)] = c
    for s, t, day, c in session.execute(
        base.add_columns(Item.job_title_id, Item.posted_on, n)
        .where(Item.job_title_id.is_not(None))
        .group_by(ItemSkill.skill_id, Item.job_title_id, Item.posted_on)
    ):
        counts["skill_title"][(s, t, day)] = c
    for s, m, day, c in session.execute(
        base.add_columns(Item.metro_id, Item.posted_on, n)
        .where(Item.metro_id.is_not(None))
        .group_by(ItemSkill.skill_id, Item.metro_id, Item.posted_on)
    ):
        counts["skill_metro"][(s, m, day)] = c
    other = aliased(ItemSkill)
    pairs = (
        select(ItemSkill.skill_id, other.skill_id, Item.posted_on, n)
        .join(other, (other.item_id == ItemSkill.item_id) & (other.skill_id != ItemSkill.skill_id))
        .join(Item, Item.id == ItemSkill.item_id)
        .where(job)
        .group_by(ItemSkill.skill_id, other.skill_id, Item.posted_on)
    )
    for s, o, day, c in session.execute(pairs):
        counts["skill_pair"][(s, o, day)] = c
    return counts


def stored_counts(session: Session) -> Counts:
    counts = _empty()
    for name, (model, keys) in ROLLUPS.items():
        cols = [getattr(model, k) for k in keys]
        for row in session.execute(select(*cols, model.postings).where(model.postings != 0)):
            counts[name][tuple(row[:-1])] = row[-1]
    return counts


def rebuild(session: Session, now: datetime) -> dict[str, int]:
    """Recompute every rollup from the raw postings; returns rows written per table."""
    from digest.health import beat

    counts = raw_counts(session)
    beat(session, REBUILT, now)  # moves the generation mark: memoised figures are recomputed
    for model, _keys in ROLLUPS.values():
        session.execute(delete(model))
    session.execute(delete(DemandSkillPairWindow))
    apply_counts(session, counts)
    session.flush()
    return {name: len(c) for name, c in counts.items()}


def check(session: Session) -> list[str]:
    """Differences between the stored rollups and a rebuild from raw postings (empty when they agree)."""
    raw, stored = raw_counts(session), stored_counts(session)
    problems: list[str] = []
    for name in ROLLUPS:
        for key in sorted(set(raw[name]) | set(stored[name]), key=str):
            if raw[name].get(key, 0) != stored[name].get(key, 0):
                problems.append(f"{name}{key}: stored {stored[name].get(key, 0)}, raw {raw[name].get(key, 0)}")
    return problems + window.check(session)
