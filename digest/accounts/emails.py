"""Transactional emails (confirmation, notice, sign-in link): decided, then sent at once through the one
suppression check, or queued for the caller to send after answering."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from digest.config import Settings
from digest.mail.message import OutgoingEmail
from digest.mail.render import render_email
from digest.mail.send import send_now


@dataclass(frozen=True)
class PendingEmail:
    """A transactional email decided on but not rendered or sent yet."""

    to: str
    template: str
    context: dict[str, Any]
    key: str
    list_unsubscribe: str | None = None


def send_or_queue(
    session: Session, settings: Settings, pending: PendingEmail, now: datetime, later: list[PendingEmail] | None
) -> bool:
    """Queue `pending` in `later` when given (the caller sends it after answering), else send it now."""
    if later is not None:
        later.append(pending)
        return True
    return send_transactional(session, settings, pending, now)


def send_transactional(session: Session, settings: Settings, pending: PendingEmail, now: datetime) -> bool:
    """Render and send through the one suppression check; False when the address is suppressed."""
    rendered = render_email(pending.template, pending.context)
    email = OutgoingEmail(
        key=pending.key,
        to=pending.to,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        from_email=settings.from_email,
        categories=(pending.template,),
        unsubscribe_url=pending.list_unsubscribe,
    )
    return send_now(session, settings, email, now) is not None
