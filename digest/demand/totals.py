"""The window's figures as DESIGN.md defines them, pure functions of a skill's daily posting counts: the one
definition that the demand JSON (digest.demand.figures) and a digest's batched snapshot (digest.demand.snapshot)
both use."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from digest.demand.weeks import monday, weeks_meeting
from digest.demand.window import WINDOW_DAYS

MIN_TOTAL = 20  # postings across the 8 weeks compared, below which the shift test does not run (and says nothing)


def window_totals(days: Mapping[date, int], as_of: date) -> tuple[int, int, int, float | None]:
    """(postings, recent_4_weeks, prior_4_weeks, change_vs_prior_4_weeks) of the daily counts of the window
    ending at `as_of` (days after as_of - WINDOW_DAYS, up to as_of), as DESIGN.md defines them."""

    def total(lo: int, hi: int) -> int:  # postings with as_of - lo < d <= as_of - hi
        return sum(n for d, n in days.items() if as_of - timedelta(days=lo) < d <= as_of - timedelta(days=hi))

    recent, prior = total(28, 0), total(56, 28)
    return sum(days.values()), recent, prior, round(recent / prior - 1, 3) if prior else None


def weekly_totals(days: Mapping[date, int], as_of: date) -> tuple[tuple[date, int], ...]:
    """Postings per ISO week (Monday, postings) of every week that meets the window ending at `as_of`."""
    first = as_of - timedelta(days=WINDOW_DAYS - 1)
    weekly = dict.fromkeys(weeks_meeting(first, as_of), 0)
    for d, n in days.items():
        if first <= d <= as_of:
            weekly[monday(d)] += n
    return tuple(weekly.items())
