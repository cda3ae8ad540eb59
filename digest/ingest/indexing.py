"""What happens to every newly stored item, whatever its source (feed poll or bulk import): its skills,
title and metro are resolved before it is inserted (`resolve_new`), then its skill mentions are written and
each new job posting is marked for the demand rollups (`index_new_items`), which count it when folded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from digest.demand.rollups import mark_pending
from digest.store.models import ItemKind
from digest.taxonomy.link import Resolution, resolve, write_mentions


def resolve_new(session: Session, rows: Sequence[dict[str, Any]], now: datetime) -> list[Resolution]:
    """Resolve the item rows about to be inserted; sets their job_title_id, metro_id and matched_at."""
    resolutions = resolve(session, rows, now)
    for row, r in zip(rows, resolutions, strict=True):
        row.update(r.values)
    return resolutions


def index_new_items(
    session: Session, ids: Sequence[int], rows: Sequence[Mapping[str, Any]], resolutions: Sequence[Resolution]
) -> list[int]:
    """Write the skill mentions of just inserted items (their ids, the rows inserted and `resolutions` from
    resolve_new, in one order) and mark the new job postings pending for the demand rollups. Call once per
    item, when it is first stored (not when another source repeats it). Returns the postings marked."""
    if not ids:
        return []
    write_mentions(session, ids, resolutions, [row["posted_on"] for row in rows])
    jobs = [
        {"item_id": i, "posted_on": row["posted_on"], "job_title_id": row["job_title_id"], "metro_id": row["metro_id"]}
        for i, row in zip(ids, rows, strict=True)
        if row["kind"] == ItemKind.job and row["posted_on"] is not None
    ]
    mark_pending(session, jobs)
    return [j["item_id"] for j in jobs]
