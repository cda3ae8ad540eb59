"""Digests: who is due, the delivery ledger, and the send path.

The ledger makes lost and duplicated digests visible and rare:

1. claim   - a `deliveries` row unique per (user, kind, cadence, window end) is inserted as 'sending', or
             an existing one moves pending -> sending by a conditional UPDATE; only the worker whose
             statement wrote the row goes on. The subscription windows (cursor, window end] and the items
             shown are recorded in the same transaction, each (user, item) once, so an item reaches a
             person at most once across skills and cadences. A whole batch is claimed and built at once.
2. send    - the irreversible step, after the claim committed. The delivery id travels with the message
             (outbox file name, X-Digest-Delivery-Id header, SendGrid custom_args).
3. record  - sending -> sent and the cursors advance to the window end, in one transaction per send,
             committed before the next send (see `_recording`).

A crash between 1 and 3 leaves the row in 'sending'; the sweeper re-queues it after
`delivery_stuck_after` and the retry rebuilds the same email from the recorded items. Before sending it
again, the retry asks the backend whether an earlier attempt already reached it (`find_accepted`: the
outbox file; SendGrid's Email Activity API when enabled) and then only records it. Empty digests are
recorded as 'empty' and their cursors advance too.

These functions commit at the step boundaries above: pass a session the caller does not share.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from itsdangerous import BadSignature, Signer
from sqlalchemy import and_, case, func, literal, or_, select, update
from sqlalchemy.orm import Session

from digest.accounts.tokens import ExpiredToken, InvalidToken
from digest.config import Settings
from digest.delivery.slots import Prefs, next_due, previous_due
from digest.logs import log_context
from digest.mail.backends import EmailBackend, PermanentSendError, TemporarySendError, get_backend
from digest.mail.content import (
    AlertView,
    Digest,
    ItemView,
    SkillSection,
    Snapshot,
    build_digest,
    build_section,
    snippet,
)
from digest.mail.message import OutgoingEmail
from digest.mail.render import DigestRenderer, images_for
from digest.mail.suppression import canonical_address, is_suppressed, suppressed_among
from digest.sources.salary import Salary
from digest.sources.seniority import LABELS
from digest.store.bulk import dialect_insert, insert_ignore
from digest.store.engine import any_of
from digest.store.models import (
    Cadence,
    Delivery,
    DeliveryItem,
    DeliveryKind,
    DeliveryStatus,
    DeliverySubscription,
    DemandSkillDay,
    Item,
    ItemKind,
    ItemSkill,
    Metro,
    ShiftAlert,
    ShiftEvaluation,
    Skill,
    Subscription,
    SubscriptionStatus,
    Suppression,
    User,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10  # claims of one delivery before the sweeper gives up and marks it failed

Outcome = tuple[int, DeliveryStatus, str | None, str | None]  # delivery id, status, provider id, error


@dataclass(frozen=True)
class Batch:
    """Users due at one cadence and slot, handed to one delivery task."""

    user_ids: list[int]
    cadence: str
    window_end: datetime


@dataclass
class Context:
    """Per-process caches for one run: rendered sections and demand snapshots are shared by every
    subscriber of the same skill in the same window."""

    settings: Settings
    backend: EmailBackend
    renderer: DigestRenderer = field(default_factory=DigestRenderer)
    snapshots: dict[tuple[int, date], Snapshot] = field(default_factory=dict)
    sections: dict[tuple[Any, ...], SkillSection] = field(default_factory=dict)
    items: dict[tuple[int, datetime, datetime], list[tuple[datetime, ItemView]]] = field(default_factory=dict)
    sleep: Callable[[float], None] = time.sleep
    summary: Counter[str] = field(default_factory=Counter)

    @classmethod
    def for_settings(cls, settings: Settings, backend: EmailBackend | None = None) -> Context:
        return cls(settings=settings, backend=backend or get_backend(settings))


# --- links -----------------------------------------------------------------------------------------


def _unsubscribe_url(settings: Settings, subscription_ids: list[int], user_id: int, now: datetime) -> str:
    """One skill's digest unsubscribes from that skill; a digest covering several skills unsubscribes
    from everything (a one-click link that left part of the email coming would not be honoured)."""
    from digest.accounts.links import unsubscribe_url

    only = subscription_ids[0] if len(subscription_ids) == 1 else None
    return unsubscribe_url(settings, only, user_id, now)


# --- who is due ------------------------------------------------------------------------------------


def due_batches(session: Session, settings: Settings, now: datetime) -> list[Batch]:
    """Every (cadence, slot) with users whose subscriptions have a window ending at a slot already due
    and no delivery row for it yet, in batches of `dispatch_batch_size` user ids."""
    combos = session.execute(
        select(User.timezone, User.send_hour, User.weekday, Subscription.cadence)
        .join(Subscription, Subscription.user_id == User.id)
        .where(Subscription.status == SubscriptionStatus.active)
        .distinct()
    ).all()
    slots: dict[tuple[str, datetime], list[tuple[str, int, int]]] = defaultdict(list)
    for tz, hour, weekday, cad in combos:
        try:
            end = previous_due(Prefs(cadence=Cadence(cad), timezone=tz, send_hour=hour, weekday=weekday), now)
        except ValueError:
            log.warning("skipping users with an unknown time zone %r", tz)
            continue
        slots[(str(cad), end)].append((tz, hour, weekday))
    batches: list[Batch] = []
    size = settings.dispatch_batch_size
    for (cadence, end), prefs in sorted(slots.items()):
        pref_match = or_(*(and_(User.timezone == tz, User.send_hour == h, User.weekday == w) for tz, h, w in prefs))
        already = select(Delivery.id).where(
            Delivery.user_id == User.id,
            Delivery.kind == DeliveryKind.digest,
            Delivery.cadence == cadence,
            Delivery.window_end == end,
        )
        suppressed = select(Suppression.id).where(Suppression.email == func.lower(User.email))
        ids = session.scalars(
            select(User.id)
            .join(Subscription, Subscription.user_id == User.id)
            .where(
                pref_match,
                Subscription.cadence == Cadence(cadence),
                Subscription.status == SubscriptionStatus.active,
                Subscription.cursor < end,
                ~already.exists(),
                ~suppressed.exists(),
            )
            .distinct()
            .order_by(User.id)
        ).all()
        batches += [Batch(list(ids[i : i + size]), cadence, end) for i in range(0, len(ids), size)]
    return batches


# --- the delivery path -----------------------------------------------------------------------------


@dataclass
class _Claimed:
    delivery_id: int
    user_id: int
    email: str
    suppressed: bool = False
    attempts: int = 1  # more than one: an earlier attempt may have reached the provider
    digest: Digest | None = None
    subscription_ids: list[int] = field(default_factory=list)


def deliver_digests(
    session: Session, ctx: Context, user_ids: Sequence[int], cadence: str, window_end: datetime, now: datetime
) -> Counter[str]:
    """Claim, build, send and record the digests of `user_ids` for one slot. Returns counts by outcome."""
    summary: Counter[str] = Counter()
    claimed = _claim(session, ctx, list(user_ids), cadence, window_end, now)
    if len(user_ids) > len(claimed):
        summary["skipped"] += len(user_ids) - len(claimed)
    if not claimed:
        session.commit()
        return summary
    _build(session, ctx, claimed, cadence, window_end, now)
    session.commit()
    _crash_point(ctx.settings, "after_claim")
    _send_and_record(session, ctx, claimed, window_end, now, summary)
    return summary


def deliver_one(session: Session, ctx: Context, delivery_id: int, now: datetime) -> Counter[str]:
    """Deliver (or retry) one delivery by id: what the sweeper re-queues."""
    row = session.get(Delivery, delivery_id)
    if row is None or row.status in (DeliveryStatus.sent, DeliveryStatus.empty, DeliveryStatus.failed):
        session.rollback()
        return Counter(skipped=1)
    if row.kind == DeliveryKind.alert:
        return deliver_alerts(session, ctx, [delivery_id], now)
    user_id, cadence, window_end = row.user_id, row.cadence, row.window_end
    session.rollback()
    return deliver_digests(session, ctx, [user_id], cadence, window_end, now)


def _claim(
    session: Session, ctx: Context, user_ids: list[int], cadence: str, window_end: datetime, now: datetime
) -> list[_Claimed]:
    """A new delivery is inserted already 'sending': the insert is the claim, the unique key lets only one
    worker make it. Rows that already exist (left pending, or stuck in 'sending') go through the
    conditional update instead."""
    columns = Delivery.__table__.c
    values = {"kind": DeliveryKind.digest, "cadence": cadence, "window_end": window_end,
              "status": DeliveryStatus.sending, "attempts": 1, "created_at": now, "updated_at": now}  # fmt: skip
    constants = (literal(v, columns[k].type) for k, v in values.items())
    new = select(User.id, *constants).where(any_of(session, User.id, user_ids))
    insert = dialect_insert(session)(Delivery).from_select(["user_id", *values], new).on_conflict_do_nothing()
    returning = insert.returning(Delivery.id, Delivery.user_id, Delivery.attempts)
    got = [(int(d), int(u), int(a)) for d, u, a in session.execute(returning)]
    existing = sorted(set(user_ids) - {u for _, u, _ in got})
    if existing:
        where = and_(
            Delivery.user_id.in_(existing),
            Delivery.kind == DeliveryKind.digest,
            Delivery.cadence == cadence,
            Delivery.window_end == window_end,
        )
        got += _claim_where(session, ctx, where, now)
    users = select(User.id, User.email).where(any_of(session, User.id, [u for _, u, _ in got]))
    emails = dict(session.execute(users).tuples().all())
    suppressed = suppressed_among(session, list(emails.values()))
    return [
        _Claimed(d, u, emails[u], suppressed=canonical_address(emails[u]) in suppressed, attempts=a)
        for d, u, a in sorted(got, key=lambda r: r[1])
    ]


def _claim_where(session: Session, ctx: Context, where: Any, now: datetime) -> list[tuple[int, int, int]]:
    """pending -> sending (or a 'sending' row stuck past the deadline), atomically; (id, user id, attempts)
    of the rows won."""
    stuck = now - timedelta(seconds=ctx.settings.delivery_stuck_after)
    stmt = (
        update(Delivery)
        .where(
            where,
            or_(
                Delivery.status == DeliveryStatus.pending,
                and_(Delivery.status == DeliveryStatus.sending, Delivery.updated_at <= stuck),
            ),
        )
        .values(status=DeliveryStatus.sending, attempts=Delivery.attempts + 1, updated_at=now)
        .returning(Delivery.id, Delivery.user_id, Delivery.attempts)
        .execution_options(synchronize_session=False)
    )
    return [(int(d), int(u), int(a)) for d, u, a in session.execute(stmt).tuples().all()]


def _build(
    session: Session, ctx: Context, claimed: list[_Claimed], cadence: str, window_end: datetime, now: datetime
) -> None:
    """Record each claimed delivery's windows and shown items, and build its digest from what it owns."""

    by_user = {c.user_id: c for c in claimed}
    subs = session.execute(
        select(Subscription.id, Subscription.user_id, Subscription.cursor).where(
            any_of(session, Subscription.user_id, list(by_user)),
            Subscription.cadence == Cadence(cadence),
            Subscription.status == SubscriptionStatus.active,
            Subscription.cursor < window_end,
        )
    ).all()
    insert_ignore(
        session,
        DeliverySubscription,
        ("delivery_id", "subscription_id", "window_start"),
        [(by_user[u].delivery_id, s, c) for s, u, c in subs],
    )
    ids = [c.delivery_id for c in claimed]
    windows = session.execute(
        select(
            DeliverySubscription.delivery_id,
            DeliverySubscription.subscription_id,
            DeliverySubscription.window_start,
            Subscription.user_id,
            Subscription.skill_id,
            Subscription.confirmed_at,
        )
        .join(Subscription, Subscription.id == DeliverySubscription.subscription_id)
        .where(any_of(session, DeliverySubscription.delivery_id, ids))
        .order_by(DeliverySubscription.subscription_id)
    ).all()
    for w in windows:
        by_user[w.user_id].subscription_ids.append(w.subscription_id)
    wins = [
        Window(
            w.user_id, w.subscription_id, w.skill_id, w.window_start, window_end, _first(w.window_start, w.confirmed_at)
        )
        for w in windows
    ]
    own = {c.user_id: c.delivery_id for c in claimed}
    plan = _plan(session, ctx, wins, own, window_end)
    # record the shown items; a concurrent delivery to the same person may have taken one: keep what we own
    rows = [
        (own[u], u, item.id, section.skill_id)
        for u, sections in plan.items()
        for section in sections
        for item in section.shown_items
    ]
    owned: set[tuple[int, int]] | None = None  # None: every row was ours to insert
    if not insert_ignore(session, DeliveryItem, ("delivery_id", "user_id", "item_id", "skill_id"), rows):
        owned = set(
            session.execute(
                select(DeliveryItem.user_id, DeliveryItem.item_id).where(any_of(session, DeliveryItem.delivery_id, ids))
            ).tuples()
        )
    for c in claimed:
        sections = [_keep(sec, c.user_id, owned) for sec in plan.get(c.user_id, [])]
        c.digest = compose(
            ctx, c.user_id, c.email, cadence, window_end, sections, c.subscription_ids, now, c.delivery_id
        )


