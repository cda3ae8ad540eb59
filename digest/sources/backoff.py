"""When to poll a feed next: server hints on success, exponential backoff with jitter on errors."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

_MAX_AGE = re.compile(r"(?:^|[,\s])(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return dt if dt.tzinfo else None


def retry_after_seconds(value: str | None, now: datetime) -> int | None:
    """Retry-After as seconds: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    when = _http_date(value)
    return max(0, int((when - now).total_seconds())) if when else None


def hint_seconds(headers: Mapping[str, str], now: datetime, ttl_minutes: int | None = None) -> int:
    """The largest wait the server asked for: RSS <ttl>, Cache-Control max-age, Expires, Retry-After."""
    hints = [0]
    if ttl_minutes:
        hints.append(ttl_minutes * 60)
    cache_control = headers.get("cache-control") or ""
    if m := _MAX_AGE.search(cache_control):
        hints.append(int(m[1]))
    if "max-age" not in cache_control.lower() and (expires := _http_date(headers.get("expires"))):
        hints.append(int((expires - now).total_seconds()))
    if (ra := retry_after_seconds(headers.get("retry-after"), now)) is not None:
        hints.append(ra)
    return max(hints)


def clamp(seconds: float, low: int, high: int) -> float:
    return min(max(seconds, low), high)


def next_poll_ok(
    now: datetime,
    base_interval: int,
    headers: Mapping[str, str],
    ttl_minutes: int | None,
    low: int,
    high: int,
) -> datetime:
    """After a successful poll: the larger of the kind's interval and the server's hints, clamped."""
    seconds = max(base_interval, hint_seconds(headers, now, ttl_minutes))
    return now + timedelta(seconds=clamp(seconds, low, high))


def next_poll_error(
    now: datetime,
    failures: int,
    base: int,
    ceiling: int,
    retry_after: int | None = None,
    rand: Callable[[], float] = random.random,
) -> datetime:
    """After the n-th consecutive failure: base * 2^(n-1), ±20% jitter, capped at the ceiling; never sooner
    than the server's Retry-After (within the ceiling)."""
    delay = min(float(ceiling), base * 2.0 ** max(0, failures - 1))
    delay *= 0.8 + 0.4 * rand()
    if retry_after:
        delay = max(delay, float(retry_after))
    return now + timedelta(seconds=min(delay, float(ceiling)))
