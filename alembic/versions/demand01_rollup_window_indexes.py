"""demand rollups: covering indexes by (skill, day) for the 90-day window reads

Revision ID: demand01
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "demand01"
down_revision = "0002"  # re-chained after 0002 (main) when merged into prodshape
branch_labels = None
depends_on = None

# The primary keys lead with (skill, other, day): a window read for a frequent skill walked every day of
# every partner. These lead with (skill, day) and carry the rest, so the read is one range scan.
INDEXES = {
    "demand_skill_pair_day": ("ix_demand_skill_pair_day_window", ["skill_id", "day", "other_skill_id", "postings"]),
    "demand_skill_title_day": ("ix_demand_skill_title_day_window", ["skill_id", "day", "job_title_id", "postings"]),
    "demand_skill_metro_day": ("ix_demand_skill_metro_day_window", ["skill_id", "day", "metro_id", "postings"]),
}


def upgrade() -> None:
    for table, (name, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for table, (name, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
