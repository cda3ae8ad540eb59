from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from digest.accounts.slots import Prefs, next_due, previous_due
from digest.store.models import Cadence


def utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def test_hourly_is_the_top_of_the_local_hour() -> None:
    assert next_due(Prefs(Cadence.hourly), utc(2026, 5, 17, 10, 0)) == utc(2026, 5, 17, 11, 0)
    assert next_due(Prefs(Cadence.hourly), utc(2026, 5, 17, 10, 0, 1)) == utc(2026, 5, 17, 11, 0)
    # India is UTC+5:30: the top of its local hour is half past in UTC
    assert next_due(Prefs(Cadence.hourly, "Asia/Kolkata"), utc(2026, 5, 17, 10, 0)) == utc(2026, 5, 17, 10, 30)
    assert previous_due(Prefs(Cadence.hourly, "Asia/Kolkata"), utc(2026, 5, 17, 10, 0)) == utc(2026, 5, 17, 9, 30)


def test_daily_at_the_send_hour_in_the_zone() -> None:
    p = Prefs(Cadence.daily, "America/New_York", send_hour=8)
    assert next_due(p, utc(2026, 5, 17, 11, 0)) == utc(2026, 5, 17, 12, 0)  # 08:00 EDT
    assert next_due(p, utc(2026, 5, 17, 12, 0)) == utc(2026, 5, 18, 12, 0)
    assert previous_due(p, utc(2026, 5, 17, 12, 0)) == utc(2026, 5, 17, 12, 0)
    assert next_due(p, utc(2026, 1, 17, 11, 0)) == utc(2026, 1, 17, 13, 0)  # 08:00 EST


def test_weekly_on_the_weekday() -> None:
    p = Prefs(Cadence.weekly, "Europe/Berlin", send_hour=9, weekday=4)  # Friday
    assert next_due(p, utc(2026, 5, 17, 0, 0)) == utc(2026, 5, 22, 7, 0)  # Fri 09:00 CEST
    assert previous_due(p, utc(2026, 5, 17, 0, 0)) == utc(2026, 5, 15, 7, 0)


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        # clocks jump 02:00 -> 03:00: a 02:00 send goes out when the gap ends, 03:00 local
        ("America/New_York", (2026, 3, 8), utc(2026, 3, 8, 7, 0)),
        ("Europe/London", (2026, 3, 29), None),  # 01:00 -> 02:00, send hour 2 exists
        ("Australia/Sydney", (2026, 10, 4), utc(2026, 10, 3, 16, 0)),  # 02:00 -> 03:00 AEDT (UTC+11)
    ],
)
def test_skipped_hour_sends_at_the_next_valid_time(
    zone: str, day: tuple[int, int, int], expected: datetime | None
) -> None:
    p = Prefs(Cadence.daily, zone, send_hour=2)
    start = datetime(*day, tzinfo=UTC) - timedelta(days=1)
    got = next_due(p, start)
    while got.astimezone(p_zone(zone)).date() < datetime(*day).date():
        got = next_due(p, got)
    if expected is not None:
        assert got == expected
        assert got.astimezone(p_zone(zone)).hour == 3
    else:
        assert got.astimezone(p_zone(zone)).hour == 2


def p_zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def test_repeated_hour_sends_once() -> None:
    # New York falls back 02:00 -> 01:00 on 2026-11-01: 01:00 local happens twice
    p = Prefs(Cadence.daily, "America/New_York", send_hour=1)
    slots = []
    t = utc(2026, 10, 31, 0, 0)
    while t < utc(2026, 11, 3, 0, 0):
        t = next_due(p, t)
        slots.append(t)
    on_the_day = [s for s in slots if s.astimezone(p_zone("America/New_York")).date().day == 1]
    assert on_the_day == [utc(2026, 11, 1, 5, 0)]  # the first 01:00 (EDT)


def test_hourly_across_dst_has_no_gaps_or_repeats() -> None:
    p = Prefs(Cadence.hourly, "Europe/Berlin")
    t, seen = utc(2026, 10, 24, 22, 0), []
    for _ in range(30):
        t = next_due(p, t)
        seen.append(t)
    assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(seen))


def test_unknown_zone_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        next_due(Prefs(Cadence.daily, "Mars/Olympus"), utc(2026, 1, 1))
