"""Whose X-Forwarded-For is believed is DIGEST_TRUSTED_PROXIES' call (default: nobody's): without it every
peer is its own rate-limit client whatever it claims; behind a trusted proxy each visitor gets their own."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from digest.config import ConfigError, Settings, load_settings
from digest.web.app import create_app
from tests.accounts_data import add_skills


def _subscribe(client: TestClient, n: int, forwarded_for: str) -> int:
    body = {"email": f"p{n}@example.com", "skill": "python"}
    return client.post("/api/subscriptions", json=body, headers={"X-Forwarded-For": forwarded_for}).status_code


def test_without_trusted_proxies_a_forged_header_buys_nothing(settings: Any, session: Session) -> None:
    add_skills(session)
    settings.rate_limit_per_client_hour = 2
    client = TestClient(create_app(settings), client=("127.0.0.1", 40000))
    assert [_subscribe(client, n, f"203.0.113.{n}") for n in range(3)] == [202, 202, 429]


def test_behind_a_trusted_proxy_each_visitor_has_their_own_bucket(settings: Any, session: Session) -> None:
    add_skills(session)
    settings.rate_limit_per_client_hour = 2
    settings.trusted_proxies = "10.0.0.0/8"
    proxy = TestClient(create_app(settings), client=("10.1.2.3", 40000))
    # the proxy appends the address it saw; anything the visitor wrote before that is not believed
    assert [_subscribe(proxy, n, f"198.51.100.7, 203.0.113.{n}") for n in range(3)] == [202, 202, 202]
    assert _subscribe(proxy, 3, "203.0.113.0") == 202
    assert _subscribe(proxy, 4, "203.0.113.0") == 429  # that visitor's third request this hour
    outsider = TestClient(create_app(settings), client=("192.0.2.9", 40000))  # not the proxy: its claim is ignored
    assert [_subscribe(outsider, 10 + n, f"203.0.113.{50 + n}") for n in range(3)] == [202, 202, 429]


def test_the_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal")
    with pytest.raises(ConfigError, match=r"DIGEST_TRUSTED_PROXIES.*proxy\.internal"):
        load_settings()
    assert Settings(trusted_proxies=" 10.0.0.1 ,fd00::/8").trusted_proxies == "10.0.0.1,fd00::/8"


def test_serve_leaves_proxy_headers_to_the_app(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    import uvicorn

    from digest.cli import app

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.update(kw))
    assert CliRunner().invoke(app, ["serve", "--port", "8101"]).exit_code == 0
    assert seen["proxy_headers"] is False  # uvicorn's default believes any loopback peer
