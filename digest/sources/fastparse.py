"""A fast path for the common case: a well-formed RSS 2.0 or Atom 1.0 document with nothing unusual in it.

feedparser handles every format and every malformed document, but it runs Python code for each XML event, which
caps ingest near 3,000 items/s. This path reads the same documents with ElementTree (C) and produces the same
fields feedparser would, under feedparser's own rules (guid as link, relative URIs joined with its function,
last alternate link wins, whitespace stripped). Anything it is not sure of returns None and feedparser parses
the document: a DOCTYPE (entities), xml:base, xhtml content, inline markup, unknown encodings, a non-XML content
type, other formats or versions, any XML error. tests/test_feeds_corpus.py checks the two agree on every
document of three public test corpora that this path accepts.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from feedparser.datetimes import _parse_date
from feedparser.urls import _urljoin, make_safe_absolute_uri

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC_DATE = "{http://purl.org/dc/elements/1.1/}date"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
# children that feedparser keeps under names we never read: safe to skip
_MEDIA = "{http://search.yahoo.com/mrss/}"
_ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
_RSS_IGNORED = {
    "author", "comments", "enclosure", DC_CREATOR, "{http://wellformedweb.org/CommentAPI/}commentRss",
    "{http://purl.org/rss/1.0/modules/slash/}comments", "{http://purl.org/syndication/thread/1.0}total",
    "{http://rssnamespace.org/feedburner/ext/1.0}origLink", _MEDIA + "thumbnail", _MEDIA + "content",
    _ITUNES + "author", _ITUNES + "duration", _ITUNES + "explicit", _ITUNES + "episodeType", _ITUNES + "image",
    _ITUNES + "episode", _ITUNES + "season",
}  # fmt: skip
_RSS_SINGLE = {"title", "link", "guid", "description", CONTENT_ENCODED, "pubDate", DC_DATE}
_ATOM_IGNORED = {ATOM + "author", ATOM + "contributor", ATOM + "rights"}
_ATOM_SINGLE = {ATOM + n for n in ("id", "title", "summary", "content", "published", "updated")}
_ATOM_TEXT_TYPES = {"text", "html", "text/html", "text/plain"}
# C1 controls, raw or as character references: cp1252 or double-encoded text, which feedparser repairs
_C1_IN_UTF8 = re.compile(rb"\xc2[\x80-\x9f]|&#(?:12[89]|1[3-5]\d|0*[xX]0*[89][0-9a-fA-F]);")
_XML_TYPES = re.compile(r"^(application|text)/([\w.+-]*\+)?xml$|^application/(rss|atom)\+xml$")
_DECLARED = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([\w.:-]+)[\"']")
_UTF8 = {"utf-8", "utf8"}
_RSS_HANDLED = _RSS_SINGLE | {"category"}
_ATOM_HANDLED = _ATOM_SINGLE | {ATOM + "link", ATOM + "category"}


# an absolute http(s) URL that urllib's urljoin returns unchanged (no empty query, fragment or params)
_PLAIN_ABSOLUTE = re.compile(r"^https?://[^/\s?#;@\\]+(?:/[^\s?#;\\]*)?(?:\?[^\s#;\\]+)?$")


def _join(base: str, uri: str) -> str:
    """feedparser's URI join (its own function), skipped for URLs it would return unchanged."""
    return uri if _PLAIN_ABSOLUTE.match(uri) else str(_urljoin(base, uri))


class _Unsure(Exception):
    pass


def parse_fast(data: bytes, headers: Mapping[str, str]) -> dict[str, Any] | None:
    """feedparser-shaped result ({feed, entries, bozo, version}) or None when feedparser should decide."""
    head = data[:4096]
    if b"<!DOCTYPE" in head or b"<!ENTITY" in data or b"xml:base" in data:
        return None
    content_type = (headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type and not _XML_TYPES.match(content_type):
        return None
    declared = _DECLARED.match(head)
    encoding = declared[1].decode("ascii").lower() if declared else "utf-8"
    charset = re.search(r"charset=[\"']?([\w.:-]+)", headers.get("content-type") or "", re.IGNORECASE)
    if encoding not in _UTF8 or (charset and charset[1].lower() not in _UTF8):
        return None  # feedparser's encoding rules (RFC 3023, sniffing, fallbacks) are not worth repeating
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or _C1_IN_UTF8.search(data):
        return None
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, ValueError):
        return None
    base = make_safe_absolute_uri(headers.get("content-location", "")) or ""
    try:
        if root.tag == "rss" and root.get("version", "").strip() in ("2.0", "2.0.1"):
            result = _rss(root, base)
        elif root.tag == ATOM + "feed":
            result = _atom(root, base)
        else:
            return None
    except _Unsure:
        return None
    return result if result["entries"] else None  # nothing found: let feedparser look harder