def _first(window_start: datetime, confirmed_at: datetime | None) -> datetime | None:
    """A first digest's window reaches back before the subscription was confirmed: that instant."""
    return confirmed_at if confirmed_at is not None and window_start < confirmed_at else None


def compose(
    ctx: Context,
    user_id: int,
    email: str,
    cadence: str,
    window_end: datetime,
    sections: Sequence[SkillSection],
    subscription_ids: Sequence[int],
    now: datetime,
    delivery_id: int | None = None,
) -> Digest:
    """The digest of one person from their planned sections: what `send-due` sends, `preview` shows (no
    delivery yet: no web view) and the web view shows (every item)."""
    from digest.accounts.links import settings_url  # with its dependencies, only when a digest is built

    return build_digest(
        to=email,
        cadence=cadence,
        window_end=window_end,
        sections=sections,
        settings_url=settings_url(ctx.settings),
        unsubscribe_url=_unsubscribe_url(ctx.settings, sorted(subscription_ids), user_id, now),
        web_url=None if delivery_id is None else web_view_url(ctx.settings, delivery_id, user_id, now),
    )


# --- the web view of a sent digest ------------------------------------------------------------------


def web_view_url(settings: Settings, delivery_id: int, user_id: int, now: datetime) -> str:
    """The digest's web view: signed for this delivery and person, valid as long as the unsubscribe link.
    A plain signed "delivery.user.issued" (no JSON, no random id: it is not single-use), since every digest
    carries one: a fifth of the cost of a serialised token."""
    token = _view_signer(settings.secret).sign(f"{delivery_id}.{user_id}.{int(now.timestamp())}").decode()
    return f"{settings.base_url}/digests/{delivery_id}?token={token}"


