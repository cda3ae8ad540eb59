"""`digest skills relink`: re-resolve stored items after a taxonomy or matcher change (or after items
gained their whole text), keeping the demand figures exact.

Items go in batches of `BATCH`, one transaction each under the demand rollups' lock. A batch's items are
resolved again from their stored text (`body`, else the summary); only the ones whose mentions, job title
or metro change are written. A changed posting that was already counted is taken out of the rollups with
its old mentions (`rollups.unfold`), re-resolved, made pending with its new title and metro and folded
back (`rollups.repend`, `rollups.fold`): afterwards the rollups equal a count of the raw postings, as if
every posting had been stored with its new resolution. Job postings stored before revision 0009 also get
their salary, seniority and re-post key here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from digest.demand import rollups, window
from digest.sources.details import DETAIL_COLUMNS, detail_values
from digest.store.models import Item, ItemKind, ItemSkill
from digest.taxonomy.link import apply_resolutions, item_fields, resolve

BATCH = 1000


@dataclass
class RelinkResult:
    items: int = 0  # items re-resolved
    changed: int = 0  # items whose mentions, title or metro changed (rewritten)
    skills_changed: int = 0  # items whose set of skills changed
    postings_changed: int = 0  # job postings among those (re-counted in the demand figures)
    details: int = 0  # job postings whose salary, seniority or re-post key was filled in or changed


def relink(
    session: Session,
    now: datetime,
    since: date | None = None,
    batch: int = BATCH,
    progress: Callable[[int, int, RelinkResult], None] | None = None,
) -> RelinkResult:
    """Re-resolve every stored item (ingested on or after `since`); `progress(done, total, result)` after
    each committed batch."""
    query = select(Item.id).order_by(Item.id)
    if since is not None:
        query = query.where(Item.fetched_at >= datetime.combine(since, time(0), tzinfo=UTC))
    ids = list(session.scalars(query))
    session.rollback()
    result = RelinkResult()
    for start in range(0, len(ids), batch):
        _batch(session, ids[start : start + batch], now, result)
        session.commit()
        session.expunge_all()
        if progress:
            progress(min(start + batch, len(ids)), len(ids), result)
    if result.postings_changed:
        from digest.health import beat

        window.lock(session)
        rollups.drop_zeros(session)
        beat(session, rollups.REBUILT, now)  # memoised figures are recomputed
        session.commit()
    return result


def _batch(session: Session, ids: list[int], now: datetime, result: RelinkResult) -> None:
    window.lock(session)  # SQLite: begins the write transaction before anything is read
    items = list(session.scalars(select(Item).where(Item.id.in_(ids)).order_by(Item.id)))
    old: dict[int, list[tuple[int, str, int, int, int]]] = {i.id: [] for i in items}
    mention = (ItemSkill.skill_id, ItemSkill.alias, ItemSkill.span_start, ItemSkill.span_end, ItemSkill.found_in)
    for row in session.execute(select(ItemSkill.item_id, *mention).where(ItemSkill.item_id.in_(ids))).tuples():
        old[row[0]].append(tuple(row[1:]))  # type: ignore[arg-type]
    resolutions = resolve(session, [item_fields(i) for i in items], now)
    changed, changed_res = [], []
    for item, r in zip(items, resolutions, strict=True):
        result.items += 1
        same_columns = all(getattr(item, k) == v for k, v in r.values.items() if k != "matched_at")
        if sorted(r.mentions) == sorted(old[item.id]) and same_columns:
            continue
        changed.append(item)
        changed_res.append(r)
        if sorted(set(r.skill_ids)) != sorted({m[0] for m in old[item.id]}):
            result.skills_changed += 1
    result.changed += len(changed)
    postings = [i.id for i in changed if i.kind == ItemKind.job and i.posted_on is not None]
    rollups.unfold(session, postings)  # with the mentions, title and metro they have now
    apply_resolutions(session, changed, changed_res)
    if postings:
        rollups.fold(session, rollups.repend(session, postings))
    result.postings_changed += len(postings)
    _details(session, [i for i in items if i.kind == ItemKind.job], result)


def _details(session: Session, jobs: list[Item], result: RelinkResult) -> None:
    updates: list[dict[str, Any]] = []
    for item in jobs:
        values = detail_values(item.title, item.title_raw, item.body or item.summary, item.company)
        if any(getattr(item, k) != v for k, v in values.items()):
            updates.append({"b_id": item.id, **values})
    if updates:
        table: Table = Item.__table__  # type: ignore[assignment]
        stmt = update(table).where(table.c.id == bindparam("b_id")).values({k: bindparam(k) for k in DETAIL_COLUMNS})
        session.connection().execute(stmt, updates)
        result.details += len(updates)
