"""Adding, listing and removing feeds (the admin commands), and loading the bundled default feeds."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.models import Feed, FeedKind


class FeedInputError(ValueError):
    pass


def normalise_feed_url(url: str) -> str:
    """Lower-case scheme and host, no fragment; refuses anything but absolute http(s)."""
    raw = url.strip()
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise FeedInputError(f"not a URL: {url!r}") from None
    host = parts.hostname
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise FeedInputError(f"not an http(s) URL: {url!r}")
    host = f"[{host}]" if ":" in host else host  # hostname is lower-cased, without credentials
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def add_feed(session: Session, url: str, kind: FeedKind, now: datetime, title: str | None = None) -> tuple[Feed, bool]:
    """The feed for `url` (created, due at once, when new). Returns (feed, created)."""
    normal = normalise_feed_url(url)
    existing = session.scalar(select(Feed).where(Feed.url == normal))
    if existing is not None:
        return existing, False
    feed = Feed(url=normal, kind=kind, title=title, created_at=now, next_poll_at=now, active=True)
    session.add(feed)
    session.flush()
    return feed, True


def find_feed(session: Session, ref: str) -> Feed | None:
    """A feed by id or by URL."""
    if ref.isdigit():
        return session.get(Feed, int(ref))
    try:
        normal = normalise_feed_url(ref)
    except FeedInputError:
        return None
    return session.scalar(select(Feed).where(Feed.url == normal))


def remove_feed(session: Session, feed: Feed) -> None:
    """Delete the feed; its items stay (they may have other sources, and digests may have sent them)."""
    session.delete(feed)
    session.flush()


def list_feeds(session: Session) -> list[Feed]:
    return list(session.scalars(select(Feed).order_by(Feed.id)))


@dataclass(frozen=True)
class DefaultFeed:
    url: str
    kind: FeedKind
    title: str
    category: str


def default_feeds() -> list[DefaultFeed]:
    """The bundled list (digest/feeds/data/default_feeds.csv)."""
    text = resources.files("digest.feeds").joinpath("data/default_feeds.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    return [DefaultFeed(r["url"], FeedKind(r["kind"]), r["title"], r["category"]) for r in rows]


def load_default_feeds(session: Session, now: datetime) -> tuple[int, int]:
    """Add every bundled feed not already present (removed ones stay removed only until the next init).
    Returns (added, total)."""
    added = 0
    bundled = default_feeds()
    for d in bundled:
        _, created = add_feed(session, d.url, d.kind, now, d.title)
        added += created
    return added, len(bundled)