@lru_cache(maxsize=4)
def _view_signer(secret: str) -> Signer:
    return Signer(secret, salt="digest.digest-view")


def _read_view_token(settings: Settings, token: str, delivery_id: int, now: datetime) -> int:
    """The user id a web view token was issued to, for this delivery; InvalidToken or ExpiredToken."""
    try:
        value = _view_signer(settings.secret).unsign(token).decode()
        d, u, iat = (int(part) for part in value.split("."))
    except (BadSignature, ValueError):
        raise InvalidToken("this link is not valid (it may have been changed or cut short)") from None
    if d != delivery_id:
        raise InvalidToken("this link is not valid (it is another digest's)")
    if now - datetime.fromtimestamp(iat, UTC) > timedelta(seconds=settings.unsubscribe_link_max_age):
        raise ExpiredToken("this link has expired")
    return u


def web_view(session: Session, settings: Settings, delivery_id: int, token: str, now: datetime) -> Digest:
    """Every item of a digest, grouped as in its email: the windows it covered, rebuilt as they were built
    (items another delivery had taken before it stay out; its own stay in), without the per-section cap.
    Raises InvalidToken (ExpiredToken) for a link that is not this digest's, or LookupError when gone."""
    user_id = _read_view_token(settings, token, delivery_id, now)
    row = session.get(Delivery, delivery_id)
    if row is None or row.user_id != user_id or row.kind != DeliveryKind.digest:
        raise LookupError("this digest no longer exists")
    user = session.get(User, row.user_id)
    assert user is not None
    windows = session.execute(
        select(DeliverySubscription.subscription_id, DeliverySubscription.window_start, Subscription.skill_id,
               Subscription.confirmed_at)
        .join(Subscription, Subscription.id == DeliverySubscription.subscription_id)
        .where(DeliverySubscription.delivery_id == delivery_id)
        .order_by(DeliverySubscription.subscription_id)
    ).all()  # fmt: skip
    wins = [
        Window(
            user.id,
            w.subscription_id,
            w.skill_id,
            w.window_start,
            row.window_end,
            _first(w.window_start, w.confirmed_at),
        )
        for w in windows
    ]
    ctx = Context.for_settings(settings, backend=_NullBackend())
    plan = _plan(session, ctx, wins, {user.id: delivery_id}, row.window_end, cap=None, taken_before=delivery_id)
    subscription_ids = [w.subscription_id for w in windows]
    digest = compose(
        ctx, user.id, user.email, row.cadence, row.window_end, plan.get(user.id, []), subscription_ids, now, delivery_id
    )
    session.rollback()
    return replace(digest, web_url=None)


