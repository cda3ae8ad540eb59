"""Server-rendered pages for people."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from digest import clock
from digest.db import session_scope
from digest.subscriptions import find_skills
from digest.web.templating import templates

router = APIRouter()


def home_context(q: str = "", **extra: Any) -> dict[str, Any]:
    """The skills to show on the home page: matches for `q`, or a first list to browse."""
    from digest.taxonomy.browse import kind_label, popular_by_kind

    with session_scope() as session:
        skills = [
            {"slug": s.slug, "name": s.name, "category": s.category, "kind_label": kind_label(s.kind)}
            for s in find_skills(session, q, 60, as_of=clock.today())
        ]
        popular = popular_by_kind(session, clock.today()) if not q.strip() and skills else []
    return {"q": q, "skills": skills, "popular": popular, **extra}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, q: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    return templates.TemplateResponse(request, "home.html", home_context(q))
