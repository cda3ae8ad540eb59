"""Every error a browser meets is a page in the site's layout that says what happened and what to do next
(links); under /api/ errors stay JSON."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digest.web.app import create_app
from tests.accounts_data import add_skills

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture
def client(settings: Any, session: Session) -> Iterator[TestClient]:
    add_skills(session)
    app = create_app(settings)
    boom = APIRouter()

    @boom.get("/boom")
    def _boom() -> None:
        raise RuntimeError("secret internals")

    @boom.get("/api/boom")
    def _api_boom() -> None:
        raise RuntimeError("secret internals")

    app.include_router(boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)"', html)


def assert_page(html: str, *texts: str) -> None:
    assert html.lstrip().lower().startswith("<!doctype html>") and '<a class="brand" href="/">' in html
    assert "What next" in html and '{"detail"' not in html
    for text in texts:
        assert text in html, text


def test_an_unknown_skill_suggests_skills_as_links(client: TestClient) -> None:
    r = client.get("/skills/pythn", headers=BROWSER)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert_page(r.text, "We could not find that page", "We know no skill called “pythn”")
    assert "/skills/python" in links(r.text)
    assert 'action="/"' in r.text and 'name="q"' in r.text  # a search box as the way on


def test_an_unknown_page_is_a_page(client: TestClient) -> None:
    r = client.get("/nope")
    assert r.status_code == 404
    assert_page(r.text, "There is no page at /nope.")
    assert "/" in links(r.text)


def test_a_long_bad_input_is_not_echoed_whole(client: TestClient) -> None:
    r = client.get("/skills/python?as_of=" + "x" * 500)
    assert r.status_code == 400
    assert_page(r.text, "as_of must be an ISO date")
    assert "x" * 100 not in r.text


def test_a_bad_query_parameter_is_a_400_page(client: TestClient) -> None:
    r = client.get("/?q=" + "a" * 300)
    assert r.status_code == 400
    assert_page(r.text, "not valid: q")


def test_a_broken_link_is_a_page_with_a_way_on(client: TestClient) -> None:
    r = client.get("/login?token=not-a-token")
    assert r.status_code == 400
    assert_page(r.text, "This link does not work")


def test_a_crash_is_a_500_page_without_internals(client: TestClient) -> None:
    r = client.get("/boom")
    assert r.status_code == 500
    assert_page(r.text, "Something went wrong on our side")
    assert "secret internals" not in r.text and "Try again" in r.text


def test_the_api_keeps_json(client: TestClient) -> None:
    r = client.get("/api/skills/pythn/demand", headers=BROWSER)
    assert r.status_code == 404 and r.json()["detail"].startswith("We know no skill called")
    assert "Did you mean: Python" in r.json()["detail"]
    r = client.get("/api/nope")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}
    r = client.get("/api/skills?limit=0")
    assert r.status_code == 422 and "detail" in r.json()
    r = client.get("/api/boom")
    assert r.status_code == 500 and "secret" not in r.text and r.json()["detail"]


def test_an_old_slug_still_redirects(client: TestClient, session: Session) -> None:
    r = client.get("/skills/Python%203", follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"] == "/skills/python"


def test_a_too_large_body_is_a_page_for_browsers_and_json_for_the_api(client: TestClient) -> None:
    # the body cap answers before any handler runs: it too speaks as the site does, not "Content Too Large"
    big = {"email": "a" * (100 * 1024), "skill": "python"}
    r = client.post("/subscribe", data=big, headers=BROWSER)
    assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")
    assert_page(r.text, "That was too much to send", "Send less at once and try again.")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]  # the other pages' headers
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    r = client.post("/api/subscriptions", json=big)
    assert r.status_code == 413 and r.headers["content-type"].startswith("application/json")
    assert r.json()["detail"] and len(r.content) < 200


def test_opening_a_form_address_says_so_in_words(client: TestClient) -> None:
    # after subscribing, the address bar shows /subscribe: opening it again must not answer in HTTP jargon
    r = client.get("/subscribe", headers=BROWSER)
    assert r.status_code == 405
    assert_page(r.text, "That is not something this page does", "/subscribe takes what a form sends")
    assert "Method Not Allowed" not in r.text
    r = client.post("/api/searches/preview", json={"skill": "python"})
    assert r.status_code == 405 and r.json() == {"detail": "Method Not Allowed"}  # machines: as before
