"""The demand figures computed straight from the raw postings: the reference the rollups must equal
(tests), and the baseline the benchmark compares with. Never used to answer a request."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from digest.demand.weeks import monday, weeks_meeting
from digest.sources.employer import employer_key
from digest.store.models import Item, ItemKind, ItemSkill, JobTitle, Metro, Skill

WINDOW_DAYS = 90
TOP = 10


def _share(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0


def raw_figures(session: Session, skill: Skill, as_of: date) -> dict[str, Any]:
    """Every field of demand_figures except `shift`, from items and item_skills only."""
    start = as_of - timedelta(days=WINDOW_DAYS)
    in_window = (Item.kind == ItemKind.job) & (Item.posted_on > start) & (Item.posted_on <= as_of)
    rows = session.execute(
        select(Item.id, Item.posted_on, Item.job_title_id, Item.metro_id)
        .join(ItemSkill, ItemSkill.item_id == Item.id)
        .where(in_window, ItemSkill.skill_id == skill.id)
    ).all()
    ids = [r[0] for r in rows]
    days: list[date] = [r[1] for r in rows if r[1] is not None]
    recent = sum(1 for d in days if d > as_of - timedelta(days=28))
    prior = sum(1 for d in days if as_of - timedelta(days=56) < d <= as_of - timedelta(days=28))
    weekly = dict.fromkeys(weeks_meeting(start + timedelta(days=1), as_of), 0)
    for d in days:
        weekly[monday(d)] += 1
    titles = Counter(r[2] for r in rows if r[2] is not None)
    metros = Counter(r[3] for r in rows if r[3] is not None)
    title_all = Counter(
        t for (t,) in session.execute(select(Item.job_title_id).where(in_window, Item.job_title_id.in_(list(titles))))
    )
    names = {t.id: t.name for t in session.scalars(select(JobTitle).where(JobTitle.id.in_(list(titles))))}
    metro_names = {m.id: m.name for m in session.scalars(select(Metro).where(Metro.id.in_(list(metros))))}
    other = aliased(ItemSkill)
    pairs: Counter[int] = Counter()
    for start_i in range(0, len(ids), 5000):
        pairs.update(
            s
            for (s,) in session.execute(
                select(other.skill_id).where(
                    other.item_id.in_(ids[start_i : start_i + 5000]), other.skill_id != skill.id
                )
            )
        )
    skills = {s.id: s for s in session.scalars(select(Skill).where(Skill.id.in_(list(pairs))))}
    top_titles = sorted(titles.items(), key=lambda kv: (-kv[1], names[kv[0]]))[:TOP]
    top_metros = sorted(metros.items(), key=lambda kv: (-kv[1], metro_names[kv[0]]))[:TOP]
    top_pairs = sorted(pairs.items(), key=lambda kv: (-kv[1], skills[kv[0]].name))[:TOP]
    with_metro = sum(metros.values())
    salary, seniority, title_pay = _raw_pay(session, skill, in_window)
    return {
        "skill": skill.slug,
        "name": skill.name,
        "as_of": as_of.isoformat(),
        "window_days": WINDOW_DAYS,
        "postings": len(rows),
        "recent_4_weeks": recent,
        "prior_4_weeks": prior,
        "change_vs_prior_4_weeks": round(recent / prior - 1, 3) if prior else None,
        "top_titles": [
            {
                "title": names[t],
                "postings": n,
                "share_of_title": _share(n, title_all[t]),
                "median_salary": title_pay.get(t),
            }
            for t, n in top_titles
        ],
        "top_metros": [{"metro": metro_names[m], "postings": n, "share": _share(n, with_metro)} for m, n in top_metros],
        "paired_skills": [{"skill": skills[s].slug, "name": skills[s].name, "postings": n} for s, n in top_pairs],
        **raw_employers(session, ids),
        "weekly": [{"week_start": w.isoformat(), "postings": n} for w, n in weekly.items()],
        "salary": salary,
        "seniority": seniority,
    }


# Pay and seniority (docs/demand.md): written out again from the definitions, not with digest.demand.pay
YEAR = {"hour": 2080, "day": 260, "week": 52, "month": 12, "year": 1}
LEVELS = [("intern", "intern"), ("junior", "junior"), ("mid", "mid-level"), ("senior", "senior")]
LEVELS += [("staff", "staff/principal"), ("lead", "lead/manager")]


def _raw_pay(session: Session, skill: Skill, in_window: Any) -> tuple[dict[str, Any], dict[str, Any], dict[int, Any]]:
    rows = session.execute(
        select(Item.job_title_id, Item.salary_min, Item.salary_max, Item.salary_currency, Item.salary_period)
        .add_columns(Item.seniority)
        .join(ItemSkill, ItemSkill.item_id == Item.id)
        .where(in_window, ItemSkill.skill_id == skill.id)
    ).all()
    groups: dict[tuple[str | None, str | None], list[float]] = {}
    per_title: dict[int, dict[str, list[float]]] = {}
    for title, low, high, currency, period, _ in rows:
        if low is None and high is None:
            continue
        value = (low + high) / 2 if low is not None and high is not None else low if low is not None else high
        if period in YEAR:
            value, period = value * YEAR[period], "year"
        else:
            period = None
        groups.setdefault((currency, period), []).append(value)
        if title is not None and currency is not None and period == "year":
            per_title.setdefault(title, {}).setdefault(currency, []).append(value)
    by_currency = []
    for (currency, period), values in groups.items():
        cuts = statistics.quantiles(values, n=4, method="inclusive") if len(values) >= 5 else None
        by_currency.append(
            {
                "currency": currency,
                "period": period,
                "postings": len(values),
                "median": round(cuts[1]) if cuts else None,
                "p25": round(cuts[0]) if cuts else None,
                "p75": round(cuts[2]) if cuts else None,
            }
        )
    by_currency.sort(key=lambda g: (-g["postings"], g["currency"] is None, g["currency"] or "", g["period"] is None))
    title_pay = {}
    for title, currencies in per_title.items():
        most = max(len(v) for v in currencies.values())
        currency = sorted(c for c, v in currencies.items() if len(v) == most)[0]
        if most >= 5:
            values = currencies[currency]
            title_pay[title] = {
                "currency": currency,
                "period": "year",
                "median": round(statistics.median(values)),
                "postings": len(values),
            }
    levels = Counter(r[5] for r in rows)
    known = sum(levels[k] for k, _ in LEVELS)
    seniority = {
        "postings": len(rows),
        "stated": known,
        "levels": [
            {"level": k, "label": label, "postings": levels[k], "share": _share(levels[k], known)}
            for k, label in LEVELS
        ],
    }
    salary = {"postings": len(rows), "stated": sum(len(v) for v in groups.values()), "by_currency": by_currency}
    return salary, seniority, title_pay


def raw_employers(session: Session, ids: list[int]) -> dict[str, Any]:
    """top_employers and employer_concentration from the postings' raw company names, folded here (not read
    from the stored employer key), posting by posting."""
    companies = [
        c
        for part in range(0, len(ids), 5000)
        for (c,) in session.execute(select(Item.company).where(Item.id.in_(ids[part : part + 5000])))
    ]
    keyed = [(employer_key(c), (c or "").strip()) for c in companies]
    per_employer = Counter(k for k, _ in keyed if k is not None)
    named = sum(per_employer.values())
    order = sorted(per_employer, key=lambda k: (-per_employer[k], k))
    spellings = {k: Counter(raw for kk, raw in keyed if kk == k) for k in order[:TOP]}
    hhi = sum(n * n for n in per_employer.values()) / named**2 if named else None
    return {
        "top_employers": [
            {
                "employer": sorted(spellings[k].items(), key=lambda kv: (-kv[1], kv[0]))[0][0],
                "key": k,
                "postings": per_employer[k],
            }
            for k in order[:TOP]
        ],
        "employer_concentration": {
            "postings": len(companies),
            "with_employer": named,
            "employers": len(per_employer),
            "top_employer_share": round(per_employer[order[0]] / len(companies), 3) if order else None,
            "herfindahl": round(hhi, 4) if hhi is not None else None,
        },
    }
