"""Items as a digest and the skill page show them: the row an ItemView is built from, and the skill page's list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from digest.accounts.searches import Posting
from digest.mail.content import ItemView, snippet
from digest.sources.salary import Salary
from digest.sources.seniority import LABELS
from digest.store.models import Item, ItemKind, ItemSkill, Metro

# what an ItemView is built from: a mention joined to its item (and the item's metro)
VIEW_COLUMNS = (
    ItemSkill.skill_id,
    ItemSkill.alias,
    ItemSkill.found_in,
    Item.id,
    Item.kind,
    Item.title,
    Item.url,
    Item.published_at,
    Item.fetched_at,
    Item.source_name,
    Item.summary,
    Item.company,
    Item.location_raw,
    Metro.name,
    Item.remote,
    Item.salary_min,
    Item.salary_max,
    Item.salary_currency,
    Item.salary_period,
    Item.seniority,
    Item.repost_key,
    Item.metro_id,
    Item.employer_key,
)


def item_view(r: Any) -> ItemView:
    """An ItemView from a row of VIEW_COLUMNS."""
    return ItemView(
        id=r.id,
        kind=str(r.kind),
        title=r.title,
        url=r.url,
        published_at=r.published_at,
        alias=r.alias,
        source=r.source_name,
        snippet=snippet(r.summary or ""),
        company=r.company,
        location=r.name or r.location_raw,
        fetched_at=r.fetched_at,
        found_in=r.found_in,
        remote=r.remote,
        salary=_salary_text(r),
        seniority=LABELS.get(r.seniority or ""),
        repost_key=r.repost_key,
    )


def posting_of(r: Any) -> Posting:
    """What a search looks at in an item, from a row with the VIEW_COLUMNS' item fields."""
    return Posting(
        kind=str(r.kind),
        text=f"{r.title}\n{r.summary or ''}",
        remote=r.remote,
        metro_id=r.metro_id,
        seniority=r.seniority,
        salary_min=r.salary_min,
        salary_max=r.salary_max,
        salary_currency=r.salary_currency,
        salary_period=r.salary_period,
        employer_key=r.employer_key,
    )


@dataclass(frozen=True)
class ItemPage:
    items: list[ItemView]
    total: int
    page: int
    pages: int


def window_items(session: Session, skill_id: int, kind: ItemKind, as_of: date, page: int, per_page: int) -> ItemPage:
    """The skill page's list: every posting (by posting date) or article (by publication) of the 90 days up
    to `as_of` that mentions the skill, newest first, one page of it (pages count from 1)."""
    start = as_of - timedelta(days=90)
    if kind == ItemKind.job:
        where = and_(ItemSkill.skill_id == skill_id, ItemSkill.posted_on > start, ItemSkill.posted_on <= as_of)
        order: tuple[Any, ...] = (ItemSkill.posted_on.desc(), Item.published_at.desc(), Item.id.desc())
    else:
        lo = datetime.combine(start, datetime.min.time(), tzinfo=UTC) + timedelta(days=1)
        hi = datetime.combine(as_of, datetime.min.time(), tzinfo=UTC) + timedelta(days=1)
        where = and_(ItemSkill.skill_id == skill_id, Item.published_at >= lo, Item.published_at < hi)
        order = (Item.published_at.desc(), Item.id.desc())
    where = and_(where, Item.kind == kind)
    joined = select(func.count()).select_from(ItemSkill).join(Item, Item.id == ItemSkill.item_id)
    total = int(session.scalar(joined.where(where)) or 0)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = session.execute(
        select(*VIEW_COLUMNS)
        .join(Item, Item.id == ItemSkill.item_id)
        .outerjoin(Metro, Metro.id == Item.metro_id)
        .where(where)
        .order_by(*order)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return ItemPage([item_view(r) for r in rows], total, page, pages)


def _salary_text(r: Any) -> str | None:
    if r.salary_min is None or r.salary_max is None:
        return None
    return Salary(r.salary_min, r.salary_max, r.salary_currency, r.salary_period).text()
