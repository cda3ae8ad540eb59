"""Typed ORM models for the whole domain. The schema is created only by Alembic migrations.

Times are stored as UTC instants (timezone-aware on PostgreSQL; SQLite gives naive values back,
which `UTCDateTime` turns into aware UTC again) so code never mixes naive and aware datetimes.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# POSTGRESQL_ONLY: options of the schema that only PostgreSQL has are written in the migrations and not declared
# here (the partial index ix_item_sources_feed_id's WHERE, the rollups' primary keys' INCLUDE (postings)).
# A `postgresql_*` argument makes SQLAlchemy import its whole PostgreSQL dialect to check the name, ~30 ms
# of every command and test process on SQLite; nothing at run time reads them (the schema is made only by
# the migrations).


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON}


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # stored as VARCHAR + CHECK so adding a value is a plain migration on both databases
    return Enum(cls, name=name, native_enum=False, values_callable=lambda e: [m.value for m in e], length=20)


class FeedKind(enum.StrEnum):
    news = "news"
    jobs = "jobs"


class ItemKind(enum.StrEnum):
    news = "news"
    job = "job"


class AliasKind(enum.StrEnum):
    ci = "ci"  # case-insensitive
    exact = "exact"  # exact case (Go, R, C, Swift, ...)
    hidden = "hidden"  # matched, never shown (misspellings)


class Cadence(enum.StrEnum):
    hourly = "hourly"
    daily = "daily"
    weekly = "weekly"


class SubscriptionStatus(enum.StrEnum):
    pending = "pending"  # awaiting double opt-in
    active = "active"
    paused = "paused"
    unsubscribed = "unsubscribed"


class DeliveryKind(enum.StrEnum):
    digest = "digest"
    alert = "alert"
    confirm = "confirm"
    login = "login"


class DeliveryStatus(enum.StrEnum):
    pending = "pending"  # claimed row exists, nothing sent yet
    sending = "sending"  # the irreversible send may be in flight
    sent = "sent"
    empty = "empty"  # nothing to send; the cursor advanced anyway
    failed = "failed"  # permanent failure (4xx from the provider, suppressed address)


class Direction(enum.StrEnum):
    up = "up"
    down = "down"
    flat = "flat"


# --- feeds and items -----------------------------------------------------------------------------


class Feed(Base):
    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    kind: Mapped[FeedKind] = mapped_column(_enum(FeedKind, "feed_kind"))
    title: Mapped[str | None] = mapped_column(String(500))
    site_url: Mapped[str | None] = mapped_column(String(2048))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    # conditional GET
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    # health and scheduling
    next_poll_at: Mapped[datetime | None] = mapped_column(index=True)
    last_polled_at: Mapped[datetime | None]
    last_ok_at: Mapped[datetime | None]
    last_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    bozo_reason: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    failing_since: Mapped[datetime | None]
    deactivated_reason: Mapped[str | None] = mapped_column(String(200))
    # guid policy learned from the feed (see feeds.identity)
    guids_repeat: Mapped[bool] = mapped_column(default=False)
    # cumulative poll outcomes, for /metrics (counted in the database: the same whichever machine polled)
    polls_ok: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    polls_not_modified: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    polls_failed: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Item(Base):
    """A news article or a job posting, stored once however many sources carried it."""

    __tablename__ = "items"
    __table_args__ = (
        Index("ix_items_kind_fetched_at", "kind", "fetched_at"),
        Index("ix_items_kind_posted_on", "kind", "posted_on"),
        Index("ix_items_dedupe_key", "dedupe_key"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[ItemKind] = mapped_column(_enum(ItemKind, "item_kind"))
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2048))
    canonical_url: Mapped[str | None] = mapped_column(String(2048), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")  # clean text, length-capped: what is displayed
    # the whole clean text skills are matched in (bounded by the fetch cap), when longer than the summary;
    # `digest skills relink` re-resolves from it (items stored before revision 0009 have only the summary)
    body: Mapped[str | None] = mapped_column(Text)
    source_name: Mapped[str | None] = mapped_column(String(500))  # feed title / "Hacker News"
    published_at: Mapped[datetime]
    fetched_at: Mapped[datetime]  # ingestion time: drives digest windows
    # cross-source identity: normalised title+company+location for jobs, canonical URL otherwise
    dedupe_key: Mapped[str | None] = mapped_column(String(64))
    # job postings
    company: Mapped[str | None] = mapped_column(String(500))
    # the company folded to one key per employer (digest.sources.employer): "Stripe, Inc." and "stripe.com"
    # are "stripe"; None without a company that names one. The employer figures group by it
    employer_key: Mapped[str | None] = mapped_column(String(200), index=True)
    location_raw: Mapped[str | None] = mapped_column(String(500))
    remote: Mapped[bool | None]
    posted_on: Mapped[date | None]  # the posting's posted_at date in UTC (demand figures)
    title_raw: Mapped[str | None] = mapped_column(Text)
    # what a job alert shows (digest.sources.salary, digest.sources.seniority); salary as stated, per period
    salary_min: Mapped[float | None] = mapped_column(Float)
    salary_max: Mapped[float | None] = mapped_column(Float)
    salary_currency: Mapped[str | None] = mapped_column(String(3))
    salary_period: Mapped[str | None] = mapped_column(String(10))  # year, month, week, day, hour
    seniority: Mapped[str | None] = mapped_column(String(20))
    # normalised company + title (no location): the same posting re-posted later (a new monthly thread)
    repost_key: Mapped[str | None] = mapped_column(String(64), index=True)
    # no foreign keys or indexes on the hot rows of an import (each cost a PostgreSQL lookup or b-tree write
    # per row): titles and metros are never deleted, the taxonomy resolver writes only ids it read from
    # their tables, and nothing looks postings up by title or metro (the rollups answer that)
    job_title_id: Mapped[int | None]
    metro_id: Mapped[int | None]
    matched_at: Mapped[datetime | None]  # when skills were last resolved

    # item_sources and item_skills carry no foreign key (see ItemSkill): the joins are declared here, and
    # digest.ingest.pipeline.delete_items deletes their rows with the item
    sources: Mapped[list[ItemSource]] = relationship(
        back_populates="item",
        cascade="all, delete-orphan",
        primaryjoin="Item.id == foreign(ItemSource.item_id)",
    )
    skills: Mapped[list[ItemSkill]] = relationship(
        back_populates="item",
        cascade="all, delete-orphan",
        primaryjoin="Item.id == foreign(ItemSkill.item_id)",
    )


class ItemSource(Base):
    """Where an item was seen: one row per (source, identity), its key (no surrogate id: one index and one
    sequence call less per posting). source_key is 'feed:<id>' or 'import:<name>'."""

    __tablename__ = "item_sources"
    __table_args__ = (
        PrimaryKeyConstraint("source_key", "identity"),
        # for a removed feed's rows; an import's have none, and are not in it (WHERE feed_id IS NOT NULL, on
        # both databases: see POSTGRESQL_ONLY)
        Index("ix_item_sources_feed_id", "feed_id", sqlite_where=text("feed_id IS NOT NULL")),
    )

    item_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), index=True)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"))
    source_key: Mapped[str] = mapped_column(String(200))
    identity: Mapped[str] = mapped_column(String(64))  # sha256 hex of the identity material
    url: Mapped[str | None] = mapped_column(String(2048))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    first_seen_at: Mapped[datetime]

    item: Mapped[Item] = relationship(back_populates="sources", primaryjoin="Item.id == foreign(ItemSource.item_id)")


class ItemTombstone(Base):
    """An identity whose item expired or was pruned: it never comes back as new."""

    __tablename__ = "item_tombstones"
    __table_args__ = (UniqueConstraint("source_key", "identity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_key: Mapped[str] = mapped_column(String(200))
    identity: Mapped[str] = mapped_column(String(64))
    pruned_at: Mapped[datetime]


# --- taxonomy -------------------------------------------------------------------------------------


class Skill(Base):
    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("skills.id", ondelete="SET NULL"), index=True)
    category: Mapped[str | None] = mapped_column(String(200))
    hot: Mapped[bool] = mapped_column(default=False)  # O*NET Hot Technology
    weak: Mapped[bool] = mapped_column(default=False)  # ambiguous name: needs corroboration
    # language, framework, database, platform, tool, practice or domain (digest.taxonomy.layer.KINDS)
    kind: Mapped[str | None] = mapped_column(String(20))
    operator: Mapped[bool] = mapped_column(default=False, server_default=text("false"))  # `digest skills import`

    aliases: Mapped[list[SkillAlias]] = relationship(back_populates="skill", cascade="all, delete-orphan")


class SkillAlias(Base):
    __tablename__ = "skill_aliases"
    __table_args__ = (UniqueConstraint("skill_id", "alias", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)
    alias: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[AliasKind] = mapped_column(_enum(AliasKind, "alias_kind"))
    operator: Mapped[bool] = mapped_column(default=False, server_default=text("false"))  # `digest skills import`

    skill: Mapped[Skill] = relationship(back_populates="aliases")


class SkillRelated(Base):
    """Skills people ask for together or that belong together (from the bundle: both ways)."""

    __tablename__ = "skill_related"

    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True)
    related_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True)
    rank: Mapped[int] = mapped_column(SmallInteger, default=0)


class SkillRedirect(Base):
    """A slug that stopped being a skill of its own: its links and subscriptions lead to `skill_id`."""

    __tablename__ = "skill_redirects"

    slug: Mapped[str] = mapped_column(String(120), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)


class TaxonomyState(Base):
    """Facts about the loaded taxonomy: its version (and when it was loaded)."""

    __tablename__ = "taxonomy_state"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class JobTitle(Base):
    __tablename__ = "job_titles"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Metro(Base):
    __tablename__ = "metros"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))


class ItemSkill(Base):
    """An item mentions a skill once; the matched alias and span say why.

    Written once per item by the one write path (digest.ingest.indexing), 3-4 rows per posting: no foreign keys,
    whose per-row checks were a third of PostgreSQL's work in an import (skills are never deleted; an item's
    rows go with it in delete_items). `posted_on` repeats the posting's date, so a skill's postings in a
    window are one index range (paired skills on a date the window table does not hold)."""

    __tablename__ = "item_skills"
    __table_args__ = (Index("ix_item_skills_skill_posted_on", "skill_id", "posted_on", "item_id"),)

    item_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(primary_key=True)
    alias: Mapped[str] = mapped_column(String(200))
    span_start: Mapped[int]
    span_end: Mapped[int]
    posted_on: Mapped[date | None] = mapped_column(Date)  # job postings: Item.posted_on
    # where the skill was found (digest.taxonomy.where): 2 in the title, 1 in a requirements list, 0 in passing
    found_in: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")

    item: Mapped[Item] = relationship(back_populates="skills", primaryjoin="Item.id == foreign(ItemSkill.item_id)")


# --- demand rollups ---------------------------------------------------------------------------------
#
# Derived from the postings (digest.demand.rollups folds new postings in and can rebuild them), so they
# carry no foreign keys. Each is keyed skill first, then day, then the other key: a skill's rows in a
# window are one range of the primary key, which also holds the count (PostgreSQL: INCLUDE; SQLite:
# WITHOUT ROWID, the table is its key) - one b-tree written per row, and reads that never visit a heap.


def _rollup_key(*columns: str) -> tuple[Any, ...]:
    # and INCLUDE (postings) on PostgreSQL: see POSTGRESQL_ONLY
    return (PrimaryKeyConstraint(*columns), {"sqlite_with_rowid": False})


class DemandTotalDay(Base):
    """All job postings per day: the exposure for shares."""

    __tablename__ = "demand_total_day"
    __table_args__ = _rollup_key("day")

    day: Mapped[date] = mapped_column(Date)
    postings: Mapped[int] = mapped_column(default=0)


class DemandTitleDay(Base):
    """All postings of a canonical title per day: the denominator of share_of_title."""

    __tablename__ = "demand_title_day"
    __table_args__ = _rollup_key("job_title_id", "day")

    job_title_id: Mapped[int]
    day: Mapped[date] = mapped_column(Date)
    postings: Mapped[int] = mapped_column(default=0)


class DemandSkillDay(Base):
    __tablename__ = "demand_skill_day"
    __table_args__ = _rollup_key("skill_id", "day")

    skill_id: Mapped[int]
    day: Mapped[date] = mapped_column(Date)
    postings: Mapped[int] = mapped_column(default=0)


class DemandSkillTitleDay(Base):
    __tablename__ = "demand_skill_title_day"
    __table_args__ = _rollup_key("skill_id", "day", "job_title_id")

    skill_id: Mapped[int]
    day: Mapped[date] = mapped_column(Date)
    job_title_id: Mapped[int]
    postings: Mapped[int] = mapped_column(default=0)


class DemandSkillMetroDay(Base):
    __tablename__ = "demand_skill_metro_day"
    __table_args__ = _rollup_key("skill_id", "day", "metro_id")

    skill_id: Mapped[int]
    day: Mapped[date] = mapped_column(Date)
    metro_id: Mapped[int]
    postings: Mapped[int] = mapped_column(default=0)


class DemandSkillLevelDay(Base):
    """Postings of a skill per day at each seniority level (items.seniority; postings without one: none)."""

    __tablename__ = "demand_skill_level_day"
    __table_args__ = _rollup_key("skill_id", "day", "level")

    skill_id: Mapped[int]
    day: Mapped[date] = mapped_column(Date)
    level: Mapped[str] = mapped_column(String(20))
    postings: Mapped[int] = mapped_column(default=0)


class DemandSkillPayDay(Base):
    """Stated salaries of a skill's postings per day (docs/demand.md, "Pay and seniority"): `amount` the
    posting's salary, annualised when `period` is "year" ("" when the period is unknown, as stated),
    `currency` "" when unknown; a median needs the values, so the key holds them."""

    __tablename__ = "demand_skill_pay_day"
    __table_args__ = _rollup_key("skill_id", "day", "currency", "period", "amount")

    skill_id: Mapped[int]
    day: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    period: Mapped[str] = mapped_column(String(4))
    amount: Mapped[float] = mapped_column(Float)
    postings: Mapped[int] = mapped_column(default=0)


class DemandSkillTitlePayDay(Base):
    """Yearly salaries in a stated currency of a skill's postings of a title, per day: a top title's median."""

    __tablename__ = "demand_skill_title_pay_day"
    __table_args__ = _rollup_key("skill_id", "job_title_id", "day", "currency", "amount")

    skill_id: Mapped[int]
    job_title_id: Mapped[int]
    day: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[float] = mapped_column(Float)
    postings: Mapped[int] = mapped_column(default=0)


class DemandSkillEmployerDay(Base):
    """Postings of a skill per day by employer (items.employer_key; postings naming none are not here: the
    skill's day total less these). docs/demand.md, "Employers"."""

    __tablename__ = "demand_skill_employer_day"
    __table_args__ = _rollup_key("skill_id", "day", "employer_key")

    skill_id: Mapped[int]
    day: Mapped[date] = mapped_column(Date)
    employer_key: Mapped[str] = mapped_column(String(200))
    postings: Mapped[int] = mapped_column(default=0)


class DemandTitleWindow(Base):
    """All postings of a title in the 90-day window ending on DemandWindow.as_of (digest.demand.window)."""

    __tablename__ = "demand_title_window"
    __table_args__ = _rollup_key("job_title_id")

    job_title_id: Mapped[int]
    postings: Mapped[int] = mapped_column(default=0)


class DemandSkillTitleWindow(Base):
    """A skill's postings per title in the 90-day window ending on DemandWindow.as_of."""

    __tablename__ = "demand_skill_title_window"
    __table_args__ = _rollup_key("skill_id", "job_title_id")

    skill_id: Mapped[int]
    job_title_id: Mapped[int]
    postings: Mapped[int] = mapped_column(default=0)


class DemandSkillMetroWindow(Base):
    """A skill's postings per metro in the 90-day window ending on DemandWindow.as_of."""

    __tablename__ = "demand_skill_metro_window"
    __table_args__ = _rollup_key("skill_id", "metro_id")

    skill_id: Mapped[int]
    metro_id: Mapped[int]
    postings: Mapped[int] = mapped_column(default=0)


class DemandSkillPairWindow(Base):
    """Skill pairs summed over the 90-day window ending on DemandWindow.as_of (digest.demand.window).
    Pairs are kept for that window only: per day they were half of every rollup row an import wrote."""

    __tablename__ = "demand_skill_pair_window"
    __table_args__ = (
        PrimaryKeyConstraint("skill_id", "other_skill_id"),
        Index("ix_demand_skill_pair_window_top", "skill_id", "postings"),
        {"sqlite_with_rowid": False},
    )

    skill_id: Mapped[int]
    other_skill_id: Mapped[int]
    postings: Mapped[int] = mapped_column(default=0)


class DemandWindow(Base):
    """One row (id 1): the as-of date the window tables are summed for."""

    __tablename__ = "demand_window"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date]


