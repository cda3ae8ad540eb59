"""the delivery ledger's window rows without per-row checks: delivery_subscriptions loses its foreign keys on
deliveries and on subscriptions, and triggers delete a deleted delivery's or subscription's rows as the
cascades did (a deleted account's too: its deliveries and subscriptions cascade from users).

The rows are written by COPY in the transaction that claimed their delivery, which holds the delivery's row
(inserted, or locked by the claim's UPDATE) until it commits, so that check could never fail. The check on
subscriptions locked each subscription row (FOR KEY SHARE: a heap write and a WAL record per row): the two
checks were ~21 us of PostgreSQL CPU a digest in bench/digests.py, two thirds of recording its windows. A
subscription deleted while a batch is claimed (the check would have failed the batch, to be claimed again)
can leave a window row naming it: nothing reads it (the record's cursor update and the web view join the
subscription), and the subscription's digest was already owed its items.

SQLite drops a table's triggers with the table: a later batch migration that recreates `deliveries` or
`subscriptions` must create its trigger again.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# (trigger, table, the statement deleting the deleted row's windows)
TRIGGERS = [
    ("deliveries_delete_windows", "deliveries", "DELETE FROM delivery_subscriptions WHERE delivery_id = OLD.id"),
    ("subscriptions_delete_windows", "subscriptions",
     "DELETE FROM delivery_subscriptions WHERE subscription_id = OLD.id"),
]  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("delivery_subscriptions") as batch:
        batch.drop_constraint("fk_delivery_subscriptions_delivery_id_deliveries", type_="foreignkey")
        batch.drop_constraint("fk_delivery_subscriptions_subscription_id_subscriptions", type_="foreignkey")
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, table, statement in TRIGGERS:
        if postgresql:
            body = f"$$ BEGIN {statement}; RETURN NULL; END $$"
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS {body}")
            op.execute(f"CREATE TRIGGER {name} AFTER DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()")
        else:
            op.execute(f"CREATE TRIGGER {name} AFTER DELETE ON {table} FOR EACH ROW BEGIN {statement}; END")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, table, _ in TRIGGERS:
        op.execute(f"DROP TRIGGER {name}" + (f" ON {table}" if postgresql else ""))
        if postgresql:
            op.execute(f"DROP FUNCTION {name}()")
    with op.batch_alter_table("delivery_subscriptions") as batch:
        batch.create_foreign_key(
            "fk_delivery_subscriptions_delivery_id_deliveries",
            "deliveries",
            ["delivery_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_foreign_key(
            "fk_delivery_subscriptions_subscription_id_subscriptions",
            "subscriptions",
            ["subscription_id"],
            ["id"],
            ondelete="CASCADE",
        )
