"""Item identity within a source, canonical URLs and the cross-source dedupe key.

Identity (sha256 hex, unique per source): the guid; when a document repeats a guid, later occurrences use
guid+link, then guid+position (the first keeps the plain guid hash, so stored rows still match); no guid: the
link; no link: title+content. Cross-source: the canonical URL, and for job postings the normalised
title+company+location.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode

_TRACKING = re.compile(r"^(utm_.*|fbclid|gclid|dclid|mc_cid|mc_eid|igshid|yclid|_hsenc|_hsmi|ref_src|cmpid)$", re.I)
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def sha256_hex(material: str) -> str:
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()


def canonical_url(url: str | None) -> str | None:
    """Lower-case host without "www.", no default port, no fragment, no tracking parameters, sorted query,
    no trailing slash; http and https copies of one page are the same page. (String work rather than
    urllib: this runs for every entry of every poll.)"""
    if not url:
        return None
    scheme, sep, rest = url.strip().partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in ("http", "https"):
        return None
    rest = rest.split("#", 1)[0]
    cut = len(rest)
    for ch in "/?":
        i = rest.find(ch)
        if i != -1 and i < cut:
            cut = i
    netloc, tail = rest[:cut].rsplit("@", 1)[-1].lower(), rest[cut:]
    if not netloc or "\\" in netloc:
        return None
    if netloc.endswith(":80") and scheme == "http":
        netloc = netloc[:-3]
    elif netloc.endswith(":443") and scheme == "https":
        netloc = netloc[:-4]
    netloc = netloc.removeprefix("www.")
    path, _, query = tail.partition("?")
    if query:
        params = parse_qsl(query, keep_blank_values=True)
        query = urlencode(sorted((k, v) for k, v in params if not _TRACKING.match(k)))
    path = path or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    canonical = f"https://{netloc}{path}?{query}" if query else f"https://{netloc}{path}"
    return canonical if len(canonical) <= 2048 else None


def is_site_root(canonical: str) -> bool:
    """A canonical URL of a site's home page ("https://host/", whatever its query)."""
    return canonical.split("?", 1)[0].count("/") == 3 and canonical.split("?", 1)[0].endswith("/")


@lru_cache(maxsize=65536)  # titles, companies and places repeat: an import normalises each ~7 times a posting
def normalise_text(value: str | None) -> str:
    if not value:
        return ""
    folded = unicodedata.normalize("NFKD", value).casefold()
    return _NON_WORD.sub(" ", folded).strip()


def job_dedupe_key(title: str | None, company: str | None, location: str | None) -> str | None:
    """Normalised title+company+location; None without a company (too weak to merge on)."""
    t, c = normalise_text(title), normalise_text(company)
    if not t or not c:
        return None
    return sha256_hex(f"job\n{t}\n{c}\n{normalise_text(location)}")


def repost_key(company: str | None, title: str | None) -> str | None:
    """Normalised company+title: the same posting re-posted (another monthly thread, another location
    line); a digest shows it once, marked re-posted. None without a company or a title."""
    t, c = normalise_text(title), normalise_text(company)
    if not t or not c:
        return None
    return sha256_hex(f"repost\n{t}\n{c}")


def url_dedupe_key(canonical: str | None) -> str | None:
    return sha256_hex(f"url\n{canonical}") if canonical else None


@dataclass(frozen=True)
class IdentityInput:
    guid: str | None
    link: str | None
    title: str | None
    content: str | None


def identities(entries: Sequence[IdentityInput]) -> tuple[list[str], bool]:
    """The identity of each entry of one document, and whether the document repeats guids."""
    guid_counts = Counter(e.guid for e in entries if e.guid)
    repeats = any(n > 1 for n in guid_counts.values())
    seen_guids: set[str] = set()
    used: set[str] = set()
    out: list[str] = []
    for position, e in enumerate(entries):
        if e.guid:
            if e.guid not in seen_guids:
                material = f"guid:{e.guid}"
            elif e.link and sha256_hex(f"guid:{e.guid}\nlink:{e.link}") not in used:
                material = f"guid:{e.guid}\nlink:{e.link}"
            else:
                material = f"guid:{e.guid}\npos:{position}"
            seen_guids.add(e.guid)
        elif e.link:
            material = f"link:{e.link}"
        else:
            material = f"text:{e.title or ''}\n{e.content or ''}"
        ident = sha256_hex(material)
        if ident in used:  # same link or same text twice in one document: tell them apart by position
            ident = sha256_hex(f"{material}\npos:{position}")
        used.add(ident)
        out.append(ident)
    return out, repeats


def import_identity(record_id: str) -> str:
    """Identity of a record of an imported file (its `id` field), for `import:<name>` sources."""
    return sha256_hex(f"guid:{record_id}")
