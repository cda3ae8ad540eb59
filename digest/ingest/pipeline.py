"""The one ingestion pipeline, in named steps: identity (`plan` drops what this source already has) and
cross-source dedupe (`plan` decides which entries are new items and which are one more source of a stored
one), resolve (`resolve_here`, or `resolutions_from` another process), then `insert`: the items, their
sources, their skill mentions and the pending mark for the demand rollups. Each new identity is stored once
per source, each posting or story once across sources.

The callers compose the steps: `store_entries` (resolve here, leave the new postings pending: an import's
batch), `store_and_fold` (a feed poll, which counts its own postings at once) and the importer's
`digest.ingest.imports.store_postings` (resolved beforehand, in the matching processes). The steps are
batch-shaped: one query finds the known identities (and tombstones) of a whole batch, one or two find
cross-source matches, and the new rows go out in one flush.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, delete, select
from sqlalchemy.orm import Session

from digest.demand import rollups
from digest.ingest.indexing import index_new_items, resolve_new
from digest.sources.details import job_details
from digest.sources.employer import employer_key
from digest.sources.entry import Entry
from digest.sources.identity import canonical_url, is_site_root, job_dedupe_key, repost_key, url_dedupe_key
from digest.store.bulk import insert_rows
from digest.store.engine import any_of
from digest.store.ingest import insert_items, lookup_chunks
from digest.store.models import DeliveryItem, DemandPending, Item, ItemKind, ItemSkill, ItemSource, ItemTombstone
from digest.taxonomy.link import Resolution

JOB_DEDUPE_WINDOW = timedelta(days=30)
FUTURE_TOLERANCE = timedelta(days=1)


@dataclass
class IngestResult:
    new: list[int] = field(default_factory=list)  # ids of the items stored for the first time
    seen: int = 0  # identities this source had already (or tombstoned)
    merged: int = 0  # first seen here, but the same item already came from elsewhere: one more source

    @property
    def new_count(self) -> int:
        return len(self.new)


def feed_source_key(feed_id: int) -> str:
    return f"feed:{feed_id}"


def known_identities(session: Session, source_key: str, identities: Sequence[str]) -> set[str]:
    """Identities of this source already stored or tombstoned."""
    found: set[str] = set()
    for part in lookup_chunks(session, identities):
        found.update(
            session.scalars(
                select(ItemSource.identity).where(
                    ItemSource.source_key == source_key, any_of(session, ItemSource.identity, part)
                )
            )
        )
        found.update(
            session.scalars(
                select(ItemTombstone.identity).where(
                    ItemTombstone.source_key == source_key, any_of(session, ItemTombstone.identity, part)
                )
            )
        )
    return found


def effective_published(published: datetime | None, now: datetime) -> datetime:
    """Missing, or more than a day in the future: the ingestion time."""
    if published is None or published > now + FUTURE_TOLERANCE:
        return now
    return published


def _mergeable_url(canonical: str | None, repeated: set[str]) -> str | None:
    # a URL shared by several entries of one batch (a feed linking every entry to its home page), or a site
    # root, says nothing about which story it is
    if not canonical or canonical in repeated or is_site_root(canonical):
        return None
    return canonical


@dataclass
class _Pending:
    entry: Entry
    published: datetime
    canonical: str | None
    url_key: str | None
    job_key: str | None


Target = tuple[int | None, int | None]  # (stored item id, new row index): where a fresh entry goes


@dataclass
class Batch:
    """One batch of a source's entries, planned: the rows of its new items and where each fresh entry goes."""

    source_key: str
    feed_id: int | None
    now: datetime
    result: IngestResult = field(default_factory=IngestResult)
    pending: list[_Pending] = field(default_factory=list)  # the entries new to this source, in order
    targets: list[Target] = field(default_factory=list)  # one per pending entry
    item_rows: list[dict[str, Any]] = field(default_factory=list)  # the new items
    row_identities: list[str] = field(default_factory=list)  # the identity of each new item's entry


