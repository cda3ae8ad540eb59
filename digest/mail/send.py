"""Send one transactional email now (confirmation, magic link), through the suppression check."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from digest.config import Settings
from digest.mail.backends import get_backend
from digest.mail.message import OutgoingEmail
from digest.mail.suppression import is_suppressed


def send_now(session: Session, settings: Settings, email: OutgoingEmail, now: datetime) -> str | None:
    """The provider's message id, or None when the address is suppressed (nothing is sent)."""
    if is_suppressed(session, email.to):
        return None
    return get_backend(settings).send(email, now)
