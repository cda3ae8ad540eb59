"""Job-posting files (`digest import-jobs`): streaming readers for CSV, JSON Lines and the HN "Who is
hiring" dumps, each row validated with its line number, and a posting as an `Entry` for the ingestion
pipeline (digest.ingest.imports stores them)."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import IO, Any

from digest.sources.clean import truncate
from digest.sources.entry import Entry
from digest.sources.identity import import_identity
from digest.sources.jobs import display_title, parse_hn_post, remote_flag
from digest.store.models import ItemKind

FIELDS = ("id", "title", "company", "location", "posted_at", "url", "description")
REQUIRED = ("id", "title", "posted_at")
FORMATS = ("csv", "jsonl", "hn")
MAX_SUMMARY = 1000  # what is displayed; skills are matched in the whole description


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


_UNDECODED = re.compile("[\ud800-\udfff]")  # what surrogateescape makes of bytes that are not UTF-8


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
    # NUL: no text column of PostgreSQL's holds it (a "\u0000" in one row made COPY fail the whole import)
    values = {k: ("" if record.get(k) is None else str(record.get(k))).replace("\x00", "").strip() for k in FIELDS}
    missing = [k for k in REQUIRED if not values[k]]
    if missing:
        return RowError(line, "missing " + ", ".join(missing))
    if any(not v.isascii() and _UNDECODED.search(v) for v in values.values()):  # not UTF-8, or a lone \ud800
        return RowError(line, "not UTF-8 text (save the file as UTF-8)")
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
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]  # "ID", " title" as spreadsheets write
    reader.fieldnames = header
    missing = [k for k in REQUIRED if k not in header]
    if not header:
        raise ImportFormatError(f"empty: no header line (expected {', '.join(FIELDS)})")
    if missing and ";" in "".join(header):
        raise ImportFormatError(f"CSV header lacks {', '.join(missing)}: its columns are separated by ';', not ','")
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
            start = reader.reader.line_num + 1  # the DictReader's own count moves on success only
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
            # msg may end in " at" (json puts the position after it): "Invalid control character at"
            yield number, RowError(number, f"bad JSON at column {exc.colno}: {exc.msg.removesuffix(' at')}")
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
    if not files:
        raise ImportFormatError("a folder with no raw.json in it (an HN dump has one in each run's folder)")
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
    text = io.TextIOWrapper(io.BufferedReader(counter), encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = read_csv(text) if fmt == "csv" else read_jsonl(text)
    return reader, lambda: counter.bytes_read


def guess_format(path: Path) -> str:
    if path.is_dir() or path.name == "raw.json":
        return "hn"
    return "jsonl" if path.suffix.lower() in (".jsonl", ".ndjson", ".json") else "csv"


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
