"""Fixtures: settings in a temporary data dir, migrated databases on SQLite and PostgreSQL, Redis."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from tests import services

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
if not SHARED_DATA.exists():  # a clone elsewhere: shared/ sits beside the repository
    SHARED_DATA = Path(os.environ.get("DIGEST_SHARED_DATA", str(SHARED_DATA)))


def pytest_sessionstart(session: pytest.Session) -> None:
    try:
        session.config._pg_admin_url = services.postgres_url()  # type: ignore[attr-defined]
        session.config._redis_url = services.redis_url()  # type: ignore[attr-defined]
    except services.ServiceUnavailable as exc:
        pytest.exit(f"digest tests need PostgreSQL and Redis: {exc}", returncode=3)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    assert SHARED_DATA.exists(), f"shared data not found at {SHARED_DATA}; set DIGEST_SHARED_DATA"
    return SHARED_DATA


@pytest.fixture(scope="session")
def redis_url(request: pytest.FixtureRequest) -> str:
    return str(request.config._redis_url)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    admin = request.config._pg_admin_url  # type: ignore[attr-defined]
    url = services.create_database(admin)
    from digest.store.engine import migrate

    migrate(url)
    yield url
    from digest.store.engine import _engine_for

    _engine_for.cache_clear()
    services.drop_database(admin, url)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'digest.sqlite3'}"
    from digest.store.engine import migrate

    migrate(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Parametrises a test over both databases, each migrated once per run and emptied after each test."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def settings(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Settings for one test: its own data dir and the parametrised database."""
    from digest import config
    from digest.store.engine import get_engine
    from digest.web import account_requests

    monkeypatch.setenv("DIGEST_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DIGEST_DATABASE_URL", db_url)
    monkeypatch.setenv("DIGEST_SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("DIGEST_FEEDS_ALLOW_PRIVATE", "1")
    config.get_settings.cache_clear()
    s = config.get_settings()
    monkeypatch.setattr(account_requests, "_queue", _run_the_task)
    yield s
    _empty_database(get_engine())
    config.get_settings.cache_clear()


@pytest.fixture
def engine(settings: Any) -> Engine:
    from digest.store.engine import get_engine

    return get_engine()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    from digest.store.engine import session_factory

    s = session_factory(engine)()
    yield s
    s.rollback()
    s.close()


async def _run_the_task(delivery_id: int) -> None:
    """What the web queues for the worker runs in this process instead, as the worker runs it (the task's body,
    no broker), before the test client returns: tests read the outbox once the answer is in. A real worker
    takes it in tests/test_run.py and tests/browser/."""
    from workers.tasks import deliver_signups

    deliver_signups([delivery_id])


def _empty_database(engine: Engine) -> None:
    from digest.store.models import Base

    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for t in tables:
                conn.execute(text(f'DELETE FROM "{t}"'))
