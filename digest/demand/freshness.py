"""How fresh the demand figures are: how many postings the window to a day holds, and the newest day that has
any. Pages and `import-jobs` say both, so stale data never reads as zero demand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest.demand.window import WINDOW_DAYS
from digest.store.models import DemandTotalDay


@dataclass(frozen=True)
class Freshness:
    as_of: date
    window_days: int
    window_postings: int  # all postings dated in the window (as_of - window_days, as_of]
    newest_day: date | None  # the newest posting day on or before as_of, if any

    @property
    def window_start(self) -> date:
        return self.as_of - timedelta(days=self.window_days - 1)

    @property
    def empty(self) -> bool:
        return self.window_postings == 0


def freshness(session: Session, as_of: date) -> Freshness:
    after = as_of - timedelta(days=WINDOW_DAYS)
    in_window = select(func.coalesce(func.sum(DemandTotalDay.postings), 0)).where(
        DemandTotalDay.day > after, DemandTotalDay.day <= as_of
    )
    newest = select(func.max(DemandTotalDay.day)).where(DemandTotalDay.day <= as_of, DemandTotalDay.postings > 0)
    return Freshness(
        as_of=as_of,
        window_days=WINDOW_DAYS,
        window_postings=int(session.execute(in_window).scalar_one()),
        newest_day=session.execute(newest).scalar(),
    )


def counts_day(session: Session, today: date) -> Freshness:
    """The window that lists of skills count postings in: the one to today, or, when it holds none, the one
    to the newest day with postings (stale data still ranks skills, and says as of when)."""
    fresh = freshness(session, today)
    if fresh.empty and fresh.newest_day is not None:
        return freshness(session, fresh.newest_day)
    return fresh


def day_words(day: date) -> str:
    """'6 Dec 2026': a date a person reads at a glance, in any locale's order."""
    return f"{day.day} {day:%b %Y}"


def freshness_words(f: Freshness) -> str:
    """One sentence on the window: how many postings it holds, or that it holds none and where the data ends."""
    if not f.empty:
        return f"{f.window_postings:,} job postings fall in the {f.window_days} days to {day_words(f.as_of)}."
    if f.newest_day is None:
        return f"No job postings fall in the {f.window_days} days to {day_words(f.as_of)}: there are none yet."
    return (
        f"No job postings fall in the {f.window_days} days to {day_words(f.as_of)}: "
        f"the newest are from {day_words(f.newest_day)}."
    )
