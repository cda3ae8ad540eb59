"""Every file of three public feed test corpora, served over local HTTP, goes through fetch + parse: no
exception escapes, and every document yields the entries feedparser itself finds in it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import feedparser
import pytest

from digest.sources.entry import Entry
from digest.sources.fastparse import parse_fast
from digest.sources.fetch import FetchLimits, FetchResult, fetch, make_client
from digest.sources.parse import FeedParseError, parse_feed
from digest.store.models import FeedKind
from tests.feedserver import FeedServer

CORPORA = ["feedparser-test-feeds", "feedjira-sample-feeds", "rss-parser-test-feeds"]
FEED_SUFFIXES = {".xml", ".rss", ".atom", ".json", ".rdf"}


def _fields(e: Entry) -> tuple[object, ...]:
    return (e.identity, e.title, e.link, e.summary, e.published_at, e.company, e.location_raw, e.remote)


def _entries(result: FetchResult, kind: FeedKind, fast: bool) -> list[Entry]:
    return parse_feed(result.content, result.headers, result.url, kind, fast=fast).entries


@pytest.mark.parametrize("corpus", CORPORA)
def test_every_corpus_file_is_fetched_and_parsed(corpus: str, shared_data: Path) -> None:
    root = shared_data / corpus
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in FEED_SUFFIXES)
    assert files, f"no feed files under {root}"
    counts: Counter[str] = Counter()
    mismatches: list[str] = []
    limits = FetchLimits(allow_private=True)
    with FeedServer() as server, make_client(limits) as client:
        server.mount("/c", root)
        for path in files:
            rel = path.relative_to(root).as_posix()
            result = fetch(client, server.url(f"/c/{rel}"), limits)
            counts["files"] += 1
            # the oracle: feedparser itself, default options (its sanitiser does not change what entries exist)
            oracle = len(feedparser.parse(result.content, response_headers=result.headers).entries)
            try:
                parsed = parse_feed(result.content, result.headers, result.url, FeedKind.news)
            except FeedParseError:
                counts["rejected"] += 1
                if oracle:
                    mismatches.append(f"{rel}: rejected, feedparser finds {oracle} entries")
                continue
            counts["entries"] += len(parsed.entries)
            counts["bozo"] += parsed.bozo_reason is not None
            if len(parsed.entries) != oracle:
                mismatches.append(f"{rel}: {len(parsed.entries)} entries, feedparser {oracle}")
            for e in parsed.entries:
                assert e.title and len(e.identity) == 64
                assert "<script" not in e.summary.lower() and "<script" not in e.title.lower()
            headers = {**result.headers, "content-location": result.headers.get("content-location", result.url)}
            if parse_fast(result.content, headers) is None:
                continue
            # the fast path took it: feedparser must give the very same entries, for news and for jobs
            counts["fast_path"] += 1
            for kind in (FeedKind.news, FeedKind.jobs):
                got = parsed.entries if kind == FeedKind.news else _entries(result, kind, fast=True)
                want = _entries(result, kind, fast=False)
                if list(map(_fields, got)) != list(map(_fields, want)):
                    diff = [(a, b) for a, b in zip(map(_fields, got), map(_fields, want), strict=False) if a != b]
                    mismatches.append(f"{rel}: fast path differs from feedparser ({kind}): {diff[:1] or 'count'}")
    print(f"\n{corpus}: {dict(counts)}")
    assert not mismatches, mismatches[:20]
    assert counts["files"] == len(files)
    if corpus != "feedparser-test-feeds":  # real saved feeds: nearly all yield entries
        assert counts["entries"] > 200


RICH_RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:media="http://search.yahoo.com/mrss/" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>Rich &amp; varied</title><link>https://example.com/</link><ttl>90</ttl>
<item><enclosure url="https://cdn.example.com/a.mp3" length="1" type="audio/mpeg"/><title>Enclosure first</title>
 <link>/relative/one</link><guid>/relative/one</guid><pubDate>Mon, 16 Mar 2026 10:00:00 +0200</pubDate>
 <author>a@example.com (A)</author><comments>https://example.com/c</comments><category>Go</category>
 <category>Berlin, Germany</category><dc:creator>Ann</dc:creator><media:thumbnail url="https://x/t.png"/>
 <itunes:duration>10:00</itunes:duration><description>Short &lt;b&gt;one&lt;/b&gt;</description>
 <content:encoded><![CDATA[<p>Longer <em>body</em> &amp; more</p><script>x()</script>]]></content:encoded></item>
<item><title>Permalink guid only</title><guid>https://example.com/p/2</guid><dc:date>2026-03-15T08:30:00Z</dc:date></item>
<item><title>Opaque guid</title><guid isPermaLink="false">tag:2</guid><link>https://EXAMPLE.com/p/3?utm_source=x#top</link></item>
<item><title>  Spaces   and &amp;amp; entities  </title><link>https://example.com/p/4</link></item>
</channel></rss>"""

RICH_ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">Atom &amp;amp; co</title><id>urn:feed</id>
<link rel="self" href="https://example.org/feed.xml"/><link href="https://example.org/"/>
<updated>2026-03-16T12:00:00Z</updated>
<entry><id>https://example.org/e/1</id><title type="html">&lt;b&gt;Bold&lt;/b&gt; title</title>
 <link rel="enclosure" href="https://cdn.example.org/1.mp3"/><link rel="alternate" type="text/html" href="/e/1"/>
 <link rel="related" href="https://other.example/"/><published>2026-03-16T09:00:00+01:00</published>
 <updated>2026-03-16T11:00:00Z</updated><author><name>B</name></author><category term="rust"/>
 <summary>Plain summary with a &lt;tag&gt;</summary>
 <content type="html">&lt;p&gt;HTML content&lt;/p&gt;</content></entry>
<entry><id>urn:uuid:2</id><title>No link at all</title><updated>2026-03-14T00:00:00Z</updated></entry>
<entry><id>relative-id</id><title>Relative id</title><link href="https://example.org/e/3"/>
 <link href="https://example.org/e/3-second"/></entry>
</feed>"""


@pytest.mark.parametrize(("doc", "ctype"), [(RICH_RSS, "application/rss+xml"), (RICH_ATOM, "application/atom+xml")])
def test_fast_path_matches_feedparser_on_rich_documents(doc: bytes, ctype: str) -> None:
    headers = {"content-type": ctype}
    url = "https://example.com/feeds/main.xml"
    assert parse_fast(doc, {**headers, "content-location": url}) is not None  # the fast path takes these
    for kind in (FeedKind.news, FeedKind.jobs):
        fast = parse_feed(doc, headers, url, kind)
        slow = parse_feed(doc, headers, url, kind, fast=False)
        assert slow.bozo_reason is None and len(fast.entries) >= 3
        assert list(map(_fields, fast.entries)) == list(map(_fields, slow.entries))
        assert (fast.title, fast.link, fast.ttl_minutes) == (slow.title, slow.link, slow.ttl_minutes)
