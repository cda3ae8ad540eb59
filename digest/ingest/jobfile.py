"""Bulk import of job postings (`digest import-jobs`): streaming readers for CSV, JSON Lines and the
HN "Who is hiring" dumps, row validation with line numbers, and batched storage.

Imported postings are job items like those from job feeds: `store_postings` gives them an identity per
(source, id), dedupes them across sources by normalised title+company+location, and hands new ones to
`index_new_items` (skills, title, metro, demand rollups). Importing the same file twice adds nothing.
"""

from __future__ import annotations

import csv
import html
import io
import json
import multiprocessing as mp
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from digest.demand import dates, rollups, window
from digest.ingest.pipeline import store_entries
from digest.sources.clean import truncate
from digest.sources.entry import Entry
from digest.sources.identity import import_identity
from digest.sources.jobs import display_title, parse_hn_post, remote_flag
from digest.store.engine import immediate_transactions
from digest.store.models import ItemKind
from digest.taxonomy.link import Resolution, TaxonomyIds, ids_of, resolve_with
from digest.taxonomy.matcher import get_matcher

FIELDS = ("id", "title", "company", "location", "posted_at", "url", "description")
REQUIRED = ("id", "title", "posted_at")
FORMATS = ("csv", "jsonl", "hn")
MAX_SUMMARY = 1000  # what is displayed; skills are matched in the whole description
BATCH = 2000  # postings stored together (one set of dedupe lookups; see docs/demand.md on its size)
# batches per transaction: a crash loses none that were reported stored. Large, because on SQLite each
# random-keyed index (dedupe key, source identity, skill and day) dirties about a page per posting per
# transaction: 10 batches write ~30% fewer pages than 5 (measured at 600,000 postings)
COMMIT_BATCHES = 10
SQLITE_IMPORT_CACHE_KIB = 256 * 1024  # page cache of the importing connection (the pool keeps it)
SQLITE_IMPORT_CHECKPOINT_PAGES = 100_000  # WAL pages (400 MB) between checkpoints while importing


@dataclass(frozen=True)
class Posting:
    id: str
    title: str
    posted_at: datetime
    company: str = ""
    location: str = ""
    url: str = ""
    description: str = ""


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


Row = tuple[int, Posting | RowError]


@dataclass
class ImportResult:
    read: int = 0
    added: int = 0
    duplicates: int = 0
    errors: list[RowError] = field(default_factory=list)


class ImportFormatError(ValueError):
    """The file as a whole cannot be read (wrong format, missing header columns)."""


def parse_posted_at(value: str) -> datetime:
    """An ISO date (midnight UTC) or date-time (naive means UTC)."""
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return datetime.combine(date.fromisoformat(text), time(0), tzinfo=UTC)
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


EARLIEST_POSTING = datetime.combine(dates.EARLIEST, time(0), tzinfo=UTC)


def date_out_of_range(posted_at: datetime, now: datetime) -> str | None:
    """Why a posting date before 1990 or more than a day after `now` is a bad row (near the calendar's ends
    it would also overflow the dedupe window's arithmetic), or None."""
    if EARLIEST_POSTING <= posted_at <= now + dates.FUTURE_TOLERANCE:
        return None
    return f"posted_at {posted_at.date().isoformat()} is out of range (1990-01-01 to a day after now)"


def validate(line: int, record: Any) -> Posting | RowError:
    if not isinstance(record, dict):
        return RowError(line, "not an object with the fields " + ", ".join(FIELDS))
    values = {k: ("" if record.get(k) is None else str(record.get(k))).strip() for k in FIELDS}
    missing = [k for k in REQUIRED if not values[k]]
    if missing:
        return RowError(line, "missing " + ", ".join(missing))
    try:
        posted_at = parse_posted_at(values["posted_at"])
    except (ValueError, OverflowError):  # overflow: an offset that moves 0001-01-01 or 9999-12-31 off the calendar
        return RowError(line, f"posted_at is not an ISO date or date-time: {values['posted_at'][:40]!r}")
    if len(values["id"]) > 500:
        return RowError(line, "id is longer than 500 characters")
    return Posting(
        id=values["id"],
        title=values["title"][:500],
        posted_at=posted_at,
        company=values["company"][:500],
        location=values["location"][:500],
        url=values["url"][:2048],
        description=values["description"],
    )


