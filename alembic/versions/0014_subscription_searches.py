"""subscriptions follow a search: `subscriptions.search` holds the search's canonical JSON (more skills, job
filters; digest.accounts.searches), NULL for the skill alone as before, so every existing subscription keeps
its behaviour. `delivery_subscriptions.search` records the search a digest's window was built with (a retry
and the digest's web view rebuild it the same way after the person changes a filter).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("search", sa.Text(), nullable=True))
    with op.batch_alter_table("delivery_subscriptions") as batch:
        batch.add_column(sa.Column("search", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("delivery_subscriptions") as batch:
        batch.drop_column("search")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("search")
