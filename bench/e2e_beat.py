"""The beat of bench/e2e.py: the production Celery app and scheduler (redbeat, its lock in Redis) with the
entries that do not move simulated time, at intervals short enough to fire many times in a run.

poll_due_feeds and dispatch_due stay with the e2e driver, which sends them with the simulated `now`; beat
runs on the wall clock, months after the simulated hours. To its sweep every unfinished delivery looks
stuck, so it re-queues them at once: the ledger's conditional claims must still send each digest once.

    celery -A bench.e2e_beat beat
"""

from __future__ import annotations

from workers.app import app
from workers.beat import SCHEDULE

INTERVALS = {"heartbeat": 2.0, "sweep": 5.0}  # seconds (production: 60 s and every 5 minutes)

app.conf.beat_schedule = {name: {**SCHEDULE[name], "schedule": every} for name, every in INTERVALS.items()}

__all__ = ["app"]
