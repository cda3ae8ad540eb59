"""demand: skill pairs summed over the current 90-day window, and the date they are summed for

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "demand_skill_pair_window",
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.Column("other_skill_id", sa.Integer(), nullable=False),
        sa.Column("postings", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["other_skill_id"],
            ["skills.id"],
            name=op.f("fk_demand_skill_pair_window_other_skill_id_skills"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["skill_id"], ["skills.id"], name=op.f("fk_demand_skill_pair_window_skill_id_skills"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("skill_id", "other_skill_id", name=op.f("pk_demand_skill_pair_window")),
    )
    op.create_index("ix_demand_skill_pair_window_top", "demand_skill_pair_window", ["skill_id", "postings"])
    op.create_table(
        "demand_window",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand_window")),
    )


def downgrade() -> None:
    op.drop_table("demand_window")
    op.drop_index("ix_demand_skill_pair_window_top", table_name="demand_skill_pair_window")
    op.drop_table("demand_skill_pair_window")
