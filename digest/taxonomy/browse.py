"""The taxonomy as people browse it: a skill's kind and related skills, and the popular skills by kind."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest.store.models import DemandSkillDay, Skill, SkillRelated
from digest.taxonomy.layer import KIND_LABELS, KINDS

# What a page says a skill is ("Microservices · Practice"), plural for a heading.
KIND_HEADINGS = {
    "language": "Languages",
    "framework": "Frameworks and libraries",
    "database": "Databases",
    "platform": "Platforms and services",
    "tool": "Tools",
    "practice": "Practices",
    "domain": "Fields",
}


def kind_label(kind: str | None) -> str | None:
    return KIND_LABELS.get(kind or "")


def related_skills(session: Session, skill_id: int, limit: int = 8) -> list[dict[str, Any]]:
    """The skill's related skills, closest first, with their kinds."""
    rows = session.execute(
        select(Skill.slug, Skill.name, Skill.kind)
        .join(SkillRelated, SkillRelated.related_id == Skill.id)
        .where(SkillRelated.skill_id == skill_id)
        .order_by(SkillRelated.rank, Skill.name)
        .limit(limit)
    ).tuples()
    return [{"slug": slug, "name": name, "kind": kind, "kind_label": kind_label(kind)} for slug, name, kind in rows]


def kinds_of(session: Session, slugs: list[str]) -> dict[str, str]:
    """slug -> kind label, for a page that lists skills (paired skills)."""
    if not slugs:
        return {}
    rows = session.execute(select(Skill.slug, Skill.kind).where(Skill.slug.in_(slugs))).tuples()
    return {slug: KIND_LABELS[kind] for slug, kind in rows if kind in KIND_LABELS}


def paired_by_kind(paired: list[dict[str, Any]], kinds: dict[str, str]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Paired skills grouped by kind (languages, then frameworks ... practices, fields), each group in the
    order given (most postings first); one unlabelled group when the kinds are unknown."""
    if not kinds:
        return [("", paired)] if paired else []
    order = {KIND_LABELS[k]: i for i, k in enumerate(KINDS)}
    groups: dict[str, list[dict[str, Any]]] = {}
    for p in paired:
        groups.setdefault(kinds.get(p["skill"], ""), []).append(p)
    return sorted(groups.items(), key=lambda kv: order.get(kv[0], len(order)))


def popular_by_kind(session: Session, as_of: date, per_kind: int = 8) -> list[dict[str, Any]]:
    """The skills most asked for in the 90 days to `as_of`, a few of each kind (languages, frameworks,
    practices ...), so the home page shows what people ask for beside the languages; kinds with too little
    demand are filled with their O*NET Hot Technologies and curated skills."""
    postings = func.sum(DemandSkillDay.postings)
    ranked = session.execute(
        select(Skill.slug, Skill.name, Skill.kind, postings)
        .join(DemandSkillDay, DemandSkillDay.skill_id == Skill.id)
        .where(DemandSkillDay.day > as_of - timedelta(days=90), DemandSkillDay.day <= as_of)
        .group_by(Skill.id, Skill.slug, Skill.name, Skill.kind)
        .order_by(postings.desc(), Skill.name)
        .limit(2000)
    ).tuples()
    groups: dict[str, list[dict[str, Any]]] = {k: [] for k in KINDS}
    for slug, name, kind, n in ranked:
        group = groups.get(kind or "")
        if group is not None and len(group) < per_kind:
            group.append({"slug": slug, "name": name, "postings": int(n or 0)})
    for kind, group in groups.items():
        if len(group) >= per_kind:
            continue
        seen = {s["slug"] for s in group}
        fill = session.execute(
            select(Skill.slug, Skill.name)
            .where(Skill.kind == kind, Skill.hot.is_(True) | Skill.category.is_(None))
            .order_by(Skill.hot.desc(), Skill.name)
            .limit(per_kind * 2)
        ).tuples()
        group.extend({"slug": s, "name": n, "postings": 0} for s, n in fill if s not in seen)
        del group[per_kind:]
    return [{"kind": k, "heading": KIND_HEADINGS[k], "skills": groups[k]} for k in KINDS if groups[k]]