def _keep(section: SkillSection, user_id: int, owned: set[tuple[int, int]] | None) -> SkillSection:
    if owned is None or all((user_id, i.id) in owned for i in section.shown_items):
        return section
    return replace(
        section,
        articles=tuple(i for i in section.articles if (user_id, i.id) in owned),
        jobs=tuple(i for i in section.jobs if (user_id, i.id) in owned),
    )


@dataclass(frozen=True)
class Window:
    user_id: int
    subscription_id: int
    skill_id: int
    start: datetime  # exclusive
    end: datetime  # inclusive
    subscribed_at: datetime | None = None  # a first digest's window reaches back before this (marked "recent")


def _plan(
    session: Session,
    ctx: Context,
    windows: Sequence[Window],
    own: dict[int, int] | None,
    as_of: datetime,
    also_taken: dict[int, set[int]] | None = None,
    cap: int | None = -1,
    taken_before: int | None = None,
) -> dict[int, list[SkillSection]]:
    """The sections of each user's digest: items ingested in each subscription's window, minus items the
    person already got (in another delivery), each item under one skill only. `own`: user -> the
    delivery being built (its own recorded items stay in, so a retry rebuilds the same email).
    `also_taken`: user -> items to count as already delivered (a preview's earlier digests). `cap`: items
    shown per kind (-1: the setting; None: all, for the web view). `taken_before`: only deliveries with a
    lower id count as having taken an item (the web view rebuilds a digest as it was built)."""
    if not windows:
        return {}
    skill_ids = sorted({w.skill_id for w in windows})
    user_ids = sorted({w.user_id for w in windows})
    lo = min(w.start for w in windows)
    hi = max(w.end for w in windows)
    missing = [sid for sid in skill_ids if (sid, lo, hi) not in ctx.items]
    if len(ctx.items) > 100_000:
        ctx.items.clear()
        missing = skill_ids
    for sid in missing:
        ctx.items[(sid, lo, hi)] = []
    views: dict[tuple[int, int], ItemView] = {}
    for chunk in _chunks(missing, 1000):
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
    skills = {s.id: s for s in session.scalars(select(Skill).where(any_of(session, Skill.id, skill_ids)))}
    snaps = snapshots(session, skill_ids, as_of.date(), ctx.snapshots)
    alerts = _alerts(session, skill_ids, lo, hi)
    out: dict[int, list[SkillSection]] = defaultdict(list)
    seen: dict[int, set[int]] = defaultdict(set)
    # everyone whose window on a skill is the same gets the same section object unless they already had
    # some of its items: build (and rank) it once; the renderer then reuses its rendering too
    window_items: dict[tuple[Any, ...], tuple[list[ItemView], frozenset[int]]] = {}
    # a user's windows in subscription order: an item matching two of their skills shows under the first
    for w in sorted(windows, key=lambda w: (w.user_id, w.subscription_id)):
        wkey = (w.skill_id, w.start, w.end, w.subscribed_at)
        if wkey not in window_items:
            found = [v for fetched, v in by_skill.get(w.skill_id, []) if w.start < fetched <= w.end]
            if w.subscribed_at is not None:  # a first digest: items of the last days, by when they were posted too
                found = [
                    v for v in found if (v.fetched_at and v.fetched_at > w.subscribed_at) or v.published_at > w.start
                ]
            window_items[wkey] = (found, frozenset(v.id for v in found))
        candidates, candidate_ids = window_items[wkey]
        mine = seen[w.user_id]
        excluded = candidate_ids & mine
        if w.user_id in taken:
            excluded |= candidate_ids & taken[w.user_id]
        mine |= candidate_ids
        section_key = (*wkey, excluded, cap)
        section = ctx.sections.get(section_key)
        if section is None:
            skill = skills[w.skill_id]
            section = build_section(
                skill_id=skill.id,
                slug=skill.slug,
                name=skill.name,
                base_url=ctx.settings.base_url,
                items=[v for v in candidates if v.id not in excluded] if excluded else candidates,
                snapshot=snaps.get(skill.id),
                alerts=[a for created, a in alerts.get(w.skill_id, []) if w.start < created <= w.end],
                cap=ctx.settings.digest_items_per_section if cap == -1 else cap,
                subscribed_at=w.subscribed_at,
            )
            if len(ctx.sections) > 50_000:
                ctx.sections.clear()
            ctx.sections[section_key] = section
        out[w.user_id].append(section)
    return out


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


