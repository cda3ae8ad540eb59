"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 03:03:32.247276
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op



revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('demand_total_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('postings', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_demand_total_day'))
    )
    op.create_table('heartbeats',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_heartbeats'))
    )
    op.create_table('feeds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('kind', sa.Enum('news', 'jobs', name='feed_kind', native_enum=False, length=20), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=True),
    sa.Column('site_url', sa.String(length=2048), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('etag', sa.String(length=500), nullable=True),
    sa.Column('last_modified', sa.String(length=100), nullable=True),
    sa.Column('next_poll_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_polled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_ok_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('bozo_reason', sa.Text(), nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('failing_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deactivated_reason', sa.String(length=200), nullable=True),
    sa.Column('guids_repeat', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feeds')),
    sa.UniqueConstraint('url', name=op.f('uq_feeds_url'))
    )
    with op.batch_alter_table('feeds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feeds_next_poll_at'), ['next_poll_at'], unique=False)

    op.create_table('item_tombstones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_key', sa.String(length=200), nullable=False),
    sa.Column('identity', sa.String(length=64), nullable=False),
    sa.Column('pruned_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_tombstones')),
    sa.UniqueConstraint('source_key', 'identity', name=op.f('uq_item_tombstones_source_key_identity'))
    )
    op.create_table('job_titles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_titles')),
    sa.UniqueConstraint('slug', name=op.f('uq_job_titles_slug'))
    )
    op.create_table('metros',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metros')),
    sa.UniqueConstraint('slug', name=op.f('uq_metros_slug'))
    )
    op.create_table('rate_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rate_events'))
    )
    with op.batch_alter_table('rate_events', schema=None) as batch_op:
        batch_op.create_index('ix_rate_events_key_at', ['key', 'at'], unique=False)

    op.create_table('skills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=200), nullable=True),
    sa.Column('hot', sa.Boolean(), nullable=False),
    sa.Column('weak', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['skills.id'], name=op.f('fk_skills_parent_id_skills'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skills')),
    sa.UniqueConstraint('slug', name=op.f('uq_skills_slug'))
    )
    op.create_table('suppressions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suppressions')),
    sa.UniqueConstraint('email', name=op.f('uq_suppressions_email'))
    )
    op.create_table('used_tokens',
    sa.Column('jti', sa.String(length=64), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('jti', name=op.f('pk_used_tokens'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('send_hour', sa.SmallInteger(), nullable=False),
    sa.Column('weekday', sa.SmallInteger(), nullable=False),
    sa.Column('alert_emails', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('send_hour >= 0 AND send_hour <= 23', name=op.f('ck_users_send_hour_range')),
    sa.CheckConstraint('weekday >= 0 AND weekday <= 6', name=op.f('ck_users_weekday_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('digest', 'alert', 'confirm', 'login', name='delivery_kind', native_enum=False, length=20), nullable=False),
    sa.Column('cadence', sa.String(length=20), nullable=False),
    sa.Column('window_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sending', 'sent', 'empty', 'failed', name='delivery_status', native_enum=False, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('provider_message_id', sa.String(length=200), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_event', sa.String(length=40), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_deliveries_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    sa.UniqueConstraint('user_id', 'kind', 'cadence', 'window_end', name=op.f('uq_deliveries_user_id_kind_cadence_window_end'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_status_updated', ['status', 'updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_user_id'), ['user_id'], unique=False)

    op.create_table('demand_skill_day',
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('postings', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_demand_skill_day_skill_id_skills'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('skill_id', 'day', name=op.f('pk_demand_skill_day'))
    )
    op.create_table('demand_skill_metro_day',
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.Column('metro_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('postings', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['metro_id'], ['metros.id'], name=op.f('fk_demand_skill_metro_day_metro_id_metros'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_demand_skill_metro_day_skill_id_skills'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('skill_id', 'metro_id', 'day', name=op.f('pk_demand_skill_metro_day'))
    )
    op.create_table('demand_skill_pair_day',
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.Column('other_skill_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('postings', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['other_skill_id'], ['skills.id'], name=op.f('fk_demand_skill_pair_day_other_skill_id_skills'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_demand_skill_pair_day_skill_id_skills'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('skill_id', 'other_skill_id', 'day', name=op.f('pk_demand_skill_pair_day'))
    )
    op.create_table('demand_skill_title_day',
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.Column('job_title_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('postings', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['job_title_id'], ['job_titles.id'], name=op.f('fk_demand_skill_title_day_job_title_id_job_titles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_demand_skill_title_day_skill_id_skills'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('skill_id', 'job_title_id', 'day', name=op.f('pk_demand_skill_title_day'))
    )
    op.create_table('demand_title_day',
    sa.Column('job_title_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('postings', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['job_title_id'], ['job_titles.id'], name=op.f('fk_demand_title_day_job_title_id_job_titles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_title_id', 'day', name=op.f('pk_demand_title_day'))
    )
    op.create_table('items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.Enum('news', 'job', name='item_kind', native_enum=False, length=20), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=True),
    sa.Column('canonical_url', sa.String(length=2048), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('source_name', sa.String(length=500), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dedupe_key', sa.String(length=64), nullable=True),
    sa.Column('company', sa.String(length=500), nullable=True),
    sa.Column('location_raw', sa.String(length=500), nullable=True),
    sa.Column('remote', sa.Boolean(), nullable=True),
    sa.Column('posted_on', sa.Date(), nullable=True),
    sa.Column('title_raw', sa.Text(), nullable=True),
    sa.Column('job_title_id', sa.Integer(), nullable=True),
    sa.Column('metro_id', sa.Integer(), nullable=True),
    sa.Column('matched_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['job_title_id'], ['job_titles.id'], name=op.f('fk_items_job_title_id_job_titles'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['metro_id'], ['metros.id'], name=op.f('fk_items_metro_id_metros'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_items'))
    )
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_items_canonical_url'), ['canonical_url'], unique=False)
        batch_op.create_index('ix_items_dedupe_key', ['dedupe_key'], unique=False)
        batch_op.create_index('ix_items_kind_fetched_at', ['kind', 'fetched_at'], unique=False)
        batch_op.create_index('ix_items_kind_posted_on', ['kind', 'posted_on'], unique=False)

    op.create_table('shift_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.Enum('up', 'down', 'flat', name='direction', native_enum=False, length=20), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('change', sa.Float(), nullable=False),
    sa.Column('p_value', sa.Float(), nullable=False),
    sa.Column('q_value', sa.Float(), nullable=False),
    sa.Column('recent', sa.Integer(), nullable=False),
    sa.Column('prior', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_shift_alerts_skill_id_skills'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shift_alerts'))
    )
    with op.batch_alter_table('shift_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_shift_alerts_skill_open', ['skill_id', 'closed_on'], unique=False)

    op.create_table('shift_evaluations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('recent', sa.Integer(), nullable=False),
    sa.Column('prior', sa.Integer(), nullable=False),
    sa.Column('recent_total', sa.Integer(), nullable=False),
    sa.Column('prior_total', sa.Integer(), nullable=False),
    sa.Column('change', sa.Float(), nullable=True),
    sa.Column('p_value', sa.Float(), nullable=True),
    sa.Column('q_value', sa.Float(), nullable=True),
    sa.Column('direction', sa.Enum('up', 'down', 'flat', name='direction', native_enum=False, length=20), nullable=False),
    sa.Column('condition', sa.Boolean(), nullable=False),
    sa.Column('evaluated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_shift_evaluations_skill_id_skills'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shift_evaluations')),
    sa.UniqueConstraint('skill_id', 'week_start', name=op.f('uq_shift_evaluations_skill_id_week_start'))
    )
    with op.batch_alter_table('shift_evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shift_evaluations_skill_id'), ['skill_id'], unique=False)

    op.create_table('skill_aliases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('ci', 'exact', 'hidden', name='alias_kind', native_enum=False, length=20), nullable=False),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_skill_aliases_skill_id_skills'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skill_aliases')),
    sa.UniqueConstraint('skill_id', 'alias', 'kind', name=op.f('uq_skill_aliases_skill_id_alias_kind'))
    )
    with op.batch_alter_table('skill_aliases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_skill_aliases_alias'), ['alias'], unique=False)
        batch_op.create_index(batch_op.f('ix_skill_aliases_skill_id'), ['skill_id'], unique=False)

    op.create_table('subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.Column('cadence', sa.Enum('hourly', 'daily', 'weekly', name='cadence', native_enum=False, length=20), nullable=False),
    sa.Column('status', sa.Enum('pending', 'active', 'paused', 'unsubscribed', name='subscription_status', native_enum=False, length=20), nullable=False),
    sa.Column('cursor', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirm_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_subscriptions_skill_id_skills'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_subscriptions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions')),
    sa.UniqueConstraint('user_id', 'skill_id', name=op.f('uq_subscriptions_user_id_skill_id'))
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriptions_skill_id'), ['skill_id'], unique=False)
        batch_op.create_index('ix_subscriptions_status_cadence', ['status', 'cadence'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_user_id'), ['user_id'], unique=False)

    op.create_table('delivery_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('delivery_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('skill_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], name=op.f('fk_delivery_items_delivery_id_deliveries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_delivery_items_item_id_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_delivery_items_skill_id_skills'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_delivery_items_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_items')),
    sa.UniqueConstraint('user_id', 'item_id', name=op.f('uq_delivery_items_user_id_item_id'))
    )
    with op.batch_alter_table('delivery_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_items_delivery_id'), ['delivery_id'], unique=False)

    op.create_table('delivery_subscriptions',
    sa.Column('delivery_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], name=op.f('fk_delivery_subscriptions_delivery_id_deliveries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_delivery_subscriptions_subscription_id_subscriptions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('delivery_id', 'subscription_id', name=op.f('pk_delivery_subscriptions'))
    )
    op.create_table('item_skills',
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.String(length=200), nullable=False),
    sa.Column('span_start', sa.Integer(), nullable=False),
    sa.Column('span_end', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_skills_item_id_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_item_skills_skill_id_skills'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', 'skill_id', name=op.f('pk_item_skills'))
    )
    with op.batch_alter_table('item_skills', schema=None) as batch_op:
        batch_op.create_index('ix_item_skills_skill_item', ['skill_id', 'item_id'], unique=False)

    op.create_table('item_sources',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('feed_id', sa.Integer(), nullable=True),
    sa.Column('source_key', sa.String(length=200), nullable=False),
    sa.Column('identity', sa.String(length=64), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['feed_id'], ['feeds.id'], name=op.f('fk_item_sources_feed_id_feeds'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_sources_item_id_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_sources')),
    sa.UniqueConstraint('source_key', 'identity', name=op.f('uq_item_sources_source_key_identity'))
    )
    with op.batch_alter_table('item_sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_sources_feed_id'), ['feed_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_sources_item_id'), ['item_id'], unique=False)

    op.create_table('webhook_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('event_id', sa.String(length=200), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('delivery_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], name=op.f('fk_webhook_events_delivery_id_deliveries'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_events')),
    sa.UniqueConstraint('event_id', name=op.f('uq_webhook_events_event_id'))
    )


def downgrade() -> None:
    op.drop_table('webhook_events')
    with op.batch_alter_table('item_sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_sources_item_id'))
        batch_op.drop_index(batch_op.f('ix_item_sources_feed_id'))

    op.drop_table('item_sources')
    with op.batch_alter_table('item_skills', schema=None) as batch_op:
        batch_op.drop_index('ix_item_skills_skill_item')

    op.drop_table('item_skills')
    op.drop_table('delivery_subscriptions')
    with op.batch_alter_table('delivery_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_items_delivery_id'))

    op.drop_table('delivery_items')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriptions_user_id'))
        batch_op.drop_index('ix_subscriptions_status_cadence')
        batch_op.drop_index(batch_op.f('ix_subscriptions_skill_id'))

    op.drop_table('subscriptions')
    with op.batch_alter_table('skill_aliases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_skill_aliases_skill_id'))
        batch_op.drop_index(batch_op.f('ix_skill_aliases_alias'))

    op.drop_table('skill_aliases')
    with op.batch_alter_table('shift_evaluations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shift_evaluations_skill_id'))

    op.drop_table('shift_evaluations')
    with op.batch_alter_table('shift_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_shift_alerts_skill_open')

    op.drop_table('shift_alerts')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index('ix_items_kind_posted_on')
        batch_op.drop_index('ix_items_kind_fetched_at')
        batch_op.drop_index('ix_items_dedupe_key')
        batch_op.drop_index(batch_op.f('ix_items_canonical_url'))

    op.drop_table('items')
    op.drop_table('demand_title_day')
    op.drop_table('demand_skill_title_day')
    op.drop_table('demand_skill_pair_day')
    op.drop_table('demand_skill_metro_day')
    op.drop_table('demand_skill_day')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_user_id'))
        batch_op.drop_index('ix_deliveries_status_updated')

    op.drop_table('deliveries')
    op.drop_table('users')
    op.drop_table('used_tokens')
    op.drop_table('suppressions')
    op.drop_table('skills')
    with op.batch_alter_table('rate_events', schema=None) as batch_op:
        batch_op.drop_index('ix_rate_events_key_at')

    op.drop_table('rate_events')
    op.drop_table('metros')
    op.drop_table('job_titles')
    op.drop_table('item_tombstones')
    with op.batch_alter_table('feeds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feeds_next_poll_at'))

    op.drop_table('feeds')
    op.drop_table('heartbeats')
    op.drop_table('demand_total_day')
