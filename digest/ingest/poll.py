"""Polling: claim due feeds, poll one feed (fetch, parse, store, reschedule). Shared by `digest poll` and the
Celery tasks. One feed's failure is recorded on that feed and never stops another."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from digest.config import Settings
from digest.sources.backoff import next_poll_error, next_poll_ok, retry_after_seconds
from digest.store.ingest import skip_locked
from digest.store.models import Feed, FeedKind

if TYPE_CHECKING:  # fetching, parsing and storing are imported when a feed is polled: nothing due, no cost
    import httpx

    from digest.sources.fetch import FetchLimits

log = logging.getLogger("digest.sources")

Status = Literal["ok", "not_modified", "failed", "gone", "skipped"]
ERROR_MAX = 2000


@dataclass
class PollOutcome:
    feed_id: int
    url: str
    status: Status
    new: int = 0
    seen: int = 0
    merged: int = 0
    error: str | None = None
    next_poll_at: datetime | None = None


@dataclass
class PollSummary:
    outcomes: list[PollOutcome] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def new_items(self) -> int:
        return sum(o.new for o in self.outcomes)

    def as_dict(self) -> dict[str, int]:
        return {
            "feeds": len(self.outcomes),
            "ok": self.count("ok"),
            "not_modified": self.count("not_modified"),
            "failed": self.count("failed") + self.count("gone"),
            "new_items": self.new_items,
        }


def fetch_limits(settings: Settings) -> FetchLimits:
    from digest.sources.fetch import FetchLimits

    return FetchLimits(
        max_bytes=settings.feed_max_bytes,
        connect_timeout=settings.feed_connect_timeout,
        read_timeout=settings.feed_read_timeout,
        total_timeout=settings.feed_total_timeout,
        max_redirects=settings.feed_max_redirects,
        allow_private=settings.feeds_allow_private,
        user_agent=f"digest-feeds/0.1 (+{settings.base_url})",
    )


def _due(now: datetime) -> object:
    return Feed.active.is_(True) & or_(Feed.next_poll_at.is_(None), Feed.next_poll_at <= now)


def claim_due_feeds(session: Session, now: datetime, limit: int, lease_seconds: int) -> list[int]:
    """Take up to `limit` due feeds by pushing their next poll a lease ahead in the same UPDATE, so no other
    claimer takes them; the poll sets the real next time. A poller that dies leaves the feed due again when the
    lease ends, so nothing stays stuck."""
    candidates = (
        select(Feed.id).where(_due(now)).order_by(Feed.next_poll_at.asc().nulls_first(), Feed.id).limit(limit)  # type: ignore[arg-type]
    )
    stmt = (
        update(Feed)
        .where(Feed.id.in_(skip_locked(session, candidates).scalar_subquery()), _due(now))  # type: ignore[arg-type]
        .values(next_poll_at=now + timedelta(seconds=lease_seconds))
        .returning(Feed.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(session.scalars(stmt))


def poll_one(
    session: Session, feed_id: int, now: datetime, settings: Settings, client: httpx.Client | None = None
) -> PollOutcome:
    """Poll one feed once: conditional GET, parse, store new items, record health and the next poll time.
    Commits what the session holds before fetching, so no transaction stays open across the network."""
    from digest.ingest.pipeline import feed_source_key, store_and_fold
    from digest.sources.fetch import FetchError, fetch, make_client
    from digest.sources.parse import FeedParseError, parse_feed

    feed = session.get(Feed, feed_id)
    if feed is None or not feed.active:
        return PollOutcome(feed_id, feed.url if feed else "", "skipped")
    limits = fetch_limits(settings)
    own_client = client is None
    http = client or make_client(limits)
    # Never hold a transaction across the network: on SQLite a read snapshot kept through a slow fetch
    # cannot be upgraded to a write once another process has written ("database is locked").
    session.commit()
    feed.last_polled_at = now
    try:
        try:
            result = fetch(http, feed.url, limits, feed.etag, feed.last_modified)
        except FetchError as exc:
            feed.last_status = exc.status
            if exc.gone:
                feed.active = False
                feed.deactivated_reason = "HTTP 410 Gone"
                feed.last_error = str(exc)
                feed.next_poll_at = None
                log.warning("feed %s (%s) deactivated: %s", feed.id, feed.url, exc)
                return PollOutcome(feed.id, feed.url, "gone", error=str(exc))
            return _failed(feed, now, settings, str(exc), retry_after_seconds(exc.retry_after, now))
        finally:
            if own_client:
                http.close()
        feed.last_status = result.status
        if result.moved_to and result.moved_to != feed.url and len(result.moved_to) <= 2048:
            _move(session, feed, result.moved_to)
        if result.not_modified:
            if result.last_modified:
                feed.last_modified = _fits(result.last_modified, 100)
            return _succeeded(feed, now, settings, result.headers, None, "not_modified")
        try:
            parsed = parse_feed(result.content, result.headers, result.url, feed.kind, settings.feed_summary_max_chars)
        except FeedParseError as exc:
            return _failed(feed, now, settings, str(exc), None)
        try:
            with session.begin_nested():
                stored = store_and_fold(
                    session, feed_source_key(feed.id), feed.id, parsed.entries, now, parsed.title or feed.title
                )
        except Exception as exc:  # a database error on this feed's items must not lose the feed's health record
            log.exception("feed %s: storing items failed", feed.id)
            return _failed(feed, now, settings, f"storing items failed: {type(exc).__name__}: {exc}", None)
        feed.etag = _fits(result.etag, 500)
        feed.last_modified = _fits(result.last_modified, 100)
        feed.bozo_reason = parsed.bozo_reason[:ERROR_MAX] if parsed.bozo_reason else None
        feed.guids_repeat = feed.guids_repeat or parsed.guids_repeat
        feed.title = feed.title or parsed.title
        feed.site_url = feed.site_url or parsed.link
        outcome = _succeeded(feed, now, settings, result.headers, parsed.ttl_minutes, "ok")
        outcome.new, outcome.seen, outcome.merged = stored.new_count, stored.seen, stored.merged
        return outcome
    except Exception as exc:  # anything unforeseen is this feed's failure, recorded, not a crashed poll
        log.exception("feed %s: poll failed", feed_id)
        return _failed(feed, now, settings, f"{type(exc).__name__}: {exc}", None)


def _fits(value: str | None, width: int) -> str | None:
    """A validator that does not fit its column is dropped: the next poll is a plain GET, not an error."""
    return value if value is not None and len(value) <= width else None


def _move(session: Session, feed: Feed, new_url: str) -> None:
    other = session.scalar(select(Feed).where(Feed.url == new_url, Feed.id != feed.id))
    if other is None:
        log.info("feed %s moved permanently: %s -> %s", feed.id, feed.url, new_url)
        feed.url = new_url
    else:
        feed.active = False
        feed.deactivated_reason = f"moved to {new_url}, already feed {other.id}"[:200]


def _succeeded(
    feed: Feed,
    now: datetime,
    settings: Settings,
    headers: dict[str, str],
    ttl_minutes: int | None,
    status: Status,
) -> PollOutcome:
    feed.last_ok_at = now
    feed.last_error = None
    feed.consecutive_failures = 0
    feed.failing_since = None
    feed.next_poll_at = next_poll_ok(
        now, _interval(feed, settings), headers, ttl_minutes, settings.feed_min_interval, settings.feed_max_interval
    )
    return PollOutcome(feed.id, feed.url, status, next_poll_at=feed.next_poll_at)


def _failed(
    feed: Feed,
    now: datetime,
    settings: Settings,
    error: str,
    retry_after: int | None,
    rand: Callable[[], float] | None = None,
) -> PollOutcome:
    feed.consecutive_failures = (feed.consecutive_failures or 0) + 1
    feed.failing_since = feed.failing_since or now
    feed.last_error = error[:ERROR_MAX]
    kwargs = {"rand": rand} if rand else {}
    feed.next_poll_at = next_poll_error(
        now,
        feed.consecutive_failures,
        settings.feed_backoff_base,
        settings.feed_backoff_max,
        retry_after,
        **kwargs,
    )
    if now - feed.failing_since >= timedelta(seconds=settings.feed_failing_report_after):
        log.warning(
            "feed %s (%s) has been failing since %s (%d attempts): %s",
            feed.id,
            feed.url,
            feed.failing_since.isoformat(),
            feed.consecutive_failures,
            feed.last_error,
        )
    else:
        log.info("feed %s (%s) failed (%d in a row): %s", feed.id, feed.url, feed.consecutive_failures, error)
    return PollOutcome(feed.id, feed.url, "failed", error=error, next_poll_at=feed.next_poll_at)


def _interval(feed: Feed, settings: Settings) -> int:
    return settings.feed_poll_interval_jobs if feed.kind == FeedKind.jobs else settings.feed_poll_interval_news


def health(feed: Feed, now: datetime, settings: Settings) -> str:
    """ok / failing / broken (failing longer than the report threshold) / inactive / new."""
    if not feed.active:
        return "inactive"
    if feed.failing_since is not None:
        if now - feed.failing_since >= timedelta(seconds=settings.feed_failing_report_after):
            return "broken"
        return "failing"
    return "ok" if feed.last_ok_at else "new"


def poll_due(
    session_factory: Callable[[], Session], now: datetime, settings: Settings, limit: int | None = None
) -> PollSummary:
    """Poll every due feed once, synchronously (the `digest poll` path): claim a batch, poll each feed in its
    own transaction, until nothing is due."""
    summary = PollSummary()
    polled: set[int] = set()
    client = None
    with ExitStack() as stack:
        while True:
            with session_factory() as session, session.begin():
                ids = [i for i in claim_due_feeds(session, now, settings.feed_batch_size, settings.feed_claim_lease)]
            ids = [i for i in ids if i not in polled]
            if not ids:
                break
            if client is None:  # made (and httpx imported) only when a feed is due
                from digest.sources.fetch import make_client

                client = stack.enter_context(make_client(fetch_limits(settings)))
            for feed_id in ids:
                polled.add(feed_id)
                with session_factory() as session:
                    summary.outcomes.append(poll_one(session, feed_id, now, settings, client))
                    session.commit()
            if limit is not None and len(polled) >= limit:
                break
    return summary
