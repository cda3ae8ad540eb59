"""For search engines: /sitemap.xml lists the skill pages that have data (postings in the window to today),
and /robots.txt points at it."""

from __future__ import annotations

from datetime import date, timedelta
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest import clock
from digest.demand.window import WINDOW_DAYS
from digest.store.engine import session_scope
from digest.store.models import DemandSkillDay, Skill

router = APIRouter()
MAX_URLS = 50_000  # the sitemap protocol's limit for one file


def skills_with_data(session: Session, as_of: date, limit: int = MAX_URLS - 1) -> list[str]:
    """Slugs of the skills with postings in the window to `as_of`, most postings first."""
    postings = func.sum(DemandSkillDay.postings)
    rows = session.execute(
        select(Skill.slug)
        .join(DemandSkillDay, DemandSkillDay.skill_id == Skill.id)
        .where(DemandSkillDay.day > as_of - timedelta(days=WINDOW_DAYS), DemandSkillDay.day <= as_of)
        .group_by(Skill.id, Skill.slug)
        .having(postings > 0)
        .order_by(postings.desc(), Skill.slug)
        .limit(limit)
    )
    return [slug for (slug,) in rows]


@router.get("/sitemap.xml", include_in_schema=False)
def sitemap(request: Request) -> Response:
    base = request.app.state.settings.base_url
    today = clock.today()
    with session_scope() as session:
        slugs = skills_with_data(session, today)
    urls = [f"{base}/"] + [f"{base}/skills/{slug}" for slug in slugs]
    body = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    body += [f"<url><loc>{escape(u)}</loc><lastmod>{today.isoformat()}</lastmod></url>" for u in urls]
    body.append("</urlset>")
    return Response("\n".join(body) + "\n", media_type="application/xml")


@router.get("/robots.txt", include_in_schema=False)
def robots(request: Request) -> PlainTextResponse:
    base = request.app.state.settings.base_url
    return PlainTextResponse(f"User-agent: *\nDisallow: /api/\nDisallow: /outbox\nSitemap: {base}/sitemap.xml\n")
