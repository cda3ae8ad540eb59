"""When a subscription is due: hourly at the top of the local hour, daily at the account's send hour in
its time zone, weekly at that hour on its weekday. Pure functions of (preferences, now).

DST: a send hour that does not exist that day (clocks jump forward) sends when the gap ends; a send hour
that happens twice (clocks fall back) sends once, at its first occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.store.models import Cadence

_QUARTER = timedelta(minutes=15)  # every UTC offset in use is a multiple of 15 minutes


@dataclass(frozen=True)
class Prefs:
    cadence: Cadence
    timezone: str = "UTC"
    send_hour: int = 8
    weekday: int = 0  # Monday


class Scheduled(Protocol):
    @property
    def cadence(self) -> Cadence: ...
    @property
    def timezone(self) -> str: ...
    @property
    def send_hour(self) -> int: ...
    @property
    def weekday(self) -> int: ...


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def next_due(prefs: Scheduled, now: datetime) -> datetime:
    """The first scheduled instant strictly after `now` (UTC)."""
    tz = zone(prefs.timezone)
    if prefs.cadence == Cadence.hourly:
        t = _ceil_quarter(now)
        if t == now:
            t += _QUARTER
        while t.astimezone(tz).minute != 0:
            t += _QUARTER
        return t
    day = now.astimezone(tz).date() - timedelta(days=1)
    while True:
        if _runs_on(prefs, day):
            slot = local_instant(day, prefs.send_hour, tz)
            if slot > now:
                return slot
        day += timedelta(days=1)


def previous_due(prefs: Scheduled, now: datetime) -> datetime:
    """The latest scheduled instant at or before `now` (UTC)."""
    tz = zone(prefs.timezone)
    if prefs.cadence == Cadence.hourly:
        t = _floor_quarter(now)
        while t.astimezone(tz).minute != 0:
            t -= _QUARTER
        return t
    day = now.astimezone(tz).date() + timedelta(days=1)
    while True:
        if _runs_on(prefs, day):
            slot = local_instant(day, prefs.send_hour, tz)
            if slot <= now:
                return slot
        day -= timedelta(days=1)


def local_instant(day: date, hour: int, tz: ZoneInfo) -> datetime:
    """`hour`:00 local on `day` as a UTC instant. fold=0 picks the first of a repeated hour, and for an
    hour skipped by DST it applies the pre-transition offset, which lands exactly where the gap ends."""
    return datetime.combine(day, time(hour), tzinfo=tz).astimezone(UTC)


def _runs_on(prefs: Scheduled, day: date) -> bool:
    return prefs.cadence == Cadence.daily or day.weekday() == prefs.weekday


def _floor_quarter(t: datetime) -> datetime:
    t = t.astimezone(UTC)
    return t.replace(minute=t.minute - t.minute % 15, second=0, microsecond=0)


def _ceil_quarter(t: datetime) -> datetime:
    f = _floor_quarter(t)
    return f if f == t else f + _QUARTER
