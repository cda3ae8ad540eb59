"""items: the employer key, the posting's company folded so that "Stripe", "Stripe, Inc." and "stripe.com" are
one employer (digest.sources.employer), indexed; filled here for the postings already stored

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from digest.sources.employer import employer_key

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

CHUNK = 5000


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("employer_key", sa.String(200), nullable=True))
        batch.create_index("ix_items_employer_key", ["employer_key"])
    bind = op.get_bind()
    items = sa.table(
        "items",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("company", sa.String),
        sa.column("employer_key", sa.String),
    )
    # postings only (news items carry no company); by id, a chunk at a time, so memory stays flat
    after = 0
    while True:
        rows = bind.execute(
            sa.select(items.c.id, items.c.company)
            .where(items.c.id > after, items.c.company.is_not(None), items.c.kind == "job")
            .order_by(items.c.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            break
        after = rows[-1][0]
        updates = [{"b_id": i, "b_key": employer_key(c)} for i, c in rows if employer_key(c) is not None]
        if updates:
            bind.execute(
                items.update().where(items.c.id == sa.bindparam("b_id")).values(employer_key=sa.bindparam("b_key")),
                updates,
            )


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_index("ix_items_employer_key")
        batch.drop_column("employer_key")
