"""items: the full text skills are matched in, and the fields a job alert shows (salary, seniority, re-post key);
item_skills: where the skill was found (title, requirements, in passing)

The full text (`items.body`) is what `digest skills relink` re-resolves; items stored before this revision
kept only their display summary (1,000 characters from feeds, 4,000 from imports), so their skills can be
re-resolved from that summary alone. Run `digest skills relink` after upgrading (after a taxonomy change
too): it re-resolves every stored item and keeps the demand figures exact.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sys

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

COLUMNS = (
    sa.Column("body", sa.Text(), nullable=True),
    sa.Column("salary_min", sa.Float(), nullable=True),
    sa.Column("salary_max", sa.Float(), nullable=True),
    sa.Column("salary_currency", sa.String(3), nullable=True),
    sa.Column("salary_period", sa.String(10), nullable=True),
    sa.Column("seniority", sa.String(20), nullable=True),
    sa.Column("repost_key", sa.String(64), nullable=True),
)


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        for column in COLUMNS:
            batch.add_column(column.copy())
        batch.create_index("ix_items_repost_key", ["repost_key"])
    with op.batch_alter_table("item_skills") as batch:
        batch.add_column(sa.Column("found_in", sa.SmallInteger(), nullable=False, server_default="0"))
    bind = op.get_bind()
    stored = bind.execute(sa.text("SELECT COUNT(*) FROM items")).scalar()
    if stored:
        print(
            f"0009: {stored:,} stored items keep the skills matched in their shortened text; "
            "run `digest skills relink` to re-resolve them (demand figures follow exactly)",
            file=sys.stderr,
        )


def downgrade() -> None:
    with op.batch_alter_table("item_skills") as batch:
        batch.drop_column("found_in")
    with op.batch_alter_table("items") as batch:
        batch.drop_index("ix_items_repost_key")
        for column in reversed(COLUMNS):
            batch.drop_column(column.name)
