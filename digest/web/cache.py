"""A small in-process cache with a time to live, for what the public pages read.

A hot skill page reads the same figures and items for every visitor; the data changes only when items
arrive or a rebuild runs, so each web process keeps the answer for `DIGEST_WEB_CACHE_TTL` seconds. An
import therefore shows on the pages within that many seconds, however many processes serve them.
One computation per key at a time: concurrent misses on a hot key wait for the first instead of
repeating its queries.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class TTLCache:
    def __init__(self, ttl: float, size: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.size, self._clock = ttl, size, clock
        self._data: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}

    def _fresh(self, key: Hashable) -> tuple[bool, Any]:
        now = self._clock()
        with self._lock:
            hit = self._data.get(key)
            if hit is not None and hit[0] > now:
                self._data.move_to_end(key)
                return True, hit[1]
            return False, None

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The value under `key`, computed (and kept for `ttl` seconds) when missing or expired. Values are
        shared between requests: callers must not change them. An exception from `compute` is not cached."""
        if self.ttl <= 0:
            return compute()
        found, value = self._fresh(key)
        if found:
            return value
        with self._lock:
            key_lock = self._computing.setdefault(key, threading.Lock())
        with key_lock:
            found, value = self._fresh(key)
            if found:
                return value
            try:
                value = compute()
                with self._lock:
                    self._data[key] = (self._clock() + self.ttl, value)
                    self._data.move_to_end(key)
                    while len(self._data) > self.size:
                        self._data.popitem(last=False)
            finally:
                with self._lock:
                    self._computing.pop(key, None)
        return value

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
