"""A search as a person types it (skill and place names, company names, an amount) into the Search it means
(digest.accounts.searches): skills resolved as everywhere (UnknownSkill with suggestions), places by name,
slug or any of the gazetteer's names ("SF", "NYC"), companies folded as employers are. BadInput names the one
value it could not use, cut short, never the whole input. And the names a search's description needs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from digest.accounts.inputs import BadInput
from digest.accounts.searches import (
    MAX_COMPANIES,
    MAX_METROS,
    MAX_SKILLS,
    MAX_TEXT,
    MAX_WORDS,
    Search,
    SearchError,
    describe,
    make,
    stored,
)
from digest.sources.employer import LEGAL_FORMS, employer_key
from digest.store.models import Metro, Skill
from digest.taxonomy.metros import resolve_metro
from digest.taxonomy.resolve import resolve_skill


@dataclass(frozen=True)
class SearchInput:
    """The filters as typed. `skills`: skills the search follows besides the subscription's own."""

    skills: Sequence[str] = ()
    all_skills: bool = False
    kind: str = "both"
    remote: str = "any"
    metros: Sequence[str] = ()
    or_remote: bool = False
    seniority: Sequence[str] = ()
    min_salary: int | None = None
    currency: str | None = None
    drop_unsalaried: bool = False
    exclude_companies: Sequence[str] = ()
    exclude_words: Sequence[str] = ()


def split_list(text: str) -> list[str]:
    """ "Berlin, Munich" -> ["Berlin", "Munich"]: a form field holding several values, comma-separated."""
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def split_companies(text: str) -> list[str]:
    """split_list, keeping a legal form with its name: "Acme, Inc., Initech" -> ["Acme, Inc.", "Initech"]."""
    out: list[str] = []
    for part in split_list(text):
        if out and part.casefold().replace(".", "") in LEGAL_FORMS:
            out[-1] = f"{out[-1]}, {part}"
        else:
            out.append(part)
    return out


def from_form(fields: dict[str, object]) -> SearchInput:
    """The search of a form's fields (the subscribe and settings forms, the preview's query): lists are
    comma-separated text, checkboxes are present or not, seniority repeats."""

    def text(name: str) -> str:
        value = fields.get(name)
        return value if isinstance(value, str) else ""

    def flag(name: str) -> bool:
        return text(name) not in ("", "0", "false")

    given = fields.get("seniority")
    levels = [v for v in given if isinstance(v, str)] if isinstance(given, list) else split_list(text("seniority"))
    amount = text("min_salary").replace(",", "").replace("_", "").strip()
    if amount and not amount.isdigit():
        raise BadInput("The minimum salary is a whole number, such as 70000.")
    return SearchInput(
        skills=split_list(text("more_skills")),
        all_skills=flag("all_skills"),
        kind=text("kind") or "both",
        remote=text("remote") or "any",
        metros=split_list(text("metros")),
        or_remote=flag("or_remote"),
        seniority=levels,
        min_salary=int(amount) if amount and len(amount) < 10 else (10**10 if amount else None),
        currency=text("currency") or None if amount else None,
        drop_unsalaried=flag("drop_unsalaried") and bool(amount),
        exclude_companies=split_companies(text("exclude_companies")),
        exclude_words=split_list(text("exclude_words")),
    )


