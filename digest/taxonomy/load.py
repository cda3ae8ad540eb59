"""Load the bundled taxonomy (skills, aliases, kinds, related skills, redirects, version, job titles,
metros) into the database, idempotently.

Rows are matched by slug, so slugs are stable and ids survive reloads; a changed name, parent, flag, kind or
alias is updated in place; a skill that left the bundle stays (items may point at it). A slug the bundle
redirects (a skill merged into another) gets a redirect row, and its subscriptions move to the skill it leads
to. What an operator imported (`digest skills import`) is left alone. Bulk statements throughout: the bundle
has about 9,800 skills and 14,000 aliases. After an update, `digest skills relink` brings stored items in line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from digest.store.models import (
    AliasKind,
    JobTitle,
    Metro,
    Skill,
    SkillAlias,
    SkillRedirect,
    SkillRelated,
    Subscription,
    TaxonomyState,
)
from digest.taxonomy import metros, titles
from digest.taxonomy.matcher import load_bundled

_CHUNK = 500


def load_taxonomy(session: Session) -> str:
    """Make the database hold the bundled taxonomy; returns a one-line summary of what changed."""
    bundle = load_bundled()
    skills: list[dict[str, Any]] = bundle["skills"]
    known = set(session.scalars(select(Skill.id)))  # a new skill's parent is part of it, not an update
    s_new, s_changed = _upsert(
        session,
        Skill,
        {
            s["slug"]: {
                "name": s["name"][:200],
                "category": (s["category"] or None) and s["category"][:200],
                "hot": bool(s["hot"]),
                "weak": bool(s["weak"]),
                "kind": s.get("kind"),
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
    reparented = [p for p in moved if p["id"] in known]
    a_new, a_gone = _sync_aliases(session, skills, ids)
    r_new, r_gone = _sync_related(session, skills, ids)
    moved_subs = _sync_redirects(session, bundle.get("redirects", {}), ids)
    _set_state(session, "version", str(bundle.get("version", "")))
    t_new, t_changed = _upsert(session, JobTitle, {slug: {"name": name[:200]} for slug, name in titles.titles()})
    m_new, m_changed = _upsert(
        session, Metro, {slug: {"name": name, "country": country} for slug, name, country in metros.metros()}
    )
    session.flush()
    forget_caches()
    return (
        f"taxonomy: {len(skills)} skills (+{s_new} new, {s_changed + len(reparented)} updated), "
        f"aliases +{a_new} -{a_gone}, related +{r_new} -{r_gone}, {len(bundle.get('redirects', {}))} redirects "
        f"({moved_subs} subscriptions moved), {len(titles.titles())} job titles (+{t_new}, ~{t_changed}), "
        f"{len(metros.metros())} metros (+{m_new}, ~{m_changed}); version {bundle.get('version', '?')}"
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
            select(SkillAlias.id, SkillAlias.skill_id, SkillAlias.alias, SkillAlias.kind).where(
                SkillAlias.operator.is_(False)
            )
        ).tuples()
    }
    gone = [row_id for key, row_id in existing.items() if key not in wanted and key[0] in bundled_ids]
    for chunk in _chunks(gone):
        session.execute(delete(SkillAlias).where(SkillAlias.id.in_(chunk)))
    new = [{"skill_id": k[0], "alias": k[1], "kind": k[2]} for k in sorted(wanted - existing.keys())]
    for chunk in _chunks(new):
        session.execute(insert(SkillAlias), chunk)
    return len(new), len(gone)


def _sync_related(session: Session, skills: list[dict[str, Any]], ids: dict[str, int]) -> tuple[int, int]:
    wanted = {
        (ids[s["slug"]], ids[r]): rank
        for s in skills
        if s["slug"] in ids
        for rank, r in enumerate(s.get("related", []))
        if r in ids
    }
    bundled_ids = {ids[s["slug"]] for s in skills if s["slug"] in ids}
    existing = {
        (a, b): rank
        for a, b, rank in session.execute(
            select(SkillRelated.skill_id, SkillRelated.related_id, SkillRelated.rank)
        ).tuples()
    }
    # pairs between two bundled skills only: an operator's skill keeps its links (`digest skills import`)
    gone = [
        key for key in existing if key[0] in bundled_ids and key[1] in bundled_ids and existing[key] != wanted.get(key)
    ]
    for chunk in _chunks(gone):
        for a, b in chunk:
            session.execute(delete(SkillRelated).where(SkillRelated.skill_id == a, SkillRelated.related_id == b))
    new = [
        {"skill_id": a, "related_id": b, "rank": rank}
        for (a, b), rank in sorted(wanted.items())
        if existing.get((a, b)) != rank
    ]
    for chunk in _chunks(new):
        session.execute(insert(SkillRelated), chunk)
    return len(new), len(gone) - len([k for k in gone if k in wanted])


def _sync_redirects(session: Session, redirects: dict[str, str], ids: dict[str, int]) -> int:
    """Redirect rows for the bundle's redirects; subscriptions to a redirected skill move to its heir (a
    person already subscribed to the heir keeps that one). Returns how many subscriptions moved."""
    wanted = {old: ids[new] for old, new in redirects.items() if new in ids}
    existing = dict(session.execute(select(SkillRedirect.slug, SkillRedirect.skill_id)).tuples().all())
    for old, target in wanted.items():
        if old not in existing:
            session.execute(insert(SkillRedirect).values(slug=old, skill_id=target))
        elif existing[old] != target:
            session.execute(update(SkillRedirect).where(SkillRedirect.slug == old).values(skill_id=target))
    moved = 0
    for old, target in sorted(wanted.items()):
        old_id = ids.get(old)
        if old_id is None or old_id == target:
            continue
        already = select(Subscription.user_id).where(Subscription.skill_id == target)
        result = session.execute(
            update(Subscription)
            .where(Subscription.skill_id == old_id, Subscription.user_id.not_in(already))
            .values(skill_id=target)
        )
        moved += int(getattr(result, "rowcount", 0) or 0)
        session.execute(delete(Subscription).where(Subscription.skill_id == old_id))  # duplicates of the heir's
    return moved


def _set_state(session: Session, key: str, value: str) -> None:
    row = session.get(TaxonomyState, key)
    if row is None:
        session.add(TaxonomyState(key=key, value=value[:200]))
    elif row.value != value:
        row.value = value[:200]


def taxonomy_version(session: Session) -> str | None:
    """The version of the taxonomy `digest init` last loaded into this database."""
    row = session.get(TaxonomyState, "version")
    return row.value if row else None


def _chunks(rows: Sequence[Any] | Iterable[Any]) -> Iterable[list[Any]]:
    rows = list(rows)
    for i in range(0, len(rows), _CHUNK):
        yield rows[i : i + _CHUNK]


def forget_caches() -> None:
    from digest.taxonomy import link

    link.forget_ids()
