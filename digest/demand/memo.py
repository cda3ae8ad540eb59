"""A small per-process memo of figures (least recently used first out), for the web app: the caller's key must
change whenever the figures could (the demand fold's generation and the window's as-of day are in every key)."""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest.demand.rollups import REBUILT
from digest.store.models import DemandTotalDay, Heartbeat


def window_key(session: Session, skill_id: int, after: date, as_of: date, postings: int) -> tuple[Any, ...]:
    """The key of a skill's window figures: it moves with any posting counted in the window (the skill's and
    the window's totals) and with a rebuild or relink (the generation mark). Read once per request; the top
    lists, pay and employers each keep their answer under it."""
    total = select(func.coalesce(func.sum(DemandTotalDay.postings), 0)).where(
        DemandTotalDay.day > after, DemandTotalDay.day <= as_of
    )
    generation = select(Heartbeat.at).where(Heartbeat.name == REBUILT)
    return (
        str(session.get_bind().engine.url),
        skill_id,
        as_of,
        postings,
        session.execute(total).scalar_one(),
        session.execute(generation).scalar(),
    )


class Memo:
    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._items: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> dict[str, Any] | None:
        """A copy of what was kept under `key` (the caller may change it), or None."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return copy.deepcopy(self._items[key])

    def put(self, key: tuple[Any, ...], value: dict[str, Any]) -> None:
        with self._lock:
            self._items[key] = copy.deepcopy(value)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
