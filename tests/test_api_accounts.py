"""HTTP tests (httpx through Starlette's TestClient) on SQLite and PostgreSQL: the JSON API and the pages,
tokens tampered, expired and reused, CSRF, identical answers for known and unknown addresses, rate limits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import pytest
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digest import clock
from digest.accounts import links
from digest.accounts import subscriptions as subs
from digest.mail.suppression import is_suppressed
from digest.store.models import (
    Cadence,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Skill,
    Subscription,
    SubscriptionStatus,
    User,
)
from digest.web.app import create_app
from digest.web.templating import templates
from tests.accounts_data import add_skills, link_in, outbox, press_confirm

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # a Monday


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock(START)
    monkeypatch.setattr(clock, "utcnow", c)
    return c


@pytest.fixture
def client(settings: Any, session: Session, now: Clock) -> Iterator[TestClient]:
    add_skills(session)
    with TestClient(create_app(settings)) as c:
        yield c


def path_of(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.path}?{parsed.query}"


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def subscribe_and_confirm(client: TestClient, settings: Any, email: str, skill: str, cadence: str = "daily") -> None:
    before = len(outbox(settings.outbox_dir))
    r = client.post("/api/subscriptions", json={"email": email, "skill": skill, "cadence": cadence})
    assert r.status_code == 202, r.text
    mails = outbox(settings.outbox_dir)
    assert len(mails) == before + 1
    assert press_confirm(client, link_in(mails[-1], "/confirm")).status_code == 303
    client.cookies.delete("digest_session")  # confirming signed in; these tests sign in on their own


def sign_in(client: TestClient, settings: Any, email: str) -> None:
    assert client.post("/api/login", json={"email": email}).status_code == 202
    page = client.get(path_of(link_in(outbox(settings.outbox_dir)[-1], "/login")))
    assert page.status_code == 200 and "Continue" in page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token
    r = client.post(
        "/login/complete", data={"token": token.group(1), "csrf_token": csrf_from(page.text)}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/settings"


# --- subscribe ------------------------------------------------------------------------------------------


def test_subscribe_answers_the_same_for_new_pending_and_active(settings: Any, client: TestClient, now: Clock) -> None:
    body = {"email": "ann@example.com", "skill": "python", "cadence": "daily"}
    first = client.post("/api/subscriptions", json=body)
    pending = client.post("/api/subscriptions", json=body)
    press_confirm(client, link_in(outbox(settings.outbox_dir)[0], "/confirm"))
    client.cookies.delete("digest_session")  # the answer to a stranger, not to the signed-in owner
    active = client.post("/api/subscriptions", json=body)
    other = client.post("/api/subscriptions", json={**body, "email": "zed@example.com"})
    answers = {(r.status_code, r.text) for r in (first, pending, active, other)}
    assert len(answers) == 1 and first.status_code == 202
    assert "confirmation link" in first.json()["detail"]


def test_subscribe_bad_input_gets_a_readable_4xx(client: TestClient) -> None:
    r = client.post("/api/subscriptions", json={"email": "ann@example.com", "skill": "pythn"})
    assert r.status_code == 422
    assert "Did you mean: Python" in r.json()["detail"]
    assert r.json()["suggestions"][0]["slug"] == "python"
    r = client.post("/api/subscriptions", json={"email": "ann@@example", "skill": "python"})
    assert r.status_code == 422 and "email address" in r.json()["detail"]
    r = client.post("/api/subscriptions", json={"email": "ann@example.com", "skill": "python", "cadence": "monthly"})
    assert r.status_code == 422 and r.json()["message"].startswith("cadence:")
    r = client.post("/api/subscriptions", content=b"not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["message"]


def test_confirm_tokens_tampered_expired_and_reused(settings: Any, client: TestClient, now: Clock) -> None:
    client.post("/api/subscriptions", json={"email": "bo@example.com", "skill": "k8s", "cadence": "weekly"})
    link = path_of(link_in(outbox(settings.outbox_dir)[0], "/confirm"))
    tampered = client.get(link[:-3] + ("xyz" if not link.endswith("xyz") else "abc"))
    assert tampered.status_code == 400 and "not valid" in tampered.text
    now.now = START + timedelta(days=8)
    expired = client.get(link)
    assert expired.status_code == 410 and "expired" in expired.text
    now.now = START + timedelta(days=6)
    ok = client.get(link)
    assert ok.status_code == 200 and "Kubernetes" in ok.text and "weekly" in ok.text
    assert "Confirm and open my settings" in ok.text
    assert client.get(link).status_code == 200  # opening it (a mail scanner) changes nothing
    done = press_confirm(client, link)
    assert done.status_code == 303 and done.headers["location"] == "/settings?done=confirmed"
    settings_page = client.get(done.headers["location"])
    assert "Your digests" in settings_page.text and "and signed in: change how often" in settings_page.text
    reused = client.get(link)
    assert reused.status_code == 200 and "You&#39;re subscribed" in reused.text and "was used already" in reused.text
    again = client.post("/confirm", data={"token": link.split("token=")[1], "csrf_token": csrf_from(ok.text)})
    assert again.status_code == 200 and "You&#39;re subscribed" in again.text


def test_resending_the_confirmation_is_rate_limited(settings: Any, client: TestClient, now: Clock) -> None:
    body = {"email": "cy@example.com", "skill": "rust", "cadence": "daily"}
    for minute in range(4):
        now.now = START + timedelta(minutes=minute)
        assert client.post("/api/subscriptions", json=body).status_code == 202
    assert len(outbox(settings.outbox_dir)) == 1
    now.now = START + timedelta(minutes=15)
    assert client.post("/api/subscriptions", json=body).status_code == 202
    assert len(outbox(settings.outbox_dir)) == 2


def test_rate_limits_per_address_and_per_client(settings: Any, client: TestClient, now: Clock) -> None:
    body = {"email": "di@example.com", "skill": "go", "cadence": "daily"}
    codes = [
        client.post("/api/subscriptions", json=body).status_code
        for _ in range(settings.rate_limit_per_address_hour + 1)
    ]
    assert codes[-1] == 429 and set(codes[:-1]) == {202}
    limited = client.post("/api/subscriptions", json={**body, "skill": "python"})
    assert limited.status_code == 429 and "try again" in limited.json()["detail"]
    settings.rate_limit_per_client_hour = 3
    codes = [client.post("/api/login", json={"email": f"u{i}@example.com"}).status_code for i in range(4)]
    assert codes == [202, 202, 202, 429]
    now.now = START + timedelta(hours=1, seconds=1)
    assert client.post("/api/login", json={"email": "u9@example.com"}).status_code == 202


# --- sign-in and session ----------------------------------------------------------------------------------


def test_login_answers_the_same_and_the_link_works_once(settings: Any, client: TestClient, now: Clock) -> None:
    subscribe_and_confirm(client, settings, "ed@example.com", "python")
    known = client.post("/api/login", json={"email": "ed@example.com"})
    unknown = client.post("/api/login", json={"email": "nobody@example.com"})
    assert (known.status_code, known.text) == (unknown.status_code, unknown.text) == (202, known.text)
    link = path_of(link_in(outbox(settings.outbox_dir)[-1], "/login"))
    assert len(outbox(settings.outbox_dir)) == 2  # nothing for the unknown address
    page = client.get(link)
    assert client.get(link).status_code == 200  # opening the link (a mail scanner) spends nothing
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token
    no_csrf = client.post("/login/complete", data={"token": token.group(1)}, follow_redirects=False)
    assert no_csrf.status_code == 403
    r = client.post(
        "/login/complete", data={"token": token.group(1), "csrf_token": csrf_from(page.text)}, follow_redirects=False
    )
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "digest_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # http base URL
    assert client.get("/api/me").json()["email"] == "ed@example.com"
    assert client.get(link).status_code == 410
    again = client.post(
        "/login/complete", data={"token": token.group(1), "csrf_token": csrf_from(page.text)}, follow_redirects=False
    )
    assert again.status_code == 410 and "already used" in again.text


def test_a_sign_in_link_is_owed_by_the_request_and_sent_only_by_the_worker(
    settings: Any, client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digest.web import account_requests
    from workers.tasks import deliver_signups

    subscribe_and_confirm(client, settings, "ow@example.com", "go")
    queued: list[int] = []

    async def no_worker(delivery_id: int) -> None:
        queued.append(delivery_id)

    monkeypatch.setattr(account_requests, "_queue", no_worker)
    before = len(outbox(settings.outbox_dir))
    assert client.post("/api/login", json={"email": "ow@example.com"}).status_code == 202
    assert client.post("/api/login", json={"email": "nobody@example.com"}).status_code == 202
    form = {"email": "ow@example.com", "csrf_token": csrf_from(client.get("/login").text)}
    assert client.post("/login", data=form).status_code == 202
    assert len(outbox(settings.outbox_dir)) == before  # the web process sends nothing
    rows = [session.get(Delivery, i) for i in queued]
    assert [(r.kind, r.status) for r in rows if r] == [(DeliveryKind.login, DeliveryStatus.pending)] * 2
    deliver_signups(queued)  # what the worker does with the web's task
    mails = outbox(settings.outbox_dir)[before:]
    assert [m["To"] for m in mails] == ["ow@example.com"] * 2
    assert len({link_in(m, "/login") for m in mails}) == 2  # each ask its own link


def test_login_link_expires_after_30_minutes(settings: Any, client: TestClient, now: Clock) -> None:
    subscribe_and_confirm(client, settings, "fa@example.com", "go")
    client.post("/api/login", json={"email": "fa@example.com"})
    link = path_of(link_in(outbox(settings.outbox_dir)[-1], "/login"))
    now.now = START + timedelta(minutes=31)
    r = client.get(link)
    assert r.status_code == 410 and "expired" in r.text


def test_session_cookie_is_secure_under_https(settings: Any, session: Session, now: Clock) -> None:
    add_skills(session)
    https = settings.model_copy(update={"base_url": "https://digest.example.org"})
    with TestClient(create_app(https), base_url="https://testserver") as c:
        subscribe_and_confirm(c, https, "gi@example.com", "rust")
        c.post("/api/login", json={"email": "gi@example.com"})
        page = c.get(path_of(link_in(outbox(https.outbox_dir)[-1], "/login")))
        token = re.search(r'name="token" value="([^"]+)"', page.text)
        assert token
        r = c.post(
            "/login/complete",
            data={"token": token.group(1), "csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        assert "Secure" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]


def test_forged_session_cookie_is_not_signed_in(client: TestClient) -> None:
    client.cookies.set("digest_session", "eyJ1Ijo1fQ.forged")
    assert client.get("/api/me").status_code == 401
    assert "Sign in" in client.get("/settings").text


# --- the JSON API, signed in ----------------------------------------------------------------------------------


def test_api_manages_subscriptions_with_csrf(settings: Any, client: TestClient, session: Session, now: Clock) -> None:
    assert client.get("/api/me").status_code == 401
    assert "Sign in first" in client.get("/api/subscriptions").json()["detail"]
    subscribe_and_confirm(client, settings, "ha@example.com", "python", "daily")
    subscribe_and_confirm(client, settings, "ha@example.com", "react", "hourly")
    sign_in(client, settings, "ha@example.com")
    me = client.get("/api/me").json()
    assert me["send_hour"] == 8 and me["weekday"] == 0 and me["timezone"] == "UTC"
    by_skill = {s["skill"]["slug"]: s for s in me["subscriptions"]}
    py = by_skill["python"]
    assert py["next_digest_at"] == "2026-03-03T08:00:00+00:00"
    headers = {"X-CSRF-Token": me["csrf_token"]}
    cursor = session.scalar(select(Subscription.cursor).where(Subscription.id == py["id"]))

    assert client.patch(f"/api/subscriptions/{py['id']}", json={"cadence": "weekly"}).status_code == 403
    r = client.patch(f"/api/subscriptions/{py['id']}", json={"cadence": "weekly"}, headers=headers)
    assert r.status_code == 200 and r.json()["cadence"] == "weekly"
    assert r.json()["next_digest_at"] == "2026-03-09T08:00:00+00:00"
    session.rollback()  # a fresh snapshot: the app committed in its own session
    assert session.scalar(select(Subscription.cursor).where(Subscription.id == py["id"])) == cursor

    r = client.patch("/api/me", json={"timezone": "America/New_York", "send_hour": 7, "weekday": 2}, headers=headers)
    assert r.status_code == 200
    assert client.get(f"/api/subscriptions/{py['id']}").json()["next_digest_at"] == "2026-03-04T12:00:00+00:00"
    bad = client.patch("/api/me", json={"timezone": "Mars/Olympus"}, headers=headers)
    assert bad.status_code == 422 and "time zone" in bad.json()["detail"]

    r = client.patch(f"/api/subscriptions/{py['id']}", json={"status": "paused"}, headers=headers)
    assert r.json()["status"] == "paused" and r.json()["next_digest_at"] is None
    assert client.delete(f"/api/subscriptions/{py['id']}").status_code == 403
    assert client.delete(f"/api/subscriptions/{py['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/subscriptions/{py['id']}").status_code == 404
    assert [s["skill"]["slug"] for s in client.get("/api/subscriptions").json()] == ["react"]


def test_api_hides_other_peoples_subscriptions(settings: Any, client: TestClient, session: Session) -> None:
    subscribe_and_confirm(client, settings, "io@example.com", "python")
    subscribe_and_confirm(client, settings, "ja@example.com", "go")
    theirs = session.scalar(select(Subscription.id).join(User).where(User.email == "ja@example.com"))
    sign_in(client, settings, "io@example.com")
    token = client.get("/api/me").json()["csrf_token"]
    assert client.get(f"/api/subscriptions/{theirs}").status_code == 404
    r = client.patch(f"/api/subscriptions/{theirs}", json={"cadence": "hourly"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 404 and "no subscription" in r.json()["detail"]


def test_skills_search(client: TestClient, session: Session) -> None:
    assert client.get("/api/skills", params={"q": "golang"}).json() == [
        {
            "slug": "go",
            "name": "Go",
            "category": "Programming languages",
            "kind": None,
            "postings": 0,
            "as_of": "2026-03-02",
        }
    ]
    # ranked by postings in the 90 days to today, the exact match first; older postings do not count
    from digest.store.models import DemandSkillDay

    ids = {s.slug: s.id for s in session.scalars(select(Skill))}
    for slug, day, n in [
        ("postgresql", date(2026, 3, 1), 5),
        ("go", date(2026, 2, 1), 9),
        ("rust", date(2025, 1, 1), 50),
    ]:
        session.add(DemandSkillDay(skill_id=ids[slug], day=day, postings=n))
    session.commit()
    found = client.get("/api/skills", params={"q": "o"}).json()
    assert [(s["slug"], s["postings"]) for s in found[:2]] == [("go", 9), ("postgresql", 5)]
    assert [s["slug"] for s in client.get("/api/skills", params={"q": "postgres"}).json()] == ["postgresql"]
    assert client.get("/api/skills").json()[0] == {
        "slug": "go",
        "name": "Go",
        "category": "Programming languages",
        "kind": None,
        "postings": 9,
        "as_of": "2026-03-02",
    }
    assert client.get("/api/skills", params={"q": "python 3"}).json()[0]["slug"] == "python"
    assert client.get("/api/skills", params={"q": "zzz"}).json() == []
    assert client.get("/api/skills", params={"limit": 0}).status_code == 422


# --- pages and forms ---------------------------------------------------------------------------------------------


def test_home_form_subscribes_with_csrf(settings: Any, client: TestClient) -> None:
    home = client.get("/", params={"q": "py"})
    assert home.status_code == 200 and "Python" in home.text and 'action="/subscribe"' in home.text
    form = {"email": "ka@example.com", "skill": "Python 3", "cadence": "weekly"}
    assert client.post("/subscribe", data=form).status_code == 403
    r = client.post("/subscribe", data={**form, "csrf_token": csrf_from(home.text)})
    assert r.status_code == 202 and "Check your inbox" in r.text
    assert f"subscribe again after {settings.confirm_resend_after // 60} minutes" in r.text  # when a new link can go
    from_skill_page = {**form, "email": "not an address", "skill": "python", "csrf_token": csrf_from(home.text)}
    refused = client.post("/subscribe", data=from_skill_page)  # the skill page's form sends the slug
    assert refused.status_code == 422 and 'id="sub-skill"' in refused.text
    assert re.search(r'id="sub-skill"[^>]*value="Python"', refused.text)  # shown by its name, as a person types it
    wrong = client.post("/subscribe", data={**form, "skill": "Pyton", "csrf_token": csrf_from(home.text)})
    assert wrong.status_code == 422 and "Did you mean" in wrong.text and "/?skill=python" in wrong.text
    forged = client.post("/subscribe", data={**form, "csrf_token": csrf_from(home.text) + "x"})
    assert forged.status_code == 403 and "Reload the page" in forged.text
    multipart = client.post(
        "/subscribe", files={k: (None, v) for k, v in {**form, "csrf_token": csrf_from(home.text)}.items()}
    )
    assert multipart.status_code == 202


def test_csrf_token_from_another_browser_is_refused(settings: Any, client: TestClient, session: Session) -> None:
    with TestClient(create_app(settings)) as other:
        foreign = csrf_from(other.get("/").text)
    client.get("/")
    r = client.post("/subscribe", data={"email": "la@example.com", "skill": "go", "csrf_token": foreign})
    assert r.status_code == 403


def test_settings_page_changes_cadence_and_shows_next_digest(settings: Any, client: TestClient, now: Clock) -> None:
    assert 'action="/login"' in client.get("/settings").text
    subscribe_and_confirm(client, settings, "ma@example.com", "kubernetes", "daily")
    sign_in(client, settings, "ma@example.com")
    page = client.get("/settings").text
    assert "next digest: Tue 03 Mar 2026, 08:00 UTC" in page
    sub_id = re.search(r'data-subscription="(\d+)"', page)
    assert sub_id
    target = f"/settings/subscriptions/{sub_id.group(1)}"
    assert client.post(target, data={"action": "cadence", "cadence": "weekly"}).status_code == 403
    r = client.post(target, data={"action": "cadence", "cadence": "weekly", "csrf_token": csrf_from(page)})
    assert r.status_code == 200 and "Cadence changed" in r.text
    assert "next digest: Mon 09 Mar 2026, 08:00 UTC" in r.text
    r = client.post(
        "/settings/account",
        data={"timezone": "Europe/Berlin", "send_hour": "6", "weekday": "4", "csrf_token": csrf_from(page)},
    )
    assert "next digest: Fri 06 Mar 2026, 06:00 CET" in r.text
    assert 'name="alert_emails" value="1">' in r.text  # unchecked
    bad = client.post("/settings/account", data={"timezone": "Nowhere/Land", "csrf_token": csrf_from(page)})
    assert bad.status_code == 422 and "Unknown time zone" in bad.text
    r = client.post(target, data={"action": "pause", "csrf_token": csrf_from(page)})
    assert "Paused" in r.text and "next digest:" not in r.text
    assert client.post("/logout", data={"csrf_token": csrf_from(page)}).status_code == 200
    assert 'action="/login"' in client.get("/settings").text


# --- unsubscribe ---------------------------------------------------------------------------------------------------


def _sub(session: Session, email: str, slug: str) -> Subscription:
    session.rollback()  # a fresh snapshot: the app committed in its own session
    sub = session.scalar(select(Subscription).join(User).where(User.email == email))
    assert sub is not None and sub.skill.slug == slug
    return sub


def test_unsubscribe_get_changes_nothing_and_one_click_post_unsubscribes(
    settings: Any, client: TestClient, session: Session, now: Clock
) -> None:
    subscribe_and_confirm(client, settings, "na@example.com", "python")
    sub = _sub(session, "na@example.com", "python")
    link = path_of(links.unsubscribe_url(settings, sub.id, sub.user_id, START))
    for _ in range(3):
        page = client.get(link)
        assert page.status_code == 200
    assert "Unsubscribe from Python" in page.text and "Unsubscribe from everything" in page.text
    assert "Pause Python instead" in page.text
    assert _sub(session, "na@example.com", "python").status == SubscriptionStatus.active
    fresh = TestClient(create_app(settings))  # a mail provider: no cookies, no CSRF token
    r = fresh.post(link, data={"List-Unsubscribe": "One-Click"}, follow_redirects=False)
    assert r.status_code == 200 and "unsubscribed" in r.text
    assert _sub(session, "na@example.com", "python").status == SubscriptionStatus.unsubscribed
    assert fresh.post(link, data={"List-Unsubscribe": "One-Click"}).status_code == 200  # idempotent
    multipart = fresh.post(link, files={"List-Unsubscribe": (None, "One-Click")}, follow_redirects=False)
    assert multipart.status_code == 200  # RFC 8058 allows multipart/form-data too
    assert not is_suppressed(session, "na@example.com")
    bad = fresh.post(link[:-4] + "AAAA", data={"List-Unsubscribe": "One-Click"}, follow_redirects=False)
    assert bad.status_code == 400


def test_unsubscribe_page_buttons_pause_one_or_everything(
    settings: Any, client: TestClient, session: Session, now: Clock
) -> None:
    subscribe_and_confirm(client, settings, "oz@example.com", "go")
    sub = _sub(session, "oz@example.com", "go")
    link = path_of(links.unsubscribe_url(settings, sub.id, sub.user_id, START))
    r = client.post(link, data={"action": "pause"})
    assert r.status_code == 200 and "Paused" in r.text
    assert _sub(session, "oz@example.com", "go").status == SubscriptionStatus.paused
    now.now = START + timedelta(days=400)  # old emails still work
    r = client.post(link, data={"action": "one"})
    assert "You will get no more Go digests" in r.text
    r = client.post(link, data={"action": "all"})
    assert "Unsubscribed from everything" in r.text
    session.rollback()
    assert is_suppressed(session, "oz@example.com")
    assert client.post(link, data={"action": "dance"}).status_code == 400
    assert client.get("/unsubscribe?token=garbage").status_code == 400


def test_the_cancel_link_of_a_confirmation_email_cancels_a_request(
    settings: Any, client: TestClient, session: Session, now: Clock
) -> None:
    """The confirmation email's footer says "Cancel this request": its page speaks of the request nobody
    confirmed (perhaps a stranger typed the address), not of digests that never came or of settings."""
    assert client.post("/api/subscriptions", json={"email": "kim@example.com", "skill": "python"}).status_code == 202
    cancel = path_of(link_in(outbox(settings.outbox_dir)[0], "/unsubscribe"))
    page = client.get(cancel)
    assert page.status_code == 200 and "Cancel this request" in page.text
    assert "Cancel the Python request" in page.text and "not confirmed" in page.text
    assert "Unsubscribe from Python" not in page.text and "your settings" not in page.text
    done = client.post(cancel, data={"action": "one"})
    assert done.status_code == 200 and "Request cancelled" in done.text
    assert "You will get no more Python digests" not in done.text and "your settings" not in done.text
    assert _sub(session, "kim@example.com", "python").status == SubscriptionStatus.unsubscribed


def test_cadence_values_round_trip(client: TestClient) -> None:
    for c in Cadence:
        r = client.post("/api/subscriptions", json={"email": f"{c.value}@example.com", "skill": "go", "cadence": c})
        assert r.status_code == 202


def test_subscribe_partial_works_on_a_skill_page(settings: Any, session: Session, now: Clock) -> None:
    """The skill page (another module) includes _subscribe_form.html with `skill`; an anonymous visitor
    subscribes from it."""
    add_skills(session)
    app = create_app(settings)

    @app.get("/test-skill/{slug}")
    def skill_page(request: Request, slug: str) -> HTMLResponse:
        skill = session.scalar(select(Skill).where(Skill.slug == slug))
        html = templates.env.from_string('<main>{% include "_subscribe_form.html" %}</main>').render(
            request=request, skill=skill
        )
        return HTMLResponse(html)

    with TestClient(app) as c:
        page = c.get("/test-skill/react").text
        assert 'name="skill" value="react"' in page and "Get a <strong>React</strong> digest" in page
        r = c.post("/subscribe", data={"email": "pa@example.com", "skill": "react", "csrf_token": csrf_from(page)})
        assert r.status_code == 202 and "React" in r.text
    [mail] = outbox(settings.outbox_dir)
    assert "React" in mail["Subject"]


def test_signed_in_person_subscribes_without_a_confirmation_round_trip(
    settings: Any, client: TestClient, session: Session
) -> None:
    subscribe_and_confirm(client, settings, "qi@example.com", "python")
    sign_in(client, settings, "qi@example.com")
    mails = len(outbox(settings.outbox_dir))
    page = client.get("/settings").text
    assert "Follow another skill" in page and "you are signed in as qi@example.com" in page
    r = client.post("/subscribe", data={"email": "qi@example.com", "skill": "rust", "csrf_token": csrf_from(page)})
    assert r.status_code == 200 and "Subscribed." in r.text and ">Rust</a>" in r.text
    token = client.get("/api/me").json()["csrf_token"]
    r = client.post(
        "/api/subscriptions", json={"email": "qi@example.com", "skill": "go"}, headers={"X-CSRF-Token": token}
    )
    assert r.status_code == 202 and r.json()["detail"].startswith("Subscribed")
    statuses = {s["skill"]["slug"]: s["status"] for s in client.get("/api/subscriptions").json()}
    assert statuses == {"python": "active", "rust": "active", "go": "active"}
    # someone else's address from this browser still needs that person's confirmation
    r = client.post(
        "/api/subscriptions", json={"email": "other@example.com", "skill": "go"}, headers={"X-CSRF-Token": token}
    )
    assert r.status_code == 202 and "confirmation link" in r.json()["detail"]
    assert len(outbox(settings.outbox_dir)) == mails + 1


def test_resubscribe_from_the_settings(settings: Any, client: TestClient, session: Session, now: Clock) -> None:
    """A person who left everything takes one skill back: active at once, their own "unsubscribe from
    everything" lifted; a bounce would stay (only the reason "unsubscribed" is theirs to lift)."""
    from sqlalchemy import delete

    from digest.mail.suppression import suppress
    from digest.store.models import Suppression

    subscribe_and_confirm(client, settings, "re@example.com", "python")
    sign_in(client, settings, "re@example.com")  # before: no email reaches a suppressed address, sign-in links too
    user = session.scalar(select(User).where(User.email == "re@example.com"))
    assert user is not None
    subs.unsubscribe_all(session, user, START)
    session.commit()
    page = client.get("/settings").text
    assert "Skills you left" in page and "Resubscribe to Python" in page and "We no longer email" in page
    sub_id = session.scalar(select(Subscription.id))
    r = client.post(f"/settings/subscriptions/{sub_id}", data={"action": "resubscribe", "csrf_token": csrf_from(page)})
    assert r.status_code == 200 and "Subscribed again" in r.text and "Skills you left" not in r.text
    session.rollback()  # a fresh snapshot: the request wrote in its own transaction
    assert session.scalar(select(Subscription.status)) == SubscriptionStatus.active
    assert session.scalar(select(Subscription.cursor)).replace(tzinfo=UTC) == START  # the window starts now
    assert not is_suppressed(session, "re@example.com")
    # a bounced address stays suppressed whatever the person clicks
    subs.unsubscribe_all(session, user, START)
    session.execute(delete(Suppression))
    suppress(session, "re@example.com", "bounce", START)
    session.commit()
    client.post(f"/settings/subscriptions/{sub_id}", data={"action": "resubscribe", "csrf_token": csrf_from(page)})
    session.rollback()
    assert is_suppressed(session, "re@example.com")


