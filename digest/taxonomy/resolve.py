"""Resolve what a person typed (slug, name or alias) to one canonical skill."""

from __future__ import annotations

import difflib
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest.models import AliasKind, Skill, SkillAlias

_VERSION = re.compile(r"(?:\s*v?\d+(?:\.\d+)*\+?)$", re.IGNORECASE)


class UnknownSkill(LookupError):
    def __init__(self, query: str, suggestions: list[Skill]) -> None:
        self.query = query
        self.suggestions = suggestions
        names = ", ".join(f"{s.name} ({s.slug})" for s in suggestions)
        hint = f"; did you mean: {names}?" if names else ""
        super().__init__(f"unknown skill {query!r}{hint}")


def resolve_skill(session: Session, query: str) -> Skill:
    """The skill whose slug, name or alias is `query` (case-insensitive; a trailing version is ignored)."""
    text = " ".join(query.split())
    if not text:
        raise UnknownSkill(query, [])
    for candidate in dict.fromkeys([text, _VERSION.sub("", text)]):
        if not candidate:
            continue
        found = _lookup(session, candidate)
        if found is not None:
            return found
    raise UnknownSkill(query, suggest_skills(session, text))


def _lookup(session: Session, text: str) -> Skill | None:
    low = text.lower()
    skill = session.scalar(select(Skill).where(Skill.slug == low))
    if skill is None:
        skill = session.scalar(select(Skill).where(func.lower(Skill.name) == low).order_by(Skill.id).limit(1))
    if skill is None:
        exact = select(SkillAlias.skill_id).where(SkillAlias.alias == text, SkillAlias.kind == AliasKind.exact)
        loose = select(SkillAlias.skill_id).where(func.lower(SkillAlias.alias) == low)
        skill_id = session.scalar(exact.limit(1)) or session.scalar(loose.order_by(SkillAlias.skill_id).limit(1))
        skill = session.get(Skill, skill_id) if skill_id else None
    return skill


def suggest_skills(session: Session, text: str, limit: int = 5) -> list[Skill]:
    """The closest skill names to `text`, for an 'unknown skill' answer."""
    names = {s.name.lower(): s for s in session.scalars(select(Skill))}
    close = difflib.get_close_matches(text.lower(), list(names), n=limit, cutoff=0.6)
    prefix = [s for n, s in sorted(names.items()) if n.startswith(text.lower()[:3]) and n not in close]
    return [names[n] for n in close] + prefix[: max(0, limit - len(close))]
