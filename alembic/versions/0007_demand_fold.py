"""demand rollups folded in bulk: pending postings, rollups keyed skill-day first without foreign keys,
skill pairs for the current window only, no foreign keys on an import's hot rows

- `demand_pending`: postings stored but not yet counted. Every job posting already stored becomes pending
  here: the next fold (`digest init`, an import, or the beat's count_demand within a minute) counts them.
- The rollup tables are made anew (their contents are derived): primary key (skill, day, other key) that
  holds the count (PostgreSQL INCLUDE, SQLite WITHOUT ROWID), no covering index beside it, no foreign
  keys; `demand_skill_pair_day` goes (pairs are summed for the window only, from the postings); titles,
  skill x title and skill x metro get window sums too (`demand_*_window`), so today's `stats` reads no
  day rows for its top lists.
- `item_skills` gets `posted_on` (the posting's date) and an index (skill, posted_on, item) instead of
  (skill, item); it, `items` (title, metro) and `item_sources` (item) lose their foreign keys; `items`
  loses its indexes on title and metro (no query used them), and the index of `item_sources` by feed
  holds only rows that have a feed (an import's have none); `item_sources` is keyed by (source, identity),
  its unique key, instead of a surrogate id.

Downgrade restores the old tables empty: run the rebuild_rollups task on the old code after it.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ROLLUPS = (
    "demand_total_day",
    "demand_title_day",
    "demand_skill_day",
    "demand_skill_title_day",
    "demand_skill_metro_day",
    "demand_skill_pair_window",
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
    for name in (*ROLLUPS, "demand_skill_pair_day"):
        op.drop_table(name)
    _rollup("demand_total_day", ("day", sa.Date()))
    _rollup("demand_title_day", ("job_title_id", sa.Integer()), ("day", sa.Date()))
    _rollup("demand_skill_day", ("skill_id", sa.Integer()), ("day", sa.Date()))
    _rollup("demand_skill_title_day", ("skill_id", sa.Integer()), ("day", sa.Date()), ("job_title_id", sa.Integer()))
    _rollup("demand_skill_metro_day", ("skill_id", sa.Integer()), ("day", sa.Date()), ("metro_id", sa.Integer()))
    op.create_table(
        "demand_skill_pair_window",
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.Column("other_skill_id", sa.Integer(), nullable=False),
        sa.Column("postings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("skill_id", "other_skill_id", name="pk_demand_skill_pair_window"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_demand_skill_pair_window_top", "demand_skill_pair_window", ["skill_id", "postings"])
    _rollup("demand_title_window", ("job_title_id", sa.Integer()))
    _rollup("demand_skill_title_window", ("skill_id", sa.Integer()), ("job_title_id", sa.Integer()))
    _rollup("demand_skill_metro_window", ("skill_id", sa.Integer()), ("metro_id", sa.Integer()))
    op.execute("DELETE FROM demand_window")  # the window is summed afresh on its next move
    op.create_table(
        "demand_pending",
        sa.Column("item_id", ID, nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("job_title_id", sa.Integer(), nullable=True),
        sa.Column("metro_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("item_id", name="pk_demand_pending"),
    )
    op.execute(
        "INSERT INTO demand_pending (item_id, posted_on, job_title_id, metro_id) "
        "SELECT id, posted_on, job_title_id, metro_id FROM items WHERE kind = 'job' AND posted_on IS NOT NULL"
    )

    with op.batch_alter_table("item_skills") as batch:
        batch.drop_constraint("fk_item_skills_item_id_items", type_="foreignkey")
        batch.drop_constraint("fk_item_skills_skill_id_skills", type_="foreignkey")
        batch.drop_index("ix_item_skills_skill_item")
        batch.add_column(sa.Column("posted_on", sa.Date(), nullable=True))
    op.execute(
        "UPDATE item_skills SET posted_on = (SELECT posted_on FROM items WHERE items.id = item_skills.item_id) "
        "WHERE item_id IN (SELECT id FROM items WHERE posted_on IS NOT NULL)"
    )
    op.create_index("ix_item_skills_skill_posted_on", "item_skills", ["skill_id", "posted_on", "item_id"])
    with op.batch_alter_table("items") as batch:
        batch.drop_constraint("fk_items_job_title_id_job_titles", type_="foreignkey")
        batch.drop_constraint("fk_items_metro_id_metros", type_="foreignkey")
        batch.drop_index("ix_items_job_title_id")
        batch.drop_index("ix_items_metro_id")
    with op.batch_alter_table("item_sources") as batch:
        batch.drop_constraint("fk_item_sources_item_id_items", type_="foreignkey")
        batch.drop_index("ix_item_sources_feed_id")
        batch.drop_constraint("uq_item_sources_source_key_identity", type_="unique")
        batch.drop_constraint("pk_item_sources", type_="primary")
        batch.drop_column("id")
        batch.create_primary_key("pk_item_sources", ["source_key", "identity"])
    not_null = sa.text("feed_id IS NOT NULL")
    op.create_index(
        "ix_item_sources_feed_id", "item_sources", ["feed_id"], postgresql_where=not_null, sqlite_where=not_null
    )


def downgrade() -> None:
    op.drop_index("ix_item_sources_feed_id", table_name="item_sources")
    with op.batch_alter_table("item_sources") as batch:
        batch.drop_constraint("pk_item_sources", type_="primary")
        batch.add_column(sa.Column("id", ID, nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE item_sources_id_seq OWNED BY item_sources.id")
        op.execute("ALTER TABLE item_sources ALTER COLUMN id SET DEFAULT nextval('item_sources_id_seq')")
        op.execute("UPDATE item_sources SET id = nextval('item_sources_id_seq')")
    else:
        op.execute("UPDATE item_sources SET id = rowid")
    with op.batch_alter_table("item_sources") as batch:
        batch.alter_column("id", existing_type=ID, nullable=False)
        batch.create_primary_key("pk_item_sources", ["id"])
        batch.create_unique_constraint("uq_item_sources_source_key_identity", ["source_key", "identity"])
        batch.create_index("ix_item_sources_feed_id", ["feed_id"])
        batch.create_foreign_key("fk_item_sources_item_id_items", "items", ["item_id"], ["id"], ondelete="CASCADE")
    with op.batch_alter_table("items") as batch:
        batch.create_index("ix_items_job_title_id", ["job_title_id"])
        batch.create_index("ix_items_metro_id", ["metro_id"])
        batch.create_foreign_key("fk_items_metro_id_metros", "metros", ["metro_id"], ["id"], ondelete="SET NULL")
        batch.create_foreign_key(
            "fk_items_job_title_id_job_titles", "job_titles", ["job_title_id"], ["id"], ondelete="SET NULL"
        )
    op.drop_index("ix_item_skills_skill_posted_on", table_name="item_skills")
    with op.batch_alter_table("item_skills") as batch:
        batch.drop_column("posted_on")
        batch.create_index("ix_item_skills_skill_item", ["skill_id", "item_id"])
        batch.create_foreign_key("fk_item_skills_skill_id_skills", "skills", ["skill_id"], ["id"], ondelete="CASCADE")
        batch.create_foreign_key("fk_item_skills_item_id_items", "items", ["item_id"], ["id"], ondelete="CASCADE")
    op.drop_table("demand_pending")
    for name in ("demand_title_window", "demand_skill_title_window", "demand_skill_metro_window"):
        op.drop_table(name)
    op.execute("DELETE FROM demand_window")
    op.drop_index("ix_demand_skill_pair_window_top", table_name="demand_skill_pair_window")
    for name in ROLLUPS:
        op.drop_table(name)

    def day_table(name: str, keys: list[str], fks: list[tuple[str, str]]) -> None:
        op.create_table(
            name,
            *(sa.Column(k, sa.Date() if k == "day" else sa.Integer(), nullable=False) for k in keys),
            sa.Column("postings", sa.Integer(), nullable=False),
            *(
                sa.ForeignKeyConstraint([c], [f"{t}.id"], name=f"fk_{name}_{c}_{t}", ondelete="CASCADE")
                for c, t in fks
            ),
            sa.PrimaryKeyConstraint(*keys, name=f"pk_{name}"),
        )

    def fk(column: str, table: str) -> tuple[str, str]:
        return column, table

    day_table("demand_total_day", ["day"], [])
    day_table("demand_title_day", ["job_title_id", "day"], [fk("job_title_id", "job_titles")])
    day_table("demand_skill_day", ["skill_id", "day"], [fk("skill_id", "skills")])
    day_table(
        "demand_skill_title_day",
        ["skill_id", "job_title_id", "day"],
        [fk("skill_id", "skills"), fk("job_title_id", "job_titles")],
    )
    day_table("demand_skill_metro_day", ["skill_id", "metro_id", "day"], [fk("skill_id", "skills"), fk("metro_id", "metros")])
    day_table(
        "demand_skill_pair_day",
        ["skill_id", "other_skill_id", "day"],
        [fk("skill_id", "skills"), fk("other_skill_id", "skills")],
    )
    day_table("demand_skill_pair_window", ["skill_id", "other_skill_id"], [fk("skill_id", "skills"), fk("other_skill_id", "skills")])
    op.create_index("ix_demand_skill_pair_window_top", "demand_skill_pair_window", ["skill_id", "postings"])
    for name, cols in {
        "demand_skill_pair_day": ["skill_id", "day", "other_skill_id", "postings"],
        "demand_skill_title_day": ["skill_id", "day", "job_title_id", "postings"],
        "demand_skill_metro_day": ["skill_id", "day", "metro_id", "postings"],
    }.items():
        op.create_index(f"ix_{name}_window", name, cols)
