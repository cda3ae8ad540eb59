"""Resolve each item's skill mentions, job title and metro, and store them.

The spans of an ItemSkill index `link_text(item)`: the item's title, a newline, its summary, and for a job
whose raw title differs from its title, a newline and the raw title.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from digest.models import Item, ItemKind, ItemSkill, JobTitle, Metro, Skill
from digest.taxonomy.matcher import get_matcher
from digest.taxonomy.metros import resolve_metro
from digest.taxonomy.titles import normalize_title

_CHUNK = 500


@dataclass
class _Ids:
    fingerprint: tuple[Any, ...]
    skills: dict[str, int]
    titles: dict[str, int]
    metros: dict[str, int]


# slug -> id maps per database (keyed by its URL), checked against a cheap fingerprint once per batch
_CACHE: dict[str, _Ids] = {}


def forget_ids() -> None:
    _CACHE.clear()


def _fingerprint(session: Session) -> tuple[Any, ...]:
    row = session.execute(
        select(
            select(func.count(Skill.id)).scalar_subquery(),
            select(func.max(Skill.id)).scalar_subquery(),
            select(func.count(JobTitle.id)).scalar_subquery(),
            select(func.max(JobTitle.id)).scalar_subquery(),
            select(func.count(Metro.id)).scalar_subquery(),
            select(func.max(Metro.id)).scalar_subquery(),
        )
    ).one()
    return tuple(row)


def _ids(session: Session) -> _Ids:
    key = str(session.get_bind().engine.url)
    fingerprint = _fingerprint(session)
    cached = _CACHE.get(key)
    if cached is None or cached.fingerprint != fingerprint:
        cached = _Ids(
            fingerprint,
            dict(session.execute(select(Skill.slug, Skill.id)).tuples().all()),
            dict(session.execute(select(JobTitle.slug, JobTitle.id)).tuples().all()),
            dict(session.execute(select(Metro.slug, Metro.id)).tuples().all()),
        )
        _CACHE[key] = cached
    return cached


def link_text(item: Item) -> str:
    """The text an item's skill spans index."""
    parts = [item.title or "", item.summary or ""]
    if item.kind == ItemKind.job and item.title_raw and item.title_raw.strip() != (item.title or "").strip():
        parts.append(item.title_raw)
    return "\n".join(parts)


def link_items(session: Session, items: Sequence[Item], now: datetime) -> None:
    """Write ItemSkill rows (one per skill per item, with the matched alias and span) and set
    job_title_id / metro_id on job postings. Idempotent: re-linking replaces the item's rows.
    Creates no skill, title or metro: those come from `digest init` (load_taxonomy)."""
    if not items:
        return
    session.flush()
    ids = _ids(session)
    matcher = get_matcher()
    rows: list[dict[str, Any]] = []
    for item in items:
        for m in matcher.match(link_text(item)):
            skill_id = ids.skills.get(m.slug)
            if skill_id is not None:
                rows.append(
                    {
                        "item_id": item.id,
                        "skill_id": skill_id,
                        "alias": m.alias[:200],
                        "span_start": m.start,
                        "span_end": m.end,
                    }
                )
        if item.kind == ItemKind.job:
            title = normalize_title(item.title_raw or item.title)
            item.job_title_id = ids.titles.get(title[0]) if title else None
            metro = resolve_metro(item.location_raw)
            if metro is None and item.remote:
                metro = ("remote", "Remote")
            item.metro_id = ids.metros.get(metro[0]) if metro else None
        item.matched_at = now
    item_ids = [i.id for i in items]
    for start in range(0, len(item_ids), _CHUNK):
        session.execute(delete(ItemSkill).where(ItemSkill.item_id.in_(item_ids[start : start + _CHUNK])))
    for start in range(0, len(rows), _CHUNK):
        session.execute(insert(ItemSkill), rows[start : start + _CHUNK])
    for item in items:  # the rows were written around the ORM: reload the collection when next asked
        session.expire(item, ["skills"])
