"""Thin Celery tasks: each opens a session, calls one library function with ids and `now`, commits."""

from __future__ import annotations

from typing import Any

from digest import clock
from digest.store.engine import session_scope
from workers.app import app

IO_TASK = {
    "acks_late": True,
    "soft_time_limit": 120,
    "time_limit": 180,
    "autoretry_for": (OSError,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


def _now(now: str | None) -> Any:
    return clock.parse_now(now)


@app.task(acks_late=True)
def heartbeat(name: str, now: str | None = None) -> None:
    """Record that `name` ran: a worker executed a task at `now`."""
    from digest.health import beat

    with session_scope() as session:
        beat(session, name, _now(now))


@app.task(**IO_TASK)
def sweep(now: str | None = None) -> None:
    """Re-queue work found stuck in the database, so the broker never holds the only copy of a fact."""
    from digest.health import beat

    moment = _now(now)
    for requeue in SWEEPERS:
        requeue(moment)
    with session_scope() as session:
        beat(session, "sweep", moment)


# Each area registers a function (now) -> None that finds its stuck rows and re-sends their tasks.
SWEEPERS: list[Any] = []


# --- accounts ------------------------------------------------------------------------------------


def _accounts_housekeeping(now: Any) -> None:
    """Prune spent tokens and old rate-limit rows."""
    from digest.accounts.housekeeping import housekeeping
    from digest.config import get_settings

    with session_scope() as session:
        housekeeping(session, get_settings(), now)


SWEEPERS.append(_accounts_housekeeping)


# --- feeds ---------------------------------------------------------------------------------------


@app.task(acks_late=True, soft_time_limit=60, time_limit=90)
def poll_due_feeds(now: str | None = None) -> int:
    """Claim due feeds in batches and enqueue one poll_feed per feed. A claim pushes the feed's next poll a
    lease ahead in the same UPDATE, so a feed is never in flight twice; a lost task frees it when the lease ends
    (no sweeper needed)."""
    from digest.config import get_settings
    from digest.ingest.poll import claim_due_feeds

    settings = get_settings()
    moment = _now(now)
    queued = 0
    while True:
        with session_scope() as session:
            ids = claim_due_feeds(session, moment, settings.feed_batch_size, settings.feed_claim_lease)
        for feed_id in ids:
            poll_feed.delay(feed_id, now)  # None in production: each poll reads the clock when it runs
        queued += len(ids)
        if len(ids) < settings.feed_batch_size:
            return queued


@app.task(acks_late=True, soft_time_limit=120, time_limit=180)
def poll_feed(feed_id: int, now: str | None = None) -> str:
    """Poll one feed. Its errors are recorded on the feed (and scheduled for retry there), not raised."""
    from digest.config import get_settings
    from digest.ingest.poll import poll_one
    from digest.logs import log_context
    from digest.metrics import count_poll

    with log_context(feed_id=feed_id), session_scope() as session:
        outcome = poll_one(session, feed_id, _now(now), get_settings())
        count_poll(session, feed_id, outcome.status)
    return outcome.status


@app.task(acks_late=True, soft_time_limit=1800, time_limit=1900)
def prune_items(now: str | None = None) -> int:
    """Daily: delete items past their retention (tombstones keep feeds from bringing them back)."""
    from digest.config import get_settings
    from digest.health import beat
    from digest.ingest.retention import prune_expired

    moment = _now(now)
    with session_scope() as session:
        deleted = prune_expired(session, get_settings(), moment)
        beat(session, "prune_items", moment, f"{deleted} deleted")
    return deleted


# --- digests and delivery -------------------------------------------------------------------------

DELIVERY_TASK = {
    "acks_late": True,
    "soft_time_limit": 600,
    "time_limit": 660,
    # the ledger makes a re-run safe: claimed rows are skipped, a half-done batch resumes where it stopped
    "autoretry_for": (OSError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@app.task(acks_late=True)
def dispatch_due(now: str | None = None) -> None:
    """Every minute: hand due digests to delivery tasks in batches of user ids, and new alert emails."""
    from digest.config import get_settings
    from digest.delivery.alerts import due_alerts
    from digest.delivery.due import due_batches
    from digest.health import beat

    moment = _now(now)
    settings = get_settings()
    with session_scope() as session:
        batches = due_batches(session, settings, moment)
    for b in batches:
        deliver_batch.delay(b.user_ids, b.cadence, b.window_end.isoformat(), moment.isoformat())
    with session_scope() as session:
        alert_ids = due_alerts(session, settings, moment)
        beat(session, "dispatch_due", moment)
    for delivery_id in alert_ids:
        deliver.delay(delivery_id, moment.isoformat())


@app.task(**DELIVERY_TASK)
def deliver_batch(user_ids: list[int], cadence: str, window_end: str, now: str | None = None) -> None:
    from digest.config import get_settings
    from digest.delivery.context import Context
    from digest.delivery.deliver import deliver_digests
    from digest.logs import log_context

    ctx = Context.for_settings(get_settings())
    with log_context(cadence=cadence, window_end=window_end, users=len(user_ids)), session_scope() as session:
        deliver_digests(session, ctx, user_ids, cadence, clock.parse_now(window_end), _now(now))


@app.task(**DELIVERY_TASK)
def deliver(delivery_id: int, now: str | None = None) -> None:
    """One delivery by id (a digest or an alert email): what the sweeper re-queues."""
    from digest.config import get_settings
    from digest.delivery.context import Context
    from digest.delivery.deliver import deliver_one
    from digest.logs import log_context

    ctx = Context.for_settings(get_settings())
    with log_context(delivery_id=delivery_id), session_scope() as session:
        deliver_one(session, ctx, delivery_id, _now(now))


@app.task(**DELIVERY_TASK)
def deliver_signups(delivery_ids: list[int], now: str | None = None) -> None:
    """Sign-up and sign-in emails the web owed (confirmations, notices, sign-in links), a batch of a web
    process's last moments."""
    from digest.config import get_settings
    from digest.delivery.context import Context
    from digest.delivery.signups import deliver_signups as deliver_them

    ctx = Context.for_settings(get_settings())
    with session_scope() as session:
        deliver_them(session, ctx, delivery_ids, _now(now))


def _requeue_stuck_deliveries(now: Any) -> None:
    from digest.config import get_settings
    from digest.delivery.due import stuck_deliveries

    with session_scope() as session:
        ids = stuck_deliveries(session, get_settings(), now)
    for delivery_id in ids:
        deliver.delay(delivery_id, now.isoformat())


SWEEPERS.append(_requeue_stuck_deliveries)


# --- jobs index and demand ---


@app.task(acks_late=True, soft_time_limit=300, time_limit=360)
def detect_shifts(now: str | None = None, as_of: str | None = None) -> dict[str, Any]:
    """Shift detection on the last completed weeks (beat: Monday 00:30 UTC; also after an import)."""
    from datetime import date

    from digest.demand.shifts import run_detection
    from digest.health import beat

    moment = _now(now)
    with session_scope() as session:
        run = run_detection(session, moment, date.fromisoformat(as_of) if as_of else None)
        beat(session, "detect_shifts", moment, f"week {run.week_start}: {len(run.opened)} opened")
        return {"week_start": run.week_start.isoformat(), "opened": len(run.opened), "closed": len(run.closed)}


@app.task(acks_late=True, soft_time_limit=600, time_limit=660)
def count_demand(now: str | None = None) -> int:
    """Fold every pending posting into the demand rollups (those a crash or a busy lock left), and move the
    paired-skills window to today, UTC, so today's `stats` read it (beat: every minute). Returns the
    postings counted; none when another fold holds the lock (the next run gets them)."""
    from digest.demand.rollups import fold
    from digest.demand.window import advance
    from digest.health import beat

    moment = _now(now)
    with session_scope() as session:
        folded = fold(session, wait=False)
        if folded.skipped:
            return 0
        advance(session, moment.date())
        beat(session, "count_demand", moment, f"{folded.postings} postings counted")
    return folded.postings


@app.task(acks_late=True, soft_time_limit=1800, time_limit=1900)
def rebuild_rollups(now: str | None = None) -> dict[str, int]:
    """Recompute every demand rollup from the raw postings (after a taxonomy change, or to repair)."""
    from digest.demand.rollups import rebuild
    from digest.health import beat

    moment = _now(now)
    with session_scope() as session:
        counts = rebuild(session, moment)
        beat(session, "rebuild_rollups", moment)
        return counts
