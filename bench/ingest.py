"""Ingest throughput: parse + identity + clean text + store of a 200-item RSS feed and a 200-item Atom feed on
SQLite, against plain `feedparser.parse` (default options) on the same documents, in the same run.

    .venv/bin/python -m bench.ingest [--rounds N]

Target: at least 2.5x plain feedparser's items/s end to end.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser

ITEMS = 200
TARGET = 2.5
NOW = datetime(2026, 3, 16, 12, 0, tzinfo=UTC)
SUMMARY = (
    "<p>We are looking for an engineer to join the <b>platform</b> team working on "
    '<a href="/stack">Kubernetes</a>, PostgreSQL and Python services. You will design APIs, '
    "run large-scale distributed systems and mentor others &amp; help shape our roadmap.</p>"
    "<ul><li>5+ years of experience with Go or Rust</li><li>Terraform &amp; AWS</li>"
    "<li>Observability with Prometheus</li></ul><p>Remote within Europe. Competitive salary &amp; equity.</p>"
)


def rss_doc(run: int) -> bytes:
    items = "".join(
        f"<item><title>Senior Platform Engineer #{i} &amp; friends</title>"
        f"<link>https://example.com/r{run}/posts/{i}?utm_source=rss</link>"
        f'<guid isPermaLink="false">r{run}-{i}</guid>'
        f"<pubDate>Mon, 16 Mar 2026 {i % 24:02d}:{i % 60:02d}:00 GMT</pubDate>"
        f"<category>engineering</category><description><![CDATA[{SUMMARY}]]></description></item>"
        for i in range(ITEMS)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bench RSS</title>'
        f"<link>https://example.com/</link><description>bench</description>{items}</channel></rss>"
    ).encode()


def atom_doc(run: int) -> bytes:
    entries = "".join(
        f"<entry><title>Distributed systems note {i}</title>"
        f'<link rel="alternate" href="https://blog.example.org/a{run}/{i}"/>'
        f"<id>tag:blog.example.org,2026:a{run}-{i}</id>"
        f"<updated>2026-03-16T{i % 24:02d}:{i % 60:02d}:00Z</updated>"
        f'<author><name>Author {i}</name></author><summary type="html">{_escape(SUMMARY)}</summary></entry>'
        for i in range(ITEMS)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Bench Atom</title><id>tag:blog.example.org,2026:feed</id><updated>2026-03-16T12:00:00Z</updated>"
        f'<link rel="alternate" href="https://blog.example.org/"/>{entries}</feed>'
    ).encode()


def _escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument(
        "--with-indexing",
        action="store_true",
        help="include digest.indexing.index_new_items (skill matching and demand rollups, other areas' cost)",
    )
    args = ap.parse_args()
    if not args.with_indexing:
        import digest.feeds.ingest

        digest.feeds.ingest.index_new_items = lambda session, items, now: None  # type: ignore[assignment]

    from digest.db import make_engine, migrate, session_factory
    from digest.feeds.ingest import feed_source_key, store_entries
    from digest.feeds.parse import parse_feed
    from digest.models import Feed, FeedKind

    tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    with sessions() as s:
        feeds = {
            name: Feed(url=f"https://example.com/{name}", kind=FeedKind.news, created_at=NOW)
            for name in ("rss", "atom")
        }
        s.add_all(feeds.values())
        s.commit()
        feed_ids = {name: f.id for name, f in feeds.items()}

    headers = {"rss": {"content-type": "application/rss+xml"}, "atom": {"content-type": "application/atom+xml"}}
    makers = {"rss": rss_doc, "atom": atom_doc}
    ours: dict[str, list[float]] = {"rss": [], "atom": []}
    plain: dict[str, list[float]] = {"rss": [], "atom": []}
    # warm up (imports, caches, first SQLite pages) on documents that are not measured
    for name in ("rss", "atom"):
        feedparser.parse(makers[name](10_000), response_headers=headers[name])
    for r in range(args.rounds):
        for name in ("rss", "atom"):
            doc = makers[name](r)
            t0 = time.perf_counter()
            feedparser.parse(doc, response_headers=headers[name])
            plain[name].append(ITEMS / (time.perf_counter() - t0))

            t0 = time.perf_counter()
            with sessions() as s:
                parsed = parse_feed(doc, headers[name], f"https://example.com/{name}", FeedKind.news)
                res = store_entries(
                    s, feed_source_key(feed_ids[name]), feed_ids[name], parsed.entries, NOW + timedelta(minutes=r)
                )
                s.commit()
            ours[name].append(ITEMS / (time.perf_counter() - t0))
            assert res.new_count == ITEMS, (name, res.new_count, res.seen, res.merged)

    hook = "included" if args.with_indexing else "excluded (--with-indexing to include)"
    print(f"ingest benchmark: {ITEMS}-item feeds, {args.rounds} rounds each, SQLite, median items/s")
    print(f"  indexing hook (skills, demand rollups): {hook}")
    ratios = []
    for name in ("rss", "atom"):
        o, p = statistics.median(ours[name]), statistics.median(plain[name])
        ratios.append(o / p)
        print(f"  {name:<5} digest (parse+identity+clean+store) {o:8.0f}/s   plain feedparser.parse {p:8.0f}/s"
              f"   ratio {o / p:4.2f}x")  # fmt: skip
    overall = statistics.mean(ratios)
    verdict = "meets" if overall >= TARGET else "BELOW"
    print(f"  overall ratio {overall:4.2f}x   target >= {TARGET:.1f}x   ({verdict} target)")
    engine.dispose()


if __name__ == "__main__":
    main()
