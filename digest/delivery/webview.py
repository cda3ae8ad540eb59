"""The web view of a sent digest: every item, rebuilt as the digest was built, for the holder of its link."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.config import Settings
from digest.delivery.build import compose
from digest.delivery.context import Context
from digest.delivery.links import read_view_token
from digest.delivery.plan import plan
from digest.delivery.preview import NullBackend
from digest.delivery.state import Window, first_window_start, search_of
from digest.mail.content import Digest
from digest.store.models import Delivery, DeliveryKind, DeliverySubscription, Subscription, User


def web_view(session: Session, settings: Settings, delivery_id: int, token: str, now: datetime) -> Digest:
    """Every item of a digest, grouped as in its email: the windows it covered, rebuilt as they were built
    (items another delivery had taken before it stay out; its own stay in), without the per-section cap.
    Raises InvalidToken (ExpiredToken) for a link that is not this digest's, or LookupError when gone."""
    user_id = read_view_token(settings, token, delivery_id, now)
    row = session.get(Delivery, delivery_id)
    if row is None or row.user_id != user_id or row.kind != DeliveryKind.digest:
        raise LookupError("this digest no longer exists")
    user = session.get(User, row.user_id)
    assert user is not None
    windows = session.execute(
        select(DeliverySubscription.subscription_id, DeliverySubscription.window_start, Subscription.skill_id,
               Subscription.confirmed_at, DeliverySubscription.search)
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
            first_window_start(w.window_start, w.confirmed_at),
            search_of(w.search),
        )
        for w in windows
    ]
    ctx = Context.for_settings(settings, backend=NullBackend())
    planned = plan(session, ctx, wins, {user.id: delivery_id}, row.window_end, cap=None, taken_before=delivery_id)
    subscription_ids = [w.subscription_id for w in windows]
    digest = compose(
        ctx,
        user.id,
        user.email,
        row.cadence,
        row.window_end,
        planned.get(user.id, []),
        subscription_ids,
        now,
        delivery_id,
    )
    session.rollback()
    return replace(digest, web_url=None)
