"""Pins what `import-jobs` stores, so import speed work cannot change a result: a generated file of ~3,000
postings (reposts, re-imports, a second source repeating some postings, tombstones, bad rows) and the real HN
2026 Q1 dump go through the real matcher on SQLite and PostgreSQL, and a canonical dump of items,
item_sources, item_skills and every demand rollup (database ids replaced by natural keys) must equal the one
frozen from the code before the speed work (tests/snapshots/import_equivalence.json.gz).

Regenerate the snapshot only for an intended change of results: DIGEST_FREEZE_IMPORT=1 pytest this file."""

from __future__ import annotations

import csv
import difflib
import gzip
import hashlib
import json
import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest.demand import rollups
from digest.ingest.imports import import_rows
from digest.sources.identity import import_identity
from digest.sources.jobfile import open_rows, read_hn
from digest.store.employer_rollups import EMPLOYER_ROLLUPS
from digest.store.models import Item, ItemSkill, ItemSource, ItemTombstone, JobTitle, Metro, Skill
from digest.store.pay_rollups import PAY_ROLLUPS
from digest.taxonomy.link import forget_ids
from digest.taxonomy.load import load_taxonomy
from tests.conftest import _empty_database

SNAPSHOT = Path(__file__).parent / "snapshots" / "import_equivalence.json.gz"
NOW = datetime(2026, 3, 20, 10, tzinfo=UTC)

TITLES = (
    "Senior Python Engineer",
    "Data Engineer",
    "Frontend Developer",
    "Backend Engineer",
    "Staff Software Engineer",
    "Machine Learning Engineer",
    "DevOps Engineer",
    "Site Reliability Engineer",
    "Engineering Manager",
    "Full Stack Developer",
    "Product Designer",
    "Data Scientist",
)
LOCATIONS = (
    "Berlin, Germany",
    "Remote",
    "San Francisco, CA",
    "NYC",
    "London, UK",
    "Paris",
    "Remote (US)",
    "Austin, TX",
    "",
    "Toronto, Canada",
)


@pytest.fixture(autouse=True)
def _empty_at_start(engine: Any) -> None:
    _empty_database(engine)