def test_settings_errors_keep_the_inputs(settings: Any, client: TestClient, session: Session, now: Clock) -> None:
    subscribe_and_confirm(client, settings, "tz@example.com", "python")
    sign_in(client, settings, "tz@example.com")
    page = client.get("/settings").text
    form = {"timezone": "Mars/Olympus", "send_hour": "30", "weekday": "2"}
    r = client.post("/settings/account", data={**form, "csrf_token": csrf_from(page)})
    assert r.status_code == 422 and "Your digests" in r.text and "2 fields need a change" in r.text
    assert 'value="Mars/Olympus"' in r.text and 'aria-describedby="tz-error"' in r.text
    assert "The send hour must be between 0 and 23." in r.text and 'aria-describedby="send-hour-error"' in r.text
    assert '<option value="2" selected>Wednesday' in r.text
    session.rollback()
    user = session.scalar(select(User).where(User.email == "tz@example.com"))
    assert user is not None and (user.timezone, user.weekday, user.alert_emails) == ("UTC", 0, False)  # unsaved


def test_alert_settings_are_their_own_form_and_in_the_api(
    settings: Any, client: TestClient, session: Session, now: Clock
) -> None:
    subscribe_and_confirm(client, settings, "al@example.com", "python")
    sign_in(client, settings, "al@example.com")
    page = client.get("/settings").text
    # the defaults keep today's alerts: off, followed skills only, any size
    assert 'name="alert_emails" value="1">' in page
    assert 'value="followed" checked' in page and '<option value="0" selected>Any real shift' in page
    assert 'href="/about/alerts"' in page
    form = {"alert_emails": "1", "alert_scope": "paired", "alert_min_change": "50", "csrf_token": csrf_from(page)}
    r = client.post("/settings/alerts", data=form)
    assert r.status_code == 200 and "Your alert settings are saved." in r.text
    assert 'value="paired" checked' in r.text and '<option value="50" selected>50% or more' in r.text
    # the account form leaves alerts alone
    client.post("/settings/account", data={"timezone": "UTC", "send_hour": "8", "weekday": "0",
                                           "csrf_token": csrf_from(page)})  # fmt: skip
    session.rollback()
    user = session.scalar(select(User).where(User.email == "al@example.com"))
    assert user is not None and (user.alert_emails, user.alert_scope, user.alert_min_change) == (True, "paired", 50)
    bad = client.post("/settings/alerts", data={**form, "alert_min_change": "30"})
    assert bad.status_code == 422 and "The smallest change for an alert is 0, 25, 50 or 100" in bad.text
    bad = client.post("/settings/alerts", data={**form, "alert_scope": "everything-at-once"})
    assert bad.status_code == 422 and "also “paired” ones" in bad.text and "everything-at-once" not in bad.text
    headers = {"X-CSRF-Token": csrf_from(page)}
    me = client.get("/api/me").json()
    assert (me["alert_emails"], me["alert_scope"], me["alert_min_change"]) == (True, "paired", 50)
    r = client.patch("/api/me", json={"alert_scope": "followed", "alert_min_change": 25}, headers=headers)
    assert r.status_code == 200 and (r.json()["alert_scope"], r.json()["alert_min_change"]) == ("followed", 25)
    assert client.patch("/api/me", json={"alert_min_change": 30}, headers=headers).status_code == 422
