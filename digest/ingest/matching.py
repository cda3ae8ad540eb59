"""Skill matching beside the importer: batches of postings resolved (skills, title, metro) in forked
processes, one batch ahead of storage."""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime

from digest.ingest.pipeline import job_values
from digest.sources.entry import Entry
from digest.sources.jobfile import Posting, to_entry
from digest.store.models import ItemKind
from digest.taxonomy.link import Resolution, TaxonomyIds, resolve_with
from digest.taxonomy.matcher import get_matcher

_WORKER: tuple[TaxonomyIds, datetime] | None = None


def _start_worker(ids: TaxonomyIds, now: datetime) -> None:
    global _WORKER
    _WORKER = (ids, now)


def resolve_batch(postings: Sequence[Posting]) -> dict[str, Resolution]:
    """The taxonomy's resolution (skills, title, metro) of each posting by identity, as the pipeline's resolve_here
    would make it, its values with the posting's `job_values` (pay, seniority, employer: off the importer's
    path too): run in a matching process, which has the ids and `now` from its start."""
    assert _WORKER is not None, "resolve_batch runs in a process started by Matching"
    ids, now = _WORKER
    entries: dict[str, Entry] = {}
    for p in postings:
        e = to_entry(p)
        entries.setdefault(e.identity, e)  # the first of an identity, the one the pipeline keeps
    fields = [
        {
            "kind": e.kind,
            "title": e.title,
            "summary": e.summary,
            "body": e.body,
            "title_raw": e.title_raw,
            "location_raw": e.location_raw,
            "remote": e.remote,
        }
        for e in entries.values()
    ]
    resolutions = resolve_with(ids, fields, now)
    for e, r in zip(entries.values(), resolutions, strict=True):
        if e.kind == ItemKind.job:
            r.values.update(job_values(e))
    return dict(zip(entries, resolutions, strict=True))


class Matching:
    """Matches batches of postings in other processes (forked, so they share the built matcher), one
    batch ahead of storage: while the importer stores batch k, batch k+1 is being matched. Answers come
    back in the order asked. With 0 processes, or where a process cannot be forked (not Linux, a daemonic
    Celery worker), each batch is matched in the importer when its answer is asked for."""

    def __init__(self, ids: TaxonomyIds, now: datetime, processes: int) -> None:
        self.ids, self.now = ids, now
        self.pool: ProcessPoolExecutor | None = None
        if processes > 0 and "fork" in mp.get_all_start_methods() and not mp.current_process().daemon:
            get_matcher()  # built here once; the forked processes inherit it
            self.pool = ProcessPoolExecutor(
                processes, mp_context=mp.get_context("fork"), initializer=_start_worker, initargs=(ids, now)
            )

    def submit(self, postings: Sequence[Posting]) -> Callable[[], dict[str, Resolution]]:
        """Start matching these postings; returns a function that waits for the answer."""
        if self.pool is None:
            return lambda: self._inline(postings)
        return self.pool.submit(resolve_batch, list(postings)).result

    def _inline(self, postings: Sequence[Posting]) -> dict[str, Resolution]:
        _start_worker(self.ids, self.now)
        return resolve_batch(postings)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
