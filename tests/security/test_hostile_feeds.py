"""Hostile feeds through the poller as a worker meets them: a gzip bomb, billion laughs, a 20 MB body, and a
server that drips its headers. Each is that feed's recorded failure (or a harmless parse) within bounds, and
the next feed in the same poll is stored as usual."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest.ingest.poll import poll_one
from digest.sources.manage import add_feed
from digest.store.models import Feed, FeedKind, Item
from tests.feedserver import FeedServer
from tests.security.slowserver import SlowServer
from tests.test_feeds_fetch import BILLION_LAUGHS

NOW = datetime(2026, 3, 16, 12, tzinfo=UTC)
GOOD = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>fine</title>
<item><title>A fine story</title><link>http://example.com/fine</link><guid>fine-1</guid></item></channel></rss>"""


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def _poll(session: Session, settings: Any, url: str) -> Any:
    feed, _ = add_feed(session, url, FeedKind.news, NOW)
    session.commit()
    started = time.monotonic()
    outcome = poll_one(session, feed.id, NOW, settings)
    session.commit()
    return outcome, time.monotonic() - started


def _then_a_good_feed_still_polls(session: Session, settings: Any, server: FeedServer) -> None:
    outcome, _ = _poll(session, settings, server.route("/fine.xml", body=GOOD))
    assert outcome.status == "ok" and outcome.new == 1


def test_gzip_bomb(settings: Any, session: Session, feed_server: FeedServer) -> None:
    bomb = gzip.compress(b"<rss>" + b"\0" * (200 * 1024 * 1024), compresslevel=9)  # 200 MB in ~200 KB
    assert len(bomb) < 1024 * 1024
    url = feed_server.route("/bomb.xml", body=bomb, headers={"Content-Encoding": "gzip"})
    outcome, took = _poll(session, settings, url)
    assert outcome.status == "failed" and "too large" in (outcome.error or ""), outcome
    assert took < 10
    feed = session.scalar(select(Feed).where(Feed.url == url))
    assert feed is not None and feed.consecutive_failures == 1 and feed.next_poll_at > NOW  # backed off
    _then_a_good_feed_still_polls(session, settings, feed_server)


def test_twenty_megabytes(settings: Any, session: Session, feed_server: FeedServer) -> None:
    url = feed_server.route("/big.xml", body=b"<rss>" + b"x" * (20 * 1024 * 1024) + b"</rss>",
                            headers={"Content-Encoding": "identity"})  # fmt: skip
    outcome, _ = _poll(session, settings, url)
    assert outcome.status == "failed" and "too large" in (outcome.error or "")
    _then_a_good_feed_still_polls(session, settings, feed_server)


def test_billion_laughs(settings: Any, session: Session, feed_server: FeedServer) -> None:
    url = feed_server.route("/lol.xml", body=BILLION_LAUGHS, headers={"Content-Type": "application/rss+xml"})
    _, took = _poll(session, settings, url)
    assert took < 10
    for item in session.scalars(select(Item)):
        assert len(item.title) < 1000 and len(item.summary or "") < 2000
    _then_a_good_feed_still_polls(session, settings, feed_server)


def test_dripping_headers_hold_the_poller_only_until_the_deadline(
    settings: Any, session: Session, feed_server: FeedServer
) -> None:
    settings.feed_total_timeout, settings.feed_read_timeout = 1.5, 5
    with SlowServer("headers", gap=0.05) as slow:
        outcome, took = _poll(session, settings, slow.url)
    assert outcome.status == "failed" and "longer than 1.5s" in (outcome.error or "")
    assert took < 3
    _then_a_good_feed_still_polls(session, settings, feed_server)
    assert session.scalar(select(func.count()).select_from(Item)) == 1
