"""subscriptions keep a quarter of each page free (fillfactor 75), so that a digest's record moves each cursor
in place: a HOT update, the new version on the same page and no new entry in the table's four indexes.

Every digest sent updates its subscriptions' cursor and updated_at (digest.store.ledger), neither indexed. With
full pages (the default fillfactor 100, and a table loaded or grown by inserts) nearly every such update found
no room on its page: the new version went to another page and into every index. Sending bench/digests.py's
data in one process, 11% of them were HOT with full pages (10,000 digests), 70% at fillfactor 85 and 100% at
75 (30,000 digests); the record statement alone, run apart on the same rows, cost 114-160 us of PostgreSQL CPU
a send with full pages and 65-110 us at 85. Rows already stored keep their pages until they are rewritten
(VACUUM FULL or pg_repack, optional): the setting applies to pages written from now on. SQLite has no
fillfactor: nothing to do there.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE subscriptions SET (fillfactor = 75)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE subscriptions RESET (fillfactor)")
