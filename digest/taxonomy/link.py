"""Resolve each item's skill mentions, job title and metro, and store them (the Taxonomy issue fills this)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from digest.models import Item


def link_items(session: Session, items: Sequence[Item], now: datetime) -> None:
    """Write ItemSkill rows (one per skill per item, with the matched alias and span) and set
    job_title_id / metro_id on job postings. Idempotent: re-linking replaces the item's rows."""
    for item in items:
        item.matched_at = now
