"""Sessions are server-side and revocable: logout ends that session (a stolen copy of the cookie dies with it),
"sign out everywhere" ends every session of the account; a tampered or replayed cookie signs nobody in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from digest.accounts import links
from digest.web.security import SESSION_COOKIE
from tests.test_api_accounts import START, Clock, csrf_from, sign_in


def _browser(app: Any, cookie: str | None = None) -> TestClient:
    client = TestClient(app)
    if cookie:
        client.cookies.set(SESSION_COOKIE, cookie)
    return client


def _signed_in(app: Any, settings: Any, email: str = "ann@example.com") -> TestClient:
    client = _browser(app)
    client.post("/api/subscriptions", json={"email": email, "skill": "python"})  # the account exists
    sign_in(client, settings, email)
    assert client.get("/api/me").status_code == 200
    return client


def test_logout_ends_the_session_and_every_copy_of_its_cookie(app: Any, settings: Any, now: Clock) -> None:
    ann = _signed_in(app, settings)
    stolen = ann.cookies[SESSION_COOKIE]
    thief = _browser(app, stolen)
    assert thief.get("/api/me").json()["email"] == "ann@example.com"
    page = ann.get("/settings").text
    assert ann.post("/logout", data={"csrf_token": csrf_from(page)}, follow_redirects=False).status_code == 303
    assert thief.get("/api/me").status_code == 401  # today: the old cookie kept working for 30 days
    assert _browser(app, stolen).get("/settings").text.count('action="/login"') == 1
    now.now += timedelta(days=1)
    assert thief.get("/api/me").status_code == 401


def test_sign_out_everywhere_ends_every_session(app: Any, settings: Any) -> None:
    laptop = _signed_in(app, settings)
    phone = _signed_in(app, settings)
    other = _signed_in(app, settings, "bob@example.com")
    page = laptop.get("/settings").text
    assert "Sign out everywhere" in page
    r = laptop.post("/settings/sign-out-everywhere", data={"csrf_token": csrf_from(page)}, follow_redirects=False)
    assert r.status_code == 303
    assert laptop.get("/api/me").status_code == 401 and phone.get("/api/me").status_code == 401
    assert other.get("/api/me").status_code == 200  # someone else's sessions are untouched
    assert _signed_in(app, settings).get("/api/me").status_code == 200  # signing in again works


def test_sign_out_everywhere_needs_the_csrf_token(app: Any, settings: Any) -> None:
    ann = _signed_in(app, settings)
    assert ann.post("/settings/sign-out-everywhere").status_code == 403
    assert ann.get("/api/me").status_code == 200


def test_tampered_expired_and_foreign_cookies_sign_nobody_in(app: Any, settings: Any, now: Clock) -> None:
    ann = _signed_in(app, settings)
    cookie = ann.cookies[SESSION_COOKIE]
    for bad in (cookie[:-2] + ("A" if cookie[-2] != "A" else "B") + cookie[-1], cookie + "x", "garbage", ""):
        assert _browser(app, bad).get("/api/me").status_code == 401
    # a validly signed token of another purpose (an unsubscribe link's) is no session
    unsub = links.unsubscribe_token(settings, None, 1, START)
    assert _browser(app, unsub).get("/api/me").status_code == 401
    now.now += timedelta(seconds=settings.session_max_age + 1)
    assert _browser(app, cookie).get("/api/me").status_code == 401
