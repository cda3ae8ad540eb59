"""Every answer carries the security headers; pages run no inline script (the CSP forbids it), so no
template may hold one or an on* handler."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digest.config import TEMPLATES_DIR
from digest.web.app import create_app
from tests.accounts_data import add_skills


def _csp(value: str) -> dict[str, str]:
    return {d.split()[0]: d.partition(" ")[2] for d in (p.strip() for p in value.split(";")) if d}


def test_pages_and_api_answers_carry_the_headers(settings: Any, session: Session) -> None:
    add_skills(session)
    client = TestClient(create_app(settings))
    for path in ("/", "/skills/python", "/login", "/settings", "/unsubscribe?token=x", "/api/skills?q=py",
                 "/healthz", "/skills/nope", "/static/settings.js"):  # fmt: skip
        r = client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["x-frame-options"] == "DENY" and r.headers["referrer-policy"] == "same-origin", path
        csp = _csp(r.headers["content-security-policy"])
        assert csp["script-src"] == "'self'" and csp["frame-ancestors"] == "'none'", path
        assert csp["img-src"] == "'self' data:" and csp["object-src"] == "'none'", path
    assert "strict-transport-security" not in client.get("/").headers  # plain http here
    secure = TestClient(create_app(settings.model_copy(update={"base_url": "https://digest.example.org"})))
    assert secure.get("/").headers["strict-transport-security"].startswith("max-age=")


def test_the_outbox_email_view_keeps_its_sandbox(settings: Any) -> None:
    settings.outbox_dir.mkdir(parents=True)
    (settings.outbox_dir / "1.eml").write_bytes(
        b"To: a@example.com\r\nSubject: s\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n"
    )
    client = TestClient(create_app(settings))
    client.get(f"/outbox?key={settings.outbox_key}")
    r = client.get("/outbox/1.eml")
    assert r.status_code == 200 and r.headers["content-security-policy"].startswith("sandbox")
    assert r.headers["x-frame-options"] == "DENY"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/ld\+json)[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def test_no_template_holds_inline_script_or_handlers() -> None:
    for path in sorted((TEMPLATES_DIR / "web").rglob("*.html")):
        text = path.read_text()
        assert not INLINE_SCRIPT.search(text), f"{path.name}: inline <script>; put it in static/"
        assert not HANDLER.search(text), f"{path.name}: an on* handler; use addEventListener in static/"
