"""Server-rendered pages for people."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from digest import clock
from digest.demand.freshness import counts_day
from digest.demand.search import search_skills
from digest.store.engine import session_scope
from digest.taxonomy.browse import kind_label, popular_by_kind
from digest.taxonomy.layer import KIND_LABELS
from digest.web.templating import templates

router = APIRouter()


def home_context(q: str = "", **extra: Any) -> dict[str, Any]:
    """The skills to show on the home page: matches for `q` ranked by postings in the window, or the skills
    most asked for, and a few of each kind to browse; each with its count, and how fresh the counts are."""
    today = clock.today()
    with session_scope() as session:
        fresh = counts_day(session, today)
        skills = [
            {"slug": s.slug, "name": s.name, "category": s.category, "kind_label": kind_label(s.kind), "postings": n}
            for s, n in search_skills(session, q, 30 if q.strip() else 24, fresh.as_of)
        ]
        popular = popular_by_kind(session, fresh.as_of) if not q.strip() and skills else []
    stale = fresh.as_of != today
    kind_labels = {k: v.lower() for k, v in KIND_LABELS.items()}  # search.js labels what it draws the same way
    return {
        "q": q,
        "skills": skills,
        "popular": popular,
        "fresh": fresh,
        "stale": stale,
        "today": today,
        "kind_labels": kind_labels,
        **extra,
    }


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(
    request: Request, q: Annotated[str, Query(max_length=200)] = "", skill: Annotated[str, Query(max_length=200)] = ""
) -> HTMLResponse:
    """`?skill=` (a Follow link) fills the subscribe form with that skill's name, not its slug."""
    extra = {"form": {"skill": _skill_name(skill)}} if skill else {}
    return templates.TemplateResponse(request, "home.html", home_context(q, **extra))


def _skill_name(slug: str) -> str:
    from digest.taxonomy.resolve import exact_skill

    with session_scope() as session:
        found = exact_skill(session, slug)
        return found.name if found is not None else slug


@router.get("/about/alerts", response_class=HTMLResponse, include_in_schema=False)
def about_alerts(request: Request) -> HTMLResponse:
    """ "Why am I seeing this?" (every alert email links here): how a shift alert is decided, in plain words,
    with the thresholds the code uses."""
    from digest.demand import sequential, shifts  # the gates themselves, so the page says what runs
    from digest.demand.totals import MIN_TOTAL

    settings = request.app.state.settings
    context = {
        "method": settings.shift_method,
        "scan_weeks": sequential.SCAN_WEEKS,
        "baseline_weeks": sequential.HISTORY_WEEKS,
        "lag_weeks": sequential.LAG_WEEKS,
        "arl_weeks": round(sequential.ARL_TARGET),
        "cooldown_weeks": sequential.COOLDOWN_WEEKS,
        "min_baseline": sequential.MIN_BASELINE,
        "min_total": MIN_TOTAL,
        "min_larger": shifts.MIN_LARGER,
        "min_change": round(shifts.MIN_CHANGE * 100),
        "close_below": round(shifts.CLOSE_BELOW * 100),
        "q_max": shifts.Q_MAX,
        "one_in_q": round(1 / shifts.Q_MAX),
        "history_weeks": shifts.HISTORY_WEEKS,
        "persistence": shifts.PERSISTENCE,
        "cooldown_days": shifts.COOLDOWN_DAYS,
        "weeks": shifts.WINDOW_DAYS // 7,
        "paired_top": settings.alert_paired_skills,
        "interval_days": settings.alert_email_interval_days,
    }
    return templates.TemplateResponse(request, "about_alerts.html", context)
