"""Pay and seniority in a skill's demand figures (docs/demand.md, "Pay and seniority"): the stated salaries of
the skill's postings in the window, summarised per currency and period (annualised where the period is known),
each top title's median salary, and the share of postings at each seniority level.

Read from `items` (salary and seniority are stored on the posting at ingest, never updated), one range of the
item_skills index for the skill's postings in the window; memoised per process like the top lists."""

from __future__ import annotations

import copy
import statistics
import threading
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import BindParameter, bindparam, exists, func, select
from sqlalchemy.orm import Session

from digest.demand.rollups import REBUILT
from digest.store.models import DemandPending, DemandTotalDay, Heartbeat, Item, ItemKind, ItemSkill, JobTitle

# a year's worth of each period: 40 hours x 52 weeks, 5 days x 52 weeks
ANNUAL = {"hour": 2080, "day": 260, "week": 52, "month": 12, "year": 1}
MIN_SALARIES = 5  # no median or quartile from fewer stated salaries
# the levels digest.sources.seniority gives a posting, in order (demand does not import sources: a test checks
# that both say the same)
LABELS = {
    "intern": "intern",
    "junior": "junior",
    "mid": "mid-level",
    "senior": "senior",
    "staff": "staff/principal",
    "lead": "lead/manager",
}
LEVELS = tuple(LABELS)


def stated_salary(low: float | None, high: float | None) -> float | None:
    """A posting's salary: the midpoint of its stated range, or its one stated figure; None when it states none."""
    if low is not None and high is not None:
        return (low + high) / 2
    return low if low is not None else high


def annualised(value: float, period: str | None) -> tuple[float, str | None]:
    """(value a year, "year") when the period is known; (value as stated, None) when it is not."""
    factor = ANNUAL.get(period or "")
    return (value * factor, "year") if factor else (value, None)


def quartiles(values: Sequence[float]) -> tuple[int, int, int] | None:
    """(p25, median, p75) rounded to whole units, by statistics.quantiles(n=4, method="inclusive") (the median
    is its middle cut, = statistics.median); None from fewer than MIN_SALARIES values."""
    if len(values) < MIN_SALARIES:
        return None
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return round(q1), round(q2), round(q3)


@dataclass(frozen=True)
class PayRow:
    job_title_id: int | None
    low: float | None
    high: float | None
    currency: str | None
    period: str | None


def _order(key: tuple[str | None, str | None], n: int) -> tuple[int, int, str, int]:
    currency, period = key
    return (-n, currency is None, currency or "", period is None)


def salary_figures(rows: Iterable[PayRow], postings: int) -> dict[str, Any]:
    """The `salary` object: of the `postings`, how many state a salary, and per (currency, period) the count,
    median and quartiles (null from fewer than MIN_SALARIES)."""
    groups: dict[tuple[str | None, str | None], list[float]] = defaultdict(list)
    for r in rows:
        value = stated_salary(r.low, r.high)
        if value is None:
            continue
        amount, period = annualised(value, r.period)
        groups[(r.currency, period)].append(amount)
    out = []
    for (currency, period), values in sorted(groups.items(), key=lambda kv: _order(kv[0], len(kv[1]))):
        q = quartiles(values)
        out.append(
            {
                "currency": currency,
                "period": period,
                "postings": len(values),
                "median": q and q[1],
                "p25": q and q[0],
                "p75": q and q[2],
            }
        )
    return {"postings": postings, "stated": sum(len(v) for v in groups.values()), "by_currency": out}


