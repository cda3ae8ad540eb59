"""An attacker with an account of their own: tampered and replayed links, other people's subscriptions by id,
cross-site forms, a session cookie of another purpose. Nothing reads or changes another person's account."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from itsdangerous.encoding import base64_decode, base64_encode

from digest.web.security import CSRF_COOKIE, SESSION_COOKIE
from tests.accounts_data import link_in, outbox, press_confirm
from tests.test_api_accounts import Clock, csrf_from, path_of


def _account(app: Any, settings: Any, email: str, skill: str) -> tuple[TestClient, int]:
    client = TestClient(app)
    client.post("/api/subscriptions", json={"email": email, "skill": skill})
    assert press_confirm(client, link_in(outbox(settings.outbox_dir)[-1], "/confirm")).status_code == 303  # signs in
    [sub] = client.get("/api/subscriptions").json()
    return client, int(sub["id"])


def test_a_login_link_works_once_and_not_when_tampered(app: Any, settings: Any, now: Clock) -> None:
    _account(app, settings, "ann@example.com", "python")
    now.now += timedelta(minutes=1)  # a new sign-in email, not the same file again
    assert TestClient(app).post("/api/login", json={"email": "ann@example.com"}).status_code == 202
    link = path_of(link_in(outbox(settings.outbox_dir)[-1], "/login"))
    token = link.split("token=", 1)[1]
    mallory = TestClient(app)
    page = mallory.get(link).text
    csrf = csrf_from(page)
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    r = mallory.post("/login/complete", data={"token": tampered, "csrf_token": csrf})
    assert r.status_code == 400 and SESSION_COOKIE not in mallory.cookies
    assert mallory.post("/login/complete", data={"token": token, "csrf_token": csrf}).status_code == 200
    replay = TestClient(app)
    page = replay.get(link)
    assert page.status_code == 410 and "already used" in page.text  # replayed: refused
    r = replay.post("/login/complete", data={"token": token, "csrf_token": csrf_from(replay.get("/").text)})
    assert r.status_code == 410 and SESSION_COOKIE not in replay.cookies


def test_other_peoples_subscriptions_are_out_of_reach(app: Any, settings: Any) -> None:
    ann, ann_sub = _account(app, settings, "ann@example.com", "python")
    bob, bob_sub = _account(app, settings, "bob@example.com", "go")
    csrf = bob.get("/api/me").json()["csrf_token"]
    headers = {"X-CSRF-Token": csrf}
    assert bob.get(f"/api/subscriptions/{ann_sub}").status_code == 404
    assert bob.patch(f"/api/subscriptions/{ann_sub}", json={"cadence": "weekly"}, headers=headers).status_code == 404
    assert bob.delete(f"/api/subscriptions/{ann_sub}", headers=headers).status_code == 404
    form = {"action": "unsubscribe", "csrf_token": csrf_from(bob.get("/settings").text)}
    assert bob.post(f"/settings/subscriptions/{ann_sub}", data=form).status_code == 404
    assert [s["skill"]["slug"] for s in ann.get("/api/subscriptions").json()] == ["python"]
    assert ann.get(f"/api/subscriptions/{ann_sub}").json()["cadence"] == "daily"
    assert "ann@example.com" not in bob.get("/settings").text
    # Ann's unsubscribe link names her subscription: pointing it at Bob's breaks the signature
    link = path_of(link_in(outbox(settings.outbox_dir)[0], "/unsubscribe"))
    payload, signature = link.split("token=", 1)[1].rsplit(".", 1)
    data = json.loads(base64_decode(payload))
    data["d"] = {"u": data["d"]["u"], "s": bob_sub}
    forged = f"/unsubscribe?token={base64_encode(json.dumps(data, separators=(',', ':'))).decode()}.{signature}"
    r = TestClient(app).post(forged, data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 400 and "not valid" in r.text
    assert bob.get(f"/api/subscriptions/{bob_sub}").json()["status"] == "active"
    assert ann.get(f"/api/subscriptions/{ann_sub}").json()["status"] == "active"


def test_cross_site_requests_are_refused(app: Any, settings: Any) -> None:
    ann, sub = _account(app, settings, "ann@example.com", "python")
    # a page elsewhere posts Ann's browser's cookies but cannot read her CSRF token
    for path, data in ((f"/settings/subscriptions/{sub}", {"action": "unsubscribe"}),
                       ("/settings/account", {"timezone": "UTC"}), ("/settings/sign-out-everywhere", {}),
                       ("/logout", {}), ("/subscribe", {"email": "ann@example.com", "skill": "go"})):  # fmt: skip
        assert ann.post(path, data=data).status_code == 403, path
    assert ann.patch(f"/api/subscriptions/{sub}", json={"cadence": "weekly"}).status_code == 403
    assert ann.delete(f"/api/subscriptions/{sub}").status_code == 403
    # a token minted for another browser's nonce does not fit this one
    other = TestClient(app)
    foreign = csrf_from(other.get("/").text)
    assert ann.post("/settings/account", data={"timezone": "UTC", "csrf_token": foreign}).status_code == 403
    assert ann.get(f"/api/subscriptions/{sub}").json()["status"] == "active"
    assert ann.get("/api/me").status_code == 200


def test_cookies_are_httponly_and_samesite(app: Any, settings: Any) -> None:
    client = TestClient(app)
    client.post("/api/subscriptions", json={"email": "ann@example.com", "skill": "python"})
    client.post("/api/login", json={"email": "ann@example.com"})
    page = client.get(path_of(link_in(outbox(settings.outbox_dir)[-1], "/login"))).text
    token = re.search(r'name="token" value="([^"]+)"', page)
    assert token
    r = client.post("/login/complete", data={"token": token.group(1), "csrf_token": csrf_from(page)},
                    follow_redirects=False)  # fmt: skip
    cookies = r.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith(SESSION_COOKIE + "="))
    assert "httponly" in session_cookie.lower() and "samesite=lax" in session_cookie.lower()
    assert CSRF_COOKIE in client.cookies
