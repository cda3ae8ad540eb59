"""shift verdicts of the sequential detector: which method judged each weekly evaluation and opened each
alert ("windows", today's 4+4-week test, for every row stored before; or "sequential"), and the
sequential scan's own figures (statistic, its calibrated threshold, the length of the window that fired and
its change against the skill's baseline). Nullable beside the existing columns: old rows stay as they are.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

EVALUATION = ("statistic", "threshold", "scan_weeks", "scan_change")
ALERT = ("scan_weeks", "scan_change")


def _column(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Integer() if name == "scan_weeks" else sa.Float(), nullable=True)


def upgrade() -> None:
    for table, columns in (("shift_evaluations", EVALUATION), ("shift_alerts", ALERT)):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("method", sa.String(16), nullable=False, server_default="windows"))
            for name in columns:
                batch.add_column(_column(name))


def downgrade() -> None:
    for table, columns in (("shift_evaluations", EVALUATION), ("shift_alerts", ALERT)):
        with op.batch_alter_table(table) as batch:
            for name in reversed(columns):
                batch.drop_column(name)
            batch.drop_column("method")
