"""demand rollups of pay and seniority: per skill and day, postings at each seniority level
(`demand_skill_level_day`), stated salaries annualised where the period is known (`demand_skill_pay_day`),
and yearly salaries per title (`demand_skill_title_pay_day`); keyed like the other rollups (primary key that
holds the count: PostgreSQL INCLUDE, SQLite WITHOUT ROWID). Filled from the postings already counted, with
the fold's definitions (digest.store.pay_rollups), so the figures are right at once.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

AMOUNT = (
    "(CASE WHEN i.salary_min IS NULL THEN i.salary_max WHEN i.salary_max IS NULL THEN i.salary_min "
    "ELSE (i.salary_min + i.salary_max) / 2 END) * "
    "(CASE i.salary_period WHEN 'hour' THEN 2080 WHEN 'day' THEN 260 WHEN 'week' THEN 52 WHEN 'month' THEN 12 "
    "ELSE 1 END)"
)
KNOWN_PERIOD = "i.salary_period IN ('hour', 'day', 'week', 'month', 'year')"
STATED = "(i.salary_min IS NOT NULL OR i.salary_max IS NOT NULL)"
COUNTED = (
    "FROM items i JOIN item_skills s ON s.item_id = i.id WHERE i.kind = 'job' AND i.posted_on IS NOT NULL "
    "AND i.id NOT IN (SELECT item_id FROM demand_pending)"
)


def _rollup(name: str, *keys: tuple[str, sa.types.TypeEngine[object]]) -> None:
    op.create_table(
        name,
        *(sa.Column(k, t, nullable=False) for k, t in keys),
        sa.Column("postings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*(k for k, _ in keys), name=f"pk_{name}", postgresql_include=["postings"]),
        sqlite_with_rowid=False,
    )


def upgrade() -> None:
    skill, day = ("skill_id", sa.Integer()), ("day", sa.Date())
    _rollup("demand_skill_level_day", skill, day, ("level", sa.String(20)))
    _rollup(
        "demand_skill_pay_day", skill, day, ("currency", sa.String(3)), ("period", sa.String(4)), ("amount", sa.Float())
    )
    _rollup(
        "demand_skill_title_pay_day",
        skill,
        ("job_title_id", sa.Integer()),
        day,
        ("currency", sa.String(3)),
        ("amount", sa.Float()),
    )
    op.execute(
        "INSERT INTO demand_skill_level_day (skill_id, day, level, postings) "
        f"SELECT s.skill_id, i.posted_on, i.seniority, COUNT(*) {COUNTED} AND i.seniority IS NOT NULL "
        "GROUP BY 1, 2, 3"
    )
    op.execute(
        "INSERT INTO demand_skill_pay_day (skill_id, day, currency, period, amount, postings) "
        f"SELECT s.skill_id, i.posted_on, COALESCE(i.salary_currency, ''), "
        f"CASE WHEN {KNOWN_PERIOD} THEN 'year' ELSE '' END, {AMOUNT}, COUNT(*) {COUNTED} AND {STATED} "
        "GROUP BY 1, 2, 3, 4, 5"
    )
    op.execute(
        "INSERT INTO demand_skill_title_pay_day (skill_id, job_title_id, day, currency, amount, postings) "
        f"SELECT s.skill_id, i.job_title_id, i.posted_on, i.salary_currency, {AMOUNT}, COUNT(*) {COUNTED} "
        f"AND {STATED} AND i.job_title_id IS NOT NULL AND i.salary_currency IS NOT NULL AND {KNOWN_PERIOD} "
        "GROUP BY 1, 2, 3, 4, 5"
    )


def downgrade() -> None:
    for name in ("demand_skill_title_pay_day", "demand_skill_pay_day", "demand_skill_level_day"):
        op.drop_table(name)
