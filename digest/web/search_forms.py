"""The search filters of the subscribe and settings forms: read from a form post, checked, and the preview
counts shown before saving (the page's answer without JavaScript; /api/searches/preview with it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form
from sqlalchemy.orm import Session

from digest import clock
from digest.accounts.search_input import as_input, describe_search, from_form, resolve_search
from digest.accounts.searches import Search


def search_form(
    more_skills: Annotated[str, Form(max_length=1000)] = "",
    all_skills: Annotated[str, Form(max_length=5)] = "",
    kind: Annotated[str, Form(max_length=10)] = "both",
    remote: Annotated[str, Form(max_length=10)] = "any",
    metros: Annotated[str, Form(max_length=1000)] = "",
    or_remote: Annotated[str, Form(max_length=5)] = "",
    seniority: Annotated[list[str], Form(max_length=6)] = [],  # noqa: B006  (FastAPI copies defaults)
    min_salary: Annotated[str, Form(max_length=12)] = "",
    currency: Annotated[str, Form(max_length=3)] = "",
    drop_unsalaried: Annotated[str, Form(max_length=5)] = "",
    exclude_companies: Annotated[str, Form(max_length=1500)] = "",
    exclude_words: Annotated[str, Form(max_length=1500)] = "",
) -> dict[str, Any]:
    """The form's search fields as typed (a dependency of the form handlers)."""
    return {
        "more_skills": more_skills.replace("\x00", ""),
        "all_skills": all_skills,
        "kind": kind,
        "remote": remote,
        "metros": metros.replace("\x00", ""),
        "or_remote": or_remote,
        "seniority": [s[:10] for s in seniority],
        "min_salary": min_salary,
        "currency": currency,
        "drop_unsalaried": drop_unsalaried,
        "exclude_companies": exclude_companies.replace("\x00", ""),
        "exclude_words": exclude_words.replace("\x00", ""),
    }


def has_filters(fields: dict[str, Any]) -> bool:
    """Whether the person asked for more than the skill (a plain subscribe leaves any search as it is)."""
    defaults = {"kind": "both", "remote": "any", "currency": ""}
    return any(value and value != defaults.get(name) for name, value in fields.items() if name != "currency")


def preview(session: Session, skill_query: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The search in words and the postings it would have matched in the last 7 and 30 days. BadInput or
    UnknownSkill for a search we cannot follow."""
    from digest.delivery.search_preview import preview_counts
    from digest.demand.freshness import counts_day

    search = resolve_search(session, skill_query, from_form(fields))
    as_of = counts_day(session, clock.today()).as_of
    counts = preview_counts(session, search, as_of)
    words = describe_search(session, search)
    text = (
        f"{words}: {_postings(counts.last_7_days)} in the last 7 days, {_postings(counts.last_30_days)} in the last"
        f" 30 (to {as_of.isoformat()})."
    )
    return {"text": text, "search": words, "week": counts.last_7_days, "month": counts.last_30_days, "as_of": as_of}


def _postings(n: int) -> str:
    return f"{n:,} job posting" + ("" if n == 1 else "s")


def form_values(session: Session, search: Search) -> dict[str, Any]:
    """A stored search as the form's fields (comma-separated lists), to edit in place."""
    given = as_input(session, search)
    joined = {k: ", ".join(v) for k, v in given.items() if isinstance(v, list) and k != "seniority"}
    return {**given, **joined, "more_skills": joined["skills"], "min_salary": given["min_salary"] or ""}