# --- the composed paths -------------------------------------------------------------------------------


def store_entries(
    session: Session,
    source_key: str,
    feed_id: int | None,
    entries: Sequence[Entry],
    now: datetime,
    source_name: str | None = None,
) -> IngestResult:
    """Store what is new in `entries`, resolved here; the new postings are left pending for the demand
    rollups (digest.demand.rollups.fold counts them). Idempotent."""
    batch = plan(session, source_key, feed_id, entries, now, source_name)
    insert(session, batch, resolve_here(session, batch))
    return batch.result


def store_and_fold(
    session: Session,
    source_key: str,
    feed_id: int | None,
    entries: Sequence[Entry],
    now: datetime,
    source_name: str | None = None,
) -> IngestResult:
    """A feed poll's storing: `store_entries`, then its new postings are counted into the demand rollups in
    this transaction (when another fold is running they stay pending for the next one). Idempotent."""
    batch = plan(session, source_key, feed_id, entries, now, source_name)
    postings = insert(session, batch, resolve_here(session, batch))
    if postings:
        rollups.fold(session, postings, wait=False)
    return batch.result


# --- the steps ----------------------------------------------------------------------------------------


def plan(
    session: Session,
    source_key: str,
    feed_id: int | None,
    entries: Sequence[Entry],
    now: datetime,
    source_name: str | None = None,
    details: bool = True,
) -> Batch:
    """Identity and dedupe: drop the entries this source already has (counted as seen), then decide each
    fresh one: a new item (a row of `item_rows`), or one more source of a stored item or of a new item of
    this same batch (a URL or, for a posting, title + company + location within 30 days). `details=False`:
    the new postings' `job_values` are left None here, for `resolutions_from` to fill in (the importer's
    matching processes compute them)."""
    batch = Batch(source_key, feed_id, now)
    fresh = _fresh(session, batch, entries)
    if not fresh:
        return batch
    batch.pending = _pending(entries, fresh, now)
    by_url, by_job = _existing_matches(session, batch.pending)
    _decide(batch, by_url, by_job, source_name, details)
    return batch


def resolve_here(session: Session, batch: Batch) -> list[Resolution]:
    """Resolve the batch's new items (skills, title, metro) in this process."""
    return resolve_new(session, batch.item_rows, batch.now) if batch.item_rows else []


def resolutions_from(batch: Batch, resolved: Mapping[str, Resolution]) -> list[Resolution]:
    """The batch's new items resolved beforehand (by identity: the importer matches in another process); the
    resolutions' values are set on the rows (with a posting's `job_values` when they were computed there)."""
    resolutions = [resolved[identity] for identity in batch.row_identities]
    for item_row, r in zip(batch.item_rows, resolutions, strict=True):
        item_row.update(r.values)
    return resolutions


def insert(session: Session, batch: Batch, resolutions: Sequence[Resolution]) -> list[int]:
    """Insert the batch's new items and every fresh entry's source row, write the new items' skill mentions
    and mark their postings pending for the demand rollups. Returns the postings marked."""
    if not batch.pending:
        return []
    if batch.item_rows:
        batch.result.new = insert_items(session, batch.item_rows)
    new_ids = batch.result.new
    source_rows = [
        {
            "item_id": stored if stored is not None else new_ids[index],  # type: ignore[index]
            "feed_id": batch.feed_id,
            "source_key": batch.source_key,
            "identity": p.entry.identity,
            "url": p.entry.link,
            "content_hash": p.entry.content_hash,
            "first_seen_at": batch.now,
        }
        for p, (stored, index) in zip(batch.pending, batch.targets, strict=True)
    ]
    insert_rows(session, cast(Table, ItemSource.__table__), source_rows)
    return index_new_items(session, new_ids, batch.item_rows, resolutions)


