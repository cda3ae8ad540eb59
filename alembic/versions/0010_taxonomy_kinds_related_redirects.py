"""taxonomy: skill kinds, related skills, slug redirects, operator skills and aliases, the loaded version

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("skills") as batch:
        batch.add_column(sa.Column("kind", sa.String(20), nullable=True))
        batch.add_column(sa.Column("operator", sa.Boolean(), nullable=False, server_default=sa.text("false")))
    with op.batch_alter_table("skill_aliases") as batch:
        batch.add_column(sa.Column("operator", sa.Boolean(), nullable=False, server_default=sa.text("false")))
    op.create_table(
        "skill_related",
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.Column("related_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["skill_id"], ["skills.id"], name=op.f("fk_skill_related_skill_id_skills"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["related_id"], ["skills.id"], name=op.f("fk_skill_related_related_id_skills"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("skill_id", "related_id", name=op.f("pk_skill_related")),
    )
    op.create_table(
        "skill_redirects",
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["skill_id"], ["skills.id"], name=op.f("fk_skill_redirects_skill_id_skills"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_skill_redirects")),
    )
    op.create_index(op.f("ix_skill_redirects_skill_id"), "skill_redirects", ["skill_id"])
    op.create_table(
        "taxonomy_state",
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_taxonomy_state")),
    )


def downgrade() -> None:
    op.drop_table("taxonomy_state")
    op.drop_index(op.f("ix_skill_redirects_skill_id"), table_name="skill_redirects")
    op.drop_table("skill_redirects")
    op.drop_table("skill_related")
    with op.batch_alter_table("skill_aliases") as batch:
        batch.drop_column("operator")
    with op.batch_alter_table("skills") as batch:
        batch.drop_column("operator")
        batch.drop_column("kind")
