"""Resolve each item's skill mentions, job title and metro, and store them.

The spans of an ItemSkill index `link_text(item)`: the item's title, a newline, its whole text (`body`, or
the summary when that is all of it), and for a job whose raw title differs from its title, a newline and
the raw title. Skills are matched in the whole text on every path (feeds, job adapters, imports); only the
summary is displayed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from digest.store.bulk import insert_rows
from digest.store.models import Item, ItemKind, ItemSkill, JobTitle, Metro, Skill, SkillAlias
from digest.taxonomy.local import LocalRows, local_rows, matcher_for
from digest.taxonomy.metros import resolve_metro
from digest.taxonomy.titles import normalize_title
from digest.taxonomy.where import where_found

_CHUNK = 500
# titles and locations repeat across postings: resolve each distinct string once per process
_title = lru_cache(maxsize=65_536)(normalize_title)
_metro = lru_cache(maxsize=65_536)(resolve_metro)


@dataclass
class TaxonomyIds:
    fingerprint: tuple[Any, ...]
    skills: dict[str, int]
    titles: dict[str, int]
    metros: dict[str, int]
    local: LocalRows = ()  # the operator's own skills and aliases (`digest skills import`)


# slug -> id maps per database (keyed by its URL), checked against a cheap fingerprint once per batch
_CACHE: dict[str, TaxonomyIds] = {}


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
            select(func.count(SkillAlias.id)).scalar_subquery(),
            select(func.max(SkillAlias.id)).scalar_subquery(),
        )
    ).one()
    return tuple(row)


def ids_of(session: Session) -> TaxonomyIds:
    """The database's ids of skills, titles and metros by slug (cached per database, checked per call)."""
    key = str(session.get_bind().engine.url)
    fingerprint = _fingerprint(session)
    cached = _CACHE.get(key)
    if cached is None or cached.fingerprint != fingerprint:
        cached = TaxonomyIds(
            fingerprint,
            dict(session.execute(select(Skill.slug, Skill.id)).tuples().all()),
            dict(session.execute(select(JobTitle.slug, JobTitle.id)).tuples().all()),
            dict(session.execute(select(Metro.slug, Metro.id)).tuples().all()),
            local_rows(session),
        )
        _CACHE[key] = cached
    return cached


def link_text(item: Item) -> str:
    """The text an item's skill spans index."""
    return _text(item.kind, item.title, item.body or item.summary, item.title_raw)


def _text(kind: ItemKind, title: str | None, text: str | None, title_raw: str | None) -> str:
    parts = [title or "", text or ""]
    if kind == ItemKind.job and title_raw and title_raw.strip() != (title or "").strip():
        parts.append(title_raw)
    return "\n".join(parts)


@dataclass(frozen=True, slots=True)
class Resolution:
    """What the taxonomy finds in one item: its skill mentions, and the columns to set on it."""

    mentions: list[tuple[int, str, int, int, int]]  # (skill id, alias as written, span start, span end, where)
    values: dict[str, Any]  # matched_at; for a job also job_title_id and metro_id

    @property
    def skill_ids(self) -> list[int]:
        return [m[0] for m in self.mentions]


def resolve(session: Session, items: Sequence[Mapping[str, Any]], now: datetime) -> list[Resolution]:
    """Resolve items given by their fields (kind, title, summary, body, title_raw, location_raw, remote), stored
    or not yet: new items are resolved before they are inserted, so no UPDATE follows the INSERT."""
    return resolve_with(ids_of(session), items, now)


def resolve_with(ids: TaxonomyIds, items: Sequence[Mapping[str, Any]], now: datetime) -> list[Resolution]:
    """`resolve` given the ids: no database needed (the importer's matching process runs it)."""
    matcher = matcher_for(ids.local)
    out: list[Resolution] = []
    for item in items:
        kind = item["kind"]
        text = _text(kind, item["title"], item.get("body") or item["summary"], item["title_raw"])
        found = [(ids.skills[m.slug], m) for m in matcher.match(text) if m.slug in ids.skills]
        places = where_found(text, len(item["title"] or ""), [(m.start, m.end) for _, m in found])
        mentions = [
            (skill_id, m.alias[:200], m.start, m.end, place) for (skill_id, m), place in zip(found, places, strict=True)
        ]
        values: dict[str, Any] = {"matched_at": now}
        if kind == ItemKind.job:
            title = _title(item["title_raw"] or item["title"])
            values["job_title_id"] = ids.titles.get(title[0]) if title else None
            metro = _metro(item["location_raw"])
            if metro is None and item["remote"]:
                metro = ("remote", "Remote")
            values["metro_id"] = ids.metros.get(metro[0]) if metro else None
        out.append(Resolution(mentions, values))
    return out


def write_mentions(
    session: Session, item_ids: Sequence[int], resolutions: Sequence[Resolution], posted_on: Sequence[Any]
) -> None:
    """INSERT the ItemSkill rows of items that have none yet (`posted_on`: each item's, None for news)."""
    rows = [
        {
            "item_id": item_id,
            "skill_id": s,
            "alias": alias,
            "span_start": start,
            "span_end": end,
            "posted_on": day,
            "found_in": place,
        }
        for item_id, r, day in zip(item_ids, resolutions, posted_on, strict=True)
        for s, alias, start, end, place in r.mentions
    ]
    insert_rows(session, cast(Table, ItemSkill.__table__), rows)


_FIELDS = ("kind", "title", "summary", "body", "title_raw", "location_raw", "remote")


def link_items(session: Session, items: Sequence[Item], now: datetime) -> dict[int, list[int]]:
    """Re-resolve stored items: replace their ItemSkill rows (one per skill per item, with the matched
    alias and span) and set job_title_id / metro_id on job postings. Idempotent.
    Creates no skill, title or metro: those come from `digest init` (load_taxonomy).
    Returns the skill ids written per item id."""
    if not items:
        return {}
    session.flush()
    resolutions = resolve(session, [item_fields(i) for i in items], now)
    apply_resolutions(session, items, resolutions)
    return {i.id: r.skill_ids for i, r in zip(items, resolutions, strict=True)}


def item_fields(item: Item) -> dict[str, Any]:
    return {f: getattr(item, f) for f in _FIELDS}


def apply_resolutions(session: Session, items: Sequence[Item], resolutions: Sequence[Resolution]) -> None:
    """Write resolutions of stored items: their columns (job title, metro, matched_at) and their mentions."""
    if not items:
        return
    updates: list[dict[str, Any]] = []
    for item, r in zip(items, resolutions, strict=True):
        for key, value in r.values.items():  # in memory without a per-object UPDATE at flush: written below
            set_committed_value(item, key, value)
        updates.append({"b_id": item.id, **r.values})
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
    write_mentions(session, item_ids, resolutions, [i.posted_on for i in items])
    for item in items:  # the rows were written around the ORM: reload the collection when next asked
        session.expire(item, ["skills"])
