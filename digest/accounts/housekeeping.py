"""Forgetting what can no longer matter: old rate-limit events, spent single-use links, expired sessions."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from digest.accounts.ratelimit import prune
from digest.config import Settings
from digest.store.models import UsedToken, UserSession


def housekeeping(session: Session, settings: Settings, now: datetime) -> int:
    """Forget what can no longer matter: rate-limit events older than a day, spent single-use tokens older
    than the longest single-use link (an expired link is refused anyway) and expired sessions. The rows
    deleted."""
    keep = timedelta(seconds=max(settings.confirm_link_max_age, settings.login_link_max_age)) + timedelta(days=1)
    result = session.execute(delete(UsedToken).where(UsedToken.used_at < now - keep))
    expired = session.execute(delete(UserSession).where(UserSession.expires_at <= now))
    return prune(session, now) + sum(int(getattr(r, "rowcount", 0) or 0) for r in (result, expired))