def _check_children(elem: ET.Element, single: set[str], handled: set[str], ignored: set[str]) -> None:
    seen: set[str] = set()
    for child in elem:
        tag = child.tag
        if not isinstance(tag, str) or (tag not in handled and tag not in ignored):
            raise _Unsure(f"unexpected element {tag!r}")
        if tag in ignored and len(child) and not tag.startswith(ATOM):
            raise _Unsure(f"{tag} with children")  # feedparser reads nested elements into the entry
        if tag in single:
            if tag in seen:
                raise _Unsure(f"repeated {tag}")
            seen.add(tag)


def _text(elem: ET.Element | None) -> str | None:
    if elem is None:
        return None
    if len(elem):
        raise _Unsure("inline markup")
    return (elem.text or "").strip()


def _date(value: str | None) -> Any:
    return _parse_date(value) if value else None


def _rss(root: ET.Element, base: str) -> dict[str, Any]:
    channel = root.find("channel")
    if channel is None or root.find("item") is not None or root.find(ATOM + "entry") is not None:
        raise _Unsure("unusual layout")
    entries = []
    for item in channel.iter("item"):
        _check_children(item, _RSS_SINGLE, _RSS_HANDLED, _RSS_IGNORED)
        e: dict[str, Any] = {}
        guid_link = False
        tags: list[dict[str, str]] = []
        for child in item:
            tag = child.tag
            if tag == "title":
                e["title"] = _text(child)
            elif tag == "link":
                value = _text(child)
                e["link"] = _join(base, value) if value else value
            elif tag == "guid":
                value = _text(child) or ""
                guid_link = child.get("isPermaLink", "true") == "true"  # feedparser compares exactly
                e["id"] = _join(base, value) if guid_link and value else value
            elif tag == "description":
                e["summary"] = _text(child)
            elif tag == CONTENT_ENCODED:
                e["content"] = [{"value": _text(child)}]
            elif tag == "pubDate":
                e["published_parsed"] = _date(_text(child))
            elif tag == DC_DATE:
                e["updated_parsed"] = _date(_text(child))
            elif tag == "category":
                tags.append({"term": _text(child) or ""})
        if guid_link and e.get("id") and "link" not in e:
            e["link"] = e["id"]
        if tags:
            e["tags"] = tags
        entries.append(e)
    feed = {
        "title": _text(channel.find("title")),
        "link": _text(channel.find("link")),
        "ttl": _text(channel.find("ttl")),
    }
    return {"feed": feed, "entries": entries, "bozo": False, "version": "rss20"}


def _atom_text(elem: ET.Element | None) -> str | None:
    if elem is None:
        return None
    if elem.get("type", "text").lower() not in _ATOM_TEXT_TYPES or len(elem) or elem.get("src") or elem.get("mode"):
        raise _Unsure("xhtml, base64 or out-of-line content")
    return (elem.text or "").strip()


def _atom_link(elem: ET.Element, base: str) -> str | None:
    rel = elem.get("rel", "alternate")
    kind = elem.get("type", "text/html")
    href = elem.get("href")
    if href is None:
        raise _Unsure("link without href")
    if rel != "alternate" or kind not in ("text/html", "application/xhtml+xml"):
        return None
    return _join(base, href)


def _atom(root: ET.Element, base: str) -> dict[str, Any]:
    entries = []
    feed_link = None
    for link in root.findall(ATOM + "link"):
        feed_link = _atom_link(link, base) or feed_link
    for entry in root.iter(ATOM + "entry"):
        _check_children(entry, _ATOM_SINGLE, _ATOM_HANDLED, _ATOM_IGNORED)
        e: dict[str, Any] = {}
        tags: list[dict[str, str]] = []
        for child in entry:
            tag = child.tag
            if tag == ATOM + "id":
                value = _text(child) or ""
                e["id"] = _join(base, value) if value else value
            elif tag == ATOM + "link":
                href = _atom_link(child, base)
                if href is not None:
                    e["link"] = href
            elif tag == ATOM + "title":
                e["title"] = _atom_text(child)
            elif tag == ATOM + "summary":
                e["summary"] = _atom_text(child)
            elif tag == ATOM + "content":
                e.setdefault("content", []).append({"value": _atom_text(child)})
            elif tag == ATOM + "published":
                e["published_parsed"] = _date(_text(child))
            elif tag == ATOM + "updated":
                e["updated_parsed"] = _date(_text(child))
            elif tag == ATOM + "category":
                tags.append({"term": child.get("term") or ""})
        if e.get("id") and "link" not in e:
            e["link"] = e["id"]
        if tags:
            e["tags"] = tags
        entries.append(e)
    title = root.find(ATOM + "title")
    return {"feed": {"title": _atom_text(title), "link": feed_link}, "entries": entries, "bozo": False,
            "version": "atom10"}  # fmt: skip
