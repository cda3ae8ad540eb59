"""Heartbeats: the last success of each periodic job, for /healthz and operators."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.store.models import Heartbeat


def beat(session: Session, name: str, now: datetime, detail: str | None = None) -> None:
    row = session.get(Heartbeat, name)
    if row is None:
        session.add(Heartbeat(name=name, at=now, detail=detail))
    else:
        row.at = now
        row.detail = detail


def heartbeats(session: Session) -> dict[str, datetime]:
    return {h.name: h.at for h in session.scalars(select(Heartbeat).order_by(Heartbeat.name))}
