"""What happens to every newly stored item, whatever its source (feed poll or bulk import)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from digest.demand.rollups import add_postings
from digest.models import Item, ItemKind
from digest.taxonomy.link import link_items


def index_new_items(session: Session, items: Sequence[Item], now: datetime) -> None:
    """Resolve skills, title and metro of new items, then count new job postings into the demand rollups.
    Call once per item, when it is first stored (not when another source repeats it)."""
    if not items:
        return
    session.flush()
    linked = link_items(session, items, now)
    session.flush()
    add_postings(session, [i for i in items if i.kind == ItemKind.job], linked)
