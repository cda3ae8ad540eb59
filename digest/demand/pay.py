"""Pay and seniority in a skill's demand figures (docs/demand.md, "Pay and seniority"): the stated salaries of
the skill's postings in the window, summarised per currency and period (annualised where the period is known),
each top title's median salary, and the share of postings at each seniority level.

Read from the per-day pay and level rollups (digest.store.pay_rollups, counted by the fold with the other
rollups; the definitions are digest.demand.pay_counts'); memoised per process like the top lists."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import BindParameter, bindparam, func, select
from sqlalchemy.orm import Session

from digest.demand.memo import Memo
from digest.store.models import (
    DemandSkillLevelDay,
    DemandSkillPayDay,
    DemandSkillTitlePayDay,
    JobTitle,
)

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


def quartiles(values: Sequence[float]) -> tuple[int, int, int] | None:
    """(p25, median, p75) rounded to whole units, by statistics.quantiles(n=4, method="inclusive") (the median
    is its middle cut, = statistics.median); None from fewer than MIN_SALARIES values."""
    if len(values) < MIN_SALARIES:
        return None
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return round(q1), round(q2), round(q3)


Salaries = dict[tuple[str | None, str | None], list[float]]  # (currency, "year" or None) -> salaries


def _order(key: tuple[str | None, str | None], n: int) -> tuple[int, bool, str, bool]:
    currency, period = key
    return (-n, currency is None, currency or "", period is None)


def salary_figures(groups: Salaries, postings: int) -> dict[str, Any]:
    """The `salary` object: of the `postings`, how many state a salary, and per (currency, period) the count,
    median and quartiles (null from fewer than MIN_SALARIES)."""
    out = []
    for (currency, period), values in sorted(groups.items(), key=lambda kv: _order(kv[0], len(kv[1]))):
        q = quartiles(values)
        out.append(
            {
                "currency": currency,
                "period": period,
                "postings": len(values),
                "median": q[1] if q else None,
                "p25": q[0] if q else None,
                "p75": q[2] if q else None,
            }
        )
    return {"postings": postings, "stated": sum(len(v) for v in groups.values()), "by_currency": out}


def title_median(currencies: Mapping[str, list[float]]) -> dict[str, Any] | None:
    """A title's median yearly salary in the currency most of its postings state (ties: the first code
    alphabetically), when at least MIN_SALARIES postings state one in it; otherwise None."""
    if not currencies:
        return None
    currency, values = min(currencies.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    if len(values) < MIN_SALARIES:
        return None
    return {"currency": currency, "period": "year", "median": round(statistics.median(values)), "postings": len(values)}


def seniority_figures(counts: Mapping[str, int], postings: int) -> dict[str, Any]:
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
_LEVELS = (
    select(DemandSkillLevelDay.level, func.sum(DemandSkillLevelDay.postings))
    .where(DemandSkillLevelDay.skill_id == _S, DemandSkillLevelDay.day > _A, DemandSkillLevelDay.day <= _B)
    .group_by(DemandSkillLevelDay.level)
)
_P = DemandSkillPayDay
_PAY = (
    select(_P.currency, _P.period, _P.amount, func.sum(_P.postings))
    .where(_P.skill_id == _S, _P.day > _A, _P.day <= _B)
    .group_by(_P.currency, _P.period, _P.amount)
)
_T = DemandSkillTitlePayDay
_TITLE_PAY = (
    select(JobTitle.name, _T.currency, _T.amount, func.sum(_T.postings))
    .join(JobTitle, JobTitle.id == _T.job_title_id)
    .where(
        _T.skill_id == _S,
        _T.job_title_id.in_(select(JobTitle.id).where(JobTitle.name.in_(bindparam("titles", expanding=True)))),
        _T.day > _A,
        _T.day <= _B,
    )
    .group_by(JobTitle.name, _T.currency, _T.amount)
)
_memo = Memo()


def pay_figures(
    session: Session,
    skill_id: int,
    start: date,
    as_of: date,
    postings: int,
    titles: Sequence[str],
    key: tuple[Any, ...] | None = None,
) -> dict[str, Any]:
    """{"salary", "seniority", "title_medians" (title name -> median salary or None, for `titles`)} for the
    skill's postings with start < posted_on <= as_of, from the pay and level rollups (a few hundred rows for
    a frequent skill: salaries repeat). Memoised under `key` (digest.demand.memo.window_key) when one is given."""
    if not postings:
        return {"salary": salary_figures({}, 0), "seniority": seniority_figures({}, 0), "title_medians": {}}
    params = {"skill_id": skill_id, "after": start, "upto": as_of}
    if key:
        key = (*key, tuple(titles))
        if (kept := _memo.get(key)) is not None:
            return kept
    levels = {level: int(n) for level, n in session.execute(_LEVELS, params).tuples()}
    groups: Salaries = defaultdict(list)
    for currency, period, amount, n in session.execute(_PAY, params).tuples():
        groups[(currency or None, period or None)] += [amount] * int(n)
    by_title: dict[str, dict[str, list[float]]] = {t: {} for t in titles}
    if titles:
        for name, currency, amount, n in session.execute(_TITLE_PAY, {**params, "titles": list(titles)}).tuples():
            by_title[name].setdefault(currency, []).extend([amount] * int(n))
    out = {
        "salary": salary_figures(groups, postings),
        "seniority": seniority_figures(levels, postings),
        "title_medians": {t: title_median(c) for t, c in by_title.items()},
    }
    if key:
        _memo.put(key, out)
    return out


def clear_memo() -> None:
    _memo.clear()
