"""An operator's own skills and aliases (`digest skills import FILE`), beside the bundled taxonomy.

The file is JSON:

    {"skills": [{"slug": "acme-rpc", "name": "Acme RPC", "kind": "framework",
                 "aliases": ["Acme RPC", "=ARPC"], "related": ["grpc"]}],
     "aliases": [{"skill": "kubernetes", "alias": "kube"}]}

`skills` adds (or, imported again, updates) skills of the operator's own; `aliases` adds names to any skill,
bundled or not. An alias is matched case-insensitively; "=" before it means exactly as written (for short or
ambiguous names). Everything is validated before anything is written: a slug, a name, a kind from the list,
at most 5,000 skills and 20,000 aliases, and no alias that already names another skill (the error names
both). Imported rows are marked as the operator's: `digest init` never removes them. The matcher picks them
up in every process at its next batch (`digest.taxonomy.link`); run `digest skills relink` to apply them to
stored items.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest.store.models import AliasKind, Skill, SkillAlias, SkillRelated
from digest.taxonomy.layer import KINDS
from digest.taxonomy.matcher import Matcher, get_matcher, load_bundled
from digest.taxonomy.normalize import alias_key

RELINK_HINT = "run `digest skills relink` (or import with --relink) to apply them to stored items"
MAX_BYTES = 2_000_000
MAX_SKILLS = 5_000
MAX_ALIASES = 20_000
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")


class ImportError_(ValueError):
    """The file is not a valid import; nothing was written."""


@dataclass
class LocalSkill:
    slug: str
    name: str
    kind: str
    aliases: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)


@dataclass
class LocalImport:
    skills: list[LocalSkill]
    aliases: list[tuple[str, str]]  # (skill slug, alias as written, maybe with "=")


def read_file(path: Path) -> LocalImport:
    """Parse and shape-check an import file (size first, then JSON)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportError_(f"cannot read {path}: {exc.strerror}") from None
    if size > MAX_BYTES:
        raise ImportError_(f"{path} is {size:,} bytes; an import is at most {MAX_BYTES:,}")
    try:
        data = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportError_(f"{path} is not UTF-8 JSON: {str(exc)[:120]}") from None
    return parse(data)


def parse(data: Any) -> LocalImport:
    if not isinstance(data, dict) or not set(data) <= {"skills", "aliases"}:
        raise ImportError_('an import is a JSON object with "skills" and/or "aliases"')
    raw_skills = data.get("skills", [])
    raw_aliases = data.get("aliases", [])
    if not isinstance(raw_skills, list) or not isinstance(raw_aliases, list):
        raise ImportError_('"skills" and "aliases" are lists')
    if len(raw_skills) > MAX_SKILLS:
        raise ImportError_(f"{len(raw_skills):,} skills; an import holds at most {MAX_SKILLS:,}")
    skills = [_skill(i, s) for i, s in enumerate(raw_skills)]
    aliases = [_alias(i, a) for i, a in enumerate(raw_aliases)]
    if sum(len(s.aliases) for s in skills) + len(aliases) > MAX_ALIASES:
        raise ImportError_(f"more than {MAX_ALIASES:,} aliases")
    slugs = [s.slug for s in skills]
    dup = next((s for s in slugs if slugs.count(s) > 1), None)
    if dup:
        raise ImportError_(f"skill {dup!r} is listed twice")
    return LocalImport(skills, aliases)


def _text(value: Any, what: str, limit: int = 200) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ImportError_(f"{what} must be text of 1-{limit} characters")
    return " ".join(value.split())


def _skill(i: int, s: Any) -> LocalSkill:
    if not isinstance(s, dict):
        raise ImportError_(f"skills[{i}] is not an object")
    slug = _text(s.get("slug"), f"skills[{i}].slug", 80)
    if not _SLUG.fullmatch(slug):
        raise ImportError_(f"skills[{i}].slug {slug[:80]!r}: lower-case letters, digits and hyphens")
    kind = s.get("kind")
    if kind not in KINDS:
        raise ImportError_(f"skills[{i}].kind must be one of {', '.join(KINDS)}")
    aliases = s.get("aliases", [])
    related = s.get("related", [])
    if not isinstance(aliases, list) or not isinstance(related, list):
        raise ImportError_(f"skills[{i}]: aliases and related are lists")
    return LocalSkill(
        slug,
        _text(s.get("name"), f"skills[{i}].name"),
        str(kind),
        [_text(a, f"skills[{i}].aliases[{j}]") for j, a in enumerate(aliases)],
        [_text(r, f"skills[{i}].related[{j}]", 120) for j, r in enumerate(related)],
    )


def _alias(i: int, a: Any) -> tuple[str, str]:
    if not isinstance(a, dict):
        raise ImportError_(f"aliases[{i}] is not an object")
    return _text(a.get("skill"), f"aliases[{i}].skill", 120), _text(a.get("alias"), f"aliases[{i}].alias")


def _form(alias: str) -> tuple[str, AliasKind]:
    if alias.startswith("=") and len(alias) > 1:
        return alias[1:].strip(), AliasKind.exact
    return alias, AliasKind.ci


