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
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING = re.compile(r"^(utm_.*|fbclid|gclid|dclid|mc_cid|mc_eid|igshid|yclid|_hsenc|_hsmi|ref_src|cmpid)$", re.I)
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def sha256_hex(material: str) -> str:
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()


def canonical_url(url: str | None) -> str | None:
    """Lower-case scheme and host, no default port, no fragment, no tracking parameters, sorted query."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            return None
        host = parts.hostname.lower().removeprefix("www.")
        port = parts.port
    except ValueError:
        return None
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    query = urlencode(
        sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k))
    )
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    # http and https copies of one page are the same page
    return urlunsplit(("https", netloc, path, query, ""))


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
