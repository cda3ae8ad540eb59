"""the delivery ledger's rows without per-row checks: delivery_items loses its foreign key on deliveries and
its delivery_id index (a delivery's rows are found by its user, the key's first column), and a trigger on
deliveries deletes a deleted delivery's rows as the cascade did (a deleted account's too: its deliveries
cascade from users); deliveries and subscriptions lose their user_id indexes, which the unique keys starting
with user_id already serve.

The rows are written by COPY in the transaction that claimed the delivery, which holds the delivery's row
(inserted, or locked by the claim's UPDATE) until it commits: the foreign-key check (a locking lookup per
row, ~3.6 us of PostgreSQL CPU each, 32 rows a digest in bench/digests.py) could never fail there. Each
index dropped is one b-tree insert less per row written (a non-HOT update writes every index).

SQLite drops a table's triggers with the table: a later batch migration that recreates `deliveries` must
create the trigger again.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TRIGGER = "deliveries_delete_items"
_DELETE_ITEMS = "DELETE FROM delivery_items WHERE user_id = OLD.user_id AND delivery_id = OLD.id"


def upgrade() -> None:
    with op.batch_alter_table("delivery_items") as batch:
        batch.drop_constraint("fk_delivery_items_delivery_id_deliveries", type_="foreignkey")
        batch.drop_index("ix_delivery_items_delivery_id")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index("ix_deliveries_user_id")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_index("ix_subscriptions_user_id")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {_DELETE_ITEMS}; RETURN NULL; END $$"
        )
        op.execute(f"CREATE TRIGGER {TRIGGER} AFTER DELETE ON deliveries FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()")
    else:
        op.execute(f"CREATE TRIGGER {TRIGGER} AFTER DELETE ON deliveries FOR EACH ROW BEGIN {_DELETE_ITEMS}; END")


def downgrade() -> None:
    op.execute(f"DROP TRIGGER {TRIGGER}" + (" ON deliveries" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {TRIGGER}()")
    with op.batch_alter_table("subscriptions") as batch:
        batch.create_index("ix_subscriptions_user_id", ["user_id"], unique=False)
    with op.batch_alter_table("deliveries") as batch:
        batch.create_index("ix_deliveries_user_id", ["user_id"], unique=False)
    with op.batch_alter_table("delivery_items") as batch:
        batch.create_index("ix_delivery_items_delivery_id", ["delivery_id"], unique=False)
        batch.create_foreign_key(
            "fk_delivery_items_delivery_id_deliveries", "deliveries", ["delivery_id"], ["id"], ondelete="CASCADE"
        )