def import_file(session: Session, path: Path) -> str:
    """`digest skills import FILE`: read, validate and write (nothing is written if anything is wrong)."""
    return import_skills(session, read_file(path))


def import_skills(session: Session, data: LocalImport) -> str:
    """Validate against the database and the bundle, then write; returns a one-line summary."""
    skills_by_slug = {s.slug: s for s in session.scalars(select(Skill))}
    bundle_owner = {key: get_matcher().skills[a.skill].slug for key, a in get_matcher().aliases.items()}
    local_owner = {
        alias_key(alias): slug
        for alias, slug in session.execute(
            select(SkillAlias.alias, Skill.slug).join(Skill, Skill.id == SkillAlias.skill_id)
        ).tuples()
    }
    new_slugs = {s.slug for s in data.skills}
    for s in data.skills:
        existing = skills_by_slug.get(s.slug)
        if existing is not None and not existing.operator:
            raise ImportError_(
                f'skill {s.slug!r} is the bundled skill {existing.name!r}: add names to it under "aliases"'
            )
    wanted: list[tuple[str, str, AliasKind]] = [
        (s.slug, *_form(a)) for s in data.skills for a in dict.fromkeys([s.name, *s.aliases])
    ] + [(slug, *_form(a)) for slug, a in data.aliases]
    claimed: dict[str, str] = {}
    for slug, text, _kind in wanted:
        if slug not in new_slugs and slug not in skills_by_slug:
            raise ImportError_(f"alias {text!r}: no skill {slug!r} (neither bundled nor in this file)")
        key = alias_key(text)
        if len(key) < 2:
            raise ImportError_(f"alias {text!r} is too short")
        owner = claimed.get(key) or bundle_owner.get(key) or local_owner.get(key)
        if owner is not None and owner != slug:
            other = skills_by_slug.get(owner)
            name = other.name if other is not None else owner
            raise ImportError_(f"alias {text!r} for {slug!r} is already an alias of {name} ({owner})")
        claimed[key] = slug
    for s in data.skills:
        for r in s.related:
            if r not in new_slugs and r not in skills_by_slug:
                raise ImportError_(f"skill {s.slug!r}: related skill {r!r} does not exist")

    added = updated = 0
    for s in data.skills:
        row = skills_by_slug.get(s.slug)
        if row is None:
            row = Skill(slug=s.slug, name=s.name, kind=s.kind, operator=True, hot=False, weak=False)
            session.add(row)
            skills_by_slug[s.slug] = row
            added += 1
        elif (row.name, row.kind) != (s.name, s.kind):
            row.name, row.kind = s.name, s.kind
            updated += 1
    session.flush()
    have = {
        (skill_id, alias, kind)
        for skill_id, alias, kind in session.execute(select(SkillAlias.skill_id, SkillAlias.alias, SkillAlias.kind))
    }
    new_aliases = 0
    for slug, text, kind in wanted:
        skill_id = skills_by_slug[slug].id
        if (skill_id, text, kind) not in have:
            session.add(SkillAlias(skill_id=skill_id, alias=text, kind=kind, operator=True))
            have.add((skill_id, text, kind))
            new_aliases += 1
    for s in data.skills:
        a = skills_by_slug[s.slug].id
        for rank, r in enumerate(s.related):
            b = skills_by_slug[r].id
            for x, y in ((a, b), (b, a)):
                if session.get(SkillRelated, (x, y)) is None:
                    session.add(SkillRelated(skill_id=x, related_id=y, rank=rank + 100))
    session.flush()
    return f"imported: {added} new skills, {updated} updated, {new_aliases} new aliases; {RELINK_HINT}"


# --- the matcher with the operator's skills ----------------------------------------------------------------

LocalRows = tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]  # (slug, name, ((alias, kind), ...))


def local_rows(session: Session) -> LocalRows:
    """The operator's skills and aliases, as a hashable value (empty for most installations)."""
    if not session.scalar(select(func.count()).select_from(SkillAlias).where(SkillAlias.operator.is_(True))):
        return ()
    rows = session.execute(
        select(Skill.slug, Skill.name, SkillAlias.alias, SkillAlias.kind)
        .join(Skill, Skill.id == SkillAlias.skill_id)
        .where(SkillAlias.operator.is_(True))
        .order_by(Skill.slug, SkillAlias.alias)
    ).tuples()
    grouped: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for slug, name, alias, kind in rows:
        grouped.setdefault((slug, name), []).append((alias, kind.value))
    return tuple((slug, name, tuple(aliases)) for (slug, name), aliases in grouped.items())


def matcher_for(rows: LocalRows) -> Matcher:
    """The bundled matcher, or one that also knows the operator's skills and aliases (built once per set)."""
    return get_matcher() if not rows else _extended(rows)


@lru_cache(maxsize=2)
def _extended(rows: LocalRows) -> Matcher:
    skills = [dict(s) for s in load_bundled()["skills"]]
    index = {s["slug"]: s for s in skills}
    for slug, name, aliases in rows:
        forms = [{"alias": a, "kind": k} for a, k in aliases]
        if slug in index:
            index[slug]["aliases"] = list(index[slug]["aliases"]) + forms
        else:
            skills.append({"slug": slug, "name": name, "weak": False, "generic": False, "aliases": forms})
    return Matcher(skills)
