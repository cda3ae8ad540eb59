"""Who is due: the batches of users whose digest slot has come, and the sweeper's stuck deliveries."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from digest.accounts.slots import Prefs, previous_due
from digest.config import Settings
from digest.store.models import (
    Cadence,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Subscription,
    SubscriptionStatus,
    Suppression,
    User,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10  # claims of one delivery before the sweeper gives up and marks it failed


@dataclass(frozen=True)
class Batch:
    """Users due at one cadence and slot, handed to one delivery task."""

    user_ids: list[int]
    cadence: str
    window_end: datetime


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


def stuck_deliveries(session: Session, settings: Settings, now: datetime) -> list[int]:
    """Deliveries left in 'pending' or 'sending' past the deadline (a crashed worker, a lost task, a
    provider outage). Ones tried too often are marked failed instead."""
    before = now - timedelta(seconds=settings.delivery_stuck_after)
    stale = and_(
        Delivery.status.in_([DeliveryStatus.pending, DeliveryStatus.sending]),
        Delivery.updated_at <= before,
        Delivery.kind.in_([DeliveryKind.digest, DeliveryKind.alert, DeliveryKind.confirm, DeliveryKind.login]),
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
