from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from fastapi.testclient import TestClient

from digest.web.app import create_app


def test_healthz_reports_database(settings: Any) -> None:
    client = TestClient(create_app(settings))
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["database"] == "ok"


def test_outbox_lists_and_shows_both_parts(settings: Any) -> None:
    settings.outbox_dir.mkdir(parents=True)
    msg = EmailMessage()
    msg["To"], msg["Subject"], msg["From"] = "ann@example.com", "Your <b>digest</b>", "digest@localhost"
    msg.set_content("plain body")
    msg.add_alternative("<p>html body</p>", subtype="html")
    (settings.outbox_dir / "42.eml").write_bytes(bytes(msg))
    client = TestClient(create_app(settings))
    page = client.get("/outbox").text
    assert "ann@example.com" in page and "Your &lt;b&gt;digest&lt;/b&gt;" in page
    assert "html body" in client.get("/outbox/42.eml").text
    assert "plain body" in client.get("/outbox/42.eml?part=text").text
    assert client.get("/outbox/..%2Fsecret_key").status_code == 404
