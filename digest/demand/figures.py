"""A skill's demand figures, exactly as DESIGN.md defines them, read from the per-day rollups."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest.demand.shifts import verdict
from digest.demand.weeks import monday, weeks_meeting
from digest.models import (
    DemandSkillDay,
    DemandSkillMetroDay,
    DemandSkillPairDay,
    DemandSkillTitleDay,
    DemandTitleDay,
    JobTitle,
    Metro,
    Skill,
)

WINDOW_DAYS = 90
TOP = 10


def _share(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0


def demand_figures(session: Session, skill: Skill, as_of: date) -> dict[str, Any]:
    """The JSON object of `digest stats --json` and GET /api/skills/{slug}/demand."""
    start = as_of - timedelta(days=WINDOW_DAYS)  # exclusive
    r0, p0 = as_of - timedelta(days=28), as_of - timedelta(days=56)
    day = DemandSkillDay.day
    days = session.execute(
        select(day, DemandSkillDay.postings).where(
            DemandSkillDay.skill_id == skill.id, day > start, day <= as_of, DemandSkillDay.postings != 0
        )
    ).all()
    postings = sum(n for _, n in days)
    recent = sum(n for d, n in days if d > r0)
    prior = sum(n for d, n in days if p0 < d <= r0)
    weekly: dict[date, int] = dict.fromkeys(weeks_meeting(start + timedelta(days=1), as_of), 0)
    for d, n in days:
        weekly[monday(d)] += n

    in_window = (DemandSkillTitleDay.day > start) & (DemandSkillTitleDay.day <= as_of)
    n_title = func.sum(DemandSkillTitleDay.postings).label("n")
    top = (
        select(DemandSkillTitleDay.job_title_id, n_title)
        .where(DemandSkillTitleDay.skill_id == skill.id, in_window)
        .group_by(DemandSkillTitleDay.job_title_id)
        .subquery()
    )
    title_rows = session.execute(
        select(JobTitle.id, JobTitle.name, top.c.n)
        .join(top, top.c.job_title_id == JobTitle.id)
        .where(top.c.n > 0)
        .order_by(top.c.n.desc(), JobTitle.name)
        .limit(TOP)
    ).all()
    title_totals: dict[int, int] = {}
    if title_rows:
        title_totals = {
            t: int(n)
            for t, n in session.execute(
                select(DemandTitleDay.job_title_id, func.sum(DemandTitleDay.postings))
                .where(
                    DemandTitleDay.job_title_id.in_([r[0] for r in title_rows]),
                    DemandTitleDay.day > start,
                    DemandTitleDay.day <= as_of,
                )
                .group_by(DemandTitleDay.job_title_id)
            )
        }

    n_metro = func.sum(DemandSkillMetroDay.postings)
    metro_rows = session.execute(
        select(Metro.name, n_metro)
        .join(Metro, Metro.id == DemandSkillMetroDay.metro_id)
        .where(
            DemandSkillMetroDay.skill_id == skill.id, DemandSkillMetroDay.day > start, DemandSkillMetroDay.day <= as_of
        )
        .group_by(Metro.id, Metro.name)
        .having(n_metro > 0)
        .order_by(n_metro.desc(), Metro.name)
    ).all()
    with_metro = sum(int(n) for _, n in metro_rows)

    n_pair = func.sum(DemandSkillPairDay.postings)
    pair_rows = session.execute(
        select(Skill.slug, Skill.name, n_pair)
        .join(Skill, Skill.id == DemandSkillPairDay.other_skill_id)
        .where(DemandSkillPairDay.skill_id == skill.id, DemandSkillPairDay.day > start, DemandSkillPairDay.day <= as_of)
        .group_by(Skill.id, Skill.slug, Skill.name)
        .having(n_pair > 0)
        .order_by(n_pair.desc(), Skill.name)
        .limit(TOP)
    ).all()

    return {
        "skill": skill.slug,
        "name": skill.name,
        "as_of": as_of.isoformat(),
        "window_days": WINDOW_DAYS,
        "postings": postings,
        "recent_4_weeks": recent,
        "prior_4_weeks": prior,
        "change_vs_prior_4_weeks": round(recent / prior - 1, 3) if prior else None,
        "shift": verdict(session, skill, as_of),
        "top_titles": [
            {"title": name, "postings": int(n), "share_of_title": _share(int(n), title_totals.get(tid, 0))}
            for tid, name, n in title_rows
        ],
        "top_metros": [
            {"metro": name, "postings": int(n), "share": _share(int(n), with_metro)} for name, n in metro_rows[:TOP]
        ],
        "paired_skills": [{"skill": slug, "name": name, "postings": int(n)} for slug, name, n in pair_rows],
        "weekly": [{"week_start": w.isoformat(), "postings": n} for w, n in weekly.items()],
    }
