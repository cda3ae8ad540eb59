"""Skill pages, demand API, the Atom feed and items API for machines."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from digest import clock
from digest.db import session_scope
from digest.demand.chart import weekly_chart_png
from digest.demand.figures import demand_figures
from digest.demand.stream import KINDS, BadCursor, atom_feed, item_json, skill_items
from digest.demand.text import change_words, verdict_words
from digest.models import ItemKind, Skill
from digest.taxonomy.browse import kind_label, kinds_of, paired_by_kind, related_skills
from digest.taxonomy.resolve import UnknownSkill, redirected, resolve_skill
from digest.web.cache import TTLCache
from digest.web.templating import templates

router = APIRouter()


def _skill(session: Session, slug: str, request: Request) -> Skill:
    """The skill at this slug; an alias, a name or a redirected (merged) slug in the URL redirects (301) to the
    canonical slug."""
    skill = None if redirected(session, slug) else session.scalar(select(Skill).where(Skill.slug == slug))
    if skill is not None:
        return skill
    try:
        found = resolve_skill(session, slug)
    except UnknownSkill as exc:
        hint = "; ".join(f"{s.name} (/skills/{s.slug})" for s in exc.suggestions)
        raise HTTPException(404, f"No skill called {slug!r}." + (f" Did you mean: {hint}?" if hint else "")) from None
    url = str(request.url.path).replace(f"/skills/{slug}", f"/skills/{found.slug}", 1)
    if request.url.query:
        url += "?" + request.url.query
    raise HTTPException(301, f"This skill lives at {url}.", headers={"Location": url})


def _as_of(value: str | None) -> date:
    if not value:
        return clock.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, f"as_of must be an ISO date (YYYY-MM-DD), not {value!r}.") from None


def _page_data(request: Request, slug: str, day: date) -> dict[str, Any]:
    """What the skill page and the demand API show for a skill on a day: from the process's cache while
    fresh (no SQL at all), otherwise read. An alias or an unknown slug raises (301/404) and is not cached."""

    def read() -> dict[str, Any]:
        with session_scope() as session:
            skill = _skill(session, slug, request)
            jobs, _ = skill_items(session, skill, kind=ItemKind.job, limit=8)
            news, _ = skill_items(session, skill, kind=ItemKind.news, limit=6)
            figures = demand_figures(session, skill, day, memo=True)
            return {
                "skill": {
                    "slug": skill.slug,
                    "name": skill.name,
                    "kind": skill.kind,
                    "kind_label": kind_label(skill.kind),
                },
                "related": related_skills(session, skill.id),
                "kinds": kinds_of(session, [p["skill"] for p in figures["paired_skills"]]),
                "figures": figures,
                "jobs": [item_json(i) for i in jobs],
                "news": [item_json(i) for i in news],
            }

    cache: TTLCache = request.app.state.page_cache
    data: dict[str, Any] = cache.get((slug, day), read)
    return data


@router.get("/api/skills/{slug}/demand")
def demand(request: Request, slug: str, as_of: str | None = None) -> Response:
    return JSONResponse(_page_data(request, slug, _as_of(as_of))["figures"])


@router.get("/skills/{slug}/chart.png")
def chart(request: Request, slug: str, as_of: str | None = None) -> Response:
    day = _as_of(as_of)
    with session_scope() as session:
        skill = _skill(session, slug, request)
        png = weekly_chart_png(session, skill, day)
    return Response(png, media_type="image/png", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/api/skills/{slug}/items")
def items_api(
    request: Request,
    slug: str,
    since: str | None = None,
    kind: str | None = None,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
) -> Response:
    item_kind = _kind(kind)
    after = _since(since)
    with session_scope() as session:
        skill = _skill(session, slug, request)
        try:
            rows, nxt = skill_items(session, skill, kind=item_kind, since=after, cursor=cursor, limit=limit)
        except BadCursor as exc:
            raise HTTPException(400, str(exc)) from None
        body: dict[str, Any] = {"skill": skill.slug, "name": skill.name, "items": [item_json(i) for i in rows]}
    body["next"] = str(request.url.include_query_params(cursor=nxt)) if nxt else None
    return JSONResponse(body)


def _kind(kind: str | None) -> ItemKind | None:
    if kind in (None, ""):
        return None
    if kind not in KINDS:
        raise HTTPException(400, "kind must be news or jobs.")
    return KINDS[kind]


def _since(since: str | None) -> datetime | None:
    if not since:
        return None
    try:
        return clock.parse_now(since)
    except ValueError:
        raise HTTPException(400, f"since must be an ISO 8601 date-time, not {since!r}.") from None


@router.get("/skills/{slug}/feed.atom")
def feed(request: Request, slug: str, kind: str | None = None) -> Response:
    item_kind = _kind(kind)
    settings = request.app.state.settings
    with session_scope() as session:
        skill = _skill(session, slug, request)
        rows, _ = skill_items(session, skill, kind=item_kind, limit=50)
        body = atom_feed(skill, rows, settings.base_url, clock.utcnow())
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@router.get("/skills/{slug}", response_class=HTMLResponse)
def skill_page(request: Request, slug: str, as_of: str | None = None) -> Response:
    data = _page_data(request, slug, _as_of(as_of))
    figures = data["figures"]
    context = {
        "skill": data["skill"],
        "f": figures,
        "as_of_param": as_of or "",
        "change_words": change_words(figures["change_vs_prior_4_weeks"]),
        "verdict_words": verdict_words(figures["shift"]),
        "jobs": data["jobs"],
        "news": data["news"],
        "related": data["related"],
        "paired_groups": paired_by_kind(figures["paired_skills"], data["kinds"]),
        "cadences": ["daily", "weekly", "hourly"],
    }
    return templates.TemplateResponse(request, "skill.html", context)