def _mark_reposts(
    session: Session, ctx: Context, views: dict[tuple[int, int], ItemView], lo: datetime, hi: datetime
) -> None:
    """Mark the job postings whose company posted the same title before (by more than a day): a re-post.
    One query over the window's re-post keys; the cached views are replaced by marked copies."""
    keys = sorted({v.repost_key for v in views.values() if v.repost_key})
    if not keys:
        return
    first: dict[str, datetime] = {}
    for chunk in _chunks(keys, 1000):
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
    session: Session, skill_ids: list[int], lo: datetime, hi: datetime
) -> dict[int, list[tuple[datetime, AlertView]]]:
    rows = session.scalars(
        select(ShiftAlert).where(
            ShiftAlert.skill_id.in_(skill_ids), ShiftAlert.created_at > lo, ShiftAlert.created_at <= hi
        )
    ).all()
    out: dict[int, list[tuple[datetime, AlertView]]] = defaultdict(list)
    for a in rows:
        out[a.skill_id].append((a.created_at, _alert_view(a)))
    return out


def _alert_view(a: ShiftAlert) -> AlertView:
    return AlertView(
        id=a.id, direction=str(a.direction), change=a.change, opened_on=a.opened_on, recent=a.recent, prior=a.prior
    )


def _send_and_record(
    session: Session, ctx: Context, claimed: list[_Claimed], window_end: datetime, now: datetime, summary: Counter[str]
) -> None:
    unsent: list[Outcome] = []  # empty and suppressed: nothing goes out, so they are recorded together
    try:
        with _recording(session, window_end, now) as record:
            for c in claimed:
                assert c.digest is not None
                if c.digest.is_empty:
                    unsent.append((c.delivery_id, DeliveryStatus.empty, None, None))
                    continue
                if c.suppressed:
                    unsent.append((c.delivery_id, DeliveryStatus.failed, None, "address is suppressed"))
                    continue
                with log_context(delivery_id=c.delivery_id):
                    outcome = _send(ctx, _digest_email(ctx, c.delivery_id, c.digest), now, retry=c.attempts > 1)
                _crash_point(ctx.settings, "after_send")
                record(outcome)
                summary[str(outcome[1])] += 1
    finally:
        _record(session, unsent, window_end, now)
        session.commit()
    for _, status, _, _ in unsent:
        summary[str(status)] += 1


def _digest_email(ctx: Context, delivery_id: int, digest: Digest) -> OutgoingEmail:
    rendered = ctx.renderer.render(digest)
    return OutgoingEmail(
        key=f"delivery-{delivery_id}",
        to=digest.to,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        from_email=ctx.settings.from_email,
        images=images_for(digest.sections),
        unsubscribe_url=digest.unsubscribe_url,
        delivery_id=delivery_id,
        categories=("digest", digest.cadence),
    )


# One statement marks a delivery and advances its cursors, so on PostgreSQL each send is recorded in one
# round trip. The %(advance)s flag is false for outcomes that leave the window open (failed, pending).
_RECORD_ONE = """
WITH marked AS (
    UPDATE deliveries SET status = %(status)s, updated_at = %(now)s, sent_at = COALESCE(%(sent_at)s, sent_at),
        provider_message_id = %(provider)s, last_error = %(error)s
    WHERE id = %(id)s AND status = 'sending'
    RETURNING id
)
UPDATE subscriptions SET cursor = %(end)s, updated_at = %(now)s
FROM delivery_subscriptions ds, marked
WHERE %(advance)s AND ds.delivery_id = marked.id AND subscriptions.id = ds.subscription_id
    AND subscriptions.cursor < %(end)s
"""


@contextmanager
def _recording(session: Session, window_end: datetime, now: datetime) -> Iterator[Callable[[Outcome], None]]:
    """A function that records one send's outcome in its own transaction, committed before it returns:
    a worker killed later cannot leave a message the provider accepted in 'sending', for the sweeper to
    send again. On PostgreSQL each record is one statement on an autocommit connection with
    synchronous_commit off: the commit does not wait for the WAL flush, which only a crash of the
    PostgreSQL server itself (not of a worker) could undo."""
    engine = session.get_bind().engine
    if engine.dialect.name != "postgresql":

        def record_in_session(outcome: Outcome) -> None:
            _record(session, [outcome], window_end, now)
            session.commit()

        yield record_in_session
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        driver = conn.connection.driver_connection  # straight to psycopg: this runs once per email
        assert driver is not None
        with driver.cursor() as cur:
            cur.execute("SET synchronous_commit = off")

            def record(outcome: Outcome) -> None:
                delivery_id, status, provider, error = outcome
                advance = status in (DeliveryStatus.sent, DeliveryStatus.empty)
                params = {"id": delivery_id, "status": status.value, "provider": provider, "error": error,
                          "advance": advance, "sent_at": now if advance else None, "now": now,
                          "end": window_end}  # fmt: skip
                cur.execute(_RECORD_ONE, params)

            try:
                yield record
            finally:
                cur.execute("RESET synchronous_commit")