def _fresh(session: Session, batch: Batch, entries: Sequence[Entry]) -> list[Entry]:
    """The first entry of each identity this source has not stored (nor tombstoned); the rest are seen."""
    unique: dict[str, Entry] = {}
    for e in entries:
        unique.setdefault(e.identity, e)
    batch.result.seen += len(entries) - len(unique)
    known = known_identities(session, batch.source_key, list(unique))
    batch.result.seen += len(known)
    return [e for ident, e in unique.items() if ident not in known]


def _pending(entries: Sequence[Entry], fresh: Sequence[Entry], now: datetime) -> list[_Pending]:
    """The fresh entries with their dedupe keys (a URL several entries of the batch share is no key)."""
    canonical_of = {e.identity: canonical_url(e.link) for e in entries}
    canon_counts = Counter(c for c in canonical_of.values() if c)
    repeated = {c for c, n in canon_counts.items() if n > 1}
    pending: list[_Pending] = []
    for e in fresh:
        canonical = canonical_of[e.identity]
        url_key = _mergeable_url(canonical, repeated)
        job_key = job_dedupe_key(e.title, e.company, e.location_raw) if e.kind == ItemKind.job else None
        pending.append(_Pending(e, effective_published(e.published_at, now), canonical, url_key, job_key))
    return pending


def _decide(
    batch: Batch,
    by_url: dict[tuple[ItemKind, str], int],
    by_job: dict[str, list[tuple[int, datetime]]],
    source_name: str | None,
    details: bool,
) -> None:
    # decide each fresh entry: a new item (a row of `item_rows`), or one more source of a stored item (an id)
    # or of a new item of this same batch (its row index)
    batch_url: dict[tuple[ItemKind, str], int] = {}
    batch_job: dict[str, list[tuple[int, datetime]]] = {}
    for p in batch.pending:
        e = p.entry
        target: Target | None = None
        if p.url_key:
            key = (e.kind, p.url_key)
            if key in batch_url:
                target = (None, batch_url[key])
            elif key in by_url:
                target = (by_url[key], None)
        if target is None and p.job_key:
            row = _within(batch_job.get(p.job_key, ()), p.published)
            stored = None if row is not None else _within(by_job.get(p.job_key, ()), p.published)
            if row is not None or stored is not None:
                target = (stored, row)
        if target is not None:
            batch.result.merged += 1
            batch.targets.append(target)
            continue
        index = len(batch.item_rows)
        batch.item_rows.append(_item_row(p, source_name, batch.now, details))
        batch.targets.append((None, index))
        batch.row_identities.append(e.identity)
        if p.url_key:
            batch_url[(e.kind, p.url_key)] = index
        if p.job_key:
            batch_job.setdefault(p.job_key, []).append((index, p.published))


def _item_row(p: _Pending, source_name: str | None, now: datetime, details: bool) -> dict[str, Any]:
    e = p.entry
    job = e.kind == ItemKind.job
    row = {
        "kind": e.kind,
        "title": e.title,
        "url": e.link,
        "canonical_url": p.canonical,
        "summary": e.summary,
        "body": e.body,
        "source_name": source_name,
        "published_at": p.published,
        "fetched_at": now,
        "dedupe_key": p.job_key if job else url_dedupe_key(p.canonical),
        "company": e.company,
        "location_raw": e.location_raw,
        "remote": e.remote,
        "posted_on": p.published.date() if job else None,
        "title_raw": e.title_raw,
    }
    row.update(job_values(e) if job and details else dict.fromkeys(JOB_VALUES))
    return row


JOB_VALUES = ("salary_min", "salary_max", "salary_currency", "salary_period", "seniority", "employer_key", "repost_key")


