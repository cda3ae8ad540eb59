"""Fixtures the account attacks share: a clock the tests move, and the app over a database with skills."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from digest.web.app import create_app
from tests.accounts_data import add_skills
from tests.test_api_accounts import START, Clock


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> Clock:
    from digest import clock

    c = Clock(START)
    monkeypatch.setattr(clock, "utcnow", c)
    return c


@pytest.fixture
def app(settings: Any, session: Session, now: Clock) -> Iterator[Any]:
    add_skills(session)
    yield create_app(settings)
