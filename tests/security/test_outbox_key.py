"""The outbox holds every sign-in link, so only the person running the instance may read it: the key that
`digest run` prints (then a cookie), 404 for anyone else, and never with a backend other than `file`."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from fastapi.testclient import TestClient

from digest.web.app import create_app


def _write_login_mail(settings: Any) -> None:
    settings.outbox_dir.mkdir(parents=True, exist_ok=True)
    msg = EmailMessage()
    msg["To"], msg["Subject"], msg["From"] = "ann@example.com", "Sign in to digest", "digest@localhost"
    msg.set_content("http://127.0.0.1:8000/login?token=secret-login-token")
    msg.add_alternative('<a href="http://127.0.0.1:8000/login?token=secret-login-token">Sign in</a>', subtype="html")
    (settings.outbox_dir / "login-1-1.eml").write_bytes(bytes(msg))


def test_outbox_without_its_key_is_404(settings: Any) -> None:
    _write_login_mail(settings)
    client = TestClient(create_app(settings))
    for path in ("/outbox", "/outbox/login-1-1.eml", "/outbox/login-1-1.eml?part=text", "/outbox?key=wrong"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert "secret-login-token" not in r.text and "ann@example.com" not in r.text


def test_the_key_opens_the_outbox_and_leaves_a_cookie(settings: Any) -> None:
    _write_login_mail(settings)
    client = TestClient(create_app(settings))
    first = client.get(f"/outbox?key={settings.outbox_key}", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/outbox"  # the key leaves the address bar
    cookie = first.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/outbox" in cookie
    assert "ann@example.com" in client.get("/outbox").text
    assert "secret-login-token" in client.get("/outbox/login-1-1.eml").text
    assert "secret-login-token" in client.get("/outbox/login-1-1.eml?part=text").text
    stranger = TestClient(create_app(settings))
    assert stranger.get("/outbox/login-1-1.eml").status_code == 404


def test_the_key_lives_in_the_data_dir(settings: Any) -> None:
    key = settings.outbox_key
    assert len(key) >= 40 and (settings.data_dir / "outbox_key").read_text().strip() == key
    assert (settings.data_dir / "outbox_key").stat().st_mode & 0o777 == 0o600
    assert settings.outbox_key == key  # generated once


def test_never_served_with_another_backend(settings: Any) -> None:
    _write_login_mail(settings)
    key = settings.outbox_key
    settings.email_backend = "smtp"
    client = TestClient(create_app(settings))
    assert client.get(f"/outbox?key={key}").status_code == 404
    client.cookies.set("digest_outbox", key)
    assert client.get("/outbox/login-1-1.eml").status_code == 404
