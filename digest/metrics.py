"""Prometheus metrics read from the database at scrape time.

Every fact lives in the database, so the funnel is counted there: the numbers are the same whichever web
process is scraped and however many workers on however many machines did the work.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from digest.store.models import (
    Delivery,
    DeliveryStatus,
    Feed,
    Item,
    ItemSkill,
    Subscription,
    Suppression,
    WebhookEvent,
)

SUPPRESSED_ERROR = "address is suppressed"  # Delivery.last_error of a digest not sent to a suppressed address
_POLL_COLUMNS = {
    "ok": "polls_ok",
    "not_modified": "polls_not_modified",
    "failed": "polls_failed",
    "gone": "polls_failed",
}


def count_poll(session: Session, feed_id: int, outcome: str) -> None:
    """Add one poll outcome (ok, not_modified, failed, gone) to the feed's cumulative counters. Kept in the
    database, like every other fact, so every scrape of every web process sees the same totals whichever
    machine polled, and a restarted worker loses nothing (a per-process counter would need one scrape
    target per worker process on every machine)."""
    column = _POLL_COLUMNS.get(outcome)
    if column is None:  # skipped: not polled
        return
    attr = getattr(Feed, column)
    session.execute(
        update(Feed).where(Feed.id == feed_id).values({attr: attr + 1}).execution_options(synchronize_session=False)
    )


LAG_BUCKETS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 3 * 3600.0, 6 * 3600.0, 24 * 3600.0)


class DatabaseCollector(Collector):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily | HistogramMetricFamily]:
        with Session(self.engine) as session:
            yield from _feeds(session)
            yield from _items(session)
            yield from _deliveries(session)
            yield from _webhooks(session)
            yield from _subscriptions(session)
            yield from _suppressions(session)


def _feeds(session: Session) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
    g = GaugeMetricFamily("digest_feeds", "Feeds by state of their last poll", labels=["state"])
    rows = session.execute(select(Feed.active, Feed.consecutive_failures, Feed.last_status)).all()
    counts = {"inactive": 0, "failing": 0, "ok": 0, "not_modified": 0, "never_polled": 0}
    for active, failures, status in rows:
        if not active:
            counts["inactive"] += 1
        elif failures:
            counts["failing"] += 1
        elif status is None:
            counts["never_polled"] += 1
        elif status == 304:
            counts["not_modified"] += 1
        else:
            counts["ok"] += 1
    for state, n in counts.items():
        g.add_metric([state], n)
    yield g
    polls = CounterMetricFamily("digest_feed_polls", "Feed polls by outcome", labels=["outcome"])
    ok, not_modified, failed = session.execute(
        select(
            func.coalesce(func.sum(Feed.polls_ok), 0),
            func.coalesce(func.sum(Feed.polls_not_modified), 0),
            func.coalesce(func.sum(Feed.polls_failed), 0),
        )
    ).one()
    for outcome, n in (("ok", ok), ("not_modified", not_modified), ("failed", failed)):
        polls.add_metric([outcome], int(n))
    yield polls


def _items(session: Session) -> Iterator[CounterMetricFamily]:
    new = CounterMetricFamily("digest_items", "Items stored, by kind", labels=["kind"])
    for kind, n in session.execute(select(Item.kind, func.count()).group_by(Item.kind)):
        new.add_metric([str(kind)], n)
    yield new
    matched = CounterMetricFamily("digest_items_matched", "Items with at least one skill, by kind", labels=["kind"])
    q = select(Item.kind, func.count(func.distinct(ItemSkill.item_id)))
    q = q.join(ItemSkill, ItemSkill.item_id == Item.id).group_by(Item.kind)
    for kind, n in session.execute(q):
        matched.add_metric([str(kind)], n)
    yield matched


def _deliveries(session: Session) -> Iterator[CounterMetricFamily | HistogramMetricFamily]:
    c = CounterMetricFamily("digest_deliveries", "Deliveries by kind and status", labels=["kind", "status"])
    q = select(Delivery.kind, Delivery.status, func.count()).group_by(Delivery.kind, Delivery.status)
    for kind, status, n in session.execute(q):
        c.add_metric([str(kind), str(status)], n)
    yield c
    retried = CounterMetricFamily("digest_delivery_retries", "Send attempts beyond the first")
    extra = session.scalar(select(func.coalesce(func.sum(Delivery.attempts - 1), 0)).where(Delivery.attempts > 1))
    retried.add_metric([], int(extra or 0))
    yield retried
    suppressed = CounterMetricFamily(
        "digest_deliveries_suppressed", "Deliveries not sent because the address is suppressed", labels=["kind"]
    )
    by_kind = (
        select(Delivery.kind, func.count())
        .where(Delivery.status == DeliveryStatus.failed, Delivery.last_error == SUPPRESSED_ERROR)
        .group_by(Delivery.kind)
    )
    for kind, n in session.execute(by_kind):
        suppressed.add_metric([str(kind)], n)
    yield suppressed
    yield _lag_histogram(session)


def _lag_histogram(session: Session) -> HistogramMetricFamily:
    """Seconds between a digest's scheduled time (its window end) and its send."""
    q = select(Delivery.window_end, Delivery.sent_at).where(
        Delivery.status == DeliveryStatus.sent, Delivery.sent_at.is_not(None), Delivery.kind == "digest"
    )
    lags = [max(0.0, (sent - due).total_seconds()) for due, sent in session.execute(q) if isinstance(sent, datetime)]
    buckets = [(str(b), sum(1 for x in lags if x <= b)) for b in LAG_BUCKETS] + [("+Inf", len(lags))]
    h = HistogramMetricFamily("digest_digest_lag_seconds", "Scheduled hour to send, per digest")
    h.add_metric([], buckets, sum_value=sum(lags))
    return h


def _webhooks(session: Session) -> Iterator[CounterMetricFamily]:
    c = CounterMetricFamily("digest_webhook_events", "Provider webhook events received", labels=["event"])
    for event, n in session.execute(select(WebhookEvent.event, func.count()).group_by(WebhookEvent.event)):
        c.add_metric([event], n)
    yield c


def _suppressions(session: Session) -> Iterator[GaugeMetricFamily]:
    g = GaugeMetricFamily("digest_suppressions", "Suppressed addresses (bounces, complaints, ...)", labels=["reason"])
    for reason, n in session.execute(select(Suppression.reason, func.count()).group_by(Suppression.reason)):
        g.add_metric([reason], n)
    yield g


def _subscriptions(session: Session) -> Iterator[GaugeMetricFamily]:
    g = GaugeMetricFamily("digest_subscriptions", "Subscriptions by status and cadence", labels=["status", "cadence"])
    q = select(Subscription.status, Subscription.cadence, func.count()).group_by(
        Subscription.status, Subscription.cadence
    )
    for status, cadence, n in session.execute(q):
        g.add_metric([str(status), str(cadence)], n)
    yield g
