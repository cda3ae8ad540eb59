"""subscriptions keep a quarter of each page free (fillfactor 75), so that a digest's record moves each cursor
in place: a HOT update, the new version on the same page and no new entry in the table's four indexes.

Every digest sent updates its subscriptions' cursor and updated_at (digest.store.ledger), neither indexed. With
full pages (the default fillfactor 100, and a table loaded or grown by inserts) nearly every such update found
no room on its page: the new version went to another page and into every index (11% HOT in bench/digests.py).
With 75, 100% were HOT there, and recording a send cost ~25-45 us less PostgreSQL CPU (the record
statement alone, measured apart: 114-160 us -> 65-110 us). Rows already stored keep their pages until they
are rewritten (VACUUM FULL or pg_repack, optional): the setting applies to pages written from now on. SQLite
has no fillfactor: nothing to do there.

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
