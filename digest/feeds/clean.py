"""Feed HTML reduced to plain text, and links reduced to safe http(s) URLs.

Nothing of the feed's markup survives: tags are dropped (script/style with their content), entities decoded,
whitespace folded, length capped. Text that still looks like markup after decoding (double-escaped HTML,
common in RSS) is stripped again. Renderers escape the result anyway; this is the first line, not the only one.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import nh3

_BLOCK_TAG = re.compile(
    r"<(?:br|hr|/?(?:p|div|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|pre|section|article|dd|dt|header|footer))\b",
    re.IGNORECASE,
)
_TAG_LIKE = re.compile(r"<[A-Za-z/!?]")
_ANY_TAG = re.compile(r"<[A-Za-z/!?][^>]*>?")
_WS = re.compile(r"\s+")
_DROP_WITH_CONTENT = {
    "script",
    "style",
    "noscript",
    "iframe",
    "object",
    "template",
    "svg",
    "math",
    "textarea",
    "select",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def html_to_text(value: str | None, limit: int | None = None) -> str:
    """Plain text of an HTML fragment (or of plain text that may carry entities)."""
    if not value:
        return ""
    text = value
    for _ in range(3):
        if "<" in text:
            text = _BLOCK_TAG.sub(r" \g<0>", text)
            text = nh3.clean(text, tags=set(), clean_content_tags=_DROP_WITH_CONTENT, strip_comments=True)
        if "&" in text:
            text = html.unescape(text)
        if not _TAG_LIKE.search(text):
            break
    else:
        text = _ANY_TAG.sub(" ", text)
    text = _WS.sub(" ", _CONTROL.sub("", text)).strip()
    return truncate(text, limit) if limit else text


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary when one is near, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"


def safe_url(value: str | None) -> str | None:
    """The URL if it is absolute http(s), else None (javascript:, data:, relative junk)."""
    if not value:
        return None
    url = _CONTROL.sub("", value).strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url
