"""Resolve what a person typed (slug, name or alias) to one canonical skill."""

from __future__ import annotations

import difflib

from sqlalchemy import bindparam, case, func, or_, select
from sqlalchemy.orm import Session

from digest.store.models import Skill, SkillAlias, SkillRedirect
from digest.taxonomy.matcher import get_matcher
from digest.taxonomy.normalize import alias_key, strip_version


class UnknownSkill(LookupError):
    def __init__(self, query: str, suggestions: list[Skill]) -> None:
        self.query = query
        self.suggestions = suggestions
        names = ", ".join(f"{s.name} ({s.slug})" for s in suggestions)
        hint = f"; did you mean: {names}?" if names else ""
        shown = query if len(query) <= 60 else query[:59] + "…"  # a message never echoes a huge input whole
        super().__init__(f"unknown skill {shown!r}{hint}")


def resolve_skill(session: Session, query: str) -> Skill:
    """The skill whose slug, name or alias is `query`: case, separators ("react-native") and a trailing
    version ("Python 3", "java17") do not matter. Raises UnknownSkill with the closest names."""
    found = exact_skill(session, query)
    if found is None:
        text = " ".join(query.split())
        raise UnknownSkill(query, suggest_skills(session, text) if text else [])
    return found


def exact_skill(session: Session, query: str) -> Skill | None:
    """resolve_skill without the suggestions (a search box asks on every keystroke): None for no match."""
    text = " ".join(query.split())
    for candidate in dict.fromkeys([text, strip_version(text)] if text else []):
        found = _lookup(session, candidate)
        if found is not None:
            return found
    return None


def redirected(session: Session, slug: str) -> Skill | None:
    """The skill a redirected slug leads to (a skill merged into another keeps its old slug working)."""
    target = select(SkillRedirect.skill_id).where(SkillRedirect.slug == slug).scalar_subquery()
    return session.scalar(select(Skill).where(Skill.id == target))


# one query: a redirected slug (a skill merged into another) first, then a skill's own slug
_MOVED = select(SkillRedirect.skill_id).where(SkillRedirect.slug == bindparam("slug")).scalar_subquery()
_BY_SLUG = (
    select(Skill)
    .where(or_(Skill.id == _MOVED, Skill.slug == bindparam("slug")))
    .order_by(case((Skill.id == _MOVED, 0), else_=1))
    .limit(1)
)


def _lookup(session: Session, text: str) -> Skill | None:
    low = text.lower()
    skill = session.scalar(_BY_SLUG, {"slug": low})
    if skill is not None:
        return skill
    matcher = get_matcher()
    alias = matcher.aliases.get(alias_key(text))
    if alias is not None:
        skill = session.scalar(select(Skill).where(Skill.slug == matcher.skills[alias.skill].slug))
        if skill is not None:
            return skill
    skill = session.scalar(select(Skill).where(func.lower(Skill.name) == low).order_by(Skill.id).limit(1))
    if skill is None:  # aliases added to the database by hand
        loose = select(SkillAlias.skill_id).where(func.lower(SkillAlias.alias) == low)
        skill_id = session.scalar(loose.order_by(SkillAlias.skill_id).limit(1))
        skill = session.get(Skill, skill_id) if skill_id else None
    return skill


def suggest_skills(session: Session, text: str, limit: int = 5) -> list[Skill]:
    """The closest skill names to `text`, for an 'unknown skill' answer."""
    names: dict[str, Skill] = {}
    for s in session.scalars(select(Skill).order_by(Skill.hot.desc(), Skill.id)):
        names.setdefault(s.name.lower(), s)
    low = text.lower()
    close = difflib.get_close_matches(low, list(names), n=limit, cutoff=0.6)
    prefix = [s for n, s in sorted(names.items()) if low[:3] and n.startswith(low[:3]) and n not in close]
    return [names[n] for n in close] + prefix[: max(0, limit - len(close))]