def _send(ctx: Context, email: OutgoingEmail, now: datetime, retry: bool = False) -> Outcome:
    """Send with bounded retries: backoff with full jitter, or the provider's reset time for a 429.
    Gives up to the sweeper (status back to pending) when the wait would be too long. A `retry` of a
    delivery an earlier attempt may have sent asks the backend first, and records what it already has."""
    assert email.delivery_id is not None
    if retry and (found := ctx.backend.find_accepted(email)) is not None:
        log.info("delivery %s: the provider already has it (%s); recorded, not sent again", email.delivery_id, found)
        return email.delivery_id, DeliveryStatus.sent, found, None
    s = ctx.settings
    for attempt in range(s.send_attempts):
        try:
            return email.delivery_id, DeliveryStatus.sent, ctx.backend.send(email, now), None
        except PermanentSendError as exc:
            log.error("delivery %s failed permanently: %s", email.delivery_id, exc)
            return email.delivery_id, DeliveryStatus.failed, None, str(exc)[:2000]
        except TemporarySendError as exc:
            last = str(exc)[:2000]
            if attempt == s.send_attempts - 1:
                break
            wait = (
                exc.retry_after + random.uniform(0, 1)
                if exc.retry_after is not None
                else random.uniform(0, s.send_backoff_base * 2**attempt)
            )
            if wait > s.send_retry_max_wait:
                break
            log.warning("delivery %s: %s; retrying in %.1fs", email.delivery_id, exc, wait)
            ctx.sleep(wait)
    log.warning("delivery %s: giving up for now (%s); the sweeper retries it", email.delivery_id, last)
    return email.delivery_id, DeliveryStatus.pending, None, last


def _record(session: Session, done: list[Outcome], window_end: datetime, now: datetime) -> None:
    """sending -> the outcome, one statement per outcome, and the cursors of sent and empty digests."""
    if not done:
        return
    for status in DeliveryStatus:
        rows = [(d, p, e) for d, st, p, e in done if st == status]
        for chunk in _chunks(rows, 1000):
            ids = [d for d, _, _ in chunk]
            values: dict[str, Any] = {"status": status, "updated_at": now}
            if status in (DeliveryStatus.sent, DeliveryStatus.empty):
                values["sent_at"] = now
            providers = {d: p for d, p, _ in chunk if p is not None}
            errors = {d: e for d, _, e in chunk if e is not None}
            values["provider_message_id"] = case(providers, value=Delivery.id, else_=None) if providers else None
            values["last_error"] = case(errors, value=Delivery.id, else_=None) if errors else None
            session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.sending)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
    advanced = [d for d, st, _, _ in done if st in (DeliveryStatus.sent, DeliveryStatus.empty)]
    for chunk in _chunks(advanced, 1000):
        subs = select(DeliverySubscription.subscription_id).where(DeliverySubscription.delivery_id.in_(chunk))
        session.execute(
            update(Subscription)
            .where(Subscription.id.in_(subs), Subscription.cursor < window_end)
            .values(cursor=window_end, updated_at=now)
            .execution_options(synchronize_session=False)
        )


# --- sweeper ---------------------------------------------------------------------------------------


