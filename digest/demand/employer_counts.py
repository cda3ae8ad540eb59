"""The employer rollup counted straight from the raw postings: the reference `rollups.check` compares the
stored rollup with (the fold computes the same in SQL, digest.store.employer_rollups)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.store.models import DemandPending, Item, ItemKind, ItemSkill


def raw_employer_counts(session: Session) -> dict[str, Counter[tuple[Any, ...]]]:
    """The skill_employer rollup, (skill, day, employer key) -> postings, from the counted job postings."""
    counted = (Item.kind == ItemKind.job) & Item.posted_on.is_not(None) & Item.id.not_in(select(DemandPending.item_id))
    rows = session.execute(
        select(ItemSkill.skill_id, Item.posted_on, Item.employer_key)
        .join(Item, Item.id == ItemSkill.item_id)
        .where(counted, Item.employer_key.is_not(None))
    ).tuples()
    return {"skill_employer": Counter(rows)}
