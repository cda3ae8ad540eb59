"""demand rollup of employers: per skill and day, postings by employer key (`demand_skill_employer_day`;
postings naming no employer are left out), keyed like the other rollups (primary key that holds the count:
PostgreSQL INCLUDE, SQLite WITHOUT ROWID). Filled from the postings already counted, with the fold's
definition (digest.store.employer_rollups), so the figures are right at once.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "demand_skill_employer_day",
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("employer_key", sa.String(200), nullable=False),
        sa.Column("postings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "skill_id", "day", "employer_key", name="pk_demand_skill_employer_day", postgresql_include=["postings"]
        ),
        sqlite_with_rowid=False,
    )
    op.execute(
        "INSERT INTO demand_skill_employer_day (skill_id, day, employer_key, postings) "
        "SELECT s.skill_id, i.posted_on, i.employer_key, COUNT(*) "
        "FROM items i JOIN item_skills s ON s.item_id = i.id WHERE i.kind = 'job' AND i.posted_on IS NOT NULL "
        "AND i.employer_key IS NOT NULL AND i.id NOT IN (SELECT item_id FROM demand_pending) "
        "GROUP BY 1, 2, 3"
    )


def downgrade() -> None:
    op.drop_table("demand_skill_employer_day")