class DemandPending(Base):
    """Job postings stored but not yet counted into the rollups: written in the transaction that stores
    the posting, deleted in the one that counts it (digest.demand.rollups.fold), so a crash in between
    leaves it here to be counted later, never lost and never counted twice."""

    __tablename__ = "demand_pending"

    item_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # the posting's own columns a fold needs: it reads these and the mentions, never the wide items rows
    posted_on: Mapped[date] = mapped_column(Date)
    job_title_id: Mapped[int | None]
    metro_id: Mapped[int | None]


class ShiftEvaluation(Base):
    """One weekly verdict per skill, by the method that ran (`Settings.shift_method`): recent/prior, their
    totals and change are the last 4 weeks against the 4 before for both; "windows" tests those (the input
    to persistence, 2 consecutive, and hysteresis); "sequential" scans the last 1-4 weeks against the
    skill's baseline (statistic, its threshold, the window's length and its change against the baseline)."""

    __tablename__ = "shift_evaluations"
    __table_args__ = (UniqueConstraint("skill_id", "week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)
    week_start: Mapped[date] = mapped_column(Date)  # Monday after the last completed week evaluated
    recent: Mapped[int]
    prior: Mapped[int]
    recent_total: Mapped[int]
    prior_total: Mapped[int]
    change: Mapped[float | None] = mapped_column(Float)
    p_value: Mapped[float | None] = mapped_column(Float)
    q_value: Mapped[float | None] = mapped_column(Float)
    direction: Mapped[Direction] = mapped_column(_enum(Direction, "direction"))
    condition: Mapped[bool] = mapped_column(default=False)  # windows: every gate but persistence
    evaluated_at: Mapped[datetime]
    method: Mapped[str] = mapped_column(String(16), default="windows", server_default="windows")
    statistic: Mapped[float | None] = mapped_column(Float)  # sequential only, from here on
    threshold: Mapped[float | None] = mapped_column(Float)
    scan_weeks: Mapped[int | None]
    scan_change: Mapped[float | None] = mapped_column(Float)


class ShiftAlert(Base):
    __tablename__ = "shift_alerts"
    __table_args__ = (Index("ix_shift_alerts_skill_open", "skill_id", "closed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"))
    direction: Mapped[Direction] = mapped_column(_enum(Direction, "direction"))
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    change: Mapped[float] = mapped_column(Float)
    p_value: Mapped[float] = mapped_column(Float)
    q_value: Mapped[float] = mapped_column(Float)
    recent: Mapped[int]
    prior: Mapped[int]
    created_at: Mapped[datetime]
    # the method that opened it; a sequential alert also keeps the scan window that fired (its length in
    # weeks and its change against the skill's baseline); change/recent/prior are 4 weeks vs 4 for both
    method: Mapped[str] = mapped_column(String(16), default="windows", server_default="windows")
    scan_weeks: Mapped[int | None]
    scan_change: Mapped[float | None] = mapped_column(Float)


# --- people ---------------------------------------------------------------------------------------


class User(Base):
    """An account: an email address with many subscriptions."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("send_hour >= 0 AND send_hour <= 23", name="send_hour_range"),
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # normalised (domain lower-cased)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    send_hour: Mapped[int] = mapped_column(SmallInteger, default=8)
    weekday: Mapped[int] = mapped_column(SmallInteger, default=0)  # 0 = Monday
    alert_emails: Mapped[bool] = mapped_column(default=False)
    # which alerts are emailed (digest.accounts.people.ALERT_SCOPES, ALERT_MIN_CHANGES): the skills followed, or
    # also their paired skills; and the smallest change in percent (0: any the shift test finds)
    alert_scope: Mapped[str] = mapped_column(String(16), default="followed", server_default="followed")
    alert_min_change: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]

    subscriptions: Mapped[list[Subscription]] = relationship(back_populates="user", cascade="all, delete-orphan")


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("user_id", "skill_id"),
        Index("ix_subscriptions_status_cadence", "status", "cadence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # no index of its own: the unique key starts with user_id
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)
    cadence: Mapped[Cadence] = mapped_column(_enum(Cadence, "cadence"), default=Cadence.daily)
    status: Mapped[SubscriptionStatus] = mapped_column(
        _enum(SubscriptionStatus, "subscription_status"), default=SubscriptionStatus.pending
    )
    # digest window start: items with fetched_at > cursor are pending for this subscription
    cursor: Mapped[datetime]
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    confirm_sent_at: Mapped[datetime | None]  # the last sign-up email (confirmation or already-subscribed notice)
    updated_at: Mapped[datetime]
    # what the subscription follows beyond its skill (digest.accounts.searches: more skills, job filters), as
    # the search's canonical JSON; NULL: the skill alone, no filters
    search: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(back_populates="subscriptions")
    skill: Mapped[Skill] = relationship()


class Delivery(Base):
    """One email. Unique per (user, kind, cadence, window end): claiming it is the duplicate guard."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "cadence", "window_end"),
        Index("ix_deliveries_status_updated", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # no index of its own: the unique key starts with user_id
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[DeliveryKind] = mapped_column(_enum(DeliveryKind, "delivery_kind"))
    cadence: Mapped[str] = mapped_column(String(20), default="")  # '' for non-digest kinds
    window_end: Mapped[datetime]
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.pending
    )
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_event: Mapped[str | None] = mapped_column(String(40))  # delivered, deferred, bounce, ...
    payload: Mapped[dict[str, Any] | None]  # kind-specific data (alert id, confirmation subscription id, ...)


class DeliverySubscription(Base):
    """Which subscription windows a digest delivery covers; the cursors advance when it is sent.

    Written by COPY in the claim's transaction, without a foreign-key check per row (that transaction holds the
    delivery's row; the check on subscriptions locked each one): triggers on deliveries and subscriptions delete
    a deleted one's rows, as the cascades did (migration 0018)."""

    __tablename__ = "delivery_subscriptions"

    delivery_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    subscription_id: Mapped[int] = mapped_column(primary_key=True)
    window_start: Mapped[datetime]
    # the subscription's search when the window was recorded: a retry and the web view build it the same way
    search: Mapped[str | None] = mapped_column(Text)


class DeliveryItem(Base):
    """An item reaches a person at most once, across all skills and cadences: (user, item) is the key.

    The ledger's largest table (one row per item shown), written by COPY, so it carries only the key: no
    surrogate id, no foreign-key check per row (the claim's transaction that writes the rows holds their
    delivery's row), no index on delivery_id (a delivery's rows are found by its user). Deleting a delivery
    (or the account, whose deliveries cascade) deletes its rows by a trigger on deliveries (migration 0017).
    `digest.ingest.pipeline.delete_items`, the one path that deletes items, deletes their rows here;
    skill_id is the section the item was shown under, a record kept as written."""

    __tablename__ = "delivery_items"

    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    item_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False, index=True
    )
    delivery_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    skill_id: Mapped[int | None]


class Suppression(Base):
    """Addresses never emailed again: unsubscribed from everything, bounced, complained."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    reason: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]


class WebhookEvent(Base):
    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    provider: Mapped[str] = mapped_column(String(20), default="sendgrid")
    event_id: Mapped[str] = mapped_column(String(200), unique=True)  # sg_event_id
    event: Mapped[str] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(320))
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id", ondelete="SET NULL"), index=True)
    received_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]]


class UsedToken(Base):
    """Single-use tokens (magic links) already spent."""

    __tablename__ = "used_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime]


class UserSession(Base):
    """A signed-in browser. Its cookie carries a random id (signed); the id's SHA-256 is kept here, so a copy of
    the database holds no usable cookie. Deleting the row signs that browser out whatever its cookie says
    (logout, "sign out everywhere")."""

    __tablename__ = "user_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class RateEvent(Base):
    """Rate-limit log: one row per counted action, pruned after its window."""

    __tablename__ = "rate_events"
    __table_args__ = (Index("ix_rate_events_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(400))
    at: Mapped[datetime]


class Heartbeat(Base):
    """Last success of each periodic job and worker: what /healthz and operators read."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    at: Mapped[datetime]
    detail: Mapped[str | None] = mapped_column(Text)
