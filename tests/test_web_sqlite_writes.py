"""On SQLite, a web request that writes takes the write lock when its transaction begins, so a worker that
commits between the request's first read and its first write cannot make it fail with "database is locked"
(a deferred transaction cannot upgrade a stale WAL snapshot; it fails at once instead of waiting)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session

from digest.accounts.people import get_or_create_user
from digest.store.engine import immediate_transactions, make_engine
from digest.store.models import Delivery, DeliveryKind, Subscription, SubscriptionStatus
from digest.web.app import create_app
from tests.accounts_data import confirm_button, link_in, outbox
from tests.helpers import wait_for
from tests.support import synthetic

# SQLite's write lock only: PostgreSQL takes row locks as it writes, so there is nothing to test there.
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def sqlite_engine(settings: Any, engine: Engine) -> Engine:
    assert engine.dialect.name == "sqlite"
    return engine


@pytest.fixture
def statements(sqlite_engine: Engine) -> Iterator[list[str]]:
    """The statements the web app's engine sends, in order (BEGIN included)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement.split(None, 2)[0].upper() + (" IMMEDIATE" if "IMMEDIATE" in statement else ""))

    event.listen(sqlite_engine, "before_cursor_execute", record)
    yield seen
    event.remove(sqlite_engine, "before_cursor_execute", record)


def _while_a_worker_writes(settings: Any, statements: list[str], call: Callable[[], int]) -> int:
    """Run one request while another connection (a worker) holds SQLite's write lock, and commit that
    worker's write once the request has begun: after its first statement (a deferred transaction that
    read now holds a stale snapshot) or while it waits at BEGIN IMMEDIATE. The request's status code."""
    worker = make_engine(settings.db_url).connect()
    with immediate_transactions():
        worker.begin()
    worker.execute(text("INSERT INTO heartbeats (name, at) VALUES ('worker', :at)"), {"at": datetime.now(UTC)})
    worker.execute(text("DELETE FROM heartbeats WHERE name = 'worker'"))
    statements.clear()
    answers: list[int] = []
    request = threading.Thread(target=lambda: answers.append(call()))
    request.start()
    try:
        wait_for(lambda: any(s != "BEGIN" for s in statements), timeout=30, message="the request to begin")
        worker.commit()
    finally:
        worker.close()
        request.join(60)
    assert answers, statements
    assert statements[0] == "BEGIN IMMEDIATE", statements
    return answers[0]


def test_subscribe_and_confirm_while_a_worker_writes(settings: Any, session: Session, statements: list[str]) -> None:
    synthetic.skills(session, ["Python"])
    session.commit()
    client = TestClient(create_app(settings))
    body = {"email": "a@example.com", "skill": "python"}
    assert (
        _while_a_worker_writes(settings, statements, lambda: client.post("/api/subscriptions", json=body).status_code)
        == 202
    )
    form = confirm_button(client, link_in(outbox(settings.outbox_dir)[-1], "/confirm"))
    # the confirmation button reads the token and the subscription before it writes
    press = lambda: client.post("/confirm", data=form, follow_redirects=False).status_code  # noqa: E731
    assert _while_a_worker_writes(settings, statements, press) == 303
    session.expire_all()
    assert session.scalar(select(Subscription.status)) == SubscriptionStatus.active


def test_sign_in_while_a_worker_writes(settings: Any, session: Session, statements: list[str]) -> None:
    """Asking for a sign-in link reads the rate limit and the account, then writes the email owed."""
    get_or_create_user(session, "b@example.com", datetime.now(UTC))
    session.commit()
    client = TestClient(create_app(settings))
    ask = lambda: client.post("/api/login", json={"email": "b@example.com"}).status_code  # noqa: E731
    assert _while_a_worker_writes(settings, statements, ask) == 202
    session.expire_all()
    assert session.scalar(select(Delivery.kind)) == DeliveryKind.login


def test_reads_stay_deferred(settings: Any, session: Session, statements: list[str]) -> None:
    synthetic.skills(session, ["Python"])
    session.commit()
    statements.clear()
    assert TestClient(create_app(settings)).get("/api/skills?q=python").status_code == 200
    assert statements[0] == "BEGIN", statements
