"""Every file of three public feed test corpora, served over local HTTP, goes through fetch + parse: no
exception escapes, and every document yields the entries feedparser itself finds in it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import feedparser
import pytest

from digest.feeds.entry import Entry
from digest.feeds.fastparse import parse_fast
from digest.feeds.fetch import FetchLimits, FetchResult, fetch, make_client
from digest.feeds.parse import FeedParseError, parse_feed
from digest.models import FeedKind
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
