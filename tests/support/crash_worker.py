"""The Celery app of the fault tests' workers: the real app, whose process SIGKILLs itself at the delivery
checkpoint named by DIGEST_TEST_CRASH_AT ('after_claim', 'after_send'), to prove the ledger and the
sweeper recover (tests/test_delivery_crash.py). Only a test starts a worker with this app."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable

from digest.delivery import context
from workers.app import app

__all__ = ["app"]

log = logging.getLogger(__name__)


def kill_at(point: str) -> Callable[[str], None]:
    def hook(name: str) -> None:
        if name == point:
            log.warning("DIGEST_TEST_CRASH_AT=%s: killing this process", name)
            os.kill(os.getpid(), signal.SIGKILL)

    return hook


if point := os.environ.get("DIGEST_TEST_CRASH_AT", ""):
    context.checkpoint_hook = kill_at(point)
