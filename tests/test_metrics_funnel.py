"""/metrics: cumulative feed poll outcomes and suppressed deliveries, counted in the database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from digest.web.app import create_app

NOW = datetime(2026, 5, 17, 8, tzinfo=UTC)


def test_poll_outcomes_and_suppressions_reach_metrics(settings: Any) -> None:
    from digest.metrics import SUPPRESSED_ERROR, count_poll
    from digest.store.engine import session_scope
    from digest.store.models import Delivery, DeliveryKind, DeliveryStatus, Feed, FeedKind, Suppression, User

    with session_scope() as s:
        feed = Feed(url="http://127.0.0.1/f.xml", kind=FeedKind.news, created_at=NOW)
        user = User(email="bob@example.com", created_at=NOW)
        s.add_all([feed, user, Suppression(email="bob@example.com", reason="bounce", created_at=NOW)])
        s.flush()
        for outcome in ("ok", "ok", "not_modified", "failed", "gone", "skipped"):
            count_poll(s, feed.id, outcome)
        s.add(
            Delivery(user_id=user.id, kind=DeliveryKind.digest, cadence="daily", window_end=NOW,
                     status=DeliveryStatus.failed, last_error=SUPPRESSED_ERROR, created_at=NOW, updated_at=NOW)
        )  # fmt: skip
    text = TestClient(create_app(settings)).get("/metrics").text
    assert 'digest_feed_polls_total{outcome="ok"} 2.0' in text
    assert 'digest_feed_polls_total{outcome="not_modified"} 1.0' in text
    assert 'digest_feed_polls_total{outcome="failed"} 2.0' in text
    assert 'digest_deliveries_suppressed_total{kind="digest"} 1.0' in text
    assert 'digest_suppressions{reason="bounce"} 1.0' in text
