"""Finding skills to follow: a search box's ranked matches and the skills to browse, by postings in the
demand window."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import ColumnElement, case, func, literal, or_, select
from sqlalchemy.orm import Session

from digest.demand.window import WINDOW_DAYS
from digest.store.models import DemandSkillDay, Skill, SkillAlias
from digest.taxonomy.resolve import exact_skill


def find_skills(session: Session, query: str, limit: int = 20, as_of: date | None = None) -> list[Skill]:
    """Skills whose name, slug or alias contains `query`, best first (see `search_skills`). An empty query
    lists the skills most asked for in the 90 days to `as_of`, then the O*NET Hot Technologies, then the
    others, by name."""
    if not " ".join(query.split()):
        return _skills_to_browse(session, limit, as_of)
    return [s for s, _ in _search(session, query, limit, as_of)]


def postings_in_window(session: Session, skill_ids: list[int], as_of: date) -> dict[int, int]:
    """Postings per skill in the 90 days to `as_of` (skills without any are left out)."""
    if not skill_ids:
        return {}
    rows = session.execute(
        select(DemandSkillDay.skill_id, func.sum(DemandSkillDay.postings))
        .where(
            DemandSkillDay.skill_id.in_(skill_ids),
            DemandSkillDay.day > as_of - timedelta(days=WINDOW_DAYS),
            DemandSkillDay.day <= as_of,
        )
        .group_by(DemandSkillDay.skill_id)
    )
    return {int(sid): int(n) for sid, n in rows if n}


def search_skills(session: Session, query: str, limit: int, as_of: date) -> list[tuple[Skill, int]]:
    """(skill, postings in the window to `as_of`) for a search box, as the person types: the skill called
    exactly that first, then skills whose name or slug starts with the text, then those with an alias that
    does, then those that only contain it; within each, by postings, then the shorter name. An empty query
    lists the most asked for."""
    if not " ".join(query.split()):
        found = _skills_to_browse(session, limit, as_of)
        counts = postings_in_window(session, [s.id for s in found], as_of)
        return [(s, counts.get(s.id, 0)) for s in found]
    return _search(session, query, limit, as_of)


def _search(session: Session, query: str, limit: int, as_of: date | None) -> list[tuple[Skill, int]]:
    # ranked by the database over every match: a short prefix ("p", "re") matches thousands of skills, and
    # the ones people mean (Python, React) must not be cut by a first pick in name order
    text = " ".join(query.split()).lower()[:200]
    name = func.lower(Skill.name)
    alias = func.lower(SkillAlias.alias)
    aliased = select(SkillAlias.skill_id).where(alias.contains(text, autoescape=True))
    alias_prefix = select(SkillAlias.skill_id).where(alias.startswith(text, autoescape=True))
    starts = or_(name.startswith(text, autoescape=True), Skill.slug.startswith(text, autoescape=True))
    prefix_rank = case((starts, 0), (Skill.id.in_(alias_prefix), 1), else_=2)
    matches = or_(
        name.contains(text, autoescape=True), Skill.slug.contains(text, autoescape=True), Skill.id.in_(aliased)
    )
    if as_of is not None:
        counted = (
            select(DemandSkillDay.skill_id, func.sum(DemandSkillDay.postings).label("n"))
            .where(DemandSkillDay.day > as_of - timedelta(days=WINDOW_DAYS), DemandSkillDay.day <= as_of)
            .group_by(DemandSkillDay.skill_id)
            .subquery()
        )
        postings: ColumnElement[int] = func.coalesce(counted.c.n, 0)
        stmt = select(Skill, postings).outerjoin(counted, counted.c.skill_id == Skill.id)
    else:
        postings = literal(0)
        stmt = select(Skill, postings)
    order = (prefix_rank, postings.desc(), func.length(Skill.name), Skill.name)
    rows = session.execute(stmt.where(matches).order_by(*order).limit(limit)).tuples().all()
    found = [(s, int(n or 0)) for s, n in rows]
    exact = exact_skill(session, query)
    if exact is None:
        return found
    rest = [(s, n) for s, n in found if s.id != exact.id]
    mine = next((n for s, n in found if s.id == exact.id), None)
    if mine is None:
        mine = postings_in_window(session, [exact.id], as_of).get(exact.id, 0) if as_of is not None else 0
    return [(exact, mine), *rest][:limit]


def _skills_to_browse(session: Session, limit: int, as_of: date | None) -> list[Skill]:
    ranked: list[Skill] = []
    if as_of is not None:
        postings = func.sum(DemandSkillDay.postings)
        ranked = list(
            session.scalars(
                select(Skill)
                .join(DemandSkillDay, DemandSkillDay.skill_id == Skill.id)
                .where(DemandSkillDay.day > as_of - timedelta(days=90), DemandSkillDay.day <= as_of)
                .group_by(Skill.id)
                .order_by(postings.desc(), Skill.name)
                .limit(limit)
            )
        )
    seen = {s.id for s in ranked}
    rest = session.scalars(select(Skill).order_by(Skill.hot.desc(), Skill.name).limit(limit + len(seen)))
    return (ranked + [s for s in rest if s.id not in seen])[:limit]
