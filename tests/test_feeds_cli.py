"""`digest feeds add|list|remove`, `digest poll` and the default feeds loaded by `digest init`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from digest.cli import app
from digest.sources.manage import default_feeds
from digest.store.models import Feed, FeedKind
from tests.feedserver import FeedServer

runner = CliRunner()
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>CLI feed</title><link>http://example.com/</link>
<item><title>Hello</title><link>http://example.com/h</link><guid>h</guid></item></channel></rss>"""


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def test_add_list_poll_remove(settings: Any, session: Session, feed_server: FeedServer) -> None:
    good = feed_server.route("/ok.xml", body=RSS)
    bad = feed_server.route("/down.xml", status=500)
    at = ["--now", "2026-03-16T11:00:00Z"]
    assert runner.invoke(app, ["feeds", "add", good, "--kind", "news", *at]).exit_code == 0
    out = runner.invoke(app, ["feeds", "add", bad, "--kind", "jobs", *at])
    assert out.exit_code == 0 and "added: feed" in out.output
    assert "already present" in runner.invoke(app, ["feeds", "add", good]).output
    bad_kind = runner.invoke(app, ["feeds", "add", good, "--kind", "blogs"])
    assert bad_kind.exit_code == 2
    bad_url = runner.invoke(app, ["feeds", "add", "file:///etc/passwd"])
    assert bad_url.exit_code == 1 and "not an http(s) URL" in bad_url.output

    out = runner.invoke(app, ["poll", "--now", "2026-03-16T12:00:00Z"])
    assert out.exit_code == 0, out.output
    assert "polled 2 feeds: 1 ok, 0 not modified, 1 failed, 1 new items" in out.output
    again = runner.invoke(app, ["poll", "--now", "2026-03-16T12:01:00Z"])
    assert "polled 0 feeds" in again.output

    listed = json.loads(runner.invoke(app, ["feeds", "list", "--json", "--now", "2026-03-16T12:02:00Z"]).output)
    health = {r["url"]: (r["health"], r["last_error"]) for r in listed}
    assert health[good] == ("ok", None)
    assert health[bad][0] == "failing" and "500" in health[bad][1]
    times = {r["url"]: r["last_ok_at"] for r in listed}  # ISO 8601, as --now takes it
    assert datetime.fromisoformat(times[good]) == datetime(2026, 3, 16, 12, 0, tzinfo=UTC) and "T" in times[good]
    text = runner.invoke(app, ["feeds", "list", "--now", "2026-03-16T12:02:00Z"]).output
    assert "failing" in text and "last error: HTTP 500" in text

    assert runner.invoke(app, ["feeds", "remove", bad]).exit_code == 0
    assert runner.invoke(app, ["feeds", "remove", "999999"]).exit_code == 1
    assert session.scalar(select(func.count()).select_from(Feed)) == 1


def test_init_loads_default_feeds_idempotently(settings: Any, session: Session) -> None:
    bundled = default_feeds()
    assert len(bundled) >= 30
    kinds = {d.kind for d in bundled}
    assert kinds == {FeedKind.news, FeedKind.jobs}
    assert any("arxiv.org" in d.url for d in bundled)
    first = runner.invoke(app, ["init"])
    assert first.exit_code == 0, first.output
    assert f"default feeds: {len(bundled)} added" in first.output
    second = runner.invoke(app, ["init"])
    assert "default feeds: 0 added" in second.output
    assert session.scalar(select(func.count()).select_from(Feed)) == len(bundled)
    # a removed default feed stays removed across init; adding it by hand brings it back
    assert runner.invoke(app, ["feeds", "remove", bundled[0].url]).exit_code == 0
    assert "default feeds: 0 added" in runner.invoke(app, ["init"]).output
    session.rollback()  # a new snapshot: the CLI wrote through its own connection
    row = session.scalar(select(Feed).where(Feed.url == bundled[0].url))
    assert row is not None and not row.active and row.deactivated_reason == "removed by admin"
    assert "already present" in runner.invoke(app, ["feeds", "add", bundled[0].url]).output
    session.rollback()  # a new snapshot: the CLI wrote through its own connection
    assert session.get(Feed, row.id).active  # type: ignore[union-attr]


def test_add_refuses_an_address_the_poller_would_refuse(
    settings: Any, session: Session, feed_server: FeedServer
) -> None:
    local = feed_server.route("/ok.xml", body=RSS)
    settings.feeds_allow_private = False
    out = runner.invoke(app, ["feeds", "add", local])
    assert out.exit_code == 1 and "non-public address" in out.output and "DIGEST_FEEDS_ALLOW_PRIVATE=1" in out.output
    settings.feeds_allow_private = True  # intranet feeds allowed: loopback passes, metadata never
    assert runner.invoke(app, ["feeds", "add", local]).exit_code == 0
    out = runner.invoke(app, ["feeds", "add", "http://169.254.169.254/latest/meta-data/"])
    assert out.exit_code == 1 and "cloud-metadata" in out.output and "whatever DIGEST_FEEDS_ALLOW_PRIVATE" in out.output
    assert session.scalar(select(func.count()).select_from(Feed)) == 1
