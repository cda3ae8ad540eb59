"""The delivery ledger's one statement per send on PostgreSQL: mark the delivery and advance its cursors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.orm import Session

# Marks one delivery and advances its cursors, so on PostgreSQL each send is recorded in one round trip.
# The %(advance)s flag is false for outcomes that leave the window open (failed, pending).
_RECORD_ONE = """
WITH marked AS (
    UPDATE deliveries SET status = %(status)s, updated_at = %(now)s, sent_at = COALESCE(%(sent_at)s, sent_at),
        provider_message_id = %(provider)s, last_error = %(error)s
    WHERE id = %(id)s AND status = 'sending'
    RETURNING id
)
UPDATE subscriptions SET cursor = %(end)s, updated_at = %(now)s
FROM delivery_subscriptions ds, marked
WHERE %(advance)s AND ds.delivery_id = marked.id AND subscriptions.id = ds.subscription_id
    AND subscriptions.cursor < %(end)s
"""

# (delivery id, status, provider message id, error, advance the cursors)
RecordOne = Callable[[int, str, str | None, str | None, bool], None]


@contextmanager
def autocommit_recorder(session: Session, window_end: datetime, now: datetime) -> Iterator[RecordOne | None]:
    """On PostgreSQL, a function that records one send in one statement on an autocommit connection with
    synchronous_commit off: the commit does not wait for the WAL flush, which only a crash of the
    PostgreSQL server itself (not of a worker) could undo. None elsewhere: record in the session."""
    engine = session.get_bind().engine
    if engine.dialect.name != "postgresql":
        yield None
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        driver = conn.connection.driver_connection  # straight to psycopg: this runs once per email
        assert driver is not None
        with driver.cursor() as cur:
            cur.execute("SET synchronous_commit = off")

            def record(delivery_id: int, status: str, provider: str | None, error: str | None, advance: bool) -> None:
                params = {"id": delivery_id, "status": status, "provider": provider, "error": error,
                          "advance": advance, "sent_at": now if advance else None, "now": now,
                          "end": window_end}  # fmt: skip
                cur.execute(_RECORD_ONE, params)

            try:
                yield record
            finally:
                cur.execute("RESET synchronous_commit")
