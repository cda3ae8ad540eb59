"""The dialect's part of storing items and polling feeds: how many values one lookup binds, the INSERT of
item rows that returns their ids, and claiming due feeds without waiting on another claimer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import Select, Table, select
from sqlalchemy.orm import Session

from digest.store.bulk import insert_rows
from digest.store.models import Item

CHUNK = 500  # values per lookup on SQLite (bound one by one); PostgreSQL takes a batch's in one

_S = TypeVar("_S", bound=Select[Any])


def lookup_chunks(session: Session, values: Sequence[str]) -> Iterable[Sequence[str]]:
    """`values` in parts small enough for one `IN` lookup each: all at once on PostgreSQL (one array)."""
    size = max(len(values), 1) if session.get_bind().dialect.name == "postgresql" else CHUNK
    for i in range(0, len(values), size):
        yield values[i : i + size]


def insert_items(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """INSERT the rows and return their ids in the rows' order.

    SQLite: one executemany INSERT without RETURNING (its writer holds the database lock, and an INTEGER
    PRIMARY KEY takes max(rowid) + 1 per row, so the rows' ids are the consecutive ones ending at
    last_insert_rowid(); the first and last rows are read back to check it). PostgreSQL: the ids are drawn
    from the sequence in one query and inserted with the rows (COPY). No ORM objects are made: the rows
    are the hottest objects of an import, and nothing reads them back.
    (An ORM INSERT ... RETURNING ran one statement per row on SQLite, and cost many round trips on PostgreSQL.)"""
    session.flush()
    conn = session.connection()
    table = cast(Table, Item.__table__)
    if conn.dialect.name == "sqlite":
        insert_rows(session, table, rows)
        last = int(conn.exec_driver_sql("SELECT last_insert_rowid()").scalar_one())
        ids = list(range(last - len(rows) + 1, last + 1))
        stored = dict(session.execute(select(Item.id, Item.title).where(Item.id.in_({ids[0], ids[-1]}))).tuples().all())
        if stored != {ids[0]: rows[0]["title"], ids[-1]: rows[-1]["title"]}:
            raise RuntimeError(f"items {ids[0]}..{ids[-1]} are not the rows just inserted")
        return ids
    ids = list(
        conn.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence('items', 'id')) FROM generate_series(1, %s)", (len(rows),)
        ).scalars()
    )
    insert_rows(session, table, [{"id": i, **row} for row, i in zip(rows, ids, strict=True)])
    return ids


def skip_locked(session: Session, candidates: _S) -> _S:
    """On PostgreSQL, the candidate rows another claimer has locked are passed over (FOR UPDATE SKIP LOCKED);
    SQLite has one writer at a time, so nothing is locked there to skip."""
    if session.get_bind().dialect.name == "postgresql":
        return candidates.with_for_update(skip_locked=True)
    return candidates
