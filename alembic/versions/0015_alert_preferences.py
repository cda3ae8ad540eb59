"""users: which shift alerts a person wants emailed. `alert_scope` "followed" (the skills they follow, as
before) or "paired" (also the skills most often paired with them); `alert_min_change` the smallest change,
in percent, an alert email is sent for (0: any change the shift test finds). The defaults keep every
account's alerts as they were.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("alert_scope", sa.String(16), nullable=False, server_default="followed"))
        batch.add_column(sa.Column("alert_min_change", sa.SmallInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("alert_min_change")
        batch.drop_column("alert_scope")
