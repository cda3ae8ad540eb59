from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from fastapi.testclient import TestClient

from digest.web.app import create_app


def test_healthz_reports_database(settings: Any) -> None:
    client = TestClient(create_app(settings))
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["database"] == "ok"


def test_outbox_lists_and_shows_both_parts(settings: Any) -> None:
    settings.outbox_dir.mkdir(parents=True)
    msg = EmailMessage()
    msg["To"], msg["Subject"], msg["From"] = "ann@example.com", "Your <b>digest</b>", "digest@localhost"
    msg.set_content("plain body")
    msg.add_alternative("<p>html body</p>", subtype="html")
    (settings.outbox_dir / "42.eml").write_bytes(bytes(msg))
    client = TestClient(create_app(settings))
    page = client.get(f"/outbox?key={settings.outbox_key}").text
    assert "ann@example.com" in page and "Your &lt;b&gt;digest&lt;/b&gt;" in page
    assert "html body" in client.get("/outbox/42.eml").text
    assert "plain body" in client.get("/outbox/42.eml?part=text").text
    assert client.get("/outbox/..%2Fsecret_key").status_code == 404


def test_metrics_count_the_funnel_from_the_database(settings: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from digest.store.engine import session_scope
    from digest.store.models import Delivery, DeliveryKind, DeliveryStatus, User

    due = datetime(2026, 5, 17, 8, tzinfo=UTC)
    with session_scope() as s:
        user = User(email="ann@example.com", created_at=due)
        s.add(user)
        s.flush()
        for i, lag in enumerate((30, 400)):
            s.add(
                Delivery(
                    user_id=user.id,
                    kind=DeliveryKind.digest,
                    cadence="daily",
                    window_end=due + timedelta(days=i),
                    status=DeliveryStatus.sent,
                    attempts=1 + i,
                    created_at=due,
                    updated_at=due,
                    sent_at=due + timedelta(days=i, seconds=lag),
                )
            )
    text = TestClient(create_app(settings)).get("/metrics").text
    assert 'digest_deliveries_total{kind="digest",status="sent"} 2.0' in text
    assert 'digest_digest_lag_seconds_bucket{le="60.0"} 1.0' in text
    assert 'digest_digest_lag_seconds_bucket{le="+Inf"} 2.0' in text
    assert "digest_delivery_retries_total 1.0" in text
