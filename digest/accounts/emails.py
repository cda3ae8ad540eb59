"""Transactional emails: sign-up emails (a confirmation, or the notice that a subscription already runs) and
sign-in links are owed in the request's transaction, as a `deliveries` row the worker claims, renders and
sends through the ledger (digest.delivery.signups): nothing is lost on a crash and each is sent once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from digest.config import Settings
from digest.mail.message import OutgoingEmail
from digest.mail.render import render_email
from digest.store.bulk import insert_new
from digest.store.models import Delivery, DeliveryKind, DeliveryStatus

CONFIRM = "confirm"
ALREADY_SUBSCRIBED = "already_subscribed"
LOGIN = "login"


@dataclass(frozen=True)
class PendingEmail:
    """A transactional email decided on but not rendered or sent yet."""

    to: str
    template: str
    context: dict[str, Any]
    key: str
    list_unsubscribe: str | None = None


def owe_email(
    session: Session, user_id: int, kind: DeliveryKind, key: str, payload: dict[str, Any], now: datetime
) -> int | None:
    """A pending delivery of `kind`, unique per user, kind, `key` and instant (a concurrent duplicate inserts
    nothing): its id, None for such a duplicate. One statement."""
    row = {"user_id": user_id, "kind": kind, "cadence": key, "window_end": now, "status": DeliveryStatus.pending,
           "attempts": 0, "created_at": now, "updated_at": now, "payload": payload}  # fmt: skip
    return insert_new(session, cast(Table, Delivery.__table__), row)


def owe_signup_email(session: Session, user_id: int, subscription_id: int, template: str, now: datetime) -> int | None:
    """A pending `confirm` delivery for the subscription (keyed by the subscription and the instant)."""
    payload = {"template": template, "subscription_id": subscription_id}
    return owe_email(session, user_id, DeliveryKind.confirm, f"sub-{subscription_id}", payload, now)


def transactional_email(settings: Settings, pending: PendingEmail) -> OutgoingEmail:
    rendered = render_email(pending.template, pending.context)
    return OutgoingEmail(
        key=pending.key,
        to=pending.to,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        from_email=settings.from_email,
        categories=(pending.template,),
        unsubscribe_url=pending.list_unsubscribe,
    )
