"""How many job postings a search would have matched lately: the counts a person sees before saving a search,
to widen or narrow it. One indexed range read per skill (item_skills by skill and posting date) of at most
MAX_ROWS rows, then the search's own predicate, the one digests use."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.accounts.searches import Search
from digest.delivery.items import posting_of
from digest.store.models import Item, ItemKind, ItemSkill

MAX_ROWS = 50_000  # mentions read at most: a preview stays cheap whatever the skills
DAYS = (7, 30)


@dataclass(frozen=True)
class PreviewCounts:
    last_7_days: int
    last_30_days: int
    as_of: date


def preview_counts(session: Session, search: Search, as_of: date) -> PreviewCounts:
    """Job postings posted in the 7 and 30 days to `as_of` (inclusive) that mention the search's skills (any or
    all of them) and meet every filter."""
    if search.kind == "news":
        return PreviewCounts(0, 0, as_of)
    start = as_of - timedelta(days=max(DAYS))
    rows = session.execute(
        select(
            ItemSkill.skill_id,
            ItemSkill.posted_on,
            Item.id,
            Item.kind,
            Item.title,
            Item.summary,
            Item.remote,
            Item.metro_id,
            Item.seniority,
            Item.salary_min,
            Item.salary_max,
            Item.salary_currency,
            Item.salary_period,
            Item.employer_key,
        )
        .join(Item, Item.id == ItemSkill.item_id)
        .where(
            ItemSkill.skill_id.in_(search.skills),
            ItemSkill.posted_on > start,
            ItemSkill.posted_on <= as_of,
            Item.kind == ItemKind.job,
        )
        .order_by(ItemSkill.posted_on.desc())  # at the cap, the oldest days are the ones left out
        .limit(MAX_ROWS)
    ).all()
    skills: dict[int, set[int]] = defaultdict(set)
    first: dict[int, Any] = {}
    for r in rows:
        skills[r.id].add(r.skill_id)
        first.setdefault(r.id, r)
    need = len(search.skills) if search.all_skills else 1
    recent = as_of - timedelta(days=min(DAYS))
    week = month = 0
    for item_id, r in first.items():
        if len(skills[item_id]) >= need and search.matches(posting_of(r)):
            month += 1
            week += r.posted_on > recent
    return PreviewCounts(week, month, as_of)
