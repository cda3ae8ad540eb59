"""Feed HTML reduced to plain text, and links reduced to safe http(s) URLs.

Nothing of the feed's markup survives: tags are dropped (script/style with their content), entities decoded,
whitespace folded, length capped. Text that still looks like markup after decoding (double-escaped HTML,
common in RSS) is stripped again. Renderers escape the result anyway; this is the first line, not the only one.
"""

from __future__ import annotations

import html
import re

import nh3

# a space before block-level tags, so "<p>a</p><p>b</p>" reads "a b" and not "ab"
_BLOCK_TAG = re.compile(
    r"<(?=/?(?:[pP]|[dD][iI][vV]|[bB][rR]|[lL][iI]|[hH][1-6rR]|[tT][rdhRDH]|[uU][lL]|[oO][lL]|[dD][dtDT]|"
    r"table|TABLE|blockquote|BLOCKQUOTE|pre|PRE|section|article|header|footer)[\s/>])"
)
_TAG_LIKE = re.compile(r"<[A-Za-z/!?]")
_ANY_TAG = re.compile(r"<[A-Za-z/!?][^>]*>?")
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
# built once: nh3 otherwise rebuilds its sanitiser on every call
_STRIP_ALL = nh3.Cleaner(tags=set(), clean_content_tags=_DROP_WITH_CONTENT, strip_comments=True)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DROP_CONTROL = {c: None for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]}


def html_to_text(value: str | None, limit: int | None = None) -> str:
    """Plain text of an HTML fragment (or of plain text that may carry entities)."""
    if not value:
        return ""
    text = value
    for _ in range(3):
        if "<" in text:
            text = _BLOCK_TAG.sub(" <", text)
            text = _STRIP_ALL.clean(text)
        if "&" in text:
            text = html.unescape(text)
        if not _TAG_LIKE.search(text):
            break
    else:
        text = _ANY_TAG.sub(" ", text)
    text = " ".join(text.translate(_DROP_CONTROL).split())
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


URL_MAX = 2048  # the URL columns' width


def safe_url(value: str | None) -> str | None:
    """The URL if it is absolute http(s) and fits the columns, else None (javascript:, data:, junk)."""
    if not value:
        return None
    url = _CONTROL.sub("", value).strip() if not value.isprintable() else value.strip()
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest or rest[0] in "/?#" or len(url) > URL_MAX:
        return None
    return url
