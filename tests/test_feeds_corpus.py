"""Every file of three public feed test corpora, served over local HTTP, goes through fetch + parse: no
exception escapes, and every document yields the entries feedparser itself finds in it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import feedparser
import pytest

from digest.feeds.fetch import FetchLimits, fetch, make_client
from digest.feeds.parse import FeedParseError, parse_feed
from digest.models import FeedKind
from tests.feedserver import FeedServer

CORPORA = ["feedparser-test-feeds", "feedjira-sample-feeds", "rss-parser-test-feeds"]
FEED_SUFFIXES = {".xml", ".rss", ".atom", ".json", ".rdf"}


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
            oracle = feedparser.parse(result.content, response_headers=result.headers)
            try:
                parsed = parse_feed(result.content, result.headers, result.url, FeedKind.news)
            except FeedParseError:
                counts["rejected"] += 1
                if oracle.entries:
                    mismatches.append(f"{rel}: rejected, feedparser finds {len(oracle.entries)} entries")
                continue
            counts["entries"] += len(parsed.entries)
            counts["bozo"] += parsed.bozo_reason is not None
            if len(parsed.entries) != len(oracle.entries):
                mismatches.append(f"{rel}: {len(parsed.entries)} entries, feedparser {len(oracle.entries)}")
            for e in parsed.entries:
                assert e.title and len(e.identity) == 64
                assert "<script" not in e.summary.lower() and "<script" not in e.title.lower()
    print(f"\n{corpus}: {dict(counts)}")
    assert not mismatches, mismatches[:20]
    assert counts["files"] == len(files)
    if corpus != "feedparser-test-feeds":  # real saved feeds: nearly all yield entries
        assert counts["entries"] > 200
