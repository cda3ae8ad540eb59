"""The signed SendGrid event webhook with a real P-256 key pair."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest import clock
from digest.config import Settings
from digest.mail.suppression import is_suppressed
from digest.store.models import Delivery, DeliveryKind, DeliveryStatus, User, WebhookEvent
from digest.web.app import create_app

URL = "/webhooks/sendgrid"


@pytest.fixture
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def client(settings: Settings, key: ec.EllipticCurvePrivateKey) -> TestClient:
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    s = settings.model_copy(update={"sendgrid_webhook_public_key": base64.b64encode(der).decode()})
    return TestClient(create_app(s))


def signed(key: ec.EllipticCurvePrivateKey, body: bytes, age: int = 0) -> dict[str, str]:
    ts = str(int(clock.utcnow().timestamp()) - age)
    sig = key.sign(ts.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(sig).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": ts,
        "Content-Type": "application/json",
    }


def _delivery(session: Session) -> int:
    now = clock.utcnow()
    user = User(email="ann@example.com", created_at=now)
    session.add(user)
    session.flush()
    d = Delivery(user_id=user.id, kind=DeliveryKind.digest, cadence="daily", window_end=now,
                 status=DeliveryStatus.sent, created_at=now, updated_at=now)  # fmt: skip
    session.add(d)
    session.commit()
    return d.id


def events(delivery_id: int) -> list[dict[str, Any]]:
    ts = int(clock.utcnow().timestamp())
    return [
        {"email": "ann@example.com", "event": "delivered", "sg_event_id": "e1", "timestamp": ts,
         "delivery_id": str(delivery_id)},
        {"email": "Bob@Example.com", "event": "bounce", "type": "bounce", "sg_event_id": "e2", "timestamp": ts},
        {"email": "cy@example.com", "event": "spamreport", "sg_event_id": "e3", "timestamp": ts},
        {"email": "dee@example.com", "event": "bounce", "type": "blocked", "sg_event_id": "e4", "timestamp": ts},
        {"email": "eve@example.com", "event": "group_unsubscribe", "sg_event_id": "e5", "timestamp": ts},
        {"email": "fay@example.com", "event": "open", "sg_event_id": "e6", "timestamp": ts},
    ]  # fmt: skip


def test_good_signature_is_accepted_and_acted_on(
    client: TestClient, key: ec.EllipticCurvePrivateKey, session: Session
) -> None:
    delivery_id = _delivery(session)
    body = json.dumps(events(delivery_id)).encode() + b"\r\n"  # the exact bytes are signed
    r = client.post(URL, content=body, headers=signed(key, body))
    assert r.status_code == 200, r.text
    assert r.json() == {"recorded": 6, "suppressed": 3}
    assert [is_suppressed(session, a) for a in ("bob@example.com", "cy@example.com", "eve@example.com")] == [True] * 3
    assert not is_suppressed(session, "dee@example.com")  # a blocked bounce is temporary
    assert not is_suppressed(session, "ann@example.com")
    row = session.get(Delivery, delivery_id)
    assert row is not None and row.last_event == "delivered"
    # SendGrid re-posts: the same events change nothing
    r = client.post(URL, content=body, headers=signed(key, body))
    assert r.json() == {"duplicate": 6}
    assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 6


def test_bad_or_stale_signatures_are_refused(
    client: TestClient, key: ec.EllipticCurvePrivateKey, session: Session
) -> None:
    body = json.dumps(events(0)).encode()
    good = signed(key, body)
    tampered = body.replace(b"bounce", b"deliv")
    assert client.post(URL, content=tampered, headers=good).status_code == 403
    other = ec.generate_private_key(ec.SECP256R1())
    assert client.post(URL, content=body, headers=signed(other, body)).status_code == 403
    stale = signed(key, body, age=int(timedelta(hours=1).total_seconds()))
    r = client.post(URL, content=body, headers=stale)
    assert r.status_code == 403 and "stale" in r.json()["detail"]
    assert client.post(URL, content=body).status_code == 403
    assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 0
    assert not is_suppressed(session, "bob@example.com")


def test_bad_events_are_counted_and_skipped_good_ones_applied(
    client: TestClient, key: ec.EllipticCurvePrivateKey, session: Session
) -> None:
    delivery_id = _delivery(session)
    good = events(delivery_id)
    ts = good[0]["timestamp"]
    bad = [
        {"email": "gus@example.com", "event": "delivered", "sg_event_id": "b1", "timestamp": ts,
         "delivery_id": str(10**30)},  # out of range for the column: today a 500 that lost the batch
        {"email": "hal\x00@example.com", "event": "bounce", "sg_event_id": "b2", "timestamp": ts},  # NUL: no text
        {"email": "ivy@example.com", "event": "bounce", "sg_event_id": "b3\x00", "timestamp": ts},
        {"event": "bounce"},  # no sg_event_id
        "not an object",
    ]  # fmt: skip
    body = json.dumps([bad[0], good[0], bad[1], good[1], bad[2], good[2], bad[3], bad[4]]).encode()
    r = client.post(URL, content=body, headers=signed(key, body))
    assert r.status_code == 200, r.text
    counts = r.json()
    assert counts["recorded"] == 4 and counts["suppressed"] == 2  # gus's event, with no delivery, and the 3 good
    assert counts["malformed"] == 4
    assert is_suppressed(session, "bob@example.com") and is_suppressed(session, "cy@example.com")
    row = session.get(Delivery, delivery_id)
    assert row is not None and row.last_event == "delivered"
