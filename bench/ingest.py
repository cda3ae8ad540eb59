"""Ingest throughput: parse + identity + clean text + store of a 200-item RSS feed and a 200-item Atom feed on
SQLite, against plain `feedparser.parse` (default options) on the same documents, in the same run.

    .venv/bin/python -m bench.ingest [--rounds N] [--with-indexing] [--smoke]

Target: at least 2.5x plain feedparser's items/s end to end.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument(
        "--with-indexing",
        action="store_true",
        help="include digest.ingest.indexing.index_new_items (skill matching and demand rollups, other areas' cost)",
    )
    ap.add_argument("--smoke", action="store_true", help="two rounds: seconds")
    args = ap.parse_args()
    if args.smoke:
        args.rounds = 2
    if not args.with_indexing:  # the taxonomy (matching, titles, metros) and the demand rollups stubbed out
        import digest.ingest.pipeline
        from digest.taxonomy.link import Resolution

        def resolve_new(session: Any, rows: Any, now: Any) -> list[Resolution]:
            return [Resolution([], {}) for _ in rows]

        digest.ingest.pipeline.resolve_new = resolve_new  # type: ignore[assignment]
        digest.ingest.pipeline.index_new_items = lambda session, ids, rows, resolutions: []  # type: ignore[assignment]

    from digest.ingest.pipeline import feed_source_key, store_and_fold
    from digest.sources.parse import parse_feed
    from digest.store.engine import make_engine, migrate, session_factory
    from digest.store.models import Feed, FeedKind

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
    # CPU time too: on a shared machine other processes stretch wall time, not this process's CPU time
    ours_cpu: dict[str, list[float]] = {"rss": [], "atom": []}
    plain_cpu: dict[str, list[float]] = {"rss": [], "atom": []}
    # warm up (imports, caches, first SQLite pages) on documents that are not measured
    for name in ("rss", "atom"):
        feedparser.parse(makers[name](10_000), response_headers=headers[name])
    for r in range(args.rounds):
        for name in ("rss", "atom"):
            doc = makers[name](r)
            t0, c0 = time.perf_counter(), time.process_time()
            feedparser.parse(doc, response_headers=headers[name])
            plain[name].append(ITEMS / (time.perf_counter() - t0))
            plain_cpu[name].append(ITEMS / (time.process_time() - c0))

            t0, c0 = time.perf_counter(), time.process_time()
            with sessions() as s:
                parsed = parse_feed(doc, headers[name], f"https://example.com/{name}", FeedKind.news)
                res = store_and_fold(
                    s, feed_source_key(feed_ids[name]), feed_ids[name], parsed.entries, NOW + timedelta(minutes=r)
                )
                s.commit()
            ours[name].append(ITEMS / (time.perf_counter() - t0))
            ours_cpu[name].append(ITEMS / (time.process_time() - c0))
            assert res.new_count == ITEMS, (name, res.new_count, res.seen, res.merged)

    hook = "included" if args.with_indexing else "excluded (--with-indexing to include)"
    print(f"ingest benchmark: {ITEMS}-item feeds, {args.rounds} rounds each, SQLite, median items/s")
    print(f"  indexing hook (skills, demand rollups): {hook}")
    ratios = []
    for name in ("rss", "atom"):
        o, p = statistics.median(ours[name]), statistics.median(plain[name])
        ratios.append(o / p)
        cpu = statistics.median(ours_cpu[name]) / statistics.median(plain_cpu[name])
        print(f"  {name:<5} digest (parse+identity+clean+store) {o:8.0f}/s   plain feedparser.parse {p:8.0f}/s"
              f"   ratio {o / p:4.2f}x   (CPU-time ratio {cpu:4.2f}x)")  # fmt: skip
    overall = statistics.mean(ratios)
    verdict = "meets" if overall >= TARGET else "BELOW"
    print(f"  overall ratio {overall:4.2f}x   target >= {TARGET:.1f}x   ({verdict} target)")
    with sessions() as s:
        rate = _store_batches(s, args.rounds)
    print(f"  store_entries alone, 1,000-posting job batches (the importer's path): {rate:8.0f} postings/s")
    engine.dispose()


def _store_batches(session: Any, rounds: int) -> float:
    """Median postings/s of store_and_fold on 1,000 job entries per batch (identity, dedupe, insert, commit)."""
    from digest.ingest.pipeline import store_and_fold
    from digest.sources.entry import Entry
    from digest.sources.identity import import_identity
    from digest.store.models import ItemKind

    rates = []
    for r in range(rounds):
        entries = [
            Entry(
                identity=import_identity(f"b{r}-{i}"),
                title=f"Senior Engineer {r}-{i}",
                link=f"https://jobs.example.com/b{r}/{i}",
                summary="Python, Kubernetes and PostgreSQL; remote in Europe.",
                published_at=NOW - timedelta(days=i % 60),
                kind=ItemKind.job,
                company=f"Company {i % 300}",
                location_raw=["Berlin, Germany", "Remote", "New York, NY"][i % 3],
                remote=i % 3 == 1,
            )
            for i in range(1000)
        ]
        t0 = time.perf_counter()
        store_and_fold(session, f"import:bench-{r}", None, entries, NOW)
        session.commit()
        rates.append(len(entries) / (time.perf_counter() - t0))
    return statistics.median(rates)


if __name__ == "__main__":
    main()
