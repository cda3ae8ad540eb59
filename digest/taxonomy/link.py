"""Resolve each item's skill mentions, job title and metro, and store them.

The spans of an ItemSkill index `link_text(item)`: the item's title, a newline, its summary, and for a job
whose raw title differs from its title, a newline and the raw title.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

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


def link_items(session: Session, items: Sequence[Item], now: datetime) -> dict[int, list[int]]:
    """Write ItemSkill rows (one per skill per item, with the matched alias and span) and set
    job_title_id / metro_id on job postings. Idempotent: re-linking replaces the item's rows.
    Creates no skill, title or metro: those come from `digest init` (load_taxonomy).
    Returns the skill ids written per item id (for the demand rollups of the same items)."""
    if not items:
        return {}
    session.flush()
    ids = _ids(session)
    matcher = get_matcher()
    rows: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    linked: dict[int, list[int]] = {}
    for item in items:
        skill_ids = linked.setdefault(item.id, [])
        for m in matcher.match(link_text(item)):
            skill_id = ids.skills.get(m.slug)
            if skill_id is not None:
                skill_ids.append(skill_id)
                rows.append(
                    {
                        "item_id": item.id,
                        "skill_id": skill_id,
                        "alias": m.alias[:200],
                        "span_start": m.start,
                        "span_end": m.end,
                    }
                )
        values: dict[str, Any] = {"matched_at": now}
        if item.kind == ItemKind.job:
            title = normalize_title(item.title_raw or item.title)
            values["job_title_id"] = ids.titles.get(title[0]) if title else None
            metro = resolve_metro(item.location_raw)
            if metro is None and item.remote:
                metro = ("remote", "Remote")
            values["metro_id"] = ids.metros.get(metro[0]) if metro else None
        for key, value in values.items():  # in memory without a per-object UPDATE at flush: written below
            set_committed_value(item, key, value)
        updates.append({"b_id": item.id, **values})
    table = cast(Table, Item.__table__)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for u in updates:  # jobs set three columns, other items one: one executemany by primary key per shape
        groups.setdefault(tuple(u), []).append(u)
    for shape, group in groups.items():
        keys = [k for k in shape if k != "b_id"]
        stmt = update(table).where(table.c.id == bindparam("b_id")).values({k: bindparam(k) for k in keys})
        session.connection().execute(stmt, group)
    item_ids = [i.id for i in items]
    for start in range(0, len(item_ids), _CHUNK):
        session.execute(delete(ItemSkill).where(ItemSkill.item_id.in_(item_ids[start : start + _CHUNK])))
    for start in range(0, len(rows), _CHUNK):
        session.connection().execute(insert(cast(Table, ItemSkill.__table__)), rows[start : start + _CHUNK])
    for item in items:  # the rows were written around the ORM: reload the collection when next asked
        session.expire(item, ["skills"])
    return linked
