"""Load the bundled taxonomy (skills, aliases, job titles, metros) into the database, idempotently.

Rows are matched by slug, so slugs are stable and ids survive reloads; a changed name, parent, flag or alias
is updated in place; a skill that left the bundle stays (items may point at it). Bulk statements throughout:
the bundle has about 9,000 skills and 14,000 aliases.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from digest.models import AliasKind, JobTitle, Metro, Skill, SkillAlias
from digest.taxonomy import metros, titles
from digest.taxonomy.matcher import load_bundled

_CHUNK = 500


def load_taxonomy(session: Session) -> str:
    """Make the database hold the bundled taxonomy; returns a one-line summary of what changed."""
    bundle = load_bundled()
    skills: list[dict[str, Any]] = bundle["skills"]
    s_new, s_changed = _upsert(
        session,
        Skill,
        {
            s["slug"]: {
                "name": s["name"][:200],
                "category": (s["category"] or None) and s["category"][:200],
                "hot": bool(s["hot"]),
                "weak": bool(s["weak"]),
            }
            for s in skills
        },
    )
    ids = dict(session.execute(select(Skill.slug, Skill.id)).tuples().all())
    parents = [{"id": ids[s["slug"]], "parent_id": ids.get(s["parent"]) if s["parent"] else None} for s in skills]
    current_parent: dict[int, int | None] = dict(session.execute(select(Skill.id, Skill.parent_id)).tuples().all())
    moved = [p for p in parents if current_parent.get(p["id"] or 0) != p["parent_id"]]
    for chunk in _chunks(moved):
        session.execute(update(Skill), chunk)
    a_new, a_gone = _sync_aliases(session, skills, ids)
    t_new, t_changed = _upsert(session, JobTitle, {slug: {"name": name[:200]} for slug, name in titles.titles()})
    m_new, m_changed = _upsert(
        session, Metro, {slug: {"name": name, "country": country} for slug, name, country in metros.metros()}
    )
    session.flush()
    forget_caches()
    return (
        f"taxonomy: {len(skills)} skills (+{s_new} new, {s_changed + len(moved)} updated), "
        f"aliases +{a_new} -{a_gone}, {len(titles.titles())} job titles (+{t_new}, ~{t_changed}), "
        f"{len(metros.metros())} metros (+{m_new}, ~{m_changed})"
    )


def _upsert(session: Session, model: Any, wanted: dict[str, dict[str, Any]]) -> tuple[int, int]:
    cols = list(next(iter(wanted.values())).keys()) if wanted else []
    existing = {
        row[1]: row
        for row in session.execute(select(model.id, model.slug, *[getattr(model, c) for c in cols])).tuples()
    }
    new = [{"slug": slug, **values} for slug, values in wanted.items() if slug not in existing]
    changed = []
    for slug, values in wanted.items():
        row = existing.get(slug)
        if row is not None and tuple(row[2:]) != tuple(values[c] for c in cols):
            changed.append({"id": row[0], **values})
    for chunk in _chunks(new):
        session.execute(insert(model), chunk)
    for chunk in _chunks(changed):
        session.execute(update(model), chunk)
    return len(new), len(changed)


def _sync_aliases(session: Session, skills: list[dict[str, Any]], ids: dict[str, int]) -> tuple[int, int]:
    wanted = {
        (ids[s["slug"]], a["alias"][:200], AliasKind(a["kind"]))
        for s in skills
        for a in s["aliases"]
        if s["slug"] in ids
    }
    bundled_ids = {ids[s["slug"]] for s in skills if s["slug"] in ids}
    existing = {
        (skill_id, alias, kind): row_id
        for row_id, skill_id, alias, kind in session.execute(
            select(SkillAlias.id, SkillAlias.skill_id, SkillAlias.alias, SkillAlias.kind)
        ).tuples()
    }
    gone = [row_id for key, row_id in existing.items() if key not in wanted and key[0] in bundled_ids]
    for chunk in _chunks(gone):
        session.execute(delete(SkillAlias).where(SkillAlias.id.in_(chunk)))
    new = [{"skill_id": k[0], "alias": k[1], "kind": k[2]} for k in sorted(wanted - existing.keys())]
    for chunk in _chunks(new):
        session.execute(insert(SkillAlias), chunk)
    return len(new), len(gone)


def _chunks(rows: Sequence[Any] | Iterable[Any]) -> Iterable[list[Any]]:
    rows = list(rows)
    for i in range(0, len(rows), _CHUNK):
        yield rows[i : i + _CHUNK]


def forget_caches() -> None:
    from digest.taxonomy import link

    link.forget_ids()
