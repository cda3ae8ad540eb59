"""The delivery ledger: claim a delivery, record its windows and shown items, and record each send's outcome
(see digest.delivery.deliver for the protocol)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, case, literal, or_, select, update
from sqlalchemy.orm import Session

from digest.delivery.context import Context, Outcome, chunks
from digest.mail.content import Digest
from digest.mail.suppression import canonical_address, suppressed_among
from digest.store.bulk import dialect_insert, insert_ignore
from digest.store.engine import any_of
from digest.store.ledger import autocommit_recorder
from digest.store.models import (
    Cadence,
    Delivery,
    DeliveryItem,
    DeliveryKind,
    DeliveryStatus,
    DeliverySubscription,
    Subscription,
    SubscriptionStatus,
    User,
)


@dataclass
class Claimed:
    delivery_id: int
    user_id: int
    email: str
    suppressed: bool = False
    attempts: int = 1  # more than one: an earlier attempt may have reached the provider
    fresh: bool = True  # inserted by this claim (not a pending or stuck row claimed again)
    digest: Digest | None = None
    subscription_ids: list[int] = field(default_factory=list)


def claim(
    session: Session, ctx: Context, user_ids: list[int], cadence: str, window_end: datetime, now: datetime
) -> list[Claimed]:
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
    fresh = {u for _, u, _ in got}
    existing = sorted(set(user_ids) - fresh)
    if existing:
        where = and_(
            Delivery.user_id.in_(existing),
            Delivery.kind == DeliveryKind.digest,
            Delivery.cadence == cadence,
            Delivery.window_end == window_end,
        )
        got += claim_where(session, ctx, where, now)
    users = select(User.id, User.email).where(any_of(session, User.id, [u for _, u, _ in got]))
    emails = dict(session.execute(users).tuples().all())
    suppressed = suppressed_among(session, list(emails.values()))
    return [
        Claimed(d, u, emails[u], suppressed=canonical_address(emails[u]) in suppressed, attempts=a, fresh=u in fresh)
        for d, u, a in sorted(got, key=lambda r: r[1])
    ]


def claim_where(session: Session, ctx: Context, where: Any, now: datetime) -> list[tuple[int, int, int]]:
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


class RecordedWindow(NamedTuple):
    delivery_id: int
    subscription_id: int
    window_start: datetime
    user_id: int
    skill_id: int
    confirmed_at: datetime | None
    search: str | None


def record_windows(
    session: Session, claimed: list[Claimed], cadence: str, window_end: datetime
) -> Sequence[RecordedWindow]:
    """Record each claimed delivery's subscription windows (cursor, window end] and searches (a retry keeps the
    ones it recorded first) and return them in subscription order."""
    by_user = {c.user_id: c for c in claimed}
    subs = session.execute(
        select(
            Subscription.id,
            Subscription.user_id,
            Subscription.cursor,
            Subscription.search,
            Subscription.skill_id,
            Subscription.confirmed_at,
        )
        .where(
            any_of(session, Subscription.user_id, list(by_user)),
            Subscription.cadence == Cadence(cadence),
            Subscription.status == SubscriptionStatus.active,
            Subscription.cursor < window_end,
        )
        .order_by(Subscription.id)
    ).all()
    insert_ignore(
        session,
        DeliverySubscription,
        ("delivery_id", "subscription_id", "window_start", "search"),
        [(by_user[u].delivery_id, s, c, q) for s, u, c, q, _, _ in subs],
    )
    if all(c.fresh for c in claimed):  # inserted by this claim: no window was recorded for them before
        return [RecordedWindow(by_user[u].delivery_id, s, c, u, k, f, q) for s, u, c, q, k, f in subs]
    ids = [c.delivery_id for c in claimed]
    rows = session.execute(
        select(
            DeliverySubscription.delivery_id,
            DeliverySubscription.subscription_id,
            DeliverySubscription.window_start,
            Subscription.user_id,
            Subscription.skill_id,
            Subscription.confirmed_at,
            DeliverySubscription.search,
        )
        .join(Subscription, Subscription.id == DeliverySubscription.subscription_id)
        .where(any_of(session, DeliverySubscription.delivery_id, ids))
        .order_by(DeliverySubscription.subscription_id)
    ).tuples()
    return [RecordedWindow(*r) for r in rows]


def record_items(
    session: Session, rows: list[tuple[int, int, int, int]], delivery_ids: list[int]
) -> set[tuple[int, int]] | None:
    """Record the shown items (delivery, user, item, skill), each (user, item) once. A concurrent delivery to
    the same person may have taken one: then the (user, item) pairs these deliveries own; None when every
    row was theirs to insert."""
    if insert_ignore(session, DeliveryItem, ("delivery_id", "user_id", "item_id", "skill_id"), rows):
        return None
    items = [i for _, _, i, _ in rows]
    # read on the (user_id, item_id) key: delivery_id has no index of its own
    return set(
        session.execute(
            select(DeliveryItem.user_id, DeliveryItem.item_id).where(
                any_of(session, DeliveryItem.user_id, sorted({u for _, u, _, _ in rows})),
                DeliveryItem.item_id.between(min(items), max(items)),
                any_of(session, DeliveryItem.delivery_id, delivery_ids),
            )
        ).tuples()
    )


@contextmanager
def recording(session: Session, window_end: datetime, now: datetime) -> Iterator[Callable[[Outcome], None]]:
    """A function that records one send's outcome in its own transaction, committed before it returns:
    a worker killed later cannot leave a message the provider accepted in 'sending', for the sweeper to
    send again. On PostgreSQL each record is one statement (digest.store.ledger)."""
    with autocommit_recorder(session, window_end, now) as record_one:
        if record_one is None:

            def record_in_session(outcome: Outcome) -> None:
                record(session, [outcome], window_end, now)
                session.commit()

            yield record_in_session
            return

        def record_alone(outcome: Outcome) -> None:
            delivery_id, status, provider, error = outcome
            advance = status in (DeliveryStatus.sent, DeliveryStatus.empty)
            record_one(delivery_id, status.value, provider, error, advance)

        yield record_alone


def record(session: Session, done: list[Outcome], window_end: datetime, now: datetime) -> None:
    """sending -> the outcome, one statement per outcome, and the cursors of sent and empty digests."""
    if not done:
        return
    for status in DeliveryStatus:
        rows = [(d, p, e) for d, st, p, e in done if st == status]
        for chunk in chunks(rows, 1000):
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
    for chunk in chunks(advanced, 1000):
        subs = select(DeliverySubscription.subscription_id).where(DeliverySubscription.delivery_id.in_(chunk))
        session.execute(
            update(Subscription)
            .where(Subscription.id.in_(subs), Subscription.cursor < window_end)
            .values(cursor=window_end, updated_at=now)
            .execution_options(synchronize_session=False)
        )
