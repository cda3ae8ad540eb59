"""index foreign keys that deletes look up

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 03:46:25.676674
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('delivery_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_items_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_items_skill_id'), ['skill_id'], unique=False)

    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_items_job_title_id'), ['job_title_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_items_metro_id'), ['metro_id'], unique=False)

    with op.batch_alter_table('skills', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_skills_parent_id'), ['parent_id'], unique=False)

    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_events_delivery_id'), ['delivery_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_events_delivery_id'))

    with op.batch_alter_table('skills', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_skills_parent_id'))

    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_items_metro_id'))
        batch_op.drop_index(batch_op.f('ix_items_job_title_id'))

    with op.batch_alter_table('delivery_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_items_skill_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_items_item_id'))

