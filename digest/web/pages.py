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
    with session_scope() as session:
        skills = [
            {"slug": s.slug, "name": s.name, "category": s.category}
            for s in find_skills(session, q, 60, as_of=clock.today())
        ]
    return {"q": q, "skills": skills, **extra}


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, q: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    return templates.TemplateResponse(request, "home.html", home_context(q))
