"""Ids handed to the worker in batches: the first id starts a short wait, and every id added during it goes
out with it in one task, so a busy web process publishes a few tasks a second, not one per request."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Batches:
    def __init__(self, wait: float, publish: Callable[[list[int]], None]) -> None:
        self.wait = wait
        self.publish = publish
        self._ids: list[int] = []
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def add(self, item: int) -> None:
        with self._lock:
            self._ids.append(item)
            if self._timer is None:
                self._timer = threading.Timer(self.wait, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        """Publish what is waiting now (the timer's call; also at exit)."""
        with self._lock:
            ids, self._ids = self._ids, []
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if ids:
            try:
                self.publish(ids)
            except Exception:  # their rows are committed: the sweeper queues them again
                log.warning("could not queue %s (the sweeper will)", ids, exc_info=True)
