"""The plain record every source (feed poll, bulk import) hands to `ingest.store_entries`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from digest.store.models import ItemKind


@dataclass
class Entry:
    identity: str  # sha256 hex of the identity material, unique within its source (see feeds.identity)
    title: str  # clean text
    link: str | None  # absolute http(s) or None
    summary: str = ""  # clean text, capped: what is displayed
    text: str = ""  # the whole clean text skills are matched in ("": the summary is all of it)
    published_at: datetime | None = None  # from the source; store_entries fixes missing/future values
    kind: ItemKind = ItemKind.news
    content_hash: str | None = None
    company: str | None = None
    location_raw: str | None = None
    remote: bool | None = None
    title_raw: str | None = None
    salary_min: float | None = None
    salary_max: float | None = None
    salary_currency: str | None = None
    salary_period: str | None = None
    seniority: str | None = None

    @property
    def body(self) -> str | None:
        """The text to store beside the summary for re-matching: None when the summary holds all of it."""
        return self.text if self.text and self.text != self.summary else None
