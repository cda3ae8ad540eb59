"""Locations to metros through the curated gazetteer ("SF", "NYC", "Bengaluru"; "Remote" is its own bucket)."""

from __future__ import annotations

import re
from functools import lru_cache

from digest.taxonomy import curated

_US_STATE = re.compile(r",\s*[A-Z]{2}\b")


@lru_cache(maxsize=1)
def _pattern() -> tuple[re.Pattern[str], dict[str, tuple[str, str]]]:
    owner: dict[str, tuple[str, str]] = {}
    for slug, (name, _country, aliases) in curated.METROS.items():
        for alias in [name, *aliases]:
            owner.setdefault(alias.casefold(), (slug, name))
    alternation = "|".join(re.escape(a) for a in sorted(owner, key=lambda a: (-len(a), a)))
    return re.compile(rf"(?<![\w])(?:{alternation})(?![\w])", re.IGNORECASE), owner


def metros() -> list[tuple[str, str, str | None]]:
    """Every metro in the gazetteer: (slug, name, country)."""
    return [(slug, name, country) for slug, (name, country, _a) in curated.METROS.items()]


def resolve_metro(raw: str | None) -> tuple[str, str] | None:
    """("san-francisco", "San Francisco Bay Area") for "San Francisco, CA (Hybrid)"; ("remote", "Remote") for
    "Remote (US)". A place named before "Remote" wins ("NYC or Remote" is New York). None if unknown."""
    if not raw or not raw.strip():
        return None
    pattern, owner = _pattern()
    found = [owner[m.group(0).casefold()] for m in pattern.finditer(raw)]
    # "LA" and "SF" only as whole upper-case tokens: not "la" in Spanish nor "sf" in a URL
    found = [f for f, m in zip(found, pattern.finditer(raw), strict=True) if _plausible(m.group(0))]
    places = [f for f in found if f[0] != "remote"]
    if places:
        return places[0]
    return found[0] if found else None


def _plausible(token: str) -> bool:
    return len(token) > 2 or token.isupper()
