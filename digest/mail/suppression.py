"""The one suppression check every send goes through: unsubscribed-from-everything, bounced and
complained addresses are never emailed again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.models import Suppression


def canonical_address(address: str) -> str:
    """The form addresses are stored and compared in: trimmed, lower-cased."""
    return address.strip().lower()


def is_suppressed(session: Session, address: str) -> bool:
    email = canonical_address(address)
    return session.scalar(select(Suppression.id).where(Suppression.email == email)) is not None


def suppress(session: Session, address: str, reason: str, now: datetime) -> None:
    """Idempotent: the first reason is kept."""
    email = canonical_address(address)
    if not is_suppressed(session, email):
        session.add(Suppression(email=email, reason=reason, created_at=now))
        session.flush()
