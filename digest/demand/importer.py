"""Bulk import of job postings (`digest import-jobs`): streaming readers for CSV, JSON Lines and the
HN "Who is hiring" dumps, row validation with line numbers, and batched storage.

Imported postings are job items like those from job feeds: `store_postings` gives them an identity per
(source, id), dedupes them across sources by normalised title+company+location, and hands new ones to
`index_new_items` (skills, title, metro, demand rollups). Importing the same file twice adds nothing.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session

from digest.indexing import index_new_items
from digest.models import Item, ItemKind, ItemSource

FIELDS = ("id", "title", "company", "location", "posted_at", "url", "description")
REQUIRED = ("id", "title", "posted_at")
FORMATS = ("csv", "jsonl", "hn")
MAX_SUMMARY = 4000
BATCH = 500
DEDUPE_DAYS = 30


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


def validate(line: int, record: Any) -> Posting | RowError:
    if not isinstance(record, dict):
        return RowError(line, "not an object with the fields " + ", ".join(FIELDS))
    values = {k: ("" if record.get(k) is None else str(record.get(k))).strip() for k in FIELDS}
    missing = [k for k in REQUIRED if not values[k]]
    if missing:
        return RowError(line, "missing " + ", ".join(missing))
    try:
        posted_at = parse_posted_at(values["posted_at"])
    except ValueError:
        return RowError(line, f"posted_at is not an ISO date or date-time: {values['posted_at']!r}")
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
    """One HN 'Who is hiring' comment as an import record: the first line is usually
    'Company | Role | Location | REMOTE | ...'; the full text is the description."""
    text = hn_text(str(job.get("text") or ""))
    first = text.split("\n", 1)[0]
    parts = [p.strip() for p in first.split("|") if p.strip()]
    company = parts[0] if parts else ""
    rest = parts[1:]
    role = next((p for p in rest if _looks_like_role(p)), None)
    role = role or next((p for p in rest if not _looks_like_place(p)), None) or first
    places = [p for p in rest if p != role and _looks_like_place(p)]
    # a named place ('Bilbao, Spain', 'NYC') beats a bare work mode ('ONSITE', 'Remote')
    location = next((p for p in places if not _WORK_MODE.fullmatch(p)), places[0] if places else "")
    posted = datetime.fromtimestamp(int(job["time"]), UTC) if job.get("time") is not None else None
    return {
        "id": f"hn:{job.get('id')}" if job.get("id") is not None else "",
        "title": role[:300],
        "company": company[:300],
        "location": location[:300],
        "posted_at": posted.isoformat() if posted else "",
        "url": f"https://news.ycombinator.com/item?id={job.get('id')}",
        "description": text,
    }


_ROLE = re.compile(
    r"engineer|developer|scientist|architect|manager|designer|analyst|lead|head|director|sre|devops|"
    r"researcher|programmer|consultant|administrator|specialist|intern|founding|cto|vp",
    re.IGNORECASE,
)
_WORK_MODE = re.compile(r"\W*(?:full[- ]?time\s*)?(?:remote|onsite|on-site|hybrid|in[- ]office)\W*", re.IGNORECASE)
_PLACE = re.compile(r"remote|onsite|on-site|hybrid|,|\b(?:NYC|SF|USA|US|UK|EU)\b", re.IGNORECASE)


def _looks_like_role(part: str) -> bool:
    return bool(_ROLE.search(part)) and len(part) < 150


def _looks_like_place(part: str) -> bool:
    return bool(_PLACE.search(part)) and len(part) < 150


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


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def dedupe_key(p: Posting) -> str:
    """Cross-source identity of a job posting: normalised title + company + location."""
    return _sha("job|" + "|".join(_norm(x) for x in (p.title, p.company, p.location)))


def store_postings(session: Session, source_key: str, postings: Sequence[Posting], now: datetime) -> int:
    """Store a batch of postings from one source; returns how many were new.

    THE storage call of the importer: same identity (source_key, id) and cross-source dedupe as job feeds,
    then index_new_items for the new ones. When digest.feeds.ingest.store_entries lands, this becomes a
    thin adapter onto it."""
    if not postings:
        return 0
    by_identity: dict[str, Posting] = {}
    for p in postings:
        by_identity.setdefault(_sha(p.id), p)
    seen = set(
        session.scalars(
            select(ItemSource.identity).where(
                ItemSource.source_key == source_key, ItemSource.identity.in_(list(by_identity))
            )
        )
    )
    fresh = {ident: p for ident, p in by_identity.items() if ident not in seen}
    keys = {ident: dedupe_key(p) for ident, p in fresh.items()}
    # the same posting from another source: same normalised title, company and location within
    # DEDUPE_DAYS; within one source, distinct ids are distinct postings (a company re-posting monthly)
    known: dict[str, list[_Known]] = {}
    candidates = session.execute(
        select(Item.id, Item.dedupe_key, Item.posted_on, ItemSource.source_key)
        .join(ItemSource, ItemSource.item_id == Item.id)
        .where(Item.kind == ItemKind.job, Item.dedupe_key.in_(list(set(keys.values()))))
    ).all()
    by_item: dict[int, _Known] = {}
    for item_id, key, posted_on, src in candidates:
        if item_id not in by_item:
            by_item[item_id] = _Known(item_id, posted_on, set())
            known.setdefault(key or "", []).append(by_item[item_id])
        by_item[item_id].sources.add(src)
    # Core inserts (no unit of work): an import is hundreds of thousands of rows
    new_rows: list[dict[str, Any]] = []
    source_rows: list[tuple[_Known, str, str | None]] = []
    for ident, p in fresh.items():
        day = p.posted_at.date()
        match = next(
            (
                k
                for k in known.get(keys[ident], [])
                if source_key not in k.sources
                and k.posted_on is not None
                and abs((k.posted_on - day).days) <= DEDUPE_DAYS
            ),
            None,
        )
        if match is None:
            match = _Known(None, day, {source_key}, len(new_rows))
            known.setdefault(keys[ident], []).append(match)
            new_rows.append(
                {
                    "kind": ItemKind.job,
                    "title": p.title,
                    "title_raw": p.title,
                    "url": p.url or None,
                    "canonical_url": p.url or None,
                    "summary": p.description[:MAX_SUMMARY],
                    "source_name": source_key.removeprefix("import:"),
                    "published_at": p.posted_at,
                    "fetched_at": now,
                    "dedupe_key": keys[ident],
                    "company": p.company or None,
                    "location_raw": p.location or None,
                    "posted_on": day,
                }
            )
        source_rows.append((match, ident, p.url or None))
    new_ids = _insert_items(session, new_rows)
    for k in known_new(source_rows):
        k.item_id = new_ids[k.row]  # type: ignore[index]
    if not source_rows:
        return 0
    session.connection().execute(
        insert(_table(ItemSource)),
        [
            {"item_id": k.item_id, "source_key": source_key, "identity": ident, "url": url, "first_seen_at": now}
            for k, ident, url in source_rows
        ],
    )
    new_items = list(session.scalars(select(Item).where(Item.id.in_(new_ids)).order_by(Item.id))) if new_ids else []
    index_new_items(session, new_items, now)
    return len(new_items)


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


def _insert_items(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert item rows; their ids in row order."""
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":  # batched INSERT .. RETURNING keeps the order
        return list(session.scalars(insert(Item).returning(Item.id, sort_by_parameter_order=True), rows))
    # SQLite would fall back to one statement per row for ordered RETURNING. One executemany inside our
    # write transaction (the write lock is held from its first row) gives consecutive rowids instead.
    session.connection().execute(insert(_table(Item)), rows)
    last = int(session.execute(text("SELECT last_insert_rowid()")).scalar_one())
    return list(range(last - len(rows) + 1, last + 1))


@dataclass
class _Known:
    item_id: int | None
    posted_on: date | None
    sources: set[str]
    row: int | None = None  # index into this batch's new rows


def known_new(rows: list[tuple[_Known, str, str | None]]) -> list[_Known]:
    return [k for k, _, _ in rows if k.item_id is None and k.row is not None]


def import_rows(
    session: Session,
    rows: Iterable[Row],
    source_key: str,
    now: datetime,
    batch: int = BATCH,
    progress: Callable[[ImportResult], None] | None = None,
) -> ImportResult:
    """Validate and store rows in batches, committing each batch; bad rows are reported and skipped."""
    result = ImportResult()
    pending: list[Posting] = []

    def flush() -> None:
        added = store_postings(session, source_key, pending, now)
        session.commit()
        result.added += added
        result.duplicates += len(pending) - added
        pending.clear()
        if progress:
            progress(result)

    for _line, row in rows:
        result.read += 1
        if isinstance(row, RowError):
            result.errors.append(row)
            continue
        pending.append(row)
        if len(pending) >= batch:
            flush()
    flush()
    return result


def source_key_for(path: Path) -> str:
    """Imports of the same file name share a source: re-importing it (or a grown copy) adds only new rows."""
    return f"import:{path.name}"[:200]
