"""Per-day demand rollups maintained as postings arrive (the Jobs index issue fills this)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from digest.models import Item


def add_postings(session: Session, items: Sequence[Item]) -> None:
    """Count newly stored job postings (already linked to skills, title and metro) into the rollups.
    Called exactly once per new posting; a posting seen again on another source is not new."""
