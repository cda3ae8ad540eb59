"""Kinds and related skills on the pages: a practice's page reads like a language's, search shows kinds,
paired skills are grouped by kind, the home page lists what is asked for by kind, a merged slug redirects."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from digest.demand.figures import clear_memo
from digest.store.models import Skill
from digest.taxonomy.load import load_taxonomy
from digest.web.app import create_app
from tests.support import synthetic
from tests.test_taxonomy_db import empty_taxonomy_fast

AS_OF = date(2026, 3, 20)


@pytest.fixture(autouse=True)
def _clean(engine: Engine) -> Iterator[None]:
    clear_memo()
    yield
    clear_memo()
    empty_taxonomy_fast(engine)


def _ids(session: Session, *slugs: str) -> list[int]:
    found = dict(session.execute(select(Skill.slug, Skill.id).where(Skill.slug.in_(slugs))).tuples().all())
    return [found[s] for s in slugs]


def test_kinds_and_related_skills_on_pages(settings: Any, session: Session) -> None:
    load_taxonomy(session)
    micro, python, kafka, pg = _ids(session, "microservices", "python", "kafka", "postgresql")
    postings = [
        synthetic.posting(AS_OF - timedelta(days=n), [micro, python, kafka, pg][: 2 + n % 3]) for n in range(12)
    ]
    synthetic.add(session, postings)
    session.commit()
    client = TestClient(create_app(settings))

    page = client.get(f"/skills/microservices?as_of={AS_OF}")
    assert page.status_code == 200, page.text
    html = page.text
    assert ">Practice</span>" in html  # what kind of skill it is, under its name
    assert "goes with" in html and 'href="/skills/distributed-systems"' in html
    assert "Related skills" in html and 'href="/skills/kubernetes"' in html
    python_page = client.get(f"/skills/python?as_of={AS_OF}").text
    assert ">Language</span>" in python_page
    # paired skills grouped by kind: the practice and the tool under their own labels
    assert "Practice:</span>" in python_page and 'href="/skills/microservices"' in python_page
    assert "Tool:</span>" in python_page and "Database:</span>" in python_page

    moved = client.get("/skills/data-warehouse", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == "/skills/data-warehousing"

    found = client.get("/api/skills", params={"q": "microservices"}).json()
    assert {k: found[0][k] for k in ("slug", "name", "category", "kind")} == {
        "slug": "microservices",
        "name": "Microservices",
        "category": "Practices and architecture",
        "kind": "practice",
    }
    search = client.get("/", params={"q": "agile"}).text
    assert 'href="/skills/agile-development' in search  # ?as_of= follows when the counts are for older data
    assert 'Agile</a> <span class="kind muted small">practice</span>' in search


def test_the_home_page_lists_what_is_asked_for_by_kind(settings: Any, session: Session) -> None:
    load_taxonomy(session)
    session.commit()
    home = TestClient(create_app(settings)).get("/").text
    for heading in ("Languages", "Frameworks and libraries", "Databases", "Practices", "Fields"):
        assert f">{heading}</h3>" in home
    practices = home.split(">Practices</h3>", 1)[1].split("</ul>", 1)[0]
    assert practices.count("<li>") == 8  # filled from the taxonomy when postings are few
