"""delivery_items: (user_id, item_id) is the primary key; no surrogate id, no user, skill or item foreign key

The ledger's largest table (one row per item shown in a digest) keeps the key that makes an item reach a
person once and the delivery's cascade (which also covers a deleted account); pruning items deletes their
rows explicitly (digest.ingest.pipeline.delete_items). Each dropped index or foreign-key check cost about
2-3 us of PostgreSQL CPU per row written (17 -> 5-6 us in all).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("delivery_items") as batch:
        batch.drop_constraint("fk_delivery_items_user_id_users", type_="foreignkey")
        batch.drop_constraint("fk_delivery_items_skill_id_skills", type_="foreignkey")
        batch.drop_constraint("fk_delivery_items_item_id_items", type_="foreignkey")
        batch.drop_index("ix_delivery_items_skill_id")
        batch.drop_constraint("uq_delivery_items_user_id_item_id", type_="unique")
        batch.drop_constraint("pk_delivery_items", type_="primary")
        batch.drop_column("id")
        batch.create_primary_key("pk_delivery_items", ["user_id", "item_id"])


def downgrade() -> None:
    with op.batch_alter_table("delivery_items") as batch:
        batch.drop_constraint("pk_delivery_items", type_="primary")
        batch.add_column(sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE delivery_items_id_seq OWNED BY delivery_items.id")
        op.execute("ALTER TABLE delivery_items ALTER COLUMN id SET DEFAULT nextval('delivery_items_id_seq')")
        op.execute("UPDATE delivery_items SET id = nextval('delivery_items_id_seq')")
    else:
        op.execute("UPDATE delivery_items SET id = rowid")
    with op.batch_alter_table("delivery_items") as batch:
        batch.alter_column("id", existing_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False)
        batch.create_primary_key("pk_delivery_items", ["id"])
        batch.create_unique_constraint("uq_delivery_items_user_id_item_id", ["user_id", "item_id"])
        batch.create_index("ix_delivery_items_skill_id", ["skill_id"], unique=False)
        batch.create_foreign_key(
            "fk_delivery_items_skill_id_skills", "skills", ["skill_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_foreign_key("fk_delivery_items_user_id_users", "users", ["user_id"], ["id"], ondelete="CASCADE")
        batch.create_foreign_key("fk_delivery_items_item_id_items", "items", ["item_id"], ["id"], ondelete="CASCADE")
