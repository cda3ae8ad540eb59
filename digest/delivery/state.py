"""The state a batch of digests is built from, read from the database in one place: each window's items
(marked when re-posted), what each person already got, the skills, their demand snapshots and alerts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest.accounts.searches import Posting, Search, describe, from_json
from digest.delivery.context import Context, chunks
from digest.delivery.items import VIEW_COLUMNS, item_view, posting_of
from digest.demand.snapshot import Snapshot, snapshots
from digest.mail.content import AlertView, ItemView
from digest.store.engine import any_of
from digest.store.models import DeliveryItem, Item, ItemSkill, Metro, ShiftAlert, Skill


@dataclass(frozen=True)
class Window:
    user_id: int
    subscription_id: int
    skill_id: int
    start: datetime  # exclusive
    end: datetime  # inclusive
    subscribed_at: datetime | None = None  # a first digest's window reaches back before this (marked "recent")
    search: Search | None = None  # what the subscription follows beyond its skill; None: the skill alone

    @property
    def skill_ids(self) -> tuple[int, ...]:
        return self.search.skills if self.search is not None else (self.skill_id,)


def search_of(search_json: str | None) -> Search | None:
    """The Window's search from a stored column (NULL: the skill alone, no filters)."""
    return from_json(search_json) if search_json else None


@dataclass(frozen=True)
class SkillName:
    id: int
    slug: str
    name: str


@dataclass
class PlanState:
    """Plain data for digest.delivery.plan: items of each skill in the batch's span (with when they were
    fetched), items each user already got elsewhere, and each skill's name, snapshot and alerts."""

    by_skill: dict[int, list[tuple[datetime, ItemView]]]
    taken: dict[int, set[int]]
    skills: dict[int, SkillName]
    snapshots: dict[int, Snapshot]
    alerts: dict[int, list[tuple[datetime, AlertView]]] = field(default_factory=dict)
    facts: dict[int, Posting] = field(default_factory=dict)  # item -> what a search looks at in it
    searches: dict[Search, str] = field(default_factory=dict)  # each search of the batch in words
    span: tuple[datetime, datetime] | None = None  # the (lo, hi] the items were read for (ctx.items' key)


def first_window_start(window_start: datetime, confirmed_at: datetime | None) -> datetime | None:
    """A first digest's window reaches back before the subscription was confirmed: that instant."""
    return confirmed_at if confirmed_at is not None and window_start < confirmed_at else None


def fetch_state(
    session: Session,
    ctx: Context,
    windows: Sequence[Window],
    own: dict[int, int] | None,
    as_of: datetime,
    also_taken: dict[int, set[int]] | None = None,
    taken_before: int | None = None,
) -> PlanState:
    """Read what the sections of `windows` are built from. `own`: user -> the delivery being built (its own
    recorded items stay in, so a retry rebuilds the same email). `also_taken`: user -> items to count as
    already delivered (a preview's earlier digests). `taken_before`: only deliveries with a lower id count
    as having taken an item (the web view rebuilds a digest as it was built)."""
    skill_ids = sorted({sid for w in windows for sid in w.skill_ids})
    user_ids = sorted({w.user_id for w in windows})
    lo = min(w.start for w in windows)
    hi = max(w.end for w in windows)
    missing = [sid for sid in skill_ids if (sid, lo, hi) not in ctx.items]
    if len(ctx.items) > 100_000:
        ctx.items.clear()
        ctx.facts.clear()
        ctx.indexes.clear()
        ctx.found.clear()
        missing = skill_ids
    for sid in missing:
        ctx.items[(sid, lo, hi)] = []
    views: dict[tuple[int, int], ItemView] = {}
    for chunk in chunks(missing, 1000):
        rows = session.execute(
            select(*VIEW_COLUMNS)
            .join(Item, Item.id == ItemSkill.item_id)
            .outerjoin(Metro, Metro.id == Item.metro_id)
            .where(any_of(session, ItemSkill.skill_id, chunk), Item.fetched_at > lo, Item.fetched_at <= hi)
        ).all()
        for r in rows:
            view = views.get((r.id, r.skill_id))
            if view is None:
                view = item_view(r)
                views[(r.id, r.skill_id)] = view
                if r.id not in ctx.facts:
                    ctx.facts[r.id] = posting_of(r)
            ctx.items[(r.skill_id, lo, hi)].append((r.fetched_at, view))
    _mark_reposts(session, ctx, views, lo, hi)
    by_skill = {sid: ctx.items[(sid, lo, hi)] for sid in skill_ids}
    item_ids = [v.id for items in by_skill.values() for _, v in items]
    taken: dict[int, set[int]] = defaultdict(set)  # user -> items they got in another delivery (and others)
    if item_ids:
        # the range of the window's item ids on the (user_id, item_id) key: a short index range per user,
        # whatever the statistics say; what it returns beyond the window's items is never intersected with
        q = select(DeliveryItem.user_id, DeliveryItem.item_id, DeliveryItem.delivery_id).where(
            any_of(session, DeliveryItem.user_id, user_ids), DeliveryItem.item_id.between(min(item_ids), max(item_ids))
        )
        for u, i, d in session.execute(q).tuples():
            if (own is None or own.get(u) != d) and (taken_before is None or d < taken_before):
                taken[u].add(i)
    for u, ids in (also_taken or {}).items():
        taken[u] |= ids
    named = select(Skill.id, Skill.slug, Skill.name).where(any_of(session, Skill.id, skill_ids))
    skills = {s.id: s for s in (SkillName(*r) for r in session.execute(named).tuples())}
    primary = sorted({w.skill_id for w in windows})
    snaps = snapshots(session, primary, as_of.date(), ctx.settings.charts_dir, ctx.snapshots)
    alerts = _alerts(session, ctx, primary, lo, hi)
    searches = _described(session, skills, windows)
    return PlanState(by_skill, taken, skills, snaps, alerts, ctx.facts, searches, (lo, hi))


