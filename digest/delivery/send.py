"""One email to the provider with bounded retries, as a ledger outcome; a retry first asks whether it arrived."""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from digest.delivery.context import Context, Outcome, checkpoint
from digest.delivery.ledger import record, recording
from digest.logs import log_context
from digest.mail.backends import PermanentSendError, TemporarySendError
from digest.mail.message import OutgoingEmail
from digest.store.models import DeliveryStatus

log = logging.getLogger(__name__)


def send_with_retries(ctx: Context, email: OutgoingEmail, now: datetime, retry: bool = False) -> Outcome:
    """Send with bounded retries: backoff with full jitter, or the provider's reset time for a 429.
    Gives up to the sweeper (status back to pending) when the wait would be too long. A `retry` of a
    delivery an earlier attempt may have sent asks the backend first, and records what it already has."""
    assert email.delivery_id is not None
    if retry and (found := ctx.backend.find_accepted(email)) is not None:
        log.info("delivery %s: the provider already has it (%s); recorded, not sent again", email.delivery_id, found)
        return email.delivery_id, DeliveryStatus.sent, found, None
    s = ctx.settings
    for attempt in range(s.send_attempts):
        try:
            return email.delivery_id, DeliveryStatus.sent, ctx.backend.send(email, now), None
        except PermanentSendError as exc:
            log.error("delivery %s failed permanently: %s", email.delivery_id, exc)
            return email.delivery_id, DeliveryStatus.failed, None, str(exc)[:2000]
        except TemporarySendError as exc:
            last = str(exc)[:2000]
            if attempt == s.send_attempts - 1:
                break
            wait = (
                exc.retry_after + random.uniform(0, 1)
                if exc.retry_after is not None
                else random.uniform(0, s.send_backoff_base * 2**attempt)
            )
            if wait > s.send_retry_max_wait:
                break
            log.warning("delivery %s: %s; retrying in %.1fs", email.delivery_id, exc, wait)
            ctx.sleep(wait)
    log.warning("delivery %s: giving up for now (%s); the sweeper retries it", email.delivery_id, last)
    return email.delivery_id, DeliveryStatus.pending, None, last


def send_claimed(
    session: Session,
    ctx: Context,
    claimed: list[tuple[int, int, int]],
    build: Callable[[int, int], OutgoingEmail | None],
    label: str,
    gone: str,
    now: datetime,
) -> Counter[str]:
    """Send and record one-email deliveries already claimed and committed, (id, user id, attempts) each:
    `build` makes a delivery's email, or None when what it stood for is gone (recorded failed, `gone`).
    Each outcome is committed before the next send; counts by outcome, prefixed with `label`."""
    summary: Counter[str] = Counter()
    unsent: list[Outcome] = []  # no subscription windows: the window end is just `now`
    try:
        with recording(session, now, now) as record_one:
            for delivery_id, user_id, attempts in claimed:
                email = build(delivery_id, user_id)
                if email is None:
                    unsent.append((delivery_id, DeliveryStatus.failed, None, gone))
                    continue
                with log_context(delivery_id=delivery_id):
                    outcome = send_with_retries(ctx, email, now, retry=attempts > 1)
                checkpoint("after_send")
                record_one(outcome)
                summary[f"{label} {outcome[1]}"] += 1
    finally:
        record(session, unsent, now, now)
        session.commit()
    for _, status, _, _ in unsent:
        summary[f"{label} {status}"] += 1
    return summary