def job_values(e: Entry) -> dict[str, Any]:
    """A posting's row values read from its fields and text (the JOB_VALUES columns): pay and seniority
    (where the source gave none), employer and re-post keys."""
    job_details(e)
    return {
        "salary_min": e.salary_min,
        "salary_max": e.salary_max,
        "salary_currency": e.salary_currency,
        "salary_period": e.salary_period,
        "seniority": e.seniority,
        "employer_key": employer_key(e.company),
        "repost_key": repost_key(e.company, e.title),
    }


def _within(candidates: Iterable[tuple[int, datetime]], when: datetime) -> int | None:
    return next((ref for ref, at in candidates if abs(at - when) <= JOB_DEDUPE_WINDOW), None)


def _existing_matches(
    session: Session, pending: Sequence[_Pending]
) -> tuple[dict[tuple[ItemKind, str], int], dict[str, list[tuple[int, datetime]]]]:
    urls = sorted({p.url_key for p in pending if p.url_key})
    job_keys = sorted({p.job_key for p in pending if p.job_key})
    by_url: dict[tuple[ItemKind, str], int] = {}
    by_job: dict[str, list[tuple[int, datetime]]] = {}
    for part in lookup_chunks(session, urls):
        for iid, kind, url in session.execute(
            select(Item.id, Item.kind, Item.canonical_url)
            .where(any_of(session, Item.canonical_url, part))
            .order_by(Item.id)
        ):
            if url:
                by_url.setdefault((kind, url), iid)
    if job_keys:
        earliest = min(p.published for p in pending if p.job_key) - JOB_DEDUPE_WINDOW
        for part in lookup_chunks(session, job_keys):
            # kind is tested here, not in SQL: given `kind = 'job'` SQLite without statistics (before the
            # importer's first ANALYZE) picks the kind index, a scan of every posting per batch; this way the
            # dedupe_key index is the only one that applies (job keys and URL keys never collide anyway)
            for iid, kind, key, when in session.execute(
                select(Item.id, Item.kind, Item.dedupe_key, Item.published_at)
                .where(any_of(session, Item.dedupe_key, part), Item.published_at >= earliest)
                .order_by(Item.id)
            ):
                if kind != ItemKind.job:
                    continue
                if key:
                    by_job.setdefault(key, []).append((iid, when))
    return by_url, by_job


def prune_fetched_before(session: Session, fetched_before: datetime, now: datetime, limit: int = 5000) -> int:
    """Delete items ingested before `fetched_before` (at most `limit`). Returns the number deleted."""
    ids = list(session.scalars(select(Item.id).where(Item.fetched_at < fetched_before).order_by(Item.id).limit(limit)))
    return delete_items(session, ids, now)


def delete_items(session: Session, ids: Sequence[int], now: datetime) -> int:
    """Delete these items, leaving a tombstone for every source identity so a feed that still carries them
    never brings them back as new. Returns the number of items deleted."""
    if not ids:
        return 0
    rows = session.execute(select(ItemSource.source_key, ItemSource.identity).where(ItemSource.item_id.in_(ids)))
    pairs = {(k, i) for k, i in rows}
    existing: set[tuple[str, str]] = set()
    for key in {k for k, _ in pairs}:
        idents = [i for k, i in pairs if k == key]
        existing.update((key, i) for i in known_tombstones(session, key, idents))
    session.add_all(
        ItemTombstone(source_key=k, identity=i, pruned_at=now) for k, i in sorted(pairs) if (k, i) not in existing
    )
    session.flush()
    # none of these rows has a foreign key to the item (see the models): deleted here, with it
    for model in (ItemSource, ItemSkill, DemandPending, DeliveryItem):
        session.execute(delete(model).where(model.item_id.in_(ids)))
    session.execute(delete(Item).where(Item.id.in_(ids)))
    return len(ids)


def known_tombstones(session: Session, source_key: str, identities: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for part in lookup_chunks(session, identities):
        found.update(
            session.scalars(
                select(ItemTombstone.identity).where(
                    and_(ItemTombstone.source_key == source_key, ItemTombstone.identity.in_(part))
                )
            )
        )
    return found