def _described(session: Session, skills: dict[int, SkillName], windows: Sequence[Window]) -> dict[Search, str]:
    """Each search of the windows in words (a plain one is named by its skill and needs none)."""
    searches = {w.search for w in windows if w.search is not None and not w.search.plain}
    if not searches:
        return {}
    metro_ids = sorted({m for s in searches for m in s.metros})
    metros = dict(session.execute(select(Metro.id, Metro.name).where(Metro.id.in_(metro_ids))).tuples().all())
    names = {sid: s.name for sid, s in skills.items()}
    return {s: describe(s, names, metros) for s in searches}


def _mark_reposts(
    session: Session, ctx: Context, views: dict[tuple[int, int], ItemView], lo: datetime, hi: datetime
) -> None:
    """Mark the job postings whose company posted the same title before (by more than a day): a re-post.
    One query over the window's re-post keys; the cached views are replaced by marked copies."""
    keys = sorted({v.repost_key for v in views.values() if v.repost_key})
    if not keys:
        return
    first: dict[str, datetime] = {}
    for chunk in chunks(keys, 1000):
        q = select(Item.repost_key, func.min(Item.published_at)).where(any_of(session, Item.repost_key, chunk))
        first.update(session.execute(q.group_by(Item.repost_key)).tuples().all())  # type: ignore[arg-type]
    marked = {
        k: replace(v, reposted=True)
        for k, v in views.items()
        if v.repost_key and first.get(v.repost_key, v.published_at) < v.published_at - timedelta(days=1)
    }
    if not marked:
        return
    for skill_id in {s for _, s in marked}:
        rows = ctx.items[(skill_id, lo, hi)]
        rows[:] = [(f, marked.get((v.id, skill_id), v)) for f, v in rows]
    views.update(marked)


def _alerts(
    session: Session, ctx: Context, skill_ids: list[int], lo: datetime, hi: datetime
) -> dict[int, list[tuple[datetime, AlertView]]]:
    rows = session.scalars(
        select(ShiftAlert).where(
            ShiftAlert.skill_id.in_(skill_ids), ShiftAlert.created_at > lo, ShiftAlert.created_at <= hi
        )
    ).all()
    out: dict[int, list[tuple[datetime, AlertView]]] = defaultdict(list)
    for a in rows:
        if ctx.explanation(session, a.skill_id, a.opened_on).held:  # held back: on the skill page, in no email
            continue
        out[a.skill_id].append((a.created_at, alert_view(a)))
    return out


def alert_view(a: ShiftAlert) -> AlertView:
    return AlertView(
        id=a.id, direction=str(a.direction), change=a.change, opened_on=a.opened_on, recent=a.recent, prior=a.prior,
        p_value=a.p_value, q_value=a.q_value,
    )  # fmt: skip
