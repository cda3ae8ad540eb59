"""The job-import use case (`digest import-jobs`): import the rows, move the paired-skills window to the
import's day, detect shifts, and read the window's freshness to report."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from digest.demand.freshness import Freshness, freshness
from digest.demand.shifts import RunSummary, run_detection
from digest.demand.window import advance as advance_window
from digest.ingest.imports import ImportResult, import_rows
from digest.sources.jobfile import Row
from digest.store.engine import session_scope


@dataclass
class JobsImport:
    result: ImportResult
    shifts: RunSummary | None  # the shift detection run after the import (when asked for and anything was new)
    freshness: Freshness  # the demand window as of the import's day, after it


def import_jobs(
    rows: Iterable[Row],
    source_key: str,
    now: datetime,
    *,
    match_processes: int = 1,
    detect: bool = True,
    progress: Callable[[ImportResult], None] | None = None,
    counting: Callable[[int], None] | None = None,
    stored: Callable[[ImportResult], None] | None = None,
) -> JobsImport:
    """Import the rows (digest.ingest.imports.import_rows; `progress` and `counting` are its callbacks,
    `stored(result)` is called once they are stored, counted and committed). When any posting was new: move the
    paired-skills window to `now`'s day, so today's pairs come from it at once rather than at 00:05, and
    (with `detect`) run shift detection. Each step is its own transaction."""
    with session_scope() as session:
        result = import_rows(
            session, rows, source_key, now, progress=progress, counting=counting, match_processes=match_processes
        )
    if stored:
        stored(result)
    if result.added:
        with session_scope() as session:
            advance_window(session, now.date())
    shifts = None
    if detect and result.added:
        with session_scope() as session:
            shifts = run_detection(session, now)
    with session_scope() as session:
        fresh = freshness(session, now.date())
    return JobsImport(result, shifts, fresh)