def title_medians(rows: Iterable[PayRow]) -> dict[int, dict[str, Any]]:
    """Per job title, the median yearly salary in the currency most of its postings state (ties: the first code
    alphabetically), when at least MIN_SALARIES postings state one in it; titles without are left out."""
    by_title: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        value = stated_salary(r.low, r.high)
        if value is None or r.job_title_id is None or r.currency is None:
            continue
        amount, period = annualised(value, r.period)
        if period == "year":
            by_title[r.job_title_id][r.currency].append(amount)
    out = {}
    for title_id, currencies in by_title.items():
        currency, values = min(currencies.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        if len(values) >= MIN_SALARIES:
            out[title_id] = {
                "currency": currency,
                "period": "year",
                "median": round(statistics.median(values)),
                "postings": len(values),
            }
    return out


def seniority_figures(counts: Mapping[str | None, int], postings: int) -> dict[str, Any]:
    """The `seniority` object: of the `postings`, how many have a known level, and for every level (in LEVELS
    order) its postings and share of those with a known level."""
    known = {level: counts.get(level, 0) for level in LEVELS}
    stated = sum(known.values())
    return {
        "postings": postings,
        "stated": stated,
        "levels": [
            {
                "level": level,
                "label": LABELS[level],
                "postings": n,
                "share": round(n / stated, 3) if stated else 0.0,
            }
            for level, n in known.items()
        ],
    }


_S: BindParameter[int] = bindparam("skill_id")
_A: BindParameter[date] = bindparam("after")
_B: BindParameter[date] = bindparam("upto")
_COUNTED = (  # the skill's counted job postings in the window: one range of ix_item_skills_skill_posted_on
    ItemSkill.skill_id == _S,
    ItemSkill.posted_on > _A,
    ItemSkill.posted_on <= _B,
    Item.kind == ItemKind.job,
    ~exists().where(DemandPending.item_id == ItemSkill.item_id),
)
# one pass over the skill's postings in the window, grouped: most postings state no salary, so the groups are
# few (level x title), and every stated salary comes with its count
_POSTINGS = (
    select(
        Item.seniority,
        Item.job_title_id,
        Item.salary_min,
        Item.salary_max,
        Item.salary_currency,
        Item.salary_period,
        func.count(),
    )
    .select_from(ItemSkill)
    .join(Item, Item.id == ItemSkill.item_id)
    .where(*_COUNTED)
    .group_by(
        Item.seniority,
        Item.job_title_id,
        Item.salary_min,
        Item.salary_max,
        Item.salary_currency,
        Item.salary_period,
    )
)
_TITLE_NAMES = select(JobTitle.id, JobTitle.name).where(JobTitle.id.in_(bindparam("title_ids", expanding=True)))
_TOTAL = select(func.coalesce(func.sum(DemandTotalDay.postings), 0)).where(
    DemandTotalDay.day > _A, DemandTotalDay.day <= _B
)
_GENERATION = select(Heartbeat.at).where(Heartbeat.name == REBUILT)
_cache: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_cache_lock = threading.Lock()
CACHE_SIZE = 4096


def pay_figures(session: Session, skill_id: int, start: date, as_of: date, postings: int, memo: bool) -> dict[str, Any]:
    """{"salary", "seniority", "title_medians" (title name -> median salary)} for the skill's postings with
    start < posted_on <= as_of. `memo` as demand_figures' top lists: the key moves with any posting counted
    in the window and with a rebuild."""
    if not postings:
        return {"salary": salary_figures((), 0), "seniority": seniority_figures({}, 0), "title_medians": {}}
    params = {"skill_id": skill_id, "after": start, "upto": as_of}
    key: tuple[Any, ...] = ()
    if memo:
        key = (
            str(session.get_bind().engine.url),
            skill_id,
            as_of,
            postings,
            session.execute(_TOTAL, params).scalar_one(),
            session.execute(_GENERATION).scalar(),
        )
        with _cache_lock:
            if key in _cache:
                _cache.move_to_end(key)
                return copy.deepcopy(_cache[key])
    rows: list[PayRow] = []
    levels: Counter[str | None] = Counter()
    for level, title_id, low, high, currency, period, n in session.execute(_POSTINGS, params).tuples():
        levels[level] += int(n)
        if low is not None or high is not None:
            rows += [PayRow(title_id, low, high, currency, period)] * int(n)
    medians = title_medians(rows)
    names = dict(session.execute(_TITLE_NAMES, {"title_ids": list(medians)}).tuples().all()) if medians else {}
    out = {
        "salary": salary_figures(rows, postings),
        "seniority": seniority_figures(levels, postings),
        "title_medians": {names[t]: m for t, m in medians.items()},
    }
    if memo:
        with _cache_lock:
            _cache[key] = copy.deepcopy(out)
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return out


def clear_memo() -> None:
    with _cache_lock:
        _cache.clear()