def stuck_deliveries(session: Session, settings: Settings, now: datetime) -> list[int]:
    """Deliveries left in 'pending' or 'sending' past the deadline (a crashed worker, a lost task, a
    provider outage). Ones tried too often are marked failed instead."""
    before = now - timedelta(seconds=settings.delivery_stuck_after)
    stale = and_(
        Delivery.status.in_([DeliveryStatus.pending, DeliveryStatus.sending]),
        Delivery.updated_at <= before,
        Delivery.kind.in_([DeliveryKind.digest, DeliveryKind.alert]),
    )
    session.execute(
        update(Delivery)
        .where(stale, Delivery.attempts >= MAX_ATTEMPTS)
        .values(status=DeliveryStatus.failed, last_error="too many attempts", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    ids = list(session.scalars(select(Delivery.id).where(stale).order_by(Delivery.id)))
    session.commit()
    return ids


# --- shift alerts as their own email ---------------------------------------------------------------


def due_alerts(session: Session, settings: Settings, now: datetime) -> list[int]:
    """Create alert deliveries for accounts that chose alert emails: one per open alert of a skill they
    follow, at most one per skill per `alert_email_interval_days`. Returns the pending delivery ids."""
    interval = timedelta(days=settings.alert_email_interval_days)
    alerts = session.scalars(
        select(ShiftAlert).where(
            ShiftAlert.closed_on.is_(None), ShiftAlert.created_at <= now, ShiftAlert.created_at > now - interval
        )
    ).all()
    for a in alerts:
        key = f"skill-{a.skill_id}"
        recent = select(Delivery.id).where(
            Delivery.user_id == User.id,
            Delivery.kind == DeliveryKind.alert,
            Delivery.cadence == key,
            Delivery.window_end > a.created_at - interval,
            Delivery.status != DeliveryStatus.failed,
        )
        users = session.scalars(
            select(User.id)
            .join(Subscription, Subscription.user_id == User.id)
            .where(
                Subscription.skill_id == a.skill_id,
                Subscription.status == SubscriptionStatus.active,
                User.alert_emails.is_(True),
                ~recent.exists(),
            )
        ).all()
        rows = [
            {"user_id": u, "kind": DeliveryKind.alert, "cadence": key, "window_end": a.created_at,
             "status": DeliveryStatus.pending, "attempts": 0, "created_at": now, "updated_at": now,
             "payload": {"alert_id": a.id, "skill_id": a.skill_id}}
            for u in users
        ]  # fmt: skip
        if rows:
            session.execute(dialect_insert(session)(Delivery.__table__).on_conflict_do_nothing(), rows)
    # only the ones made now: older pending ones are already queued, or the sweeper's
    ids = list(
        session.scalars(
            select(Delivery.id).where(
                Delivery.kind == DeliveryKind.alert,
                Delivery.status == DeliveryStatus.pending,
                Delivery.created_at == now,
            )
        )
    )
    session.commit()
    return ids


def deliver_alerts(session: Session, ctx: Context, delivery_ids: Sequence[int], now: datetime) -> Counter[str]:
    summary: Counter[str] = Counter()
    got = _claim_where(
        session, ctx, and_(Delivery.id.in_(list(delivery_ids)), Delivery.kind == DeliveryKind.alert), now
    )
    session.commit()
    unsent: list[Outcome] = []  # alert deliveries have no subscription windows: window end is just `now`
    try:
        with _recording(session, now, now) as record:
            for delivery_id, user_id, attempts in got:
                email = _alert_email(session, ctx, delivery_id, user_id, now)
                if email is None:
                    unsent.append((delivery_id, DeliveryStatus.failed, None, "alert, subscription or address gone"))
                    continue
                with log_context(delivery_id=delivery_id):
                    outcome = _send(ctx, email, now, retry=attempts > 1)
                _crash_point(ctx.settings, "after_send")
                record(outcome)
                summary[f"alert {outcome[1]}"] += 1
    finally:
        _record(session, unsent, now, now)
        session.commit()
    for _, status, _, _ in unsent:
        summary[f"alert {status}"] += 1
    return summary


def _alert_email(session: Session, ctx: Context, delivery_id: int, user_id: int, now: datetime) -> OutgoingEmail | None:
    """The alert email of one claimed delivery, or None when its alert, subscription or address is gone."""
    from digest.accounts.links import settings_url, unsubscribe_url

    row = session.get(Delivery, delivery_id)
    assert row is not None and row.payload is not None
    alert = session.get(ShiftAlert, int(row.payload["alert_id"]))
    user = session.get(User, user_id)
    assert user is not None
    sub = session.scalar(
        select(Subscription).where(Subscription.user_id == user_id, Subscription.skill_id == alert.skill_id)
    ) if alert else None  # fmt: skip
    if alert is None or sub is None or is_suppressed(session, user.email):
        return None
    skill = session.get(Skill, alert.skill_id)
    assert skill is not None
    snap = snapshots(session, [skill.id], now.date(), ctx.snapshots).get(skill.id)
    view = _alert_view(alert)
    section = build_section(
        skill_id=skill.id, slug=skill.slug, name=skill.name, base_url=ctx.settings.base_url, items=[],
        snapshot=snap, alerts=[view],
    )  # fmt: skip
    unsub = unsubscribe_url(ctx.settings, sub.id, user_id, now)
    rendered = ctx.renderer.render_alert(
        section,
        view,
        {"to": user.email, "settings_url": settings_url(ctx.settings), "unsubscribe_url": unsub,
         "interval_days": ctx.settings.alert_email_interval_days},
    )  # fmt: skip
    return OutgoingEmail(
        key=f"delivery-{delivery_id}",
        to=user.email,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        from_email=ctx.settings.from_email,
        images=images_for([section]),
        unsubscribe_url=unsub,
        delivery_id=delivery_id,
        categories=("alert",),
    )


# --- the synchronous path and preview ---------------------------------------------------------------


def send_due(session: Session, ctx: Context, now: datetime) -> Counter[str]:
    """Everything `dispatch_due` and its tasks do, in this process: due digests, then alert emails."""
    summary: Counter[str] = Counter()
    batches = due_batches(session, ctx.settings, now)
    session.rollback()
    for b in batches:
        summary.update(deliver_digests(session, ctx, b.user_ids, b.cadence, b.window_end, now))
    ids = due_alerts(session, ctx.settings, now)
    if ids:
        summary.update(deliver_alerts(session, ctx, ids, now))
    for delivery_id in stuck_deliveries(session, ctx.settings, now):  # what the sweeper would re-queue
        summary.update({f"retried {k}": v for k, v in deliver_one(session, ctx, delivery_id, now).items()})
    return summary


@dataclass(frozen=True)
class PreviewResult:
    digest: Digest
    due_at: datetime


def preview(session: Session, settings: Settings, address: str, now: datetime) -> list[PreviewResult]:
    """What `send-due` would send this person at `now`, built by the same functions (`_plan`, `compose`):
    each cadence whose slot is due, in the order send-due takes them, each later one without the items an
    earlier one holds. A cadence not due yet shows its next digest as it stands at `now` (its items so far).
    Sends nothing, writes nothing."""
    user = session.scalar(select(User).where(func.lower(User.email) == canonical_address(address)))
    if user is None:
        raise LookupError(f"no account for {address}")
    ctx = Context.for_settings(settings, backend=_NullBackend())
    subs = [s for s in user.subscriptions if s.status == SubscriptionStatus.active]
    plans = []
    for cadence in Cadence:
        mine = sorted((s for s in subs if s.cadence == cadence), key=lambda s: s.id)
        if not mine:
            continue
        prefs = Prefs(cadence=cadence, timezone=user.timezone, send_hour=user.send_hour, weekday=user.weekday)
        end = previous_due(prefs, now)
        due = [s for s in mine if s.cursor < end]
        if due:
            plans.append((str(cadence), end, end, due))
        else:  # nothing due at `now`: the next digest, with what has come in so far
            plans.append((str(cadence), next_due(prefs, now), now, [s for s in mine if s.cursor < now] or mine))
    plans.sort(key=lambda p: (p[0], p[1]))  # due_batches' order: (cadence, slot)
    results = []
    taken: set[int] = set()
    for cadence_name, due_at, items_upto, chosen in plans:
        wins = [
            Window(user.id, s.id, s.skill_id, s.cursor, items_upto, _first(s.cursor, s.confirmed_at)) for s in chosen
        ]
        sections = _plan(session, ctx, wins, None, items_upto, {user.id: set(taken)}).get(user.id, [])
        digest = compose(ctx, user.id, user.email, cadence_name, due_at, sections, [s.id for s in chosen], now)
        taken |= {i for i, _ in digest.item_ids}
        results.append(PreviewResult(digest, due_at))
    session.rollback()
    return results


class _NullBackend:
    def send(self, email: OutgoingEmail, now: datetime) -> str:
        raise RuntimeError("preview never sends")

    def find_accepted(self, email: OutgoingEmail) -> str | None:
        return None


# --- demand snapshot (the one place a digest reads demand figures) ----------------------------------


def snapshots(
    session: Session, skill_ids: Iterable[int], as_of: date, cache: dict[tuple[int, date], Snapshot] | None = None
) -> dict[int, Snapshot]:
    """Postings in 90 days, change vs the prior 4 weeks with the shift verdict, and the weekly chart, per
    skill, from the daily rollups (the definitions of digest.demand.figures, batched over many skills), and
    the skill page's weekly chart."""
    cache = {} if cache is None else cache
    ids = sorted(set(skill_ids))
    missing = [s for s in ids if (s, as_of) not in cache]
    if missing:
        start = as_of - timedelta(days=90)
        counts: dict[int, dict[date, int]] = defaultdict(dict)
        for chunk in _chunks(missing, 1000):
            q = select(DemandSkillDay.skill_id, DemandSkillDay.day, DemandSkillDay.postings).where(
                DemandSkillDay.skill_id.in_(chunk), DemandSkillDay.day > start, DemandSkillDay.day <= as_of
            )
            for s, d, n in session.execute(q).tuples():
                counts[s][d] = n
        verdicts = _verdicts(session, missing, as_of)
        open_alerts = set(
            session.scalars(
                select(ShiftAlert.skill_id).where(
                    ShiftAlert.skill_id.in_(missing), ShiftAlert.closed_on.is_(None), ShiftAlert.opened_on <= as_of
                )
            )
        )
        skills = {sk.id: sk for sk in session.scalars(select(Skill).where(Skill.id.in_(missing)))}
        for s in missing:
            snap = _snapshot(counts.get(s, {}), as_of, verdicts.get(s), s in open_alerts)
            if snap.postings and s in skills:
                # the skill page's chart, cached on disk per skill and day: drawn once a day, whoever asks first
                from digest.demand.chart import weekly_chart_png  # matplotlib only where a chart is drawn

                snap = replace(snap, chart_png=weekly_chart_png(session, skills[s], as_of))
            cache[(s, as_of)] = snap
    return {s: cache[(s, as_of)] for s in ids}


def _verdicts(session: Session, skill_ids: list[int], as_of: date) -> dict[int, tuple[str, bool]]:
    latest = (
        select(ShiftEvaluation.skill_id, func.max(ShiftEvaluation.week_start).label("week"))
        .where(ShiftEvaluation.skill_id.in_(skill_ids), ShiftEvaluation.week_start <= as_of)
        .group_by(ShiftEvaluation.skill_id)
        .subquery()
    )
    rows = session.execute(
        select(ShiftEvaluation.skill_id, ShiftEvaluation.direction, ShiftEvaluation.condition).join(
            latest,
            and_(ShiftEvaluation.skill_id == latest.c.skill_id, ShiftEvaluation.week_start == latest.c.week),
        )
    ).tuples()
    return {s: (str(d), bool(c)) for s, d, c in rows}


def _snapshot(days: dict[date, int], as_of: date, verdict: tuple[str, bool] | None, alert_open: bool) -> Snapshot:
    def total(lo: int, hi: int) -> int:  # postings with as_of - lo < d <= as_of - hi
        return sum(n for d, n in days.items() if as_of - timedelta(days=lo) < d <= as_of - timedelta(days=hi))

    recent, prior = total(28, 0), total(56, 28)
    first = as_of - timedelta(days=89)
    week = first - timedelta(days=first.weekday())
    weekly = []
    while week <= as_of:
        weekly.append((week, sum(n for d, n in days.items() if week <= d < week + timedelta(days=7) and d >= first)))
        week += timedelta(days=7)
    direction, significant = verdict or ("flat", False)
    return Snapshot(
        postings=sum(days.values()),
        recent_4_weeks=recent,
        prior_4_weeks=prior,
        change_vs_prior_4_weeks=round(recent / prior - 1, 3) if prior else None,
        direction=direction,
        significant=significant,
        alert_open=alert_open,
        weekly=tuple(weekly),
    )


# --- helpers -----------------------------------------------------------------------------------------


def _chunks(seq: Sequence[Any], n: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def _crash_point(settings: Settings, name: str) -> None:
    if settings.test_crash_at == name:  # fault tests only (see Settings.test_crash_at)
        log.warning("test_crash_at=%s: killing this process", name)
        os.kill(os.getpid(), signal.SIGKILL)
