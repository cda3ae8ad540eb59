"""Postings are counted into the demand rollups by a fold: a crash before it leaves them pending (counted
later, once), a fold that finds another running leaves them for the next, deleting items leaves nothing
behind, and a database migrated from before folds counts what it already held. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from digest.demand import rollups, window
from digest.demand.figures import demand_figures
from digest.ingest.pipeline import delete_items, store_and_fold, store_entries
from digest.sources.entry import Entry
from digest.store.engine import alembic_config, make_engine, session_factory
from digest.store.models import DemandPending, Item, ItemKind, ItemSkill, ItemSource, Skill
from digest.taxonomy.link import forget_ids
from tests import services
from tests.conftest import _empty_database
from tests.support import synthetic
from tests.support.raw_figures import raw_figures

D = date(2026, 5, 17)
NOW = datetime(2026, 5, 17, 12, tzinfo=UTC)


@pytest.fixture
def _empty_at_start(engine: Any) -> None:
    _empty_database(engine)
    forget_ids()


@pytest.fixture
def make(pg_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions of their own on the emptied PostgreSQL test database, emptied again after (as `settings` leaves it)."""
    engine = make_engine(pg_url)
    _empty_database(engine)
    forget_ids()
    try:
        yield session_factory(engine)
    finally:
        _empty_database(engine)
        engine.dispose()


def _entries(n: int, first: int = 0) -> list[Entry]:
    return [
        Entry(
            identity=f"job-{i}",
            title="Platform Engineer",
            link=None,
            summary="Python, Kubernetes and Terraform" if i % 2 else "Rust and Kubernetes",
            published_at=NOW - timedelta(days=i % 40),
            kind=ItemKind.job,
            company=f"Company {i}",
            location_raw="Berlin, Germany",
            title_raw="Platform Engineer",
        )
        for i in range(first, first + n)
    ]


def _figures_equal_raw(session: Session, slugs: list[str]) -> None:
    for slug in slugs:
        skill = session.scalar(select(Skill).where(Skill.slug == slug))
        assert skill is not None
        fig = demand_figures(session, skill, D)
        fig.pop("shift")
        assert fig == raw_figures(session, skill, D), slug


def _postings(session: Session, slug: str) -> int:
    skill = session.scalar(select(Skill).where(Skill.slug == slug))
    assert skill is not None
    return int(demand_figures(session, skill, D)["postings"])


def _skills(session: Session) -> None:
    for name in ("Python", "Kubernetes", "Terraform", "Rust"):
        synthetic.skills(session, [name])
    session.commit()


@pytest.mark.usefixtures("_empty_at_start")
def test_postings_a_crash_left_pending_are_counted_once(session: Session) -> None:
    _skills(session)
    window.advance(session, D)
    store_entries(session, "import:a.csv", None, _entries(30), NOW)  # an import's batch...
    session.commit()  # ...committed, then the process dies before its fold
    assert rollups.pending_count(session) == 30
    assert _postings(session, "kubernetes") == 0  # not counted yet, and the figures agree with each other
    assert rollups.check(session) == []
    assert rollups.fold(session).postings == 30
    session.commit()
    assert rollups.pending_count(session) == 0 and _postings(session, "kubernetes") == 30
    assert rollups.fold(session).postings == 0  # a second fold finds nothing: counted once
    session.commit()
    assert rollups.check(session) == []
    _figures_equal_raw(session, ["kubernetes", "python", "rust"])
    # a poll's postings are folded in the poll's own transaction
    store_and_fold(session, "feed:1", None, _entries(10, first=100), NOW)
    session.commit()
    assert rollups.pending_count(session) == 0 and _postings(session, "kubernetes") == 40
    assert rollups.check(session) == []


@pytest.mark.usefixtures("_empty_at_start")
def test_delete_items_leaves_no_rows_behind(session: Session) -> None:
    _skills(session)
    stored = store_entries(session, "import:a.csv", None, _entries(6), NOW)
    session.commit()
    delete_items(session, stored.new[:4], NOW)
    session.commit()
    for model in (ItemSkill, ItemSource, DemandPending):
        left = set(session.scalars(select(model.item_id)))
        assert left <= set(stored.new[4:]), model.__tablename__
    assert rollups.fold(session).postings == 2


def test_a_poll_that_finds_a_fold_running_leaves_its_postings_for_the_next(make: sessionmaker[Session]) -> None:
    with make() as holder, make() as poller:
        _skills(poller)
        assert window.lock(holder)  # a long fold (an import's) holds the lock
        store_and_fold(poller, "feed:1", None, _entries(5), NOW)  # does not wait for it
        poller.commit()
        assert rollups.pending_count(poller) == 5
        assert not window.lock(poller, wait=False)
        poller.rollback()
        holder.rollback()
        assert rollups.fold(poller).postings == 5  # the next fold (the beat's count_demand) counts them
        poller.commit()
        assert _postings(poller, "kubernetes") == 5 and rollups.check(poller) == []


