"""Skills are matched in an item's whole text on every path: a real HN posting whose stack is listed after
character 1,000 resolves to the same skills through a job feed served on 127.0.0.1 and through
`import-jobs`; what is displayed stays short; `digest skills relink` re-resolves stored items and the
demand rollups stay equal to a count of the raw postings."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.demand import rollups
from digest.ingest.imports import import_rows
from digest.ingest.pipeline import delete_items
from digest.ingest.poll import poll_one
from digest.ingest.relink import relink
from digest.sources.jobfile import open_rows
from digest.sources.manage import add_feed
from digest.store.models import FeedKind, Item, ItemSkill, Skill
from digest.taxonomy.link import link_items
from digest.taxonomy.load import load_taxonomy
from tests.feedserver import FeedServer

NOW = datetime(2026, 2, 10, 12, tzinfo=UTC)
POSTING = 46857494  # February 2026 thread: the stack (Rails, PostgreSQL, Terraform, ...) after character 1,000
LATE = {"postgresql", "terraform", "redis", "typescript", "rust", "datadog"}


def _job(shared_data: Path) -> dict[str, Any]:
    jobs = json.loads((shared_data / "hn-whoishiring-2026q1" / "2026-02-01" / "raw.json").read_text())["jobs"]
    return next(j for j in jobs if j["id"] == POSTING)


def _skills(session: Session) -> dict[str, int]:
    """slug -> span start of every mention of the one stored item."""
    rows = session.execute(select(Skill.slug, ItemSkill.span_start).join(ItemSkill, ItemSkill.skill_id == Skill.id))
    return dict(rows.tuples().all())


def test_same_skills_from_a_job_feed_and_import_jobs(
    session: Session, settings: Any, shared_data: Path, tmp_path: Path
) -> None:
    load_taxonomy(session)
    session.commit()
    job = _job(shared_data)
    # through a job feed (an hnrss-style item: the comment's HTML as the description)
    rss = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>HN jobs</title>'
        "<link>https://news.ycombinator.com/</link><item><title>New comment by someone in Ask HN: Who is hiring?"
        f"</title><link>https://news.ycombinator.com/item?id={POSTING}</link><guid>{POSTING}</guid>"
        f"<description>{escape(job['text'])}</description><pubDate>Mon, 02 Feb 2026 17:00:00 GMT</pubDate>"
        "</item></channel></rss>"
    ).encode()
    with FeedServer() as server:
        server.route("/hn.xml", body=rss)
        feed, _ = add_feed(session, server.url("/hn.xml"), FeedKind.jobs, NOW)
        session.commit()
        poll_one(session, feed.id, NOW, settings)
        session.commit()
    from_feed = _skills(session)
    item = session.scalars(select(Item)).one()
    assert len(item.summary) <= settings.feed_summary_max_chars  # displayed: short
    assert item.body is not None and len(item.body) > 1500  # kept for re-matching
    assert set(from_feed) >= LATE
    assert all(from_feed[s] > 1000 for s in LATE)  # found only past the old cut
    delete_items(session, [item.id], NOW)
    session.commit()

    # through import-jobs (the HN dump format)
    dump = tmp_path / "raw.json"
    dump.write_text(json.dumps({"jobs": [job]}))
    rows, _ = open_rows(dump, "hn")
    assert import_rows(session, rows, "import:raw.json", NOW, match_processes=0).added == 1
    from_import = _skills(session)
    assert set(from_import) == set(from_feed)


def test_relink_restores_the_skills_and_keeps_the_rollups_exact(
    session: Session, settings: Any, shared_data: Path, tmp_path: Path
) -> None:
    load_taxonomy(session)
    session.commit()
    dump = tmp_path / "raw.json"
    dump.write_text((shared_data / "hn-whoishiring-2026q1" / "2026-02-01" / "raw.json").read_text())
    rows, _ = open_rows(dump, "hn")
    import_rows(session, rows, "import:raw.json", NOW, match_processes=0)
    from digest.demand.window import advance

    advance(session, NOW.date())
    session.commit()
    right = {(i, s) for i, s in session.execute(select(ItemSkill.item_id, ItemSkill.skill_id)).tuples()}
    # the state before the fix: skills matched in the shortened summary alone, rollups counted from that
    items = list(session.scalars(select(Item).order_by(Item.id)))
    bodies = {i.id: i.body for i in items}
    for i in items:
        i.body = None
    session.flush()
    link_items(session, items, NOW)
    rollups.rebuild(session, NOW)
    for i in items:
        i.body = bodies[i.id]
    session.commit()
    short = {(i, s) for i, s in session.execute(select(ItemSkill.item_id, ItemSkill.skill_id)).tuples()}
    assert short < right
    assert rollups.check(session) == []

    seen: list[tuple[int, int]] = []
    result = relink(session, NOW, batch=100, progress=lambda done, total, _r: seen.append((done, total)))
    assert {(i, s) for i, s in session.execute(select(ItemSkill.item_id, ItemSkill.skill_id)).tuples()} == right
    assert result.skills_changed == len({i for i, _ in right - short}) > 0
    assert seen[-1] == (len(items), len(items)) and len(seen) == -(-len(items) // 100)
    assert rollups.check(session) == []  # every rollup and the pair window equal the raw postings
    again = relink(session, NOW)
    assert again.changed == 0 and again.skills_changed == 0
    assert rollups.check(session) == []


@pytest.mark.parametrize("since", ["2026-02-11"])
def test_relink_since_takes_only_later_items(session: Session, settings: Any, since: str) -> None:
    from datetime import date

    load_taxonomy(session)
    session.commit()
    assert relink(session, NOW, date.fromisoformat(since)).items == 0


def test_relink_command(session: Session, settings: Any, shared_data: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from digest.cli import app

    load_taxonomy(session)
    session.commit()
    dump = tmp_path / "raw.json"
    dump.write_text(json.dumps({"jobs": [_job(shared_data)]}))
    rows, _ = open_rows(dump, "hn")
    import_rows(session, rows, "import:raw.json", NOW, match_processes=0)
    session.execute(ItemSkill.__table__.delete())  # type: ignore[attr-defined]
    rollups.rebuild(session, NOW)  # the rollups of that state: counted without mentions
    session.commit()
    r = CliRunner().invoke(app, ["skills", "relink", "--now", NOW.isoformat(), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["items"] == 1 and out["skills_changed"] == 1 and out["postings_changed"] == 1
    assert set(_skills(session)) >= LATE
    assert rollups.check(session) == []
    bad = CliRunner().invoke(app, ["skills", "relink", "--since", "last tuesday"])
    assert bad.exit_code == 2 and "--since" in bad.output
    plain = CliRunner().invoke(app, ["skills", "relink", "--since", "2026-03-01", "--now", NOW.isoformat()])
    assert plain.exit_code == 0 and "0 items re-resolved" in plain.stdout


def test_skills_import_with_relink_applies_the_new_skills_to_stored_items(
    session: Session, settings: Any, shared_data: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from digest.cli import app

    load_taxonomy(session)
    session.commit()
    job = _job(shared_data)
    dump = tmp_path / "raw.json"
    dump.write_text(json.dumps({"jobs": [{**job, "text": job["text"] + "<p>Our services speak AcmeRPC.</p>"}]}))
    rows, _ = open_rows(dump, "hn")
    import_rows(session, rows, "import:raw.json", NOW, match_processes=0)
    session.commit()
    assert "acme-rpc" not in _skills(session)
    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps({"skills": [{"slug": "acme-rpc", "name": "Acme RPC", "kind": "framework",
                                            "aliases": ["AcmeRPC"]}]}))  # fmt: skip
    plain = CliRunner().invoke(app, ["skills", "import", str(mine)])
    assert plain.exit_code == 0, plain.output
    assert "or import with --relink" in plain.stdout
    session.rollback()  # a new transaction sees what the command committed
    assert "acme-rpc" not in _skills(session)  # imported, not yet applied to the stored posting
    r = CliRunner().invoke(app, ["skills", "import", str(mine), "--relink", "--now", NOW.isoformat()])
    assert r.exit_code == 0, r.output
    assert "relinking stored items" in r.stdout and "1 items re-resolved: 1 with other skills" in r.stdout
    session.rollback()
    assert "acme-rpc" in _skills(session) and set(_skills(session)) >= LATE
    assert rollups.check(session) == []  # the demand figures count the new skill exactly
