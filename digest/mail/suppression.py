"""The one suppression check every send goes through: unsubscribed-from-everything, bounced and
complained addresses are never emailed again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.store.engine import any_of
from digest.store.models import Suppression


def canonical_address(address: str) -> str:
    """The form addresses are stored and compared in: trimmed, lower-cased."""
    return address.strip().lower()


def is_suppressed(session: Session, address: str) -> bool:
    email = canonical_address(address)
    return session.scalar(select(Suppression.id).where(Suppression.email == email)) is not None


def suppressed_among(session: Session, addresses: list[str]) -> set[str]:
    """The same check for many addresses in one query: the canonical forms that are suppressed."""
    wanted = sorted({canonical_address(a) for a in addresses})
    found: set[str] = set()
    for i in range(0, len(wanted), 1000):
        chunk = wanted[i : i + 1000]
        found.update(session.scalars(select(Suppression.email).where(any_of(session, Suppression.email, chunk))))
    return found


def suppress(session: Session, address: str, reason: str, now: datetime) -> None:
    """Idempotent: the first reason is kept."""
    email = canonical_address(address)
    if not is_suppressed(session, email):
        session.add(Suppression(email=email, reason=reason, created_at=now))
        session.flush()
