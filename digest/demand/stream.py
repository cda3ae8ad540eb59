"""A skill's newest matched items, for machines: keyset-paged JSON and an Atom feed."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from digest.store.models import Item, ItemKind, ItemSkill, Skill

KINDS = {"news": ItemKind.news, "jobs": ItemKind.job}
MAX_LIMIT = 200


class BadCursor(ValueError):
    pass


def encode_cursor(item: Item) -> str:
    raw = f"{item.fetched_at.isoformat()}|{item.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, item_id = raw.rsplit("|", 1)
        return datetime.fromisoformat(at), int(item_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadCursor("cursor is not one this API returned") from exc


def skill_items(
    session: Session,
    skill: Skill,
    *,
    kind: ItemKind | None = None,
    since: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Item], str | None]:
    """Newest first by ingestion time; `since` keeps items fetched after it; returns (items, next cursor)."""
    q = select(Item).join(ItemSkill, ItemSkill.item_id == Item.id).where(ItemSkill.skill_id == skill.id)
    if kind is not None:
        q = q.where(Item.kind == kind)
    if since is not None:
        q = q.where(Item.fetched_at > since)
    if cursor:
        at, item_id = decode_cursor(cursor)
        q = q.where(or_(Item.fetched_at < at, and_(Item.fetched_at == at, Item.id < item_id)))
    limit = max(1, min(limit, MAX_LIMIT))
    rows = list(session.scalars(q.order_by(Item.fetched_at.desc(), Item.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1]) if more and rows else None


def item_json(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": "jobs" if item.kind == ItemKind.job else "news",
        "title": item.title,
        "url": item.url,
        "source": item.source_name,
        "summary": item.summary[:500],
        "company": item.company,
        "location": item.location_raw,
        "posted_on": item.posted_on.isoformat() if item.posted_on else None,
        "published_at": item.published_at.isoformat(),
        "fetched_at": item.fetched_at.isoformat(),
    }


ATOM = "http://www.w3.org/2005/Atom"


def atom_feed(skill: Skill, items: list[Item], base_url: str, now: datetime) -> bytes:
    """An Atom 1.0 feed of the items (ElementTree escapes every text)."""
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    page = f"{base_url}/skills/{skill.slug}"
    feed = ET.Element(f"{{{ATOM}}}feed")
    sub(feed, "id", f"{page}/feed.atom")
    sub(feed, "title", f"{skill.name}: new postings and articles (digest)")
    sub(feed, "updated", (max((i.fetched_at for i in items), default=now)).isoformat())
    sub(feed, "link", rel="self", href=f"{page}/feed.atom")
    sub(feed, "link", rel="alternate", href=page)
    author = sub(feed, "author")
    sub(author, "name", "digest")
    for item in items:
        entry = sub(feed, "entry")
        sub(entry, "id", f"{base_url}/items/{item.id}")
        prefix = "Job: " if item.kind == ItemKind.job else ""
        where = ", ".join(x for x in (item.company, item.location_raw) if x)
        sub(entry, "title", f"{prefix}{item.title}" + (f" ({where})" if where else ""))
        sub(entry, "updated", item.fetched_at.isoformat())
        sub(entry, "published", item.published_at.isoformat())
        if item.url:
            sub(entry, "link", rel="alternate", href=item.url)
        sub(entry, "category", term="jobs" if item.kind == ItemKind.job else "news")
        if item.summary:
            sub(entry, "summary", item.summary[:1000])
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body
