"""Odd inputs found by probing: NUL bytes (PostgreSQL cannot hold them) and date-times an offset pushes off
the calendar get a 4xx, never a 500, on both databases."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digest.web.app import create_app
from tests.accounts_data import add_skills


def test_no_odd_input_is_a_500(settings: Any, session: Session) -> None:
    add_skills(session)
    client = TestClient(create_app(settings), raise_server_exceptions=False)
    for path in ("/api/skills/python/items?since=0001-01-01T00:00:00%2B01:00",
                 "/api/skills/python/items?since=9999-12-31T23:59:59-01:00",
                 "/skills/py%00thon", "/api/skills/py%00thon/demand", "/api/skills?q=%00", "/?q=a%00b"):  # fmt: skip
        r = client.get(path)
        assert r.status_code == 400, (path, r.status_code, r.text[:200])
    r = client.post("/api/subscriptions", json={"email": "a@example.com", "skill": "py\x00thon"})
    assert r.status_code == 422, r.text[:200]
    r = client.post("/subscribe", data={"email": "a@example.com", "skill": "py\x00thon"})
    assert r.status_code in (403, 422)  # no CSRF token here; with one, the form says why (below)
    page = client.get("/").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = client.post("/subscribe", data={"email": "a@example.com", "skill": "py\x00thon", "csrf_token": token})
    assert r.status_code == 422 and "NUL" in r.text


def test_a_nul_byte_in_a_machine_address_is_answered_as_json(settings: Any, session: Session) -> None:
    """A skill's chart and feed document their errors as JSON, as /api/ does (schemathesis found the chart's
    NUL-byte 400 answered as text/plain)."""
    client = TestClient(create_app(settings), raise_server_exceptions=False)
    for path in ("/skills/py%00thon/chart.png", "/skills/py%00thon/feed.atom", "/api/skills/py%00thon/demand"):
        r = client.get(path)
        assert r.status_code == 400 and r.headers["content-type"] == "application/json", (path, r.headers)
        assert "NUL byte" in r.json()["detail"]
    assert client.get("/skills/py%00thon").headers["content-type"].startswith("text/plain")  # a person's page