@pytest.fixture(params=["sqlite", "postgresql"])
def url_at_0006(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    else:
        url = services.create_database(request.config._pg_admin_url)  # type: ignore[attr-defined]
    command.upgrade(alembic_config(url), "0006")
    yield url
    if request.param == "postgresql":
        services.drop_database(request.config._pg_admin_url, url)  # type: ignore[attr-defined]


def test_upgrading_counts_the_postings_stored_before(url_at_0006: str) -> None:
    engine = make_engine(url_at_0006)
    with engine.begin() as conn:  # what 0006 held: postings, mentions, rollups kept per posting
        conn.execute(text("INSERT INTO skills (id, slug, name, hot, weak) VALUES (1, 'go', 'Go', false, false)"))
        conn.execute(text("INSERT INTO skills (id, slug, name, hot, weak) VALUES (2, 'sql', 'SQL', false, false)"))
        for i in range(1, 8):
            day = D - timedelta(days=10 * i)
            conn.execute(
                text(
                    "INSERT INTO items (id, kind, title, summary, published_at, fetched_at, posted_on) "
                    "VALUES (:id, 'job', 'Engineer', '', :at, :at, :day)"
                ),
                {"id": i, "at": datetime(day.year, day.month, day.day, 12), "day": day},
            )
            for skill in (1, 2) if i % 2 else (1,):
                conn.execute(
                    text(
                        "INSERT INTO item_skills (item_id, skill_id, alias, span_start, span_end) "
                        "VALUES (:i, :s, 'x', 0, 1)"
                    ),
                    {"i": i, "s": skill},
                )
        conn.execute(text("INSERT INTO demand_total_day (day, postings) VALUES (:d, 99)"), {"d": D})
    command.upgrade(alembic_config(url_at_0006), "head")
    with session_factory(engine)() as session:
        assert rollups.pending_count(session) == 7
        assert session.scalar(select(func.count()).where(ItemSkill.posted_on.is_(None))) == 0
        assert rollups.fold(session).postings == 7
        window.advance(session, D)
        session.commit()
        assert rollups.check(session) == []
        go = session.scalar(select(Skill).where(Skill.slug == "go"))
        assert go is not None
        fig = demand_figures(session, go, D)
        assert fig["postings"] == 7 and fig["paired_skills"][0]["postings"] == 4
        assert session.scalar(select(func.count()).select_from(Item)) == 7
    engine.dispose()


def _index_definitions(session: Session) -> dict[str, str]:
    query = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'demand%' AND schemaname = 'public'"
    return {name: definition for name, definition in session.execute(text(query)).all()}


def _index_oid(session: Session, name: str) -> int:
    return int(session.execute(text("SELECT CAST(CAST(:n AS regclass) AS oid)"), {"n": name}).scalar_one())


def test_a_fold_into_empty_rollups_builds_their_indexes_after_the_rows(make: sessionmaker[Session]) -> None:
    """PostgreSQL: into an empty rollup table the fold inserts without its indexes and builds them again in its
    transaction (digest.store.bulk); the same indexes are there afterwards, and the counts are the raw
    postings'. When a reader holds a table's lock, that table keeps its indexes (NOWAIT) and the fold goes on."""
    with make() as session, make() as reader:
        before = _index_definitions(session)
        built, kept = _index_oid(session, "pk_demand_skill_day"), _index_oid(session, "pk_demand_skill_title_day")
        _skills(session)
        window.advance(session, D)
        store_entries(session, "import:a.csv", None, _entries(30), NOW)
        session.commit()
        reader.execute(text("SELECT count(*) FROM demand_skill_title_day")).scalar()  # holds its lock
        assert rollups.fold(session).postings == 30
        assert session.execute(text("SHOW enable_hashagg")).scalar() == "on"  # off for the fold's statements only
        session.commit()
        reader.rollback()
        assert _index_definitions(session) == before
        assert _index_oid(session, "pk_demand_skill_day") != built  # dropped and built again
        assert _index_oid(session, "pk_demand_skill_title_day") == kept  # its lock was taken: rows one by one
        assert rollups.check(session) == []
        _figures_equal_raw(session, ["kubernetes", "python", "rust"])
        store_entries(session, "import:a.csv", None, _entries(10, first=30), NOW)  # into filled tables: MERGE
        assert rollups.fold(session).postings == 10
        session.commit()
        assert _index_definitions(session) == before and rollups.check(session) == []
        # a rebuild empties tables that held rows (their pages remain): their readers keep reading the old
        # rows until it commits, so the indexes stay and no lock blocks them
        filled = _index_oid(session, "pk_demand_skill_day")
        rollups.rebuild(session, NOW)
        reader.execute(text("SET lock_timeout = '5s'"))  # a blocked read fails the test, not hangs it
        assert reader.execute(text("SELECT count(*) FROM demand_skill_day")).scalar()  # not blocked
        session.commit()
        reader.rollback()
        assert _index_oid(session, "pk_demand_skill_day") == filled and rollups.check(session) == []