def _generate(skill_names: list[str], seed: int = 5) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Two sources: A (~3,000 rows with reposts inside 30 days and outside, repeated URLs, bad rows) and B
    (repeats some of A under other ids, by title+company+location or by URL, plus its own postings)."""
    rng = random.Random(seed)
    start = NOW - timedelta(days=150)
    a: list[dict[str, str]] = []
    for i in range(3000):
        company = f"Company {rng.randrange(700)}"
        picked = rng.sample(skill_names, rng.choice((0, 1, 2, 3, 4, 6)))
        when = start + timedelta(minutes=rng.randrange(150 * 24 * 60))
        url = rng.choice(
            (
                "",
                f"https://jobs.example.com/{i}",
                f"https://jobs.example.com/{i}?utm_source=x",
                "https://jobs.example.com/",
            )
        )
        a.append(
            {
                "id": f"a{i}",
                "title": rng.choice(TITLES),
                "company": company,
                "location": rng.choice(LOCATIONS),
                "posted_at": when.isoformat() if rng.random() < 0.7 else when.date().isoformat(),
                "url": url,
                "description": f"We use {', '.join(picked)}." if picked else "Great team, good pay.",
            }
        )
    for i in range(0, 3000, 37):  # bad rows
        a[i] = {**a[i], "title": ""} if i % 2 else {**a[i], "posted_at": "soon"}
    for i in range(1, 3000, 11):  # reposts of an earlier row: same title/company/location, days later
        src = a[rng.randrange(i)]
        if src["title"] and src["posted_at"] != "soon":
            later = datetime.fromisoformat(src["posted_at"]).replace(tzinfo=UTC) + timedelta(days=rng.randrange(60))
            # more than a day after NOW is a bad row now (#14); such reposts were stored as of NOW: keep that
            later = NOW if later > NOW + timedelta(days=1) else later
            a[i] = {**src, "id": f"a{i}", "posted_at": later.isoformat(), "url": ""}
    b: list[dict[str, str]] = []
    for j, row in enumerate(rng.sample(a, 400)):
        if j % 3 == 0 and row["url"]:
            b.append({**row, "id": f"b{j}", "title": row["title"] + " (B)", "company": "Other"})  # same URL
        else:
            b.append({**row, "id": f"b{j}", "url": ""})
    for j in range(400, 700):
        b.append({**rng.choice(a), "id": f"b{j}", "company": f"B-only {j}", "url": ""})
    return a, b


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["id", "title", "company", "location", "posted_at", "url", "description"])
        w.writeheader()
        w.writerows(rows)
    return path


def _import(session: Session, path: Path, key: str) -> list[int]:
    rows, _ = open_rows(path, "csv")
    r = import_rows(session, rows, key, NOW)
    return [r.read, r.added, r.duplicates, len(r.errors)]


def canonical_dump(session: Session) -> dict[str, Any]:
    """Everything an import stores, with database ids replaced by natural keys."""
    skill = dict(session.execute(select(Skill.id, Skill.slug)).tuples().all())
    title = dict(session.execute(select(JobTitle.id, JobTitle.slug)).tuples().all())
    metro = dict(session.execute(select(Metro.id, Metro.slug)).tuples().all())
    item_key: dict[int, str] = {}
    sources = []
    for item_id, key, ident, url, chash in session.execute(
        select(ItemSource.item_id, ItemSource.source_key, ItemSource.identity, ItemSource.url, ItemSource.content_hash)
    ):
        k = f"{key}/{ident[:16]}"  # a sha256: 16 hex digits are unique here
        item_key[item_id] = min(item_key.get(item_id, k), k)
        sources.append([key, ident[:16], item_id, url, chash and chash[:16]])
    for s in sources:
        s[2] = item_key[s[2]]
    items = []
    for i in session.scalars(select(Item)):
        items.append(
            [
                item_key[i.id],
                i.kind.value,
                i.title,
                i.url,
                i.canonical_url,
                hashlib.sha256(i.summary.encode()).hexdigest()[:16],
                i.source_name,
                i.published_at.isoformat(),
                i.dedupe_key,
                i.company,
                i.location_raw,
                i.remote,
                i.posted_on.isoformat() if i.posted_on else None,
                i.title_raw,
                title.get(i.job_title_id) if i.job_title_id else None,
                metro.get(i.metro_id) if i.metro_id else None,
                i.matched_at.isoformat() if i.matched_at else None,
                i.employer_key,
            ]
        )
    skills = [
        [item_key[r.item_id], skill[r.skill_id], r.alias, r.span_start, r.span_end]
        for r in session.scalars(select(ItemSkill))
    ]
    names = {"skill_id": skill, "other_skill_id": skill, "job_title_id": title, "metro_id": metro}
    out: dict[str, Any] = {
        "items": sorted(items),
        "item_sources": sorted(sources),
        "item_skills": sorted(skills),
    }
    order = ("skill_id", "job_title_id", "metro_id", "day")  # key columns in a fixed order, whatever the table's
    for name, counter in rollups.stored_counts(session).items():
        if (
            name in PAY_ROLLUPS or name in EMPLOYER_ROLLUPS
        ):  # newer than the frozen dump; compared with the raw postings by rollups.check
            continue
        _model, keys, _ = rollups.ROLLUPS[name]
        out[f"rollup_{name}"] = sorted(
            [
                *(
                    names[k][v] if k in names else v.isoformat()
                    for k, v in sorted(zip(keys, key, strict=True), key=lambda kv: order.index(kv[0]))
                ),
                n,
            ]
            for key, n in counter.items()
        )
    return out


def run_imports(session: Session, tmp_path: Path, hn: Path) -> dict[str, Any]:
    load_taxonomy(session)
    session.commit()
    names = list(session.scalars(select(Skill.name).order_by(Skill.slug)))[::7]
    a, b = _generate(names)
    file_a = _write(tmp_path / "a.csv", a)
    summaries = {"a": _import(session, file_a, "import:a.csv")}
    summaries["a again"] = _import(session, file_a, "import:a.csv")
    grown = _write(tmp_path / "a2.csv", [*a, {**a[6], "id": "extra", "company": "Brand new"}])
    summaries["a grown"] = _import(session, grown, "import:a.csv")
    for j in range(0, 50, 5):  # identities B pruned earlier: never come back
        session.add(ItemTombstone(source_key="import:b.csv", identity=import_identity(f"b{j}"), pruned_at=NOW))
    session.commit()
    summaries["b"] = _import(session, _write(tmp_path / "b.csv", b), "import:b.csv")
    r = import_rows(session, read_hn(hn), "import:hn", NOW)
    summaries["hn"] = [r.read, r.added, r.duplicates, len(r.errors)]
    session.commit()
    assert rollups.check(session) == []
    return {"summaries": summaries, **canonical_dump(session)}


def _lines(dump: dict[str, Any]) -> list[str]:
    return [
        f"{k}: {json.dumps(row)}" for k, rows in dump.items() for row in (rows if isinstance(rows, list) else [rows])
    ]


def test_import_results_equal_frozen_dump(settings: Any, session: Session, tmp_path: Path, shared_data: Path) -> None:
    dump = run_imports(session, tmp_path, shared_data / "hn-whoishiring-2026q1")
    dump = json.loads(json.dumps(dump))  # tuples to lists, as in the snapshot
    if os.environ.get("DIGEST_FREEZE_IMPORT") and session.get_bind().dialect.name == "sqlite":
        SNAPSHOT.write_bytes(gzip.compress(json.dumps(dump, sort_keys=True).encode(), mtime=0))
    expected = json.loads(gzip.decompress(SNAPSHOT.read_bytes()))
    assert len(dump["items"]) > 3000 and len(dump["item_skills"]) > 5000  # the matcher ran on both sources
    if dump != expected:
        diff = difflib.unified_diff(_lines(expected), _lines(dump), "frozen", "now", lineterm="", n=0)
        pytest.fail("import results changed:\n" + "\n".join(list(diff)[:40]))


def test_a_failed_batch_keeps_the_committed_batches_and_nothing_else(
    settings: Any, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import commits after batches 1, 2, 4, 8 ... and every 10th: when batch 3 fails, batches 1 and 2
    stay whole (pending for the next fold, which counts them once) and nothing of batch 3 is left. Run
    again, the import adds the rest, and everything it stored, rollups included, is a clean import's."""
    from digest.ingest import imports as importer

    load_taxonomy(session)
    session.commit()
    names = list(session.scalars(select(Skill.name).order_by(Skill.slug)))[::7]
    a, _b = _generate(names)
    real, calls, committed = importer.store_postings, [], []

    def failing(s: Session, *args: Any, **kwargs: Any) -> int:
        calls.append(1)
        if len(calls) == 3:
            committed.append(s.scalar(select(func.count()).select_from(ItemSource)))
            raise RuntimeError("disk full")
        return real(s, *args, **kwargs)

    monkeypatch.setattr(importer, "store_postings", failing)
    path = _write(tmp_path / "a.csv", a)
    rows, _ = open_rows(path, "csv")
    with pytest.raises(RuntimeError, match="disk full"):
        import_rows(session, rows, "import:a.csv", NOW, batch=250)
    session.rollback()
    monkeypatch.undo()
    assert committed[0] > 400  # two batches of 250 rows, a few of them bad
    assert session.scalar(select(func.count()).select_from(ItemSource)) == committed[0]
    items = session.scalar(select(func.count()).select_from(Item))
    assert rollups.pending_count(session) == items
    assert rollups.check(session) == []  # pending postings are in no figure
    rows, _ = open_rows(path, "csv")
    import_rows(session, rows, "import:a.csv", NOW, batch=250)
    session.commit()
    assert rollups.pending_count(session) == 0 and rollups.check(session) == []
    rerun = canonical_dump(session)
    session.rollback()
    _empty_database(session.get_bind())
    forget_ids()
    load_taxonomy(session)
    session.commit()
    rows, _ = open_rows(path, "csv")
    import_rows(session, rows, "import:a.csv", NOW, batch=250)
    session.commit()
    assert canonical_dump(session) == rerun
