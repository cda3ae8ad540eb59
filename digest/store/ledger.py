"""The delivery ledger's one statement per send on PostgreSQL: mark the delivery and advance its cursors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.orm import Session

# Marks one delivery and advances its cursors, so on PostgreSQL each send is recorded in one round trip.
# $5 (advance) is false for outcomes that leave the window open (failed, pending); $6 (sent_at) is then null.
_RECORD_ONE = """
WITH marked AS (
    UPDATE deliveries SET status = $2, updated_at = $7, sent_at = COALESCE($6, sent_at),
        provider_message_id = $3, last_error = $4
    WHERE id = $1 AND status = 'sending'
    RETURNING id
)
UPDATE subscriptions SET cursor = $8, updated_at = $7
FROM delivery_subscriptions ds, marked
WHERE $5 AND ds.delivery_id = marked.id AND subscriptions.id = ds.subscription_id
    AND subscriptions.cursor < $8
"""
# int8, text, text, text, bool, timestamptz x 3
_TYPES = [20, 25, 25, 25, 16, 1184, 1184, 1184]
_NAME = b"digest_record_one"

# (delivery id, status, provider message id, error, advance the cursors)
RecordOne = Callable[[int, str, str | None, str | None, bool], None]


@contextmanager
def autocommit_recorder(session: Session, window_end: datetime, now: datetime) -> Iterator[RecordOne | None]:
    """On PostgreSQL, a function that records one send in one statement on an autocommit connection with
    synchronous_commit off: the commit does not wait for the WAL flush, which only a crash of the
    PostgreSQL server itself (not of a worker) could undo. None elsewhere: record in the session.

    The statement is prepared once per batch and run through libpq with its parameters already text: psycopg's
    own execute (adapting eight parameters, its prepared-statement bookkeeping) cost the worker more CPU than
    the server spends on the statement."""
    engine = session.get_bind().engine
    if engine.dialect.name != "postgresql":
        yield None
        return
    from psycopg import pq  # PostgreSQL only
    from psycopg.errors import error_from_result

    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        driver = conn.connection.driver_connection  # straight to libpq: this runs once per email
        assert driver is not None
        pgconn = driver.pgconn

        def run(result: pq.abc.PGresult) -> None:
            if result.status not in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
                raise error_from_result(result)  # the error psycopg's execute raises

        run(pgconn.exec_(b"SET synchronous_commit = off"))
        run(pgconn.prepare(_NAME, _RECORD_ONE.encode(), _TYPES))
        at, end = now.isoformat().encode(), window_end.isoformat().encode()

        def record(delivery_id: int, status: str, provider: str | None, error: str | None, advance: bool) -> None:
            params = [str(delivery_id).encode(), status.encode(), _text(provider), _text(error),
                      b"t" if advance else b"f", at if advance else None, at, end]  # fmt: skip
            run(pgconn.exec_prepared(_NAME, params))

        try:
            yield record
        finally:
            run(pgconn.exec_(b"DEALLOCATE " + _NAME))
            run(pgconn.exec_(b"RESET synchronous_commit"))


def _text(value: str | None) -> bytes | None:
    return None if value is None else value.encode()
