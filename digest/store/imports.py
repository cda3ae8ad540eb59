"""The dialect's part of a bulk import: SQLite connection settings for bulk writing, refreshing the
planner's statistics while the tables grow, and tidying up after the load (checkpoint or VACUUM ANALYZE)."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

SQLITE_IMPORT_CACHE_KIB = 256 * 1024  # page cache of the importing connection (the pool keeps it)
SQLITE_IMPORT_CHECKPOINT_PAGES = 100_000  # WAL pages (400 MB) between checkpoints while importing


def settings_for_import(session: Session) -> None:
    """Connection settings for bulk writing (they stay with the pooled connection until `tidy_after_import`).

    SQLite: the default page cache is 2 MB: a batch's inserts into the items and item_skills indexes touch
    more pages, which then spill to the WAL mid-transaction and are read back. The WAL is copied into the
    database when it reaches 1,000 pages by default, inside a commit: every few batches, each copying pages
    the next batches change again (100,000 pages halved the time spent committing at 600,000 postings); the
    import checkpoints and restores the default when it is done.

    PostgreSQL: a posting's row (its text twice, as summary and body: ~2.3 kB) passes the TOAST threshold, so
    the server compresses its text, by default with pglz, which gains ~5% on this text (measured: 25 us of
    server CPU to insert a posting's row, 17 us with lz4; PostgreSQL 14+, where the server is built with it).
    Values keep the method they were written with; reading either needs nothing."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}"))
        session.execute(text(f"PRAGMA wal_autocheckpoint = {SQLITE_IMPORT_CHECKPOINT_PAGES}"))
        session.execute(text(f"PRAGMA journal_size_limit = {64 * 1024 * 1024}"))
        session.execute(text("PRAGMA analysis_limit = 1000"))  # refresh_statistics samples; it need not read all
    elif _has_lz4(session):
        session.execute(text("SET default_toast_compression = lz4"))
    session.commit()


def _has_lz4(session: Session) -> bool:
    return bool(
        session.scalar(text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"))
    )


def tidy_after_import(session: Session, counted_tables: Sequence[str]) -> None:
    """After a bulk load and its fold. PostgreSQL: VACUUM ANALYZE `counted_tables` (the demand rollups and
    the window) and `demand_pending`: so a `stats` read is an index-only scan at once (until vacuumed, every
    row read also visits the table) and the planner knows their sizes, whenever autovacuum gets to them; and
    `demand_pending`, whose index the fold just filled with dead entries that every "not pending" probe (the
    pairs of a past date) would visit (measured: 166 ms instead of ~2 ms for a rare skill's past figures after
    1,000,000 postings). The postings' own tables: `tidy_items_after_import`. SQLite: copy the WAL into the
    database as far as readers allow, and checkpoint as usual again (the WAL file is cut back to 64 MB when
    it next starts over: journal_size_limit)."""
    engine = session.get_bind().engine
    if engine.dialect.name == "postgresql" and _has_lz4(session):
        session.execute(text("RESET default_toast_compression"))
        session.commit()
    if engine.dialect.name == "sqlite":
        session.execute(text("PRAGMA wal_autocheckpoint = 1000"))
        session.commit()
        raw = engine.raw_connection()  # a checkpoint cannot run inside a transaction
        try:  # PASSIVE: copies what no reader still needs, never waits for readers (the web app's)
            raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
        finally:
            raw.close()
        return
    # in two connections, half the pages each: with the fold done the importer's core is idle
    halves: list[list[str]] = [[], []]
    pages = [0, 0]
    for table, n in session.execute(
        text("SELECT t, pg_relation_size(to_regclass(t)) FROM unnest(CAST(:t AS text[])) t ORDER BY 2 DESC, 1"),
        {"t": [*counted_tables, "demand_pending"]},
    ).tuples():
        half = pages.index(min(pages))
        halves[half].append(table)
        pages[half] += n
    session.commit()
    with ThreadPoolExecutor(1) as beside:
        done = beside.submit(_vacuum, engine, f"VACUUM (ANALYZE) {', '.join(halves[1])}") if halves[1] else None
        if halves[0]:
            _vacuum(engine, f"VACUUM (ANALYZE) {', '.join(halves[0])}")
        if done:
            done.result()


def tidy_items_after_import(engine: Engine) -> None:
    """After a bulk load, PostgreSQL: VACUUM ANALYZE the mentions (index-only reads of a skill's postings at
    once) and ANALYZE items and their sources, every column (refresh_statistics read a few). Nothing here
    depends on the fold, which only reads these tables: the import runs it in another connection while the
    fold runs, on the core the matching process has left (nothing on SQLite)."""
    if engine.dialect.name == "postgresql":
        _vacuum(engine, "VACUUM (ANALYZE) item_skills", "ANALYZE items, item_sources")


def _vacuum(engine: Engine, *statements: str) -> None:
    with engine.connect() as conn:  # VACUUM cannot run inside a transaction
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for statement in statements:
            conn.exec_driver_sql(statement)


# what the import's lookups and its fold filter and join on (PostgreSQL: ANALYZE takes a column list)
_LOOKUP_COLUMNS = {
    "items": "canonical_url, dedupe_key, published_at",
    "item_sources": "source_key, identity",
    "item_skills": "item_id, skill_id, posted_on",
}


def refresh_statistics(session: Session) -> None:
    """Let the query planner see the tables a bulk import is growing. Without statistics SQLite answers
    the cross-source dedupe lookup (kind = job AND dedupe_key IN ...) with the kind index, a scan of every
    posting per batch; with them it uses the dedupe_key index (measured: 50x faster at 100,000 postings).
    PostgreSQL: the sizes and the columns the lookups use; the statistics of a posting's text (read from its
    compressed, toasted values) were most of this ANALYZE's cost, and nothing the import runs needs them
    (`tidy_after_import` analyses every column once, at the end)."""
    if session.get_bind().dialect.name == "sqlite":
        for table in ("items", "item_sources", "item_skills"):
            session.execute(text(f"ANALYZE {table}"))
    else:
        session.execute(text("ANALYZE " + ", ".join(f"{t} ({c})" for t, c in _LOOKUP_COLUMNS.items())))
    session.commit()
