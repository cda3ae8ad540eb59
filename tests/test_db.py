from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from digest.health import beat, heartbeats
from digest.store.models import Heartbeat


def test_datetimes_come_back_aware_utc(session: Session) -> None:
    at = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    beat(session, "x", at)
    session.commit()
    session.expunge_all()
    got = heartbeats(session)["x"]
    assert got.tzinfo is not None and got.utcoffset() == timedelta(0)
    assert got == at


def test_naive_datetimes_are_refused(session: Session) -> None:
    session.add(Heartbeat(name="naive", at=datetime(2026, 1, 1)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()


def test_sqlite_pragmas(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        assert engine.dialect.name == "postgresql"
        return
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def test_heartbeat_upsert(session: Session) -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    beat(session, "sweep", t0)
    session.commit()
    beat(session, "sweep", t0 + timedelta(minutes=5), "ok")
    session.commit()
    assert heartbeats(session) == {"sweep": t0 + timedelta(minutes=5)}
