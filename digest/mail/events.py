"""SendGrid's signed Event Webhook: verify, dedupe, act.

The signature is ECDSA P-256/SHA-256 over the timestamp header followed by the raw request body, so the
exact bytes received are verified, never re-serialised JSON. Stale timestamps are refused (replay).
Each event is stored once by `sg_event_id` (SendGrid re-posts on any non-2xx, so duplicates are normal).
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections import Counter
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from digest.mail.suppression import canonical_address, suppress
from digest.store.models import Delivery, WebhookEvent

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"

# events after which the address is never emailed again
SUPPRESSING = {"bounce", "dropped", "spamreport", "unsubscribe", "group_unsubscribe"}


class BadWebhook(ValueError):
    """Unsigned, wrongly signed, stale or malformed: answer 4xx, change nothing."""


def load_public_key(value: str) -> ec.EllipticCurvePublicKey:
    """The key as SendGrid shows it (base64 DER SubjectPublicKeyInfo) or as PEM."""
    try:
        if value.lstrip().startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(value.encode())
        else:
            key = serialization.load_der_public_key(base64.b64decode(value))
    except (ValueError, binascii.Error) as exc:
        raise ValueError("DIGEST_SENDGRID_WEBHOOK_PUBLIC_KEY: not an EC public key") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("DIGEST_SENDGRID_WEBHOOK_PUBLIC_KEY: not an EC public key")
    return key


def verify(public_key: str, signature: str | None, timestamp: str | None, body: bytes, now: datetime,
           max_age: int) -> None:  # fmt: skip
    if not signature or not timestamp:
        raise BadWebhook("missing signature headers")
    try:
        sent = int(timestamp)
        raw_signature = base64.b64decode(signature, validate=True)
    except (ValueError, binascii.Error):
        raise BadWebhook("malformed signature headers") from None
    if abs(now.timestamp() - sent) > max_age:
        raise BadWebhook("stale timestamp")
    try:
        load_public_key(public_key).verify(raw_signature, timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise BadWebhook("bad signature") from None


def record_events(session: Session, events: Any, now: datetime) -> Counter[str]:
    """Store and act on each new event; a repeated sg_event_id is ignored. A malformed event (or one the
    database cannot hold) is counted and skipped alone: the rest of the batch still counts. Commits."""
    if not isinstance(events, list):
        raise BadWebhook("expected a JSON array of events")
    counts: Counter[str] = Counter()
    for event in events:
        if not _well_formed(event):
            counts["malformed"] += 1
            continue
        try:
            with session.begin_nested():
                counts.update(_record(session, event, now))
        except IntegrityError:  # the same event posted twice at once
            counts["duplicate"] += 1
        except (SQLAlchemyError, ValueError, OverflowError):
            log.warning("skipped a SendGrid event the database refused", exc_info=True)
            counts["malformed"] += 1
    session.commit()
    return counts


def _well_formed(event: Any) -> bool:
    if not isinstance(event, dict):
        return False
    event_id, email = event.get("sg_event_id"), event.get("email")
    texts = [t for t in (event_id, email, event.get("event")) if isinstance(t, str)]
    return isinstance(event_id, str) and 0 < len(event_id) <= 200 and not any("\x00" in t for t in texts)


def _record(session: Session, event: dict[str, Any], now: datetime) -> list[str]:
    if session.scalar(select(WebhookEvent.id).where(WebhookEvent.event_id == event["sg_event_id"])):
        return ["duplicate"]
    kind = str(event.get("event", ""))[:40]
    email = event.get("email") if isinstance(event.get("email"), str) else None
    delivery_id = _delivery_id(session, event.get("delivery_id"))
    session.add(
        WebhookEvent(
            provider="sendgrid",
            event_id=event["sg_event_id"],
            event=kind,
            email=canonical_address(email)[:320] if email else None,
            delivery_id=delivery_id,
            received_at=now,
            payload=event,
        )
    )
    session.flush()
    outcome = ["recorded"]
    if delivery_id is not None:
        session.execute(update(Delivery).where(Delivery.id == delivery_id).values(last_event=kind))
    if email and kind in SUPPRESSING and not (kind == "bounce" and event.get("type") == "blocked"):
        suppress(session, email, kind, now)  # a 'blocked' bounce is temporary: recorded, not suppressed
        outcome.append("suppressed")
    return outcome


def _delivery_id(session: Session, value: Any) -> int | None:
    """Our delivery id from the event's custom args, when it names a delivery we have."""
    try:
        delivery_id = int(value)
    except (TypeError, ValueError):
        return None
    if not 1 <= delivery_id < 2**63:  # no such id: and the database could not even look it up
        return None
    return delivery_id if session.get(Delivery, delivery_id) is not None else None
