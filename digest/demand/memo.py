"""A small per-process memo of figures (least recently used first out), for the web app: the caller's key must
change whenever the figures could (the demand fold's generation and the window's as-of day are in every key)."""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from typing import Any


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
