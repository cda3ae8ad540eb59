"""The plain record every source (feed poll, bulk import) hands to `ingest.store_entries`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from digest.models import ItemKind


@dataclass
class Entry:
    identity: str  # sha256 hex of the identity material, unique within its source (see feeds.identity)
    title: str  # clean text
    link: str | None  # absolute http(s) or None
    summary: str = ""  # clean text, capped
    published_at: datetime | None = None  # from the source; store_entries fixes missing/future values
    kind: ItemKind = ItemKind.news
    content_hash: str | None = None
    company: str | None = None
    location_raw: str | None = None
    remote: bool | None = None
    title_raw: str | None = None
