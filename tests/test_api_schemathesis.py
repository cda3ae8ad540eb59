"""schemathesis against /openapi.json on both databases (PostgreSQL refuses what SQLite takes: NUL bytes): at
least 500 generated requests, signed in and not: no 5xx, and every answer is documented (status, content type,
body schema, headers). Every operation documents its errors."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from digest.web.app import create_app
from tests.accounts_data import add_skills, link_in, outbox, press_confirm

REQUESTS = 520
# what the answers must honour; positive_data_acceptance is left out on purpose: the schema cannot say which
# strings are deliverable addresses or known skills, so valid-looking input is rightly refused with a 422
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]  # fmt: skip


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
        try:
            case.validate_response(response, checks=CHECKS)
        except BaseException as exc:  # schemathesis raises a FailureGroup: collected, reported together
            where = f"{case.method} {case.formatted_path} -> {response.status_code}"
            failures.append(f"{where}: {str(exc)[:300]} body: {response.text[:200]}")

    run()
    assert sum(statuses.values()) >= 500, statuses
    assert not failures, "\n".join(failures[:10])
    assert statuses[200] and statuses[422] and statuses[401]  # it reached handlers, validation and auth
    assert statuses[404] and statuses[400]


def test_every_operation_documents_its_errors(settings: Any) -> None:
    spec = TestClient(create_app(settings)).get("/openapi.json").json()
    shapes = [{"$ref": "#/components/schemas/Problem"}, {"$ref": "#/components/schemas/Message"}]  # Message ⊂ Problem
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status in ("400", "403", "404", "413", "422"):
                documented = operation["responses"].get(status)
                assert documented, f"{method.upper()} {path}: {status} undocumented"
                assert documented["content"]["application/json"]["schema"] in shapes, (method, path, status)
