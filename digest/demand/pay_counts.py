"""The definitions of pay and seniority (docs/demand.md, "Pay and seniority") as pure functions, and the pay and
seniority rollups counted straight from the raw postings (the reference `rollups.check` compares the stored
rollups with; the fold computes the same in SQL, digest.store.pay_rollups)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.store.models import DemandPending, Item, ItemKind, ItemSkill

# a year's worth of each period: 40 hours x 52 weeks, 5 days x 52 weeks
ANNUAL = {"hour": 2080, "day": 260, "week": 52, "month": 12, "year": 1}


def stated_salary(low: float | None, high: float | None) -> float | None:
    """A posting's salary: the midpoint of its stated range, or its one stated figure; None when it states none."""
    if low is not None and high is not None:
        return (low + high) / 2
    return low if low is not None else high


def annualised(value: float, period: str | None) -> tuple[float, str | None]:
    """(value a year, "year") when the period is known; (value as stated, None) when it is not."""
    factor = ANNUAL.get(period or "")
    return (value * factor, "year") if factor else (value, None)


def raw_pay_counts(session: Session) -> dict[str, Counter[tuple[Any, ...]]]:
    """The skill_level, skill_pay and skill_title_pay rollups from the counted job postings' items."""
    counted = (Item.kind == ItemKind.job) & Item.posted_on.is_not(None) & Item.id.not_in(select(DemandPending.item_id))
    counts: dict[str, Counter[tuple[Any, ...]]] = {"skill_level": Counter(), "skill_pay": Counter()}
    counts["skill_title_pay"] = Counter()
    rows = session.execute(
        select(
            ItemSkill.skill_id,
            Item.posted_on,
            Item.job_title_id,
            Item.seniority,
            Item.salary_min,
            Item.salary_max,
            Item.salary_currency,
            Item.salary_period,
        )
        .join(Item, Item.id == ItemSkill.item_id)
        .where(counted)
    ).tuples()
    for skill_id, day, title_id, level, low, high, currency, period in rows:
        assert isinstance(day, date)
        if level is not None:
            counts["skill_level"][(skill_id, day, level)] += 1
        value = stated_salary(low, high)
        if value is None:
            continue
        amount, year = annualised(value, period)
        counts["skill_pay"][(skill_id, day, currency or "", year or "", amount)] += 1
        if title_id is not None and currency is not None and year:
            counts["skill_title_pay"][(skill_id, title_id, day, currency, amount)] += 1
    return counts
