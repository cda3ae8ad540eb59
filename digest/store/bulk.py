"""Many-row writes on the hot paths (an import, the delivery ledger), in the fewest round trips each
database allows, inside the session's transaction. SQLite runs in process, so an executemany is a cheap
loop there; PostgreSQL gets COPY (plain inserts, the ledger's insert-or-ignore) or one statement over
arrays (additive upserts) instead of a statement per row."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Dialect, Table, bindparam, text
from sqlalchemy.orm import Session

UPSERT_ROWS = 20_000  # rows per upsert statement


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT rows (dicts with the same keys). On PostgreSQL, values must be what COPY accepts as they are
    (str enums, aware datetimes, each value of its column's Python type): SQLAlchemy's type processing is
    skipped there, and the rows go in COPY's binary form."""
    if not rows:
        return
    conn = session.connection()
    columns = list(rows[0])
    if conn.dialect.name != "postgresql":  # straight to the driver, each column's type processing applied
        procs = [table.c[c].type.bind_processor(conn.dialect) for c in columns]
        values = [[row[c] for c in columns] for row in rows]
        for i, proc in enumerate(procs):
            if proc is not None:
                for v in values:
                    v[i] = proc(v[i])
        marks = ", ".join("?" * len(columns))
        conn.exec_driver_sql(
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", list(map(tuple, values))
        )
        return
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    oids = _binary_oids(table, tuple(columns), conn.dialect)
    binary = " (FORMAT BINARY)" if oids else ""
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN{binary}") as copy:
        if oids:
            copy.set_types(oids)
        for row in rows:
            copy.write_row([row[c] for c in columns])


@lru_cache(maxsize=256)
def _binary_oids(table: Table, columns: tuple[str, ...], dialect: Dialect) -> list[int] | None:
    """The PostgreSQL type of each column, for a binary COPY (measured: a posting's items row costs the
    importer a quarter of the CPU of the text form, and the server parses no text); None when a column's type
    is not one of PostgreSQL's own (the text form then)."""
    import psycopg  # PostgreSQL only: SQLite never loads it

    oids = []
    for c in columns:
        name = table.c[c].type.compile(dialect=dialect).split("(")[0].strip().lower()
        info = psycopg.adapters.types.get(_TYPE_NAMES.get(name, name))
        if info is None:
            return None
        oids.append(info.oid)
    return oids


_TYPE_NAMES = {"float": "float8"}  # SQLAlchemy's Float is PostgreSQL's FLOAT: double precision


