"""Synthetic job postings straight into the tables (items, item_skills, rollups), for tests, the
benchmark and the backtest: titles, metros and several skills per posting, on chosen days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time

from sqlalchemy.orm import Session

from digest.demand.rollups import fold, mark_pending
from digest.sources.employer import employer_key
from digest.store.models import Item, ItemKind, ItemSkill, JobTitle, Metro, Skill


def skills(session: Session, names: Sequence[str]) -> list[Skill]:
    out = [Skill(slug=n.lower().replace(" ", "-"), name=n) for n in names]
    session.add_all(out)
    session.flush()
    return out


def titles(session: Session, names: Sequence[str]) -> list[JobTitle]:
    out = [JobTitle(slug=n.lower().replace(" ", "-"), name=n) for n in names]
    session.add_all(out)
    session.flush()
    return out


def metros(session: Session, names: Sequence[str]) -> list[Metro]:
    out = [Metro(slug=n.lower().replace(" ", "-"), name=n) for n in names]
    session.add_all(out)
    session.flush()
    return out


def posting(
    day: date,
    skill_ids: Sequence[int] = (),
    title_id: int | None = None,
    metro_id: int | None = None,
    kind: ItemKind = ItemKind.job,
    title: str = "Engineer",
    company: str | None = None,
) -> Item:
    at = datetime.combine(day, time(12), tzinfo=UTC)
    item = Item(
        kind=kind,
        title=title,
        published_at=at,
        fetched_at=at,
        posted_on=day if kind == ItemKind.job else None,
        job_title_id=title_id,
        metro_id=metro_id,
        summary="",
        company=company,
        employer_key=employer_key(company) if kind == ItemKind.job else None,  # as ingest sets it
    )
    item.skills = [
        ItemSkill(skill_id=s, alias="x", span_start=0, span_end=1, posted_on=item.posted_on)
        for s in dict.fromkeys(skill_ids)
    ]
    return item


def add(session: Session, items: Sequence[Item]) -> list[Item]:
    """Store items and count the new job postings into the rollups (what store_entries does)."""
    session.add_all(items)
    session.flush()
    jobs = [i for i in items if i.kind == ItemKind.job and i.posted_on is not None]
    mark_pending(
        session,
        [
            {"item_id": i.id, "posted_on": i.posted_on, "job_title_id": i.job_title_id, "metro_id": i.metro_id}
            for i in jobs
        ],
    )
    fold(session, [i.id for i in jobs])
    return list(items)
