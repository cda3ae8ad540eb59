"""What happens to every newly stored item, whatever its source (feed poll or bulk import): its skills,
title and metro are resolved before it is inserted (`resolve_new`), then its skill mentions are written and
new job postings counted into the demand rollups (`index_new_items`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from digest.demand.rollups import add_postings
from digest.models import Item, ItemKind
from digest.taxonomy.link import Resolution, resolve, write_mentions


def resolve_new(session: Session, rows: Sequence[dict[str, Any]], now: datetime) -> list[Resolution]:
    """Resolve the item rows about to be inserted; sets their job_title_id, metro_id and matched_at."""
    resolutions = resolve(session, rows, now)
    for row, r in zip(rows, resolutions, strict=True):
        row.update(r.values)
    return resolutions


def index_new_items(session: Session, items: Sequence[Item], resolutions: Sequence[Resolution]) -> None:
    """Write the skill mentions of just inserted items (`resolutions` from resolve_new, in the same order)
    and count the new job postings into the demand rollups. Call once per item, when it is first stored
    (not when another source repeats it)."""
    if not items:
        return
    write_mentions(session, [i.id for i in items], resolutions)
    linked = {i.id: r.skill_ids for i, r in zip(items, resolutions, strict=True)}
    add_postings(session, [i for i in items if i.kind == ItemKind.job], linked)
