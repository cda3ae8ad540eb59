"""The one place that reads the wall clock. Everything time-dependent takes `now`."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return utcnow().date()


def parse_now(value: str | None) -> datetime:
    """An ISO 8601 instant (naive means UTC), or the real clock when None."""
    if value is None:
        return utcnow()
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return ensure_utc(dt)


def ensure_utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