def add_rows(session: Session, table: str, keys: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Add counts: each row is (*key values, n); a new key is inserted, a known one gets `postings += n`.
    Keys are ints and dates. Rows are applied in the given order (sort them: concurrent writers then take
    row locks in one order and cannot deadlock on PostgreSQL)."""
    if not rows:
        return
    conn = session.connection()
    cols = ", ".join((*keys, "postings"))
    conflict = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET postings = {table}.postings + excluded.postings"
    if conn.dialect.name != "postgresql":
        # the sqlite3 driver has no date type: SQLAlchemy stores ISO text
        at = keys.index("day") if "day" in keys else -1
        iso: dict[date, str] = {}
        if at >= 0 and isinstance(rows[0][at], date):
            rows = [(*r[:at], iso.get(r[at]) or iso.setdefault(r[at], r[at].isoformat()), *r[at + 1 :]) for r in rows]
        marks = ", ".join("?" * (len(keys) + 1))
        conn.exec_driver_sql(f"INSERT INTO {table} ({cols}) VALUES ({marks}) {conflict}", list(rows))
        return
    # one statement over arrays given as text literals: psycopg's list adapter costs more than the upsert
    casts = ", ".join(f"%s::{'date' if k == 'day' else 'int'}[]" for k in (*keys, "postings"))
    sql = f"INSERT INTO {table} ({cols}) SELECT * FROM unnest({casts}) {conflict}"
    for start in range(0, len(rows), UPSERT_ROWS):
        columns = zip(*rows[start : start + UPSERT_ROWS], strict=True)
        conn.exec_driver_sql(sql, tuple("{" + ",".join(map(str, col)) + "}" for col in columns))


def add_selected(
    session: Session, table: str, keys: Sequence[str], select_sql: str, params: Mapping[str, Any] | None = None
) -> None:
    """Add counts computed by the database: `select_sql` yields (*keys, n) rows, each key at most once; a new
    key is inserted, a known one gets `postings += n`. Rows go in key order (an ordered b-tree insert is
    the cheap one). PostgreSQL runs a MERGE: ~30% cheaper than INSERT .. ON CONFLICT, which inserts each row
    speculatively, but it takes no lock against a concurrent insert of the same key, so callers serialise
    (digest.demand.window.lock); into an empty table, a plain insert with the indexes built after it
    (`_indexes_built_after`). SQLite runs the upsert."""
    order = ", ".join(str(i + 1) for i in range(len(keys)))
    source = f"{select_sql} ORDER BY {order}"
    cols = ", ".join(keys)
    if session.get_bind().dialect.name == "postgresql" and _empty(session, table):
        # nothing to match (an import's first fold, a rebuild): a plain insert, where the MERGE joined every
        # row to the table first (measured: a 200,000-posting fold's demand_skill_day 2.87 -> 2.58 s)
        with _indexes_built_after(session, table):
            session.execute(text(f"INSERT INTO {table} ({cols}, postings) {source}"), dict(params or {}))
        return
    if session.get_bind().dialect.name == "postgresql":
        match = " AND ".join(f"t.{k} = d.{k}" for k in keys)
        sql = (
            f"MERGE INTO {table} t USING ({source}) d ({cols}, n) ON {match} "
            "WHEN MATCHED THEN UPDATE SET postings = t.postings + d.n "
            f"WHEN NOT MATCHED THEN INSERT ({cols}, postings) VALUES ({', '.join(f'd.{k}' for k in keys)}, d.n)"
        )
    else:  # WHERE true: SQLite reads `ON CONFLICT` after a bare join as the join's ON otherwise
        sql = (
            f"INSERT INTO {table} ({cols}, postings) SELECT * FROM ({source}) WHERE true "
            f"ON CONFLICT ({cols}) DO UPDATE SET postings = {table}.postings + excluded.postings"
        )
    session.execute(text(sql), dict(params or {}))


def _empty(session: Session, table: str) -> bool:
    return not session.execute(text(f"SELECT EXISTS (SELECT 1 FROM {table})")).scalar()


@contextmanager
def _indexes_built_after(session: Session, table: str) -> Iterator[None]:
    """PostgreSQL, around an insert into an empty table: drop its indexes (its primary key included) and build
    them again after the rows are in, in the same transaction: one pass over rows already in key order
    instead of a b-tree insert per row. Only when the table has never held a row (no page on disk: an
    installation's first fold, not a rebuild, whose readers go on reading the old rows until it commits) and
    its exclusive lock is free at once (NOWAIT, under a savepoint): a reader of the table (`stats`, which has
    nothing to show yet) then waits for the commit, and none can hold it while waiting for a lock of ours (no
    deadlock); otherwise the indexes stay and the rows go in one by one."""
    import psycopg  # PostgreSQL only: SQLite never loads it

    conn = session.connection().connection.driver_connection
    assert conn is not None
    with conn.cursor() as cursor:
        size = cursor.execute("SELECT pg_relation_size(%s::regclass)", (table,)).fetchone()
        if size is None or size[0] > 0:
            yield
            return
        cursor.execute("SAVEPOINT indexes_after")
        try:
            cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE NOWAIT")
        except psycopg.errors.LockNotAvailable:
            cursor.execute("ROLLBACK TO SAVEPOINT indexes_after")
            indexes = []
        else:
            cursor.execute("RELEASE SAVEPOINT indexes_after")
            indexes = cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), c.conname, "
                "pg_get_constraintdef(c.oid) FROM pg_index i LEFT JOIN pg_constraint c "
                "ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid WHERE i.indrelid = %s::regclass ORDER BY 1",
                (table,),
            ).fetchall()
        for index, _definition, constraint, _constraint_definition in indexes:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {constraint}" if constraint else f"DROP INDEX {index}")
        yield
        for _index, definition, constraint, constraint_definition in indexes:
            cursor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {constraint} {constraint_definition}" if constraint else definition
            )


def insert_ignore(session: Session, model: Any, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING for many rows (tuples of `columns`): the delivery ledger's
    idempotent writes. Returns True when every row was inserted (none existed). On PostgreSQL the rows are COPYed
    (several times cheaper per row than bound parameters); elsewhere one prepared statement runs for all."""
    if not rows:
        return True
    table = model.__table__
    if session.get_bind().dialect.name != "postgresql":
        result = session.execute(
            dialect_insert(session)(table).on_conflict_do_nothing(), [dict(zip(columns, r, strict=True)) for r in rows]
        )
        return bool(result.rowcount == len(rows))  # type: ignore[attr-defined]
    names = ", ".join(f'"{c}"' for c in columns)
    import psycopg  # PostgreSQL only: SQLite never loads it

    conn = session.connection().connection.driver_connection
    assert conn is not None
    # the common case has no conflicts: COPY straight into the table, under a savepoint
    with conn.cursor() as cur:
        cur.execute("SAVEPOINT ledger_copy")
        try:
            with cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.errors.UniqueViolation:
            cur.execute("ROLLBACK TO SAVEPOINT ledger_copy")
        else:
            cur.execute("RELEASE SAVEPOINT ledger_copy")
            return True
    scratch = f"_copy_{table.name}"
    with conn.cursor() as cur:
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {scratch} ON COMMIT DELETE ROWS AS "
            f"SELECT {names} FROM {table.name} WITH NO DATA"
        )
        with cur.copy(f"COPY {scratch} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {scratch} ON CONFLICT DO NOTHING")
        cur.execute(f"TRUNCATE {scratch}")
    return False


def dialect_insert(session: Session) -> Any:
    """The INSERT construct with ON CONFLICT support for the session's database."""
    return _insert_for(session.get_bind().dialect.name)


def _insert_for(dialect: str) -> Any:
    if dialect == "postgresql":  # each dialect's module loaded where it is used
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    from sqlalchemy.dialects import sqlite

    return sqlite.insert


def insert_new(session: Session, table: Table, row: Mapping[str, Any]) -> int | None:
    """INSERT one row unless it conflicts with one already there: its id, or None. One statement, built once
    per table and set of columns (bind parameters, not the row's values), run on the session's connection
    without the ORM: what a request that writes a few rows spends its CPU on otherwise."""
    stmt = _insert_new(session.get_bind().dialect.name, table, tuple(row))
    new_id = session.connection().execute(stmt, {f"new_{k}": v for k, v in row.items()}).scalar()
    return None if new_id is None else int(new_id)


@cache
def _insert_new(dialect: str, table: Table, columns: tuple[str, ...]) -> Any:
    values = {c: bindparam(f"new_{c}", type_=table.c[c].type) for c in columns}
    return _insert_for(dialect)(table).values(values).on_conflict_do_nothing().returning(table.c.id)
