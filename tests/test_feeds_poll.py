"""Polling feeds end to end against a local HTTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest.ingest.pipeline import feed_source_key, prune_fetched_before
from digest.ingest.poll import claim_due_feeds, health, poll_due, poll_one
from digest.sources.manage import add_feed
from digest.store.engine import session_factory
from digest.store.models import Feed, FeedKind, Item, ItemKind, ItemSource, ItemTombstone
from tests.feedserver import FeedServer, Request, Response

NOW = datetime(2026, 3, 16, 12, 0, tzinfo=UTC)


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def rss(*items: str, title: str = "Test feed", ttl: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>http://example.com/</link>{ttl}{''.join(items)}</channel></rss>"
    ).encode()


def item(guid: str | None, title: str, link: str | None = None, desc: str = "", date: str = "") -> str:
    parts = [f"<title>{title}</title>"]
    if guid is not None:
        parts.append(f'<guid isPermaLink="false">{guid}</guid>')
    if link:
        parts.append(f"<link>{link}</link>")
    if desc:
        parts.append(f"<description><![CDATA[{desc}]]></description>")
    parts.append(f"<pubDate>{date or 'Mon, 16 Mar 2026 09:00:00 GMT'}</pubDate>")
    return "<item>" + "".join(parts) + "</item>"


def _feed(session: Session, url: str, kind: FeedKind = FeedKind.news) -> Feed:
    feed, _ = add_feed(session, url, kind, NOW)
    session.commit()
    return feed


def _poll(session: Session, feed: Feed, settings: Any, now: datetime = NOW) -> Any:
    outcome = poll_one(session, feed.id, now, settings)
    session.commit()
    return outcome


def _count(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_poll_stores_items_then_conditional_get_adds_nothing(
    session: Session, settings: Any, feed_server: FeedServer
) -> None:
    body = rss(
        item("1", "First", "http://example.com/1", "<p>One <b>bold</b></p>"),
        item("2", "Second", "http://example.com/2"),
    )
    url = feed_server.route("/f.xml", body=body, conditional=True,
                            headers={"ETag": '"abc"', "Last-Modified": "Mon, 16 Mar 2026 10:00:00 GMT",
                                     "Content-Type": "application/rss+xml"})  # fmt: skip
    feed = _feed(session, url)
    first = _poll(session, feed, settings)
    assert (first.status, first.new) == ("ok", 2)
    items = session.scalars(select(Item).order_by(Item.id)).all()
    assert [i.title for i in items] == ["First", "Second"]
    assert items[0].summary == "One bold" and items[0].source_name == "Test feed"
    assert items[0].published_at == datetime(2026, 3, 16, 9, 0, tzinfo=UTC) and items[0].fetched_at == NOW
    assert items[0].matched_at == NOW  # the indexing hook ran for new items
    assert feed.etag == '"abc"' and feed.last_ok_at == NOW and feed.next_poll_at == NOW + timedelta(minutes=30)

    second = _poll(session, feed, settings, NOW + timedelta(hours=1))
    assert (second.status, second.new) == ("not_modified", 0)
    req = feed_server.requests_to("/f.xml")[-1]
    assert req.headers["if-none-match"] == '"abc"'
    assert req.headers["if-modified-since"] == "Mon, 16 Mar 2026 10:00:00 GMT"
    # a server without validators re-serving the same content: idempotent too
    feed_server.route("/f.xml", body=body)
    third = _poll(session, feed, settings, NOW + timedelta(hours=2))
    assert (third.status, third.new, third.seen) == ("ok", 0, 2)
    assert _count(session, Item) == 2 and _count(session, ItemSource) == 2


def test_guid_reused_across_items(session: Session, settings: Any, feed_server: FeedServer) -> None:
    body = rss(item("same", "A", "http://example.com/a"), item("same", "B", "http://example.com/b"),
               item("same", "C", "http://example.com/b"))  # fmt: skip
    feed = _feed(session, feed_server.route("/g.xml", body=body))
    assert _poll(session, feed, settings).new == 3
    assert feed.guids_repeat
    assert _poll(session, feed, settings, NOW + timedelta(hours=1)).new == 0


def test_item_whose_title_changes_is_not_new(session: Session, settings: Any, feed_server: FeedServer) -> None:
    feed = _feed(session, feed_server.route("/t.xml", body=rss(item("42", "Original title", "http://example.com/42"))))
    assert _poll(session, feed, settings).new == 1
    feed_server.route("/t.xml", body=rss(item("42", "Edited title!", "http://example.com/42")))
    assert _poll(session, feed, settings, NOW + timedelta(hours=1)).new == 0
    # no guid: the link carries identity, so a retitled entry is still the same entry
    feed_server.route("/t.xml", body=rss(item(None, "Linked", "http://example.com/l")))
    assert _poll(session, feed, settings, NOW + timedelta(hours=2)).new == 1
    feed_server.route("/t.xml", body=rss(item(None, "Linked, retitled", "http://example.com/l")))
    assert _poll(session, feed, settings, NOW + timedelta(hours=3)).new == 0
    # the feed changed an entry's guid but kept its link: the same story, not a duplicate
    feed_server.route("/t.xml", body=rss(item("42-v2", "Edited title!", "http://example.com/42")))
    outcome = _poll(session, feed, settings, NOW + timedelta(hours=4))
    assert (outcome.new, outcome.merged) == (0, 1)
    assert _count(session, Item) == 2


def test_script_and_javascript_links_never_survive(session: Session, settings: Any, feed_server: FeedServer) -> None:
    desc = (
        '<p>Hi<script>alert("x")</script> <a href="javascript:alert(1)">click</a>'
        " &lt;script&gt;evil()&lt;/script&gt;</p>"
    )
    body = rss(item("1", "<b>Bold</b> &lt;img src=x onerror=alert(1)&gt;", "javascript:alert(1)", desc))
    feed = _feed(session, feed_server.route("/x.xml", body=body))
    assert _poll(session, feed, settings).new == 1
    row = session.scalars(select(Item)).one()
    assert row.summary == "Hi click"
    assert "<" not in row.title and row.title.startswith("Bold")
    assert row.url is None


def test_permanent_redirect_updates_the_stored_url(session: Session, settings: Any, feed_server: FeedServer) -> None:
    old = feed_server.route("/old.xml", status=301, headers={"Location": "/new.xml"})
    new = feed_server.route("/new.xml", body=rss(item("1", "A", "http://example.com/1")))
    feed = _feed(session, old)
    assert _poll(session, feed, settings).status == "ok"
    assert feed.url == new


def test_gone_deactivates(session: Session, settings: Any, feed_server: FeedServer) -> None:
    feed = _feed(session, feed_server.route("/gone.xml", status=410))
    assert _poll(session, feed, settings).status == "gone"
    assert not feed.active and feed.deactivated_reason == "HTTP 410 Gone"
    assert claim_due_feeds(session, NOW + timedelta(days=30), 10, 600) == []


def test_rate_limited_waits_for_retry_after(session: Session, settings: Any, feed_server: FeedServer) -> None:
    feed = _feed(session, feed_server.route("/busy.xml", status=429, headers={"Retry-After": "7200"}))
    outcome = _poll(session, feed, settings)
    assert outcome.status == "failed" and "429" in (outcome.error or "")
    assert feed.next_poll_at is not None and feed.next_poll_at >= NOW + timedelta(seconds=7200)
    assert feed.consecutive_failures == 1 and feed.last_status == 429


def test_backoff_then_recovery(session: Session, settings: Any, feed_server: FeedServer, caplog: Any) -> None:
    state = {"fail": True}

    def flaky(req: Request) -> Response:
        if state["fail"]:
            return Response(500, b"oops")
        return Response(200, rss(item("1", "Back", "http://example.com/1")))

    feed = _feed(session, feed_server.route("/flaky.xml", flaky))
    now, delays = NOW, []
    for _ in range(5):
        assert _poll(session, feed, settings, now).status == "failed"
        assert feed.next_poll_at is not None
        delays.append(feed.next_poll_at - now)
        now = feed.next_poll_at
    assert all(b > a for a, b in itertools.pairwise(delays)), delays
    assert feed.consecutive_failures == 5 and feed.failing_since == NOW and health(feed, now, settings) == "failing"
    # failing for longer than the report threshold: reported
    with caplog.at_level(logging.WARNING, logger="digest.sources"):
        assert _poll(session, feed, settings, NOW + timedelta(days=4)).status == "failed"
    assert "failing since" in caplog.text and health(feed, NOW + timedelta(days=4), settings) == "broken"
    state["fail"] = False
    later = NOW + timedelta(days=5)
    outcome = _poll(session, feed, settings, later)
    assert (outcome.status, outcome.new) == ("ok", 1)
    assert feed.consecutive_failures == 0 and feed.failing_since is None and feed.last_error is None
    assert health(feed, later, settings) == "ok" and feed.next_poll_at == later + timedelta(minutes=30)


def test_backoff_is_jittered_across_feeds(session: Session, settings: Any, feed_server: FeedServer) -> None:
    url = feed_server.route("/down.xml", status=503)
    feeds = [_feed(session, f"{url}?n={n}") for n in range(4)]
    for f in feeds:
        _poll(session, f, settings)
    assert len({f.next_poll_at for f in feeds}) > 1


def test_bad_feed_does_not_stop_others_and_poll_due_summary(
    session: Session, settings: Any, feed_server: FeedServer
) -> None:
    good = _feed(session, feed_server.route("/good.xml", body=rss(item("1", "A", "http://example.com/a"))))
    bad = _feed(session, feed_server.route("/bad.xml", body=b"<html><body>not a feed</body></html>"))
    missing = _feed(session, feed_server.route("/missing.xml", status=404))
    summary = poll_due(session_factory(session.get_bind()), NOW, settings)  # type: ignore[arg-type]
    assert summary.as_dict() == {"feeds": 3, "ok": 1, "not_modified": 0, "failed": 2, "new_items": 1}
    session.expire_all()
    assert session.get(Feed, good.id).last_ok_at == NOW  # type: ignore[union-attr]
    assert "not a feed" in (session.get(Feed, bad.id).last_error or "")  # type: ignore[union-attr]
    assert "404" in (session.get(Feed, missing.id).last_error or "")  # type: ignore[union-attr]
    # nothing is due any more: a second run polls nothing
    assert poll_due(session_factory(session.get_bind()), NOW, settings).as_dict()["feeds"] == 0  # type: ignore[arg-type]


def test_claim_takes_each_due_feed_once(session: Session, settings: Any) -> None:
    for n in range(5):
        _feed(session, f"http://example.com/{n}.xml")
    first = claim_due_feeds(session, NOW, 3, 600)
    second = claim_due_feeds(session, NOW, 3, 600)
    session.commit()
    assert len(first) == 3 and len(second) == 2 and not set(first) & set(second)
    assert claim_due_feeds(session, NOW, 10, 600) == []
    assert len(claim_due_feeds(session, NOW + timedelta(seconds=601), 10, 600)) == 5  # lease over: due again


def test_same_posting_on_two_job_feeds_is_one_item(session: Session, settings: Any, feed_server: FeedServer) -> None:
    a = _feed(session, feed_server.route("/ja.xml", body=rss(
        item("a1", "Senior Python Engineer at Acme", "http://jobs-a.example/1", "Location: Berlin, Germany"),
        item("a2", "Story", "http://news.example/story?utm_source=a"))), FeedKind.jobs)  # fmt: skip
    b = _feed(session, feed_server.route("/jb.xml", body=rss(
        item("b1", "Acme: Senior Python Engineer", "http://jobs-b.example/99", "Location: Berlin, Germany"),
        item("b2", "Story again", "https://www.news.example/story"))), FeedKind.jobs)  # fmt: skip
    assert _poll(session, a, settings).new == 2
    outcome = _poll(session, b, settings)
    assert (outcome.new, outcome.merged) == (0, 2)
    session.expire_all()
    job = session.scalars(select(Item).where(Item.title == "Senior Python Engineer")).one()
    assert (job.kind, job.company, job.location_raw, job.posted_on) == (ItemKind.job, "Acme", "Berlin, Germany",
                                                                        NOW.date())  # fmt: skip
    assert sorted(s.source_key for s in job.sources) == [feed_source_key(a.id), feed_source_key(b.id)]


def test_pruned_items_leave_tombstones(session: Session, settings: Any, feed_server: FeedServer) -> None:
    feed = _feed(session, feed_server.route("/p.xml", body=rss(item("1", "Old", "http://example.com/old"))))
    assert _poll(session, feed, settings).new == 1
    assert prune_fetched_before(session, NOW + timedelta(days=1), NOW + timedelta(days=1)) == 1
    session.commit()
    assert _count(session, Item) == 0 and _count(session, ItemTombstone) == 1
    assert _poll(session, feed, settings, NOW + timedelta(days=2)).new == 0


def test_published_at_missing_or_future_is_fetch_time(session: Session, settings: Any, feed_server: FeedServer) -> None:
    body = rss(
        "<item><title>No date</title><guid>1</guid></item>",
        item("2", "Future", date="Mon, 23 Mar 2026 09:00:00 GMT"),
        item("3", "Tomorrow-ish", date="Tue, 17 Mar 2026 06:00:00 GMT"),
    )
    feed = _feed(session, feed_server.route("/d.xml", body=body))
    assert _poll(session, feed, settings).new == 3
    got = {i.title: i.published_at for i in session.scalars(select(Item))}
    assert got["No date"] == NOW and got["Future"] == NOW
    assert got["Tomorrow-ish"] == datetime(2026, 3, 17, 6, 0, tzinfo=UTC)


def test_ttl_and_cache_headers_set_the_next_poll(session: Session, settings: Any, feed_server: FeedServer) -> None:
    feed = _feed(session, feed_server.route("/ttl.xml", body=rss(item("1", "A"), ttl="<ttl>180</ttl>"),
                                             headers={"Cache-Control": "max-age=3600"}))  # fmt: skip
    _poll(session, feed, settings)
    assert feed.next_poll_at == NOW + timedelta(minutes=180)


def test_malformed_feed_with_entries_is_ingested_with_its_bozo_reason(
    session: Session, settings: Any, feed_server: FeedServer
) -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken &nbsp; feed</title>'
        + item("1", "Still here", "http://example.com/1").encode()
        + b"<item><title>unclosed"
    )
    feed = _feed(session, feed_server.route("/bozo.xml", body=body))
    outcome = _poll(session, feed, settings)
    assert outcome.status == "ok" and outcome.new >= 1
    assert feed.bozo_reason


def test_hn_who_is_hiring_comments_in_a_job_feed(session: Session, settings: Any, feed_server: FeedServer) -> None:
    comment = (
        "Acme Robotics | Senior Rust Engineer | Berlin, Germany | REMOTE (EU) | Full-time"
        "<p>We build robots &amp; the software that runs them.</p>"
    )
    plain = "Quiet Co | Remote (US) | Full-time<p>Various roles.</p>"
    thread, hn = 'in "Ask HN: Who is hiring? (March 2026)"', "https://news.ycombinator.com/item?id="
    body = rss(
        item("c1", f"New comment by acme {thread}", f"{hn}1", comment),
        item("c2", f"New comment by quiet {thread}", f"{hn}2", plain),
    )
    feed = _feed(session, feed_server.route("/hn.xml", body=body), FeedKind.jobs)
    assert _poll(session, feed, settings).new == 2
    rows = {i.company: i for i in session.scalars(select(Item))}
    acme = rows["Acme Robotics"]
    assert (acme.kind, acme.title, acme.location_raw, acme.remote) == (ItemKind.job, "Senior Rust Engineer",
                                                                       "Berlin, Germany", True)  # fmt: skip
    assert acme.title_raw is not None and acme.title_raw.startswith("Acme Robotics | Senior Rust Engineer")
    assert acme.summary.startswith("Acme Robotics | Senior Rust Engineer") and "robots & the software" in acme.summary
    quiet = rows["Quiet Co"]
    assert quiet.title == "Open roles at Quiet Co" and quiet.remote is True  # no role named: not the raw heading


def test_adding_a_deactivated_feed_again_reactivates_it(
    session: Session, settings: Any, feed_server: FeedServer
) -> None:
    feed = _feed(session, feed_server.route("/back.xml", status=410))
    assert _poll(session, feed, settings).status == "gone" and not feed.active
    feed_server.route("/back.xml", body=rss(item("1", "Back again", "http://example.com/b")))
    again, created = add_feed(session, feed.url, FeedKind.news, NOW + timedelta(days=1))
    session.commit()
    assert not created and again.id == feed.id and again.active and again.deactivated_reason is None
    assert _poll(session, again, settings, NOW + timedelta(days=1)).new == 1


def test_store_entries_for_an_importer_source(session: Session, settings: Any) -> None:
    from digest.ingest.pipeline import store_and_fold
    from digest.sources.entry import Entry
    from digest.sources.identity import import_identity

    def posting(record_id: str, title: str = "Data Engineer", link: str | None = None) -> Entry:
        return Entry(identity=import_identity(record_id), title=title, link=link, summary="SQL and Python",
                     published_at=NOW - timedelta(days=3), kind=ItemKind.job, company="Initech",
                     location_raw="Austin, TX", remote=False)  # fmt: skip

    # three rows with equal values but their own ids: three postings, each with its own source row
    batch = [posting("1"), posting("2"), posting("3", title="ML Engineer")]
    first = store_and_fold(session, "import:jobs.csv", None, batch, NOW)
    assert (first.new_count, first.merged) == (2, 1)  # 1 and 2 are one posting (same title+company+location)
    again = store_and_fold(session, "import:jobs.csv", None, batch, NOW + timedelta(hours=1))
    assert (again.new_count, again.seen) == (0, 3)
    twins = [Entry(identity=import_identity(f"t{i}"), title="Same", link="https://x.example/", summary="same",
                   published_at=NOW) for i in range(3)]  # fmt: skip
    stored = store_and_fold(session, "import:twins", None, twins, NOW)
    assert stored.new_count == 3 and len(set(stored.new)) == 3
    session.commit()
    per_item = session.execute(
        select(ItemSource.item_id, func.count())
        .where(ItemSource.source_key == "import:twins")
        .group_by(ItemSource.item_id)
    ).all()
    assert sorted(n for _, n in per_item) == [1, 1, 1]


def test_oversized_urls_and_validators_do_not_break_the_poll(
    session: Session, settings: Any, feed_server: FeedServer
) -> None:
    long_link = "https://example.com/" + "a" * 3000
    body = rss(item("1", "Long link", long_link), item("2", "Fine", "https://example.com/ok"))
    url = feed_server.route("/long.xml", body=body, headers={"Last-Modified": "x" * 300, "ETag": '"' + "e" * 600 + '"'})
    feed = _feed(session, url)
    outcome = _poll(session, feed, settings)
    assert (outcome.status, outcome.new) == ("ok", 2)
    assert feed.etag is None and feed.last_modified is None
    links = {i.title: i.url for i in session.scalars(select(Item))}
    assert links == {"Long link": None, "Fine": "https://example.com/ok"}
