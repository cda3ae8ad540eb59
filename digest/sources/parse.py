"""Feed bytes to Entries: feedparser (RSS 0.9x/1.0/2.0, Atom 0.3/1.0; not JSON Feed, which feedparser 6.0 cannot
read) with its HTML sanitiser and relative-URI pass off (we reduce all HTML to text ourselves, so they only cost
time), then identity, clean text and, for job feeds, the job adapters."""

from __future__ import annotations

import calendar
import email.utils
import functools
import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import feedparser

from digest.sources.clean import html_to_text, safe_url, truncate
from digest.sources.entry import Entry
from digest.sources.fastparse import parse_fast
from digest.sources.identity import IdentityInput, identities
from digest.sources.jobs import display_title, parse_hn_post, parse_job_entry
from digest.store.models import FeedKind, ItemKind

TITLE_MAX = 500
_EXTRA_KEYS = ("location", "region", "country", "city", "company")


class FeedParseError(Exception):
    """The document yielded no feed at all."""


@dataclass
class ParsedFeed:
    title: str | None
    link: str | None
    ttl_minutes: int | None
    bozo_reason: str | None
    entries: list[Entry] = field(default_factory=list)
    guids_repeat: bool = False
    version: str = ""


def _fast_date(value: str) -> time.struct_time | None:
    """ISO 8601 and RFC 822 dates with an explicit offset, without feedparser's chain of regular expressions;
    anything else (no offset, zone names, odd formats) returns None and feedparser's own handlers decide."""
    text = value.strip()
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        parts = email.utils.parsedate_tz(text)
        if parts is None or parts[9] is None:
            return None
        try:
            dt = datetime(*parts[:6], tzinfo=timezone(timedelta(seconds=parts[9])))
        except (ValueError, OverflowError):
            return None
    if dt.tzinfo is None:
        return None
    try:
        return dt.astimezone(UTC).timetuple()
    except (OverflowError, ValueError):
        return None


def _tune_feedparser() -> None:
    feedparser.registerDateHandler(_fast_date)  # public API: tried before the built-in handlers
    # feedparser joins xml:base for every element it opens; the joins are pure functions of two strings and
    # repeat for every item, so memoising them saves a quarter of its time without changing any result.
    mixin: Any = getattr(feedparser, "mixin", None)
    for name in ("_urljoin", "make_safe_absolute_uri"):
        fn = getattr(mixin, name, None)
        if callable(fn) and not hasattr(fn, "cache_info"):
            setattr(mixin, name, functools.lru_cache(maxsize=4096)(fn))


_tune_feedparser()


def parse_bytes(data: bytes, headers: Mapping[str, str], url: str, fast: bool = True) -> Any:
    """feedparser on bytes we fetched ourselves (never a URL or a path); the fast path first when allowed."""
    response_headers = {k.lower(): v for k, v in headers.items()}
    response_headers.setdefault("content-location", url)
    if fast and (result := parse_fast(data, response_headers)) is not None:
        return result
    return feedparser.parse(data, response_headers=response_headers, sanitize_html=False, resolve_relative_uris=False)


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def _body(entry: Any) -> str:
    content = entry.get("content")
    if content:
        values = [c.get("value") or "" for c in content]
        best = max(values, key=len)
        if best:
            return str(best)
    return str(entry.get("summary") or entry.get("description") or "")


def _text_type(detail: Any) -> bool:
    return bool(detail) and str(detail.get("type", "")).startswith("text/plain")


