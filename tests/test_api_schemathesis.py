"""schemathesis against /openapi.json: at least 500 generated requests, no 5xx, signed in and not."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from sqlalchemy.orm import Session

from digest.web.app import create_app
from tests.accounts_data import add_skills, link_in, outbox, press_confirm

REQUESTS = 520


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """One database is enough here: the HTTP layer is what is fuzzed (the other tests cover both)."""
    return sqlite_url


def _signed_in(app: Any, settings: Any) -> tuple[dict[str, str], str]:
    """Cookies and CSRF token of a signed-in person with two subscriptions."""
    with TestClient(app) as c:
        for skill in ("python", "go"):
            c.post("/api/subscriptions", json={"email": "fuzz@example.com", "skill": skill, "cadence": "daily"})
            press_confirm(c, link_in(outbox(settings.outbox_dir)[-1], "/confirm"))
            c.cookies.delete("digest_session")
        c.post("/api/login", json={"email": "fuzz@example.com"})
        page = c.get(link_in(outbox(settings.outbox_dir)[-1], "/login").replace(settings.base_url, "")).text
        token = re.search(r'name="token" value="([^"]+)"', page)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token and csrf
        r = c.post("/login/complete", data={"token": token.group(1), "csrf_token": csrf.group(1)})
        assert r.status_code == 200
        return dict(c.cookies.items()), c.get("/api/me").json()["csrf_token"]


def test_no_server_errors_over_generated_requests(settings: Any, session: Session) -> None:
    add_skills(session)
    settings.rate_limit_per_client_hour = 10**6  # exercise the handlers, not only the 429 path
    settings.rate_limit_per_address_hour = 10**6
    app = create_app(settings)
    cookies, csrf = _signed_in(app, settings)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    statuses: Counter[int] = Counter()
    failures: list[str] = []

    @given(case=schema.as_strategy())
    @hsettings(
        max_examples=REQUESTS,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        signed_in = sum(statuses.values()) % 2 == 0
        response = case.call(
            headers={"X-CSRF-Token": csrf} if signed_in else None, cookies=cookies if signed_in else None
        )
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}")

    run()
    assert sum(statuses.values()) >= 500, statuses
    assert not failures, "\n".join(failures[:10])
    assert statuses[200] and statuses[422] and statuses[401]  # it reached handlers, validation and auth
