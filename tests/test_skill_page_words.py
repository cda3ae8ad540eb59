"""The skill page says what its figures mean and as of when: a one-sentence summary, an FAQ, schema.org
JSON-LD (Dataset, FAQPage), a canonical link and Open Graph tags; a window without postings says so and names
the newest data day, with no verdict badge; /sitemap.xml lists the skill pages that have data."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digest import clock
from digest.demand.figures import clear_memo
from digest.web.app import create_app
from tests.test_skill_page import AS_OF, _data


@pytest.fixture(autouse=True)
def _fresh_memo() -> Iterator[None]:
    clear_memo()
    yield
    clear_memo()


@pytest.fixture
def client(settings: Any, session: Session, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    _data(session)
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 5, 17, 12, tzinfo=UTC))
    return TestClient(create_app(settings))


def _json_ld(html: str) -> dict[str, Any]:
    blocks = [json.loads(b) for b in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)]
    return {b["@type"]: b for b in blocks}


def test_summary_faq_and_metadata(client: TestClient, settings: Any) -> None:
    html = client.get("/skills/kubernetes").text
    summary = re.search(r'<p class="summary">(.*?)</p>', html)
    assert summary, "no summary"
    sentence = summary.group(1)
    assert sentence.startswith("Kubernetes appears in 150 job postings in the 90 days to 17 May 2026, most often for ")
    assert "roles, " in sentence and sentence.endswith("within normal variation.")
    assert f'<link rel="canonical" href="{settings.base_url}/skills/kubernetes">' in html
    assert f'<meta property="og:description" content="{sentence}">' in html
    assert f'<meta property="og:image" content="{settings.base_url}/skills/kubernetes/chart.png">' in html
    ld = _json_ld(html)
    assert ld["Dataset"]["description"] == sentence.replace("&#39;", "'")
    assert ld["Dataset"]["temporalCoverage"] == "2026-02-17/2026-05-17"
    assert ld["Dataset"]["distribution"][0]["contentUrl"] == f"{settings.base_url}/api/skills/kubernetes/demand"
    questions = [q["name"] for q in ld["FAQPage"]["mainEntity"]]
    assert questions[0] == "How many job postings mention Kubernetes?"
    assert "Which jobs ask for Kubernetes?" in questions and "Where are the Kubernetes jobs?" in questions
    for q in questions:  # the FAQ on the page is the FAQ in the data
        assert f"<dt>{q}</dt>" in html
    # with ?as_of= the canonical page is still the plain one
    assert (
        f'<link rel="canonical" href="{settings.base_url}/skills/kubernetes">'
        in client.get(f"/skills/kubernetes?as_of={AS_OF}").text
    )


def test_an_empty_window_says_so_and_names_the_newest_day(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 12, 6, 12, tzinfo=UTC))  # as_of may not pass today
    html = client.get("/skills/kubernetes?as_of=2026-12-06").text
    meta = "No job postings at all fall in the 90 days to 6 Dec 2026; the newest postings are from 17 May 2026"
    assert f'<meta name="description" content="{meta}' in html
    assert "No job postings fall in the 90 days to 6 Dec 2026; the newest are from 17 May 2026" in html
    assert "No data in this window." in html and 'href="/skills/kubernetes?as_of=2026-05-17"' in html
    assert "No verdict" in html and "Within normal variation" not in html and "p = " not in html
    assert "FAQPage" not in html


def test_no_verdict_badge_for_a_skill_without_postings(client: TestClient, session: Session) -> None:
    from tests.support import synthetic

    synthetic.skills(session, ["Cobol"])
    session.commit()
    html = client.get("/skills/cobol").text
    assert "Cobol appears in none of the 150 job postings in the 90 days to 17 May 2026." in html
    assert "No verdict" in html and "p = " not in html


def test_sitemap_lists_skill_pages_with_data(client: TestClient, settings: Any) -> None:
    r = client.get("/sitemap.xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [e.text for e in ElementTree.fromstring(r.content).findall("s:url/s:loc", ns)]
    assert locs[:2] == [f"{settings.base_url}/", f"{settings.base_url}/skills/kubernetes"]
    assert {f"{settings.base_url}/skills/{s}" for s in ("python", "go", "terraform")} <= set(locs)
    robots = client.get("/robots.txt").text
    assert f"Sitemap: {settings.base_url}/sitemap.xml" in robots
