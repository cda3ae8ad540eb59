"""Skill pages, demand API, the Atom feed and items API for machines."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from digest import clock
from digest.delivery.items import ItemPage, window_items
from digest.demand.chart import weekly_chart_png
from digest.demand.dates import BadAsOf, check_as_of, data_days, worth_keeping
from digest.demand.explain import Compared, compared_windows, open_alert_lines
from digest.demand.figures import demand_figures
from digest.demand.freshness import freshness
from digest.demand.pay_words import pay_words, seniority_words, title_pay_words
from digest.demand.stream import KINDS, BadCursor, atom_feed, item_json, skill_items
from digest.demand.summary import faq, has_verdict, json_ld, summary_sentence
from digest.demand.text import change_words, verdict_words
from digest.demand.totals import MIN_TOTAL
from digest.store.engine import session_scope
from digest.store.models import ItemKind, ShiftAlert, Skill
from digest.taxonomy.browse import kind_label, kinds_of, paired_by_kind, related_skills
from digest.taxonomy.resolve import UnknownSkill, redirected, resolve_skill
from digest.web.cache import TTLCache
from digest.web.errors import PageError, clip
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
        message = f"We know no skill called “{clip(slug)}”."
        detail = message + (f" Did you mean: {hint}?" if hint else "")
        raise PageError(404, detail, [(s.name, f"/skills/{s.slug}") for s in exc.suggestions], message) from None
    url = str(request.url.path).replace(f"/skills/{slug}", f"/skills/{found.slug}", 1)
    if request.url.query:
        url += "?" + request.url.query
    raise HTTPException(301, f"This skill lives at {url}.", headers={"Location": url})


def _as_of(value: str | None) -> date:
    if not value:
        return clock.today()
    try:
        return check_as_of(date.fromisoformat(value), clock.today())
    except BadAsOf as exc:
        raise HTTPException(400, f"{exc}.") from None
    except ValueError:
        raise HTTPException(400, f"as_of must be an ISO date (YYYY-MM-DD), not “{clip(value)}”.") from None


def _worth_keeping(request: Request, day: date) -> bool:
    """Whether the figures for `day` may take cache space (today, or days near data); the data's range is
    itself cached, so a hot page still reads no SQL."""

    def read() -> tuple[date, date] | None:
        with session_scope() as session:
            return data_days(session)

    cache: TTLCache = request.app.state.page_cache
    return worth_keeping(day, clock.today(), cache.get(("data days",), read))


def _page_data(request: Request, slug: str, day: date) -> dict[str, Any]:
    """What the skill page and the demand API show for a skill on a day: from the process's cache while
    fresh (no SQL at all), otherwise read. An alias or an unknown slug raises (301/404) and is not cached."""

    def read() -> dict[str, Any]:
        with session_scope() as session:
            skill = _skill(session, slug, request)
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
                "freshness": freshness(session, day),
            }

    if not _worth_keeping(request, day):
        return read()
    cache: TTLCache = request.app.state.page_cache
    data: dict[str, Any] = cache.get((slug, day), read)
    return data


@router.get("/api/skills/{slug}/demand")
def demand(request: Request, slug: str, as_of: str | None = None) -> Response:
    return JSONResponse(_page_data(request, slug, _as_of(as_of))["figures"])


@router.get("/skills/{slug}/chart.png")
def chart(
    request: Request,
    slug: str,
    as_of: str | None = None,
    theme: Literal["light", "dark"] = "light",
    size: Literal["wide", "narrow"] = "wide",
    alert: int | None = Query(None, ge=1, le=2**31 - 1),
) -> Response:
    """The weekly chart; theme=dark draws it in the pages' dark colours, size=narrow 360 px wide for phones
    (the pages' <picture> asks for what the reader's screen and scheme need); alert=ID marks the two windows
    that alert of this skill compared (an id of another skill's alert, or none, draws the plain chart)."""
    day = _as_of(as_of)
    keep = _worth_keeping(request, day)
    with session_scope() as session:
        skill = _skill(session, slug, request)
        charts = request.app.state.settings.charts_dir
        found = session.get(ShiftAlert, alert) if alert else None
        marks = None
        if found is not None and found.skill_id == skill.id:
            marks = compared_windows(found.opened_on, found.scan_weeks)
        png = weekly_chart_png(
            session, skill, day, charts, keep=keep, dark=theme == "dark", narrow=size == "narrow", marks=marks
        )
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
    except (ValueError, OverflowError):  # overflow: an offset that moves a date off the calendar
        raise HTTPException(400, f"since must be an ISO 8601 date-time, not “{clip(since)}”.") from None


@router.get("/skills/{slug}/feed.atom")
def feed(request: Request, slug: str, kind: str | None = None) -> Response:
    item_kind = _kind(kind)
    settings = request.app.state.settings
    with session_scope() as session:
        skill = _skill(session, slug, request)
        rows, _ = skill_items(session, skill, kind=item_kind, limit=50)
        body = atom_feed(skill, rows, settings.base_url, clock.utcnow())
    return Response(body, media_type="application/atom+xml; charset=utf-8")


PER_PAGE = 20  # items per page of the skill page's lists


@router.get("/skills/{slug}", response_class=HTMLResponse, include_in_schema=False)
def skill_page(
    request: Request,
    slug: str,
    as_of: str | None = None,
    postings_page: int = Query(1, ge=1, le=100_000),
    articles_page: int = Query(1, ge=1, le=100_000),
) -> Response:
    day = _as_of(as_of)
    data = _page_data(request, slug, day)
    figures, fresh = data["figures"], data["freshness"]
    canonical = data["skill"]["slug"]
    base_url = request.app.state.settings.base_url
    page_url = f"{base_url}/skills/{canonical}"
    summary = summary_sentence(figures, fresh)

    def lists() -> tuple[ItemPage, ItemPage]:  # every item of the window, a page of each list
        with session_scope() as session:
            skill_id = session.scalar(select(Skill.id).where(Skill.slug == canonical))
            assert skill_id is not None
            return (
                window_items(session, skill_id, ItemKind.job, day, postings_page, PER_PAGE),
                window_items(session, skill_id, ItemKind.news, day, articles_page, PER_PAGE),
            )

    cache: TTLCache = request.app.state.page_cache
    key = (canonical, day, postings_page, articles_page)
    postings, articles = cache.get(key, lists) if _worth_keeping(request, day) else lists()

    def why() -> list[dict[str, Any]]:  # what moved an open alert: one read of the skill's 8 weeks of postings
        with session_scope() as session:
            skill_id = session.scalar(select(Skill.id).where(Skill.slug == canonical))
            assert skill_id is not None
            return open_alert_lines(session, skill_id, figures["name"], day)

    explained: list[dict[str, Any]] = []
    if figures["shift"]["alert_open"]:
        explained = cache.get(("why", canonical, day), why) if _worth_keeping(request, day) else why()
    context = {
        "skill": data["skill"],
        "f": figures,
        "fresh": fresh,
        "as_of_param": as_of or "",
        "change_words": change_words(figures["change_vs_prior_4_weeks"]),
        "verdict_words": verdict_words(figures["shift"]),
        "has_verdict": has_verdict(figures),
        "min_tested": MIN_TOTAL,
        "summary": summary,
        "faq": faq(figures, fresh),
        "json_ld": json_ld(figures, fresh, page_url, base_url, summary),
        "page_url": page_url,
        "base_url": base_url,
        "postings": postings,
        "articles": articles,
        "pages": {"postings_page": postings.page, "articles_page": articles.page},
        "related": data["related"],
        "paired_groups": paired_by_kind(figures["paired_skills"], data["kinds"]),
        "cadences": ["daily", "weekly", "hourly"],
        "pay": pay_words(figures["salary"]),
        "title_pay": {t["title"]: title_pay_words(t["median_salary"]) for t in figures["top_titles"]},
        "seniority_line": seniority_words(figures["seniority"]),
        "alerts_explained": explained,
        "legend": Compared.LEGEND,
    }
    return templates.TemplateResponse(request, "skill.html", context)