def read_csv(stream: IO[str]) -> Iterator[Row]:
    reader = csv.DictReader(stream)
    header = reader.fieldnames or []
    missing = [k for k in REQUIRED if k not in header]
    if missing:
        raise ImportFormatError(f"CSV header lacks {', '.join(missing)} (expected {', '.join(FIELDS)})")
    start = 2
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, RowError(start, f"bad CSV: {exc}")
            start = reader.line_num + 1
            continue
        if None in record:  # more cells than header columns
            yield start, RowError(start, f"{len(header) + len(record[None])} cells, the header has {len(header)}")
        else:
            yield start, validate(start, record)
        start = reader.line_num + 1


def read_jsonl(stream: IO[str]) -> Iterator[Row]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, RowError(number, f"bad JSON: {exc.msg}")
            continue
        yield number, validate(number, record)


_TAG = re.compile(r"<[^>]+>")


def hn_text(raw_html: str) -> str:
    """HN comment HTML to plain text: paragraphs become newlines, entities are decoded."""
    text = re.sub(r"<p>", "\n", raw_html, flags=re.IGNORECASE)
    return html.unescape(_TAG.sub("", text)).strip()


def hn_record(job: dict[str, Any]) -> dict[str, Any]:
    """One HN 'Who is hiring' comment as an import record: company, role and location from its first
    line (the feed adapter's parse_hn_post), the whole comment as text for the description."""
    raw = str(job.get("text") or "")
    fields = parse_hn_post(raw)
    text = hn_text(raw)
    posted = datetime.fromtimestamp(int(job["time"]), UTC) if job.get("time") is not None else None
    return {
        "id": f"hn:{job.get('id')}" if job.get("id") is not None else "",
        "title": display_title(fields) or text.split("\n", 1)[0],
        "company": fields.company or "",
        "location": fields.location_raw or "",
        "posted_at": posted.isoformat() if posted else "",
        "url": f"https://news.ycombinator.com/item?id={job.get('id')}",
        "description": text,
    }


def read_hn(path: Path) -> Iterator[Row]:
    """`raw.json` files of the HN dump (a file, or a folder searched for raw.json); line = index + 1."""
    files = sorted(path.rglob("raw.json")) if path.is_dir() else [path]
    number = 0
    for f in files:
        data = json.loads(f.read_text(encoding="utf-8"))
        jobs = data.get("jobs") if isinstance(data, dict) else None
        if not isinstance(jobs, list):
            raise ImportFormatError(f"{f}: not an HN dump (no 'jobs' list)")
        for job in jobs:
            number += 1
            yield number, validate(number, hn_record(job) if isinstance(job, dict) else job)


