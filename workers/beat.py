"""The beat schedule. Entries send `now` implicitly: each task reads the clock once at its start."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

SCHEDULE: dict[str, dict[str, Any]] = {
    "heartbeat": {"task": "workers.tasks.heartbeat", "schedule": 60.0, "args": ("beat",)},
    "sweep": {"task": "workers.tasks.sweep", "schedule": crontab(minute="*/5")},
    "poll-due-feeds": {"task": "workers.tasks.poll_due_feeds", "schedule": 60.0},
    "prune-items": {"task": "workers.tasks.prune_items", "schedule": crontab(minute=15, hour=3)},
    # digests and delivery: due digests and alert emails, every minute
    "dispatch-due": {"task": "workers.tasks.dispatch_due", "schedule": crontab()},
    # jobs index and demand: postings left pending are counted and the paired-skills window moves to each new
    # day; shift detection runs after each completed week (weeks start on Monday, UTC)
    "count-demand": {"task": "workers.tasks.count_demand", "schedule": 60.0},
    "detect-shifts": {"task": "workers.tasks.detect_shifts", "schedule": crontab(minute=30, hour=0, day_of_week="mon")},
}
