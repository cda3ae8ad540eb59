"""feeds: cumulative poll counters (ok, not modified, failed) for the /metrics funnel

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = ("polls_ok", "polls_not_modified", "polls_failed")


def upgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