class CountingReader(io.RawIOBase):
    """Counts the bytes read, for a progress bar over a streamed file."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.bytes_read = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.bytes_read += len(data)
        return len(data)


def open_rows(path: Path, fmt: str) -> tuple[Iterator[Row], Callable[[], int]]:
    """Rows of the file, and a function giving the bytes read so far."""
    if fmt == "hn":
        size = sum(f.stat().st_size for f in path.rglob("raw.json")) if path.is_dir() else path.stat().st_size
        done = {"n": 0}

        def rows_hn() -> Iterator[Row]:
            yield from read_hn(path)
            done["n"] = size

        return rows_hn(), lambda: done["n"]
    counter = CountingReader(path.open("rb"))
    text = io.TextIOWrapper(io.BufferedReader(counter), encoding="utf-8-sig", errors="replace", newline="")
    reader = read_csv(text) if fmt == "csv" else read_jsonl(text)
    return reader, lambda: counter.bytes_read


def guess_format(path: Path) -> str:
    if path.is_dir() or path.name == "raw.json":
        return "hn"
    return "jsonl" if path.suffix.lower() in (".jsonl", ".ndjson", ".json") else "csv"


# --- storage --------------------------------------------------------------------------------------


def to_entry(p: Posting) -> Entry:
    link = p.url if p.url.startswith(("http://", "https://")) else None
    return Entry(
        identity=import_identity(p.id),
        title=p.title,
        link=link,
        summary=truncate(p.description, MAX_SUMMARY),
        text=p.description,
        published_at=p.posted_at,
        kind=ItemKind.job,
        company=p.company or None,
        location_raw=p.location or None,
        remote=remote_flag(p.location, p.title),
        title_raw=p.title,
    )


def store_postings(
    session: Session,
    source_key: str,
    postings: Sequence[Posting],
    now: datetime,
    resolved: Mapping[str, Resolution] | None = None,
) -> int:
    """Store a batch of postings from one source; returns how many were new. The same storage as job
    feeds (digest.ingest.pipeline.store_entries): identity per (source, id), cross-source dedupe on
    normalised title + company + location within 30 days, then index_new_items for the new ones, left
    pending for the demand rollups (import_rows folds them once, at its end). `resolved`: resolve_batch's
    answer for these postings, when another process matched them."""
    if not postings:
        return 0
    name = source_key.removeprefix("import:")
    entries = [to_entry(p) for p in postings]
    return store_entries(session, source_key, None, entries, now, name, fold=False, resolved=resolved).new_count


# --- matching beside the importer -----------------------------------------------------------------

_WORKER: tuple[TaxonomyIds, datetime] | None = None


def _start_worker(ids: TaxonomyIds, now: datetime) -> None:
    global _WORKER
    _WORKER = (ids, now)


def resolve_batch(postings: Sequence[Posting]) -> dict[str, Resolution]:
    """The taxonomy's resolution (skills, title, metro) of each posting by identity, as store_entries would
    make it: run in a matching process, which has the ids and `now` from its start."""
    assert _WORKER is not None, "resolve_batch runs in a process started by Matching"
    ids, now = _WORKER
    entries: dict[str, Entry] = {}
    for p in postings:
        e = to_entry(p)
        entries.setdefault(e.identity, e)  # the first of an identity, the one store_entries keeps
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
    return dict(zip(entries, resolve_with(ids, fields, now), strict=True))


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


def sqlite_for_import(session: Session) -> None:
    """SQLite connection settings for bulk writing (they stay with the pooled connection). The default page
    cache is 2 MB: a batch's inserts into the items and item_skills indexes touch more pages, which then
    spill to the WAL mid-transaction and are read back. The WAL is copied into the database when it
    reaches 1,000 pages by default, inside a commit: every few batches, each copying pages the next
    batches change again (100,000 pages halved the time spent committing at 600,000 postings); the
    import checkpoints and restores the default when it is done (`tidy_after_import`)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}"))
        session.execute(text(f"PRAGMA wal_autocheckpoint = {SQLITE_IMPORT_CHECKPOINT_PAGES}"))
        session.execute(text(f"PRAGMA journal_size_limit = {64 * 1024 * 1024}"))
        session.execute(text("PRAGMA analysis_limit = 1000"))  # refresh_statistics samples; it need not read all
        session.commit()


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
    sqlite_for_import(session)
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
    waiting = rollups.pending_count(session)
    if waiting:
        if counting:
            counting(waiting)
        rollups.fold(session)
        session.commit()
    tidy_after_import(session)
    return result


def tidy_after_import(session: Session) -> None:
    """After a bulk load. PostgreSQL: VACUUM ANALYZE the demand rollups and the mentions, so a `stats` read
    is an index-only scan at once (until vacuumed, every row read also visits the table) and the planner
    knows their sizes, whenever autovacuum gets to them; and `demand_pending`, whose index the fold just
    filled with dead entries that every "not pending" probe (the pairs of a past date) would visit
    (measured: 166 ms instead of ~2 ms for a rare skill's past figures after 1,000,000 postings). SQLite:
    copy the WAL into the database as far as readers allow, and checkpoint as usual again (the WAL file is
    cut back to 64 MB when it next starts over: journal_size_limit)."""
    engine = session.get_bind().engine
    if engine.dialect.name == "sqlite":
        session.execute(text("PRAGMA wal_autocheckpoint = 1000"))
        session.commit()
        raw = engine.raw_connection()  # a checkpoint cannot run inside a transaction
        try:  # PASSIVE: copies what no reader still needs, never waits for readers (the web app's)
            raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
        finally:
            raw.close()
        return
    tables = ", ".join(
        [
            *(model.__tablename__ for model, _, _ in rollups.ROLLUPS.values()),
            window.TABLE,
            "item_skills",
            "demand_pending",
        ]
    )
    with engine.connect() as conn:  # VACUUM cannot run inside a transaction
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(f"VACUUM (ANALYZE) {tables}")


def refresh_statistics(session: Session) -> None:
    """Let the query planner see the tables a bulk import is growing. Without statistics SQLite answers
    the cross-source dedupe lookup (kind = job AND dedupe_key IN ...) with the kind index, a scan of every
    posting per batch; with them it uses the dedupe_key index (measured: 50x faster at 100,000 postings)."""
    if session.get_bind().dialect.name == "sqlite":
        for table in ("items", "item_sources", "item_skills"):
            session.execute(text(f"ANALYZE {table}"))
    else:
        session.execute(text("ANALYZE items, item_sources, item_skills"))
    session.commit()


def source_key_for(path: Path) -> str:
    """Imports of the same file name share a source: re-importing it (or a grown copy) adds only new rows."""
    return f"import:{path.name}"[:200]
