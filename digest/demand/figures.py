"""A skill's demand figures, exactly as DESIGN.md defines them, read from the per-day rollups (and the
pair window, digest.demand.window)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import BindParameter, bindparam, exists, func, select
from sqlalchemy.orm import Session, aliased

from digest.demand import pay, window
from digest.demand.employers import clear_memo as clear_employer_memo
from digest.demand.employers import employer_figures
from digest.demand.memo import Memo, window_key
from digest.demand.totals import weekly_totals, window_totals
from digest.demand.window import WINDOW_DAYS
from digest.store.models import (
    DemandPending,
    DemandSkillDay,
    DemandSkillMetroDay,
    DemandSkillMetroWindow,
    DemandSkillPairWindow,
    DemandSkillTitleDay,
    DemandSkillTitleWindow,
    DemandTitleDay,
    DemandTitleWindow,
    ItemSkill,
    JobTitle,
    Metro,
    Skill,
)

TOP = 10


def _share(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0


# Built once: a stats answer is a handful of indexed reads, so statement construction would dominate.
_S: BindParameter[int] = bindparam("skill_id")
_A: BindParameter[date] = bindparam("after")
_B: BindParameter[date] = bindparam("upto")
_DAYS = select(DemandSkillDay.day, DemandSkillDay.postings).where(
    DemandSkillDay.skill_id == _S, DemandSkillDay.day > _A, DemandSkillDay.day <= _B, DemandSkillDay.postings != 0
)
_n_title = func.sum(DemandSkillTitleDay.postings).label("n")
_top_titles = (
    select(DemandSkillTitleDay.job_title_id, _n_title)
    .where(DemandSkillTitleDay.skill_id == _S, DemandSkillTitleDay.day > _A, DemandSkillTitleDay.day <= _B)
    .group_by(DemandSkillTitleDay.job_title_id)
    .subquery()
)
_TITLES = (
    select(JobTitle.id, JobTitle.name, _top_titles.c.n)
    .join(_top_titles, _top_titles.c.job_title_id == JobTitle.id)
    .where(_top_titles.c.n > 0)
    .order_by(_top_titles.c.n.desc(), JobTitle.name)
    .limit(TOP)
)
_TITLE_TOTALS = (
    select(DemandTitleDay.job_title_id, func.sum(DemandTitleDay.postings))
    .where(
        DemandTitleDay.job_title_id.in_(bindparam("title_ids", expanding=True)),
        DemandTitleDay.day > _A,
        DemandTitleDay.day <= _B,
    )
    .group_by(DemandTitleDay.job_title_id)
)
_n_metro = func.sum(DemandSkillMetroDay.postings).label("n")
_metro_sums = (  # aggregate first, then join the names of the metros (not of every day row)
    select(DemandSkillMetroDay.metro_id, _n_metro)
    .where(DemandSkillMetroDay.skill_id == _S, DemandSkillMetroDay.day > _A, DemandSkillMetroDay.day <= _B)
    .group_by(DemandSkillMetroDay.metro_id)
    .subquery()
)
_METROS = (
    select(Metro.name, _metro_sums.c.n)
    .join(_metro_sums, _metro_sums.c.metro_id == Metro.id)
    .where(_metro_sums.c.n > 0)
    .order_by(_metro_sums.c.n.desc(), Metro.name)
)
# On the window table's date (today, as the beat keeps it) the top lists come from the window sums
_TW, _TT, _MW = DemandSkillTitleWindow, DemandTitleWindow, DemandSkillMetroWindow
_TITLES_WINDOW = (
    select(JobTitle.id, JobTitle.name, _TW.postings)
    .join(_TW, _TW.job_title_id == JobTitle.id)
    .where(_TW.skill_id == _S, _TW.postings > 0)
    .order_by(_TW.postings.desc(), JobTitle.name)
    .limit(TOP)
)
_TITLE_TOTALS_WINDOW = select(_TT.job_title_id, _TT.postings).where(
    _TT.job_title_id.in_(bindparam("title_ids", expanding=True))
)
_METROS_WINDOW = (
    select(Metro.name, _MW.postings)
    .join(_MW, _MW.metro_id == Metro.id)
    .where(_MW.skill_id == _S, _MW.postings > 0)
    .order_by(_MW.postings.desc(), Metro.name)
)


# paired_skills on any other date: the pairs of the skill's counted postings in that window (one range of
# the item_skills index by skill and day, then each posting's other skills)
_mine, _other = aliased(ItemSkill), aliased(ItemSkill)
_pair_sums = (
    select(_other.skill_id.label("other_skill_id"), func.count().label("n"))
    .select_from(_mine)
    .join(_other, (_other.item_id == _mine.item_id) & (_other.skill_id != _mine.skill_id))
    .where(
        _mine.skill_id == _S,
        _mine.posted_on > _A,
        _mine.posted_on <= _B,
        ~exists().where(DemandPending.item_id == _mine.item_id),
    )
    .group_by(_other.skill_id)
    .subquery()
)
_PAIRS = (
    select(Skill.slug, Skill.name, _pair_sums.c.n)
    .join(_pair_sums, _pair_sums.c.other_skill_id == Skill.id)
    .order_by(_pair_sums.c.n.desc(), Skill.name)
    .limit(TOP)
)


# paired_skills on the window table's date: the window's sums, only the top rows read (index by postings)
_W = DemandSkillPairWindow
_tenth = (
    select(_W.postings)
    .where(_W.skill_id == _S, _W.postings > 0)
    .order_by(_W.postings.desc())
    .limit(1)
    .offset(TOP - 1)
    .scalar_subquery()
)
_PAIRS_WINDOW = (
    select(Skill.slug, Skill.name, _W.postings)
    .join(Skill, Skill.id == _W.other_skill_id)
    .where(_W.skill_id == _S, _W.postings > 0, _W.postings >= func.coalesce(_tenth, 1))  # the top ten and ties
    .order_by(_W.postings.desc(), Skill.name)
    .limit(TOP)
)


def weekly_postings(session: Session, skill: Skill, as_of: date) -> dict[str, Any]:
    """What the weekly chart draws (one query on the daily rollups): the skill, the as-of day, and the postings
    per week of the 90-day window; with `days`, the daily rows demand_figures sums further."""
    start = as_of - timedelta(days=WINDOW_DAYS)  # exclusive
    days = session.execute(_DAYS, {"skill_id": skill.id, "after": start, "upto": as_of}).all()
    weekly = weekly_totals(dict(days), as_of)
    return {
        "skill": skill.slug,
        "name": skill.name,
        "as_of": as_of.isoformat(),
        "weekly": [{"week_start": w.isoformat(), "postings": n} for w, n in weekly],
        "days": days,
    }


def demand_figures(session: Session, skill: Skill, as_of: date, memo: bool = False) -> dict[str, Any]:
    """The JSON object of `digest stats --json` and GET /api/skills/{slug}/demand. `memo` lets a
    long-lived process (the web app) reuse the top lists while the data they depend on is unchanged."""
    start = as_of - timedelta(days=WINDOW_DAYS)  # exclusive
    series = weekly_postings(session, skill, as_of)
    postings, recent, prior, change = window_totals(dict(series.pop("days")), as_of)
    key = window_key(session, skill.id, start, as_of, postings) if memo and postings else None
    tops = _tops(session, skill.id, start, as_of, postings, key)
    titles = [t["title"] for t in tops["top_titles"]]
    paid = pay.pay_figures(session, skill.id, start, as_of, postings, titles, key)
    for title in tops["top_titles"]:
        title["median_salary"] = paid["title_medians"].get(title["title"])
    return {
        "skill": skill.slug,
        "name": skill.name,
        "as_of": as_of.isoformat(),
        "window_days": WINDOW_DAYS,
        "postings": postings,
        "recent_4_weeks": recent,
        "prior_4_weeks": prior,
        "change_vs_prior_4_weeks": change,
        "shift": _verdict(session, skill, as_of),
        **tops,
        **employer_figures(session, skill.id, as_of, key, postings),
        "weekly": series["weekly"],
        "salary": paid["salary"],
        "seniority": paid["seniority"],
    }


_memo = Memo()


def _tops(
    session: Session, skill_id: int, start: date, as_of: date, postings: int, key: tuple[Any, ...] | None
) -> dict[str, Any]:
    """top_titles, top_metros and paired_skills: the heavy reads (a frequent skill pairs with thousands).
    Memoised per process under `key` (memo.window_key) when one is given."""
    if not postings:
        return {"top_titles": [], "top_metros": [], "paired_skills": []}
    params = {"skill_id": skill_id, "after": start, "upto": as_of}
    if key and (kept := _memo.get(key)) is not None:
        return kept
    windowed = window.as_of(session) == as_of
    title_rows = session.execute(_TITLES_WINDOW if windowed else _TITLES, params).all()
    title_totals: dict[int, int] = {}
    if title_rows:
        ids = {"title_ids": [r[0] for r in title_rows], "after": start, "upto": as_of}
        totals = _TITLE_TOTALS_WINDOW if windowed else _TITLE_TOTALS
        title_totals = {t: int(n) for t, n in session.execute(totals, ids)}
    metro_rows = session.execute(_METROS_WINDOW if windowed else _METROS, params).all()
    with_metro = sum(int(n) for _, n in metro_rows)
    pair_rows = session.execute(_PAIRS_WINDOW if windowed else _PAIRS, params).all()
    tops = {
        "top_titles": [
            {"title": name, "postings": int(n), "share_of_title": _share(int(n), title_totals.get(tid, 0))}
            for tid, name, n in title_rows
        ],
        "top_metros": [
            {"metro": name, "postings": int(n), "share": _share(int(n), with_metro)} for name, n in metro_rows[:TOP]
        ],
        "paired_skills": [{"skill": slug, "name": name, "postings": int(n)} for slug, name, n in pair_rows],
    }
    if key:
        _memo.put(key, tops)
    return tops


def clear_memo() -> None:
    _memo.clear()
    pay.clear_memo()
    clear_employer_memo()


def _verdict(session: Session, skill: Skill, as_of: date) -> dict[str, Any]:
    # shifts loads numpy (~70 ms): not for every process that imports this, such as send-due drawing a chart
    from digest.demand.shifts import verdict

    return verdict(session, skill, as_of)
