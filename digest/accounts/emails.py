"""Transactional emails. Sign-up emails (a confirmation, or the notice that a subscription already runs) are
owed in the request's transaction, as a `deliveries` row the worker claims, renders and sends through the
ledger (digest.delivery.signups): nothing is lost on a crash and each is sent once. A sign-in link is
decided, then sent at once through the one suppression check, or queued for the caller to send after
answering."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from digest.config import Settings
from digest.mail.message import OutgoingEmail
from digest.mail.render import render_email
from digest.mail.send import send_now
from digest.store.bulk import insert_new
from digest.store.models import Delivery, DeliveryKind, DeliveryStatus

CONFIRM = "confirm"
ALREADY_SUBSCRIBED = "already_subscribed"


@dataclass(frozen=True)
class PendingEmail:
    """A transactional email decided on but not rendered or sent yet."""

    to: str
    template: str
    context: dict[str, Any]
    key: str
    list_unsubscribe: str | None = None


def owe_signup_email(session: Session, user_id: int, subscription_id: int, template: str, now: datetime) -> int | None:
    """A pending `confirm` delivery for the subscription (its key: the subscription and the instant, so a
    concurrent duplicate inserts nothing): its id, None for such a duplicate. One statement."""
    row = {"user_id": user_id, "kind": DeliveryKind.confirm, "cadence": f"sub-{subscription_id}", "window_end": now,
           "status": DeliveryStatus.pending, "attempts": 0, "created_at": now, "updated_at": now,
           "payload": {"template": template, "subscription_id": subscription_id}}  # fmt: skip
    return insert_new(session, cast(Table, Delivery.__table__), row)


def send_or_queue(
    session: Session, settings: Settings, pending: PendingEmail, now: datetime, later: list[PendingEmail] | None
) -> bool:
    """Queue `pending` in `later` when given (the caller sends it after answering), else send it now."""
    if later is not None:
        later.append(pending)
        return True
    return send_transactional(session, settings, pending, now)


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


def send_transactional(session: Session, settings: Settings, pending: PendingEmail, now: datetime) -> bool:
    """Render and send through the one suppression check; False when the address is suppressed."""
    return send_now(session, settings, transactional_email(settings, pending), now) is not None
