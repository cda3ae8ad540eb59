"""The polling tasks on a real Celery worker (Redis broker, PostgreSQL) against the local feed server: beat's
poll_due_feeds claims the due feed and enqueues poll_feed, which fetches and stores it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from digest.config import Settings
from digest.sources.manage import add_feed
from digest.store.engine import make_engine, session_factory
from digest.store.models import Feed, FeedKind, Item, ItemSource
from tests.conftest import _empty_database
from tests.feedserver import FeedServer
from tests.helpers import celery_worker, digest_env, wait_for
from workers.app import make_celery, queue_names

NOW = datetime(2026, 3, 16, 12, 0, tzinfo=UTC)
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Worker feed</title><link>http://example.com/</link>
<item><title>Rust Engineer at Ferrous</title><link>http://example.com/w1</link><guid>w1</guid></item>
<item><title>Go Developer at Gopher Co</title><link>http://example.com/w2</link><guid>w2</guid></item>
</channel></rss>"""


def test_poll_due_feeds_and_poll_feed_on_a_real_worker(tmp_path: Path, pg_url: str, redis_url: str) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}"
    env = {
        "DIGEST_DATA_DIR": str(tmp_path / "var"),
        "DIGEST_QUEUE_PREFIX": prefix,
        "DIGEST_SECRET_KEY": "k",
        "DIGEST_BROKER_URL": redis_url,
        "DIGEST_DATABASE_URL": pg_url,
        "DIGEST_FEEDS_ALLOW_PRIVATE": "1",
    }
    settings = Settings(**{k.removeprefix("DIGEST_").lower(): v for k, v in env.items()})
    engine = make_engine(pg_url)
    sessions = session_factory(engine)
    with FeedServer() as server:
        url = server.route(f"/{prefix}.xml", body=RSS, headers={"Content-Type": "application/rss+xml"})
        with sessions() as s:
            feed, _ = add_feed(s, url, FeedKind.jobs, NOW)
            s.commit()
            feed_id = feed.id

        def items() -> int:
            with sessions() as s:
                q = select(func.count()).select_from(ItemSource).where(ItemSource.feed_id == feed_id)
                return int(s.scalar(q) or 0)

        sender = make_celery(settings)
        try:
            sender.send_task("workers.tasks.poll_due_feeds", args=[NOW.isoformat()])
            queues = queue_names(settings)["polling"]
            with celery_worker(digest_env(**env), queues, tmp_path / "worker.log") as proc:
                wait_for(lambda: items() == 2 or proc.poll() is not None, timeout=60, message="the poll")
                assert proc.poll() is None, (tmp_path / "worker.log").read_text()
            with sessions() as s:
                row = s.get(Feed, feed_id)
                assert row is not None and row.last_ok_at == NOW and row.consecutive_failures == 0
                titles = set(
                    s.scalars(
                        select(Item.title)
                        .join(ItemSource, ItemSource.item_id == Item.id)
                        .where(ItemSource.feed_id == feed_id)
                    )
                )
                assert titles == {"Rust Engineer", "Go Developer"}
            assert len(server.requests_to(f"/{prefix}.xml")) == 1
        finally:
            sender.close()
            _empty_database(engine)  # items, sources and the demand rollups they fed
            engine.dispose()
