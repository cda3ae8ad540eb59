"""The home page's search as you type (`search_skills`, behind `/` and `/api/skills?q=`) on a taxonomy the size of
the real one: a one- or two-letter prefix matches thousands of names, and the skills people mean come first."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from digest.demand import search
from digest.store.models import AliasKind, DemandSkillDay, Skill, SkillAlias

AS_OF = date(2026, 3, 15)


def _taxonomy(session: Session) -> None:
    # 300 names that contain "re" and "p" and sort before React and Python (as "Area ..." and "Apache ..." do in
    # the real taxonomy), none with postings, then the skills the postings ask for
    session.add_all([Skill(slug=f"area-pipeline-{i:03d}", name=f"Area pipeline {i:03d}") for i in range(300)])
    asked = {"React": 222, "Python": 218, "PostgreSQL": 182, "Cloud computing": 41, "Express": 7}
    skills = {name: Skill(slug=name.lower().replace(" ", "-"), name=name) for name in asked}
    session.add_all(skills.values())
    session.flush()
    session.add(SkillAlias(skill_id=skills["Cloud computing"].id, alias="public cloud", kind=AliasKind.ci))
    session.add_all(
        DemandSkillDay(skill_id=skills[name].id, day=date(2026, 3, 1), postings=n) for name, n in asked.items()
    )
    session.flush()


def _names(session: Session, q: str) -> list[tuple[str, int]]:
    return [(s.name, n) for s, n in search.search_skills(session, q, 5, AS_OF)]


def test_a_short_prefix_finds_the_skills_people_mean(session: Session) -> None:
    _taxonomy(session)
    assert _names(session, "re")[:1] == [("React", 222)]
    # names that start with the text first, then an alias that does, then names that only contain it
    assert _names(session, "p") == [
        ("Python", 218),
        ("PostgreSQL", 182),
        ("Cloud computing", 41),
        ("Express", 7),
        ("Area pipeline 000", 0),
    ]
    assert _names(session, "react") == [("React", 222)]
    assert _names(session, "%") == []


def test_find_skills_without_a_window_keeps_prefix_first(session: Session) -> None:
    _taxonomy(session)
    assert [s.name for s in search.find_skills(session, "pyth")] == ["Python"]
    assert search.find_skills(session, "p", 3)[0].name in {"Python", "PostgreSQL"}
