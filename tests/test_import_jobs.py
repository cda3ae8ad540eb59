"""`digest import-jobs`: CSV, JSON Lines and the HN dump; bad rows by line number; idempotent;
imported postings dedupe across sources and land in the rollups. `stats` and `shifts` commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from digest.cli import app
from digest.demand import rollups
from digest.ingest.imports import import_rows, store_postings
from digest.sources.jobfile import read_jsonl, validate
from digest.store.models import DemandTotalDay, Item, ItemSkill, ItemSource
from tests.conftest import _empty_database
from tests.support import synthetic


@pytest.fixture(autouse=True)
def _empty_at_start(engine: Any) -> None:
    """Start from an empty database even if a test outside the `settings` fixture left rows behind."""
    _empty_database(engine)


NOW = "2026-03-20T10:00:00Z"

CSV = """id,title,company,location,posted_at,url,description
a1,Senior Python Engineer,Acme,"Berlin, Germany",2026-03-02,https://example.com/a1,"Python and Kubernetes,
on two lines"
a2,Data Engineer,Beta,Remote,2026-03-03T23:30:00-02:00,,Spark
a3,,Gamma,Paris,2026-03-04,,no title
a4,Go Developer,Delta,NYC,yesterday,,bad date
a5,SRE,Eps,SF,2026-03-05,,x,extra
a6,Platform Engineer,Zeta,,2026-03-06,,
"""


def _run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_csv_import_reports_bad_rows_and_is_idempotent(settings: Any, session: Session, tmp_path: Path) -> None:
    path = tmp_path / "jobs.csv"
    path.write_text(CSV)
    result = _run("import-jobs", str(path), "--now", NOW, "--json", "--no-detect")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["read"], summary["added"], summary["duplicates"]) == (6, 3, 0)
    assert [(b["line"], b["error"].split(":")[0]) for b in summary["bad_rows"]] == [
        (5, "missing title"),  # line numbers count the multi-line cell of a1
        (6, "posted_at is not an ISO date or date-time"),
        (7, "8 cells, the header has 7"),
    ]
    items = {i.title: i for i in session.scalars(select(Item))}
    assert set(items) == {"Senior Python Engineer", "Data Engineer", "Platform Engineer"}
    assert str(items["Data Engineer"].posted_on) == "2026-03-04"  # 23:30 at -02:00 is the 4th in UTC
    assert items["Senior Python Engineer"].summary.startswith("Python and Kubernetes,\non two lines")
    assert items["Senior Python Engineer"].location_raw == "Berlin, Germany"
    again = json.loads(_run("import-jobs", str(path), "--now", NOW, "--json", "--no-detect").stdout)
    assert (again["added"], again["duplicates"]) == (0, 3)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Item)) == 3
    assert session.scalar(select(func.sum(DemandTotalDay.postings))) == 3
    # the human form prints a summary line; bad rows go to stderr with their line numbers
    human = _run("import-jobs", str(path), "--now", NOW, "--no-detect")
    assert "0 new postings" in human.stdout and "line 5: missing title" in human.output


def test_jsonl_and_cross_source_dedupe(settings: Any, session: Session, tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": 1, "title": "ML Engineer", "company": "Acme", "location": "SF", "posted_at": "2026-03-02"}),
        "{not json",
        "",
        json.dumps(["a", "list"]),
        json.dumps({"id": 2, "title": "ML  engineer", "company": "ACME", "location": "sf", "posted_at": "2026-03-09"}),
        json.dumps({"id": 3, "title": "ML Engineer", "company": "Acme", "location": "SF", "posted_at": "2026-05-02"}),
    ]
    path = tmp_path / "feed-a.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with path.open() as f:
        rows = list(read_jsonl(f))
    assert [(n, str(r)) for n, r in rows if not hasattr(r, "id")] == [
        (2, "line 2: bad JSON at column 2: Expecting property name enclosed in double quotes"),
        (4, "line 4: not an object with the fields id, title, company, location, posted_at, url, description"),
    ]
    from datetime import UTC, datetime

    now = datetime(2026, 5, 20, tzinfo=UTC)
    result = import_rows(session, rows, "import:feed-a.jsonl", now)
    # the same normalised title/company/location within 30 days is one posting (a repost), later a new one
    assert (result.read, result.added, result.duplicates, len(result.errors)) == (5, 2, 1, 2)
    # another source carrying the first one: stored once, one more ItemSource
    other = validate(
        1, {"id": "x9", "title": "ML Engineer", "company": "Acme", "location": "SF", "posted_at": "2026-03-03"}
    )
    assert store_postings(session, "import:other.csv", [other], now) == 0  # type: ignore[list-item]
    session.commit()
    assert session.scalar(select(func.count()).select_from(Item)) == 2
    assert session.scalar(select(func.count()).select_from(ItemSource)) == 4
    assert rollups.check(session) == []


def test_hn_dump_import(settings: Any, session: Session, shared_data: Path) -> None:
    folder = shared_data / "hn-whoishiring-2026q1" / "2026-01-01"
    first = json.loads(_run("import-jobs", str(folder), "--format", "hn", "--now", NOW, "--json", "--no-detect").stdout)
    assert first["read"] == 264 and first["bad_rows"] == []
    assert first["added"] + first["duplicates"] == 264 and first["added"] >= 260  # reposts merge
    item = session.scalar(select(Item).where(Item.url == "https://news.ycombinator.com/item?id=46467610"))
    assert item is not None and item.company == "MiLaboratories" and "Bilbao" in (item.location_raw or "")
    assert "&quot;" not in item.summary and "OS for Biology" in item.summary
    assert str(item.posted_on) == "2026-01-02"
    again = json.loads(_run("import-jobs", str(folder), "--format", "hn", "--now", NOW, "--json", "--no-detect").stdout)
    assert again["added"] == 0 and again["duplicates"] == 264
    assert session.scalar(select(func.count()).select_from(Item)) == first["added"]


def test_stats_and_shifts_commands(settings: Any, session: Session) -> None:
    (rust,) = synthetic.skills(session, ["Rust"])
    from datetime import date

    synthetic.add(session, [synthetic.posting(date(2026, 3, d), [rust.id]) for d in (2, 3, 16)])
    session.commit()
    out = _run("stats", "rust", "--as-of", "2026-03-17", "--json")
    assert out.exit_code == 0, out.output
    figures = json.loads(out.stdout)
    assert figures["postings"] == 3 and figures["skill"] == "rust"
    human = _run("stats", "Rust", "--as-of", "2026-03-17")
    assert "postings mentioning it in the last 90 days: 3" in human.stdout
    assert "within normal variation" in human.stdout
    unknown = _run("stats", "rusty")
    assert unknown.exit_code == 1 and "unknown skill 'rusty'" in unknown.stderr and "Rust (rust)" in unknown.stderr
    bad = _run("stats", "rust", "--as-of", "17/03/2026")
    assert bad.exit_code == 2
    shifts = json.loads(_run("shifts", "--as-of", "2026-03-17", "--json").stdout)
    assert shifts["week_start"] == "2026-03-16" and shifts["shifts"] == []


def test_matching_in_another_process_stores_what_inline_matching_does(
    settings: Any, session: Session, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DIGEST_IMPORT_MATCH_PROCESSES: 1 (a forked process, the default) and 0 (in the importer) give the
    same items and mentions; the CLI passes the setting through."""
    from digest.taxonomy.load import load_taxonomy

    folder = shared_data / "hn-whoishiring-2026q1" / "2026-02-01"

    def stored() -> list[tuple[Any, ...]]:
        rows = session.execute(
            select(
                Item.url, Item.job_title_id, Item.metro_id, ItemSkill.skill_id, ItemSkill.alias, ItemSkill.span_start
            )
            .join(ItemSkill, ItemSkill.item_id == Item.id)
            .order_by(Item.url, ItemSkill.skill_id)
        )
        return [tuple(r) for r in rows]

    results = []
    for processes in ("1", "0"):
        session.rollback()  # no snapshot from before the emptying (SQLite WAL)
        _empty_database(session.get_bind())
        load_taxonomy(session)
        session.commit()
        monkeypatch.setenv("DIGEST_IMPORT_MATCH_PROCESSES", processes)
        from digest import config

        config.get_settings.cache_clear()
        out = json.loads(
            _run("import-jobs", str(folder), "--format", "hn", "--now", NOW, "--json", "--no-detect").stdout
        )
        assert out["added"] > 250
        session.expire_all()
        results.append(stored())
        session.rollback()
    assert len(results[0]) > 1000 and results[0] == results[1]


def test_import_ends_with_how_many_postings_fall_in_the_window(settings: Any, session: Session, tmp_path: Path) -> None:
    path = tmp_path / "jobs.csv"
    path.write_text(CSV)
    fresh = _run("import-jobs", str(path), "--now", NOW, "--no-detect")
    assert fresh.stdout.strip().splitlines()[-1] == "3 job postings fall in the 90 days to 20 Mar 2026."
    # the same postings seen from a year on: none in the window, and the newest day is named
    later = _run("import-jobs", str(path), "--now", "2027-03-20T10:00:00Z", "--json", "--no-detect")
    assert json.loads(later.stdout)["window"] == {
        "as_of": "2027-03-20", "days": 90, "postings": 0, "newest_day": "2026-03-06"
    }  # fmt: skip
    human = _run("import-jobs", str(path), "--now", "2027-03-20T10:00:00Z", "--no-detect").stdout
    assert "No job postings fall in the 90 days to 20 Mar 2027: the newest are from 6 Mar 2026." in human
    assert f"{settings.base_url}/skills/<skill>?as_of=2026-03-06" in human  # a whole address to open
