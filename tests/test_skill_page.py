"""The skill page, its chart, the demand API and the machine stream (Atom and paged JSON);
and the page as a person sees it in headless Chromium (screenshot under test-artifacts/)."""

from __future__ import annotations

import io
import re
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import feedparser
import pytest
import uvicorn
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session

from digest.demand.figures import clear_memo, demand_figures
from digest.store.models import ItemKind, SkillAlias
from digest.web.app import create_app
from digest.web.cache import TTLCache
from tests.conftest import _empty_database
from tests.helpers import REPO, wait_for
from tests.support import synthetic


@pytest.fixture(autouse=True)
def _empty_at_start(engine: Any) -> None:
    """Start from an empty database even if a test outside the `settings` fixture left rows behind."""
    _empty_database(engine)


AS_OF = date(2026, 5, 17)


@pytest.fixture(autouse=True)
def _fresh_memo() -> Iterator[None]:
    clear_memo()  # the web app memoises top lists per process; each test has its own database content
    yield
    clear_memo()


def _data(session: Session) -> dict[str, Any]:
    k8s, py, go, tf = synthetic.skills(session, ["Kubernetes", "Python", "Go", "Terraform"])
    session.add(SkillAlias(skill_id=k8s.id, alias="k8s", kind="ci"))
    titles = synthetic.titles(session, ["Site Reliability Engineer", "Platform Engineer", "Backend Engineer"])
    metros = synthetic.metros(session, ["San Francisco", "Berlin", "London"])
    items = []
    for n in range(150):
        day = AS_OF - timedelta(days=n % 89)
        skills = [k8s.id] + [s.id for j, s in enumerate((py, go, tf)) if (n + j) % (j + 2) == 0]
        items.append(synthetic.posting(day, skills, titles[n % 3].id, metros[n % 4].id if n % 4 < 3 else None))
        items[-1].title = f"Engineer {n} <b>"
        items[-1].url = f"https://jobs.example.com/{n}"
        items[-1].company = "Acme"
    for n in range(3):
        news = synthetic.posting(AS_OF, [k8s.id], kind=ItemKind.news, title=f"Kubernetes 1.3{n} released")
        news.url, news.source_name = f"https://news.example.com/{n}", "Example News"
        items.append(news)
    synthetic.add(session, items)
    session.commit()
    return {"skill": k8s}


def test_page_api_and_chart(settings: Any, session: Session) -> None:
    skill = _data(session)["skill"]
    client = TestClient(create_app(settings))
    page = client.get(f"/skills/kubernetes?as_of={AS_OF}")
    assert page.status_code == 200
    figures = demand_figures(session, skill, AS_OF)
    html = page.text
    assert f">{figures['postings']:,}<" in html and "Within normal variation" in html
    assert "Site Reliability Engineer" in html and "San Francisco" in html and 'href="/skills/python"' in html
    assert "Engineer 0 &lt;b&gt;" in html and "Kubernetes 1.30 released" in html  # escaped
    assert "How this was computed" in html and f"/skills/kubernetes/chart.png?as_of={AS_OF}" in html
    api = client.get(f"/api/skills/kubernetes/demand?as_of={AS_OF}")
    assert api.json() == figures
    assert client.get("/api/skills/kubernetes/demand?as_of=yesterday").status_code == 400
    moved = client.get("/skills/k8s?as_of=2026-05-17", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == "/skills/kubernetes?as_of=2026-05-17"
    missing = client.get("/skills/kubernetez")
    assert missing.status_code == 404 and '<a href="/skills/kubernetes">Kubernetes</a>' in missing.text
    png = client.get(f"/skills/kubernetes/chart.png?as_of={AS_OF}")
    assert png.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(png.content)).size == (560, 220)
    (cached,) = (settings.data_dir / "charts").glob(f"kubernetes-{AS_OF}-*.png")
    assert cached.read_bytes() == png.content


