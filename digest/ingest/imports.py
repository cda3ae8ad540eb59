"""Bulk import of job postings: rows from a job-posting file (digest.sources.jobfile) stored in batches
through the ingestion pipeline, skills matched a batch ahead in other processes (digest.ingest.matching),
the new postings counted into the demand rollups once at the end.

Imported postings are job items like those from job feeds: `store_postings` gives them an identity per
(source, id), dedupes them across sources by normalised title+company+location, and hands new ones to
`index_new_items` (skills, title, metro, demand rollups). Importing the same file twice adds nothing.
"""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path

from sqlalchemy.orm import Session

from digest.demand import dates, rollups, window
from digest.ingest import pipeline
from digest.ingest.matching import Matching
from digest.sources.jobfile import Posting, Row, RowError, to_entry
from digest.store.engine import immediate_transactions
from digest.store.imports import (
    refresh_statistics,
    settings_for_import,
    tidy_after_import,
    tidy_items_after_import,
)
from digest.taxonomy.link import Resolution, ids_of

BATCH = 2000  # postings stored together (one set of dedupe lookups; see docs/demand.md on its size)
# batches per transaction: a crash loses none that were reported stored. Large, because on SQLite each
# random-keyed index (dedupe key, source identity, skill and day) dirties about a page per posting per
# transaction: 10 batches write ~30% fewer pages than 5 (measured at 600,000 postings)
COMMIT_BATCHES = 10


@dataclass
class ImportResult:
    read: int = 0
    added: int = 0
    duplicates: int = 0
    errors: list[RowError] = field(default_factory=list)


EARLIEST_POSTING = datetime.combine(dates.EARLIEST, time(0), tzinfo=UTC)


def date_out_of_range(posted_at: datetime, now: datetime) -> str | None:
    """Why a posting date before 1990 or more than a day after `now` is a bad row (near the calendar's ends
    it would also overflow the dedupe window's arithmetic), or None."""
    if EARLIEST_POSTING <= posted_at <= now + dates.FUTURE_TOLERANCE:
        return None
    return f"posted_at {posted_at.date().isoformat()} is out of range (1990-01-01 to a day after now)"


def store_postings(
    session: Session,
    source_key: str,
    postings: Sequence[Posting],
    now: datetime,
    resolved: Mapping[str, Resolution] | None = None,
) -> int:
    """Store a batch of postings from one source; returns how many were new. The same pipeline as job
    feeds (digest.ingest.pipeline): identity per (source, id), cross-source dedupe on normalised title +
    company + location within 30 days, then mentions and a pending mark for the new ones, left pending for
    the demand rollups (import_rows folds them once, at its end). `resolved`: resolve_batch's answer for
    these postings, when another process matched them (with their `pipeline.job_values`); without it they are
    resolved here."""
    if not postings:
        return 0
    name = source_key.removeprefix("import:")
    entries = [to_entry(p) for p in postings]
    if resolved is None:
        return pipeline.store_entries(session, source_key, None, entries, now, name).new_count
    batch = pipeline.plan(session, source_key, None, entries, now, name, details=False)
    pipeline.insert(session, batch, pipeline.resolutions_from(batch, resolved))
    return batch.result.new_count


def import_rows(
    session: Session,
    rows: Iterable[Row],
    source_key: str,
    now: datetime,
    batch: int = BATCH,
    progress: Callable[[ImportResult], None] | None = None,
    counting: Callable[[int], None] | None = None,
    match_processes: int = 1,
) -> ImportResult:
    """Validate and store rows in batches, one transaction each; bad rows are reported and skipped. Skills
    are matched in `match_processes` other processes, a batch ahead (see Matching). Then the new postings
    (and any a crash left pending) are counted into the demand rollups in one fold: `counting(n)` is called
    before it with the number pending. (One fold at the end writes each rollup row once; folding every
    20,000 postings in a thread beside the import was measured slower on both databases.)"""
    settings_for_import(session)
    # every batch writes: on SQLite it takes the write lock when it begins, so another writer committing
    # between its reads (the dedupe lookups) and its first write cannot make that write fail
    with immediate_transactions():
        return _import(session, rows, source_key, now, batch, progress, counting, match_processes)


def _import(
    session: Session,
    rows: Iterable[Row],
    source_key: str,
    now: datetime,
    batch: int,
    progress: Callable[[ImportResult], None] | None,
    counting: Callable[[int], None] | None,
    match_processes: int,
) -> ImportResult:
    result = ImportResult()
    pending: list[Posting] = []
    matching = Matching(ids_of(session), now, match_processes)
    # the objects alive now (the taxonomy, the built matcher, the ORM's) are left out of the garbage
    # collector's full passes until the import ends: each pass visited them all again as batches came and
    # went (measured: a quarter of the importer's CPU and a sixth of its matching processes', which inherit
    # them and then write fewer of the pages they share)
    frozen = gc.get_freeze_count() == 0
    if frozen:
        gc.freeze()
    inflight: deque[tuple[list[Posting], Callable[[], dict[str, Resolution]]]] = deque()
    batches, uncommitted = 0, [0, 0]  # batches stored; (added, duplicates) not yet committed

    def commit() -> None:
        session.commit()
        result.added += uncommitted[0]
        result.duplicates += uncommitted[1]
        uncommitted[:] = [0, 0]
        if progress:
            progress(result)

    def store_oldest() -> None:
        nonlocal batches
        postings, answer = inflight.popleft()
        added = store_postings(session, source_key, postings, now, answer())
        uncommitted[0] += added
        uncommitted[1] += len(postings) - added
        batches += 1
        if batches & (batches - 1) == 0:  # 1, 2, 4, 8 ... batches: the tables grew enough to re-plan
            commit()
            refresh_statistics(session)
        elif batches % COMMIT_BATCHES == 0:
            commit()

    try:
        for line, row in rows:
            result.read += 1
            if isinstance(row, Posting) and (problem := date_out_of_range(row.posted_at, now)):
                row = RowError(line, problem)
            if isinstance(row, RowError):
                result.errors.append(row)
                continue
            pending.append(row)
            if len(pending) >= batch:
                inflight.append((pending, matching.submit(pending)))
                pending = []
                if len(inflight) > 1:
                    store_oldest()
        if pending:
            inflight.append((pending, matching.submit(pending)))
        while inflight:
            store_oldest()
        commit()
    finally:
        matching.close()
        if frozen:
            gc.unfreeze()
    # the postings' tables are tidied in another connection while the fold runs (it only reads them)
    with ThreadPoolExecutor(1) as beside:
        tidied = beside.submit(tidy_items_after_import, session.get_bind().engine)
        waiting = rollups.pending_count(session)
        if waiting:
            if counting:
                counting(waiting)
            rollups.fold(session)
            session.commit()
        tidied.result()
    tidy_after_import(session, [*(model.__tablename__ for model, _, _ in rollups.ROLLUPS.values()), window.TABLE])
    return result


def source_key_for(path: Path) -> str:
    """Imports of the same file name share a source: re-importing it (or a grown copy) adds only new rows."""
    return f"import:{path.name}"[:200]