def to_entries(parsed: Any, kind: FeedKind, summary_max: int = 1000) -> tuple[list[Entry], bool]:
    raw_entries = list(parsed.get("entries") or [])
    inputs: list[IdentityInput] = []
    bodies: list[str] = []
    for e in raw_entries:
        body = _body(e)
        bodies.append(body)
        guid = e.get("id") or None
        link = e.get("link") or None
        inputs.append(IdentityInput(str(guid) if guid else None, link, e.get("title"), body))
    idents, repeats = identities(inputs)
    out: list[Entry] = []
    for e, body, ident in zip(raw_entries, bodies, idents, strict=True):
        raw_title = str(e.get("title") or "")
        title = html_to_text(raw_title, TITLE_MAX)
        # skills are matched in the whole text (bounded by the fetch cap); the summary is what is shown
        text = html_to_text(body)
        summary = truncate(text, summary_max)
        link = safe_url(e.get("link"))
        entry = Entry(
            identity=ident,
            title=title,
            link=link,
            summary=summary,
            text=text,
            published_at=_when(e),
            content_hash=hashlib.sha256(f"{raw_title}\n{body}".encode("utf-8", "surrogatepass")).hexdigest(),
        )
        if kind == FeedKind.jobs:
            _apply_job_fields(entry, e, body)
        if not entry.title:
            entry.title = truncate(entry.summary, 120) if entry.summary else (link or "(untitled)")
        out.append(entry)
    return out, repeats


def _apply_job_fields(entry: Entry, raw: Any, body: str) -> None:
    entry.kind = ItemKind.job
    first_line = html_to_text(body.split("<p>", 1)[0][:600])
    from_hn = "news.ycombinator.com/item" in (entry.link or "") and entry.title.lower().startswith("new comment")
    if (from_hn or first_line.count("|") >= 2) and not entry.title.count("|"):
        fields = parse_hn_post(body)  # a Hacker News "Who is hiring" comment carried by a feed
        # the feed's title is "New comment by ...": the comment's first line is the posting's heading
        entry.title_raw = truncate(fields.first_line, 500) or None
        if not fields.title and fields.first_line:
            entry.title = display_title(fields)
    else:
        tags = [str(t.get("term") or "") for t in raw.get("tags") or []]
        extra = {
            k: html_to_text(str(v), 200)
            for k, v in raw.items()
            if isinstance(v, str) and any(x in k.lower() for x in _EXTRA_KEYS)
        }
        fields = parse_job_entry(entry.title, entry.summary, tags, extra)
    entry.title_raw = entry.title_raw or entry.title or fields.first_line or None
    entry.title = display_title(fields) or entry.title  # "Open roles at Sesame" when the heading names no role
    entry.company = fields.company
    entry.location_raw = fields.location_raw
    entry.remote = fields.remote


def _html_page(data: bytes, headers: Mapping[str, str]) -> bool:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    start = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return content_type.lower().startswith(("text/html", "application/xhtml")) or start.startswith(
        (b"<!doctype html", b"<html")
    )


def parse_feed(
    data: bytes, headers: Mapping[str, str], url: str, kind: FeedKind, summary_max: int = 1000, fast: bool = True
) -> ParsedFeed:
    """Parse and convert. A malformed document that still yields entries is fine (its bozo reason is kept);
    one that yields nothing raises FeedParseError."""
    try:
        parsed = parse_bytes(data, headers, url, fast)
    except Exception as exc:  # feedparser is tolerant, but a hostile document must not take the poll down
        raise FeedParseError(f"unparseable: {type(exc).__name__}: {exc}") from None
    bozo_reason = None
    if parsed.get("bozo"):
        problem = parsed.get("bozo_exception")
        bozo_reason = f"{type(problem).__name__}: {problem}" if problem else "malformed"
    entries, repeats = to_entries(parsed, kind, summary_max)
    feed = parsed.get("feed") or {}
    if bozo_reason and not entries:
        if _html_page(data, headers):  # the usual mistake: a site's page added where its feed's address belongs
            raise FeedParseError("not a feed but an HTML page: add the address of the site's RSS or Atom feed")
        raise FeedParseError(f"not a feed: {bozo_reason}")
    ttl: int | None = None
    raw_ttl = str(feed.get("ttl") or "").strip()
    if raw_ttl.isdigit():
        ttl = int(raw_ttl)
    return ParsedFeed(
        title=html_to_text(str(feed.get("title") or ""), TITLE_MAX) or None,
        link=safe_url(feed.get("link")),
        ttl_minutes=ttl,
        bozo_reason=bozo_reason,
        entries=entries,
        guids_repeat=repeats,
        version=str(parsed.get("version") or ""),
    )