def test_the_skill_page_and_a_search_preview_name_each_id_once(settings: Any, session: Session) -> None:
    """The subscribe card and the form in it were both id="subscribe": an id names one element."""
    _data(session)
    client = TestClient(create_app(settings))
    skill_page = client.get(f"/skills/kubernetes?as_of={AS_OF}").text
    client.get("/")  # the CSRF cookie, as a browser has it before it sends the form
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert token is not None
    preview = client.post("/subscribe", data={"skill": "kubernetes", "preview": "1", "remote": "only",
                                              "csrf_token": token[1]}).text  # fmt: skip
    assert "What this search would have matched" in preview
    for html in (skill_page, preview):
        ids = re.findall(r' id="([^"]+)"', html)
        assert ids.count("subscribe") == 1 and len(ids) == len(set(ids)), sorted(ids)


def test_page_and_api_answer_from_the_cache_for_the_ttl(settings: Any, session: Session) -> None:
    """A hot page reads no SQL while fresh; an import shows once the TTL has passed; a CSRF token per visitor."""
    skill = _data(session)["skill"]
    now = [0.0]
    app = create_app(settings)
    app.state.page_cache = TTLCache(settings.web_cache_ttl, settings.web_cache_size, clock=lambda: now[0])
    client = TestClient(app)
    url, api = f"/skills/kubernetes?as_of={AS_OF}", f"/api/skills/kubernetes/demand?as_of={AS_OF}"
    before = client.get(api).json()["postings"]
    first = client.get(url).text
    synthetic.add(session, [synthetic.posting(AS_OF, [skill.id], title="Fresh posting") for _ in range(3)])
    session.commit()
    now[0] += settings.web_cache_ttl - 1
    assert client.get(api).json()["postings"] == before and "Fresh posting" not in client.get(url).text
    other = TestClient(app).get(url).text  # another visitor: same data, its own token
    token = re.compile(r'name="csrf_token" value="([^"]+)"')
    assert token.findall(first) and token.findall(first) != token.findall(other)
    now[0] += 2
    assert client.get(api).json()["postings"] == before + 3 and "Fresh posting" in client.get(url).text


def test_items_stream_json_and_atom(settings: Any, session: Session) -> None:
    _data(session)
    client = TestClient(create_app(settings))
    seen, url = [], "/api/skills/kubernetes/items?kind=jobs&limit=40"
    while url:
        body = client.get(url).json()
        seen += body["items"]
        url = body["next"]
    assert len(seen) == 150 and len({i["id"] for i in seen}) == 150 and {i["kind"] for i in seen} == {"jobs"}
    keys = [(i["fetched_at"], i["id"]) for i in seen]
    assert keys == sorted(keys, reverse=True)
    news = client.get("/api/skills/kubernetes/items?kind=news").json()["items"]
    assert [i["title"] for i in news] == [
        "Kubernetes 1.32 released",
        "Kubernetes 1.31 released",
        "Kubernetes 1.30 released",
    ]
    since = datetime.combine(AS_OF, datetime.min.time(), tzinfo=UTC).isoformat()
    recent = client.get("/api/skills/kubernetes/items", params={"since": since}).json()["items"]
    assert recent and all(i["fetched_at"] > since for i in recent)
    assert client.get("/api/skills/kubernetes/items?kind=blogs").status_code == 400
    assert client.get("/api/skills/kubernetes/items?cursor=%%%").status_code == 400
    atom = client.get("/skills/kubernetes/feed.atom")
    assert atom.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(atom.content)
    assert not parsed.bozo and len(parsed.entries) == 50
    assert parsed.feed.title == "Kubernetes: new postings and articles (digest)"
    assert any(e.title == "Kubernetes 1.30 released" for e in parsed.entries)


@pytest.fixture
def server(settings: Any) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    wait_for(lambda: srv.started, timeout=20, message="uvicorn to start")
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.mark.browser
def test_skill_page_in_chromium(settings: Any, session: Session, server: str) -> None:
    from playwright.sync_api import sync_playwright

    _data(session)
    out = REPO / "test-artifacts"
    out.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900}, java_script_enabled=False)
            page.goto(f"{server}/skills/kubernetes?as_of={AS_OF}")
            assert page.locator("h1").inner_text() == "Kubernetes"
            page.screenshot(path=str(out / "skill_page.png"), full_page=True)
        finally:
            browser.close()
        # the chart really loaded: ask with JavaScript on, in a fresh page
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto(f"{server}/skills/kubernetes?as_of={AS_OF}")
            assert page.eval_on_selector(".chart img", "img => img.complete && img.naturalWidth") == 560
        finally:
            browser.close()