def _cut(value: str, limit: int = 40) -> str:
    text = " ".join(value.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def resolve_search(session: Session, skill_query: str, given: SearchInput, first: Skill | None = None) -> Search:
    """The Search of `skill_query` (its first skill: `first` when the caller resolved it already) and
    `given`. UnknownSkill for a skill we do not know; BadInput for anything else we cannot use."""
    more = [q for q in given.skills if q.strip()]
    # the limits make() checks, before any lookup: a public preview resolves what it is given
    if (
        len(more) >= MAX_SKILLS
        or len(given.metros) > MAX_METROS
        or len(given.exclude_companies) > MAX_COMPANIES
        or len(given.exclude_words) > MAX_WORDS
    ):
        raise BadInput(
            f"That search names too many: at most {MAX_SKILLS} skills, {MAX_METROS} places,"
            f" {MAX_COMPANIES} excluded companies and {MAX_WORDS} excluded words."
        )
    skill_ids = [(first or resolve_skill(session, skill_query)).id, *(resolve_skill(session, q).id for q in more)]
    places = [m for m in given.metros if m.strip()]
    known = session.execute(select(Metro.id, Metro.slug, Metro.name)).all() if places else []
    metro_ids = [_metro_id(known, m) for m in places]
    companies = []
    for c in given.exclude_companies:
        if not c.strip():
            continue
        if len(c) > MAX_TEXT:
            raise BadInput(f"A company name is at most {MAX_TEXT} characters (“{_cut(c)}”).")
        key = employer_key(c)
        if key is None:
            raise BadInput(f"“{_cut(c)}” names no company we could exclude.")
        companies.append(key)
    try:
        return make(
            list(dict.fromkeys(skill_ids)),
            all_skills=given.all_skills,
            kind=given.kind.strip().lower() or "both",
            remote=given.remote.strip().lower() or "any",
            metros=metro_ids,
            or_remote=given.or_remote,
            seniority=[_level(s) for s in given.seniority if s.strip()],
            min_salary=given.min_salary,
            currency=(given.currency or "").strip().upper() or None,
            drop_unsalaried=given.drop_unsalaried,
            exclude_companies=companies,
            exclude_words=[w.strip() for w in given.exclude_words if w.strip()],
        )
    except SearchError as exc:
        raise BadInput(str(exc)) from None


_LEVEL_WORDS = {"mid-level": "mid", "middle": "mid", "principal": "staff", "manager": "lead", "entry": "junior"}


def _level(text: str) -> str:
    word = text.strip().lower()
    return _LEVEL_WORDS.get(word, word)


def _metro_id(rows: Sequence[Row[int, str, str]], text: str) -> int:
    typed = " ".join(text.split())
    low = typed.casefold()
    for metro_id, slug, name in rows:
        if low in (slug, name.casefold()):
            return int(metro_id)
    found = resolve_metro(typed)
    if found is not None and found[0] != "remote":
        for metro_id, slug, _ in rows:
            if slug == found[0]:
                return int(metro_id)
    raise BadInput(f"We do not know the place “{_cut(typed)}”: try a city such as Berlin, London or New York.")


def names_for(session: Session, searches: Iterable[Search]) -> tuple[dict[int, str], dict[int, str]]:
    """The skill and metro names the searches' descriptions need, in two queries."""
    skill_ids: set[int] = set()
    metro_ids: set[int] = set()
    for s in searches:
        skill_ids.update(s.skills)
        metro_ids.update(s.metros)
    skills = dict(session.execute(select(Skill.id, Skill.name).where(Skill.id.in_(skill_ids))).tuples().all())
    metros = dict(session.execute(select(Metro.id, Metro.name).where(Metro.id.in_(metro_ids))).tuples().all())
    return skills, metros


def describe_search(session: Session, search: Search) -> str:
    """A search in words, its names read."""
    skills, metros = names_for(session, [search])
    return describe(search, skills, metros)


def description(session: Session, skill_id: int, search_json: str | None) -> str:
    """A subscription's search in words."""
    return describe_search(session, stored(skill_id, search_json))


def as_input(session: Session, search: Search) -> dict[str, object]:
    """A stored search as a form shows it (names, not ids): the filters to edit in place."""
    skills, metros = ({}, {}) if search.plain else names_for(session, [search])
    return {
        "skills": [skills.get(i, "") for i in search.skills[1:]],
        "all_skills": search.all_skills,
        "kind": search.kind,
        "remote": search.remote,
        "metros": [metros.get(i, "") for i in search.metros],
        "or_remote": search.or_remote,
        "seniority": list(search.seniority),
        "min_salary": search.min_salary,
        "currency": search.currency,
        "drop_unsalaried": search.drop_unsalaried,
        "exclude_companies": list(search.exclude_companies),
        "exclude_words": list(search.exclude_words),
    }
