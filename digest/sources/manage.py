"""Adding, listing and removing feeds (the admin commands), and loading the bundled default feeds."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.sources.clean import URL_MAX, truncate
from digest.store.models import Feed, FeedKind


class FeedInputError(ValueError):
    pass


def normalise_feed_url(url: str) -> str:
    """Lower-case scheme and host, no fragment; refuses anything but absolute http(s)."""
    raw = url.strip()
    shown = truncate(raw, 100)
    if len(raw) > URL_MAX:
        raise FeedInputError(f"a URL of at most {URL_MAX:,} characters, not {len(raw):,}: {shown!r}")
    try:
        parts = urlsplit(raw)
        port = parts.port
        if any(c.isspace() or not c.isprintable() for c in raw):
            raise ValueError("spaces or control characters")
        (parts.hostname or "").encode("idna")  # a label empty or over 63 characters is no host name
    except (ValueError, UnicodeError):
        raise FeedInputError(f"not a URL: {shown!r}") from None
    host = parts.hostname
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise FeedInputError(f"not an http(s) URL: {shown!r}")
    host = f"[{host}]" if ":" in host else host  # hostname is lower-cased, without credentials
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def check_feed_address(url: str, allow_private: bool) -> None:
    """FeedInputError, at once, for a feed the poller would never fetch: its host resolves to a private
    address (without DIGEST_FEEDS_ALLOW_PRIVATE) or to a link-local or cloud-metadata one (ever). A host that
    does not resolve now passes: the poller retries it."""
    from digest.sources.addresses import BlockedAddress, FetchError, resolve_checked

    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        resolve_checked(parts.hostname or "", port, allow_private)
    except BlockedAddress as exc:
        hint = (
            "such addresses are never polled, whatever DIGEST_FEEDS_ALLOW_PRIVATE says"
            if allow_private
            else "set DIGEST_FEEDS_ALLOW_PRIVATE=1 to poll intranet feeds"
        )
        raise FeedInputError(f"{exc}: {hint}") from None
    except FetchError:
        pass


def add_feed(
    session: Session,
    url: str,
    kind: FeedKind,
    now: datetime,
    title: str | None = None,
    allow_private: bool | None = None,
) -> tuple[Feed, bool]:
    """The feed for `url` (created, due at once, when new; reactivated when it was deactivated).
    With `allow_private` (the setting), an address the poller would refuse is refused now (FeedInputError).
    Returns (feed, created)."""
    normal = normalise_feed_url(url)
    if allow_private is not None:
        check_feed_address(normal, allow_private)
    existing = session.scalar(select(Feed).where(Feed.url == normal))
    if existing is not None:
        if not existing.active:  # adding a deactivated feed again gives it another chance
            existing.active, existing.deactivated_reason = True, None
            existing.next_poll_at, existing.consecutive_failures, existing.failing_since = now, 0, None
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


REMOVED = "removed by admin"


def remove_feed(session: Session, feed: Feed) -> None:
    """Stop polling the feed. A bundled default feed is kept, inactive, so `digest init` does not bring it back;
    any other feed is deleted. Items stay either way (other sources, sent digests)."""
    if feed.url in {normalise_feed_url(d.url) for d in default_feeds()}:
        feed.active, feed.deactivated_reason, feed.next_poll_at = False, REMOVED, None
    else:
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
    """The bundled list (digest/sources/data/default_feeds.csv)."""
    text = resources.files("digest.sources").joinpath("data/default_feeds.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    return [DefaultFeed(r["url"], FeedKind(r["kind"]), r["title"], r["category"]) for r in rows]


def load_default_feeds(session: Session, now: datetime) -> tuple[int, int]:
    """Add every bundled feed not present yet (a removed or deactivated one stays as it is).
    Returns (added, total)."""
    bundled = default_feeds()
    present = set(session.scalars(select(Feed.url)))
    added = 0
    for d in bundled:
        url = normalise_feed_url(d.url)
        if url not in present:
            session.add(Feed(url=url, kind=d.kind, title=d.title, created_at=now, next_poll_at=now, active=True))
            present.add(url)
            added += 1
    session.flush()
    return added, len(bundled)
