"""The production-shape run, reduced: 1,000 subscribers, real workers on a Redis of our own, PostgreSQL, the
fake SendGrid answering 500s and 429s, workers SIGKILLed, a feed timing out and one returning garbage until
they recover, and a real beat (redbeat) sending heartbeat and sweep. Nothing due is lost, nothing is sent
twice, every healthy feed's items are stored once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bench.e2e import Faults, run


def test_production_shape_keeps_its_promises(tmp_path: Path, shared_data: Path) -> None:
    faults = Faults(kills=3, redis_restart=False, pg_terminate=True, timeout_feeds=1, garbage_feeds=1,
                    bad_until=timedelta(hours=1))  # fmt: skip
    report = run(1000, faults, feeds=12, hours=3, step_minutes=30, workdir=tmp_path, shared=shared_data,
                 import_hn=False, log=lambda _: None)  # fmt: skip
    summary = "\n".join(report.lines())
    assert report.faults["sigkills"] == 3, summary
    assert report.faults.get("sendgrid_500", 0) > 0 and report.faults.get("sendgrid_429", 0) > 0, summary
    assert report.due > 0 and report.delivered == report.due - report.failed, summary
    assert report.lost == 0 and report.unaccounted_users == 0, summary
    # SendGrid has no idempotency key: a worker killed (or its connection cut) after the provider accepted a
    # message and before the commit that records it would send it again; the retry asks the (fake) Email
    # Activity API first and records what it already has.
    assert report.duplicated == 0, summary
    assert report.resent_as_new_message == 0, summary  # a re-send carries the first attempt's Message-ID
    assert report.healthy_items_expected > 0, summary
    assert report.healthy_items_stored == report.healthy_items_expected, summary
    assert report.healthy_items_duplicated == 0, summary
    assert report.failing_feeds == 2 and report.failing_backed_off == 2 and report.failing_recovered == 2, summary
    assert report.metrics_ok and report.pages_ok, summary
    # a real beat (redbeat) ran beside the driver: its heartbeat reached a worker, its sweeps were sent,
    # and it held its lock in Redis
    assert report.beat_heartbeat_seen and report.beat_sent.get("sweep", 0) >= 1, summary
    assert report.beat_lock_held == report.beat_lock_checks > 0, summary
