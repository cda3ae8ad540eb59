"""Sign-up emails (a confirmation, or the notice that a subscription already runs) through the ledger: the
request only owes one (a pending `confirm` delivery, digest.accounts.emails); this claims it, renders it and
sends it once, as for digests. A lost task is the sweeper's (digest.delivery.due.stuck_deliveries)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_
from sqlalchemy.orm import Session

from digest.delivery.context import Context
from digest.delivery.ledger import claim_where
from digest.delivery.send import send_claimed
from digest.mail.message import OutgoingEmail
from digest.mail.suppression import is_suppressed
from digest.store.models import Delivery, DeliveryKind, DeliveryStatus

LABEL = "sign-up"
SIGNUP_SENT = f"{LABEL} {DeliveryStatus.sent}"  # the summary's count of sign-up emails sent


def deliver_signups(session: Session, ctx: Context, delivery_ids: Sequence[int], now: datetime) -> Counter[str]:
    """Claim, send and record the owed sign-up emails among `delivery_ids` (ones sent or claimed are skipped).
    A suppressed address, or a subscription gone since, is recorded failed and sent nothing."""
    from digest.accounts.confirmation import signup_email  # the subscribe path, loaded only when one is owed

    owed = and_(Delivery.id.in_(list(delivery_ids)), Delivery.kind == DeliveryKind.confirm)
    got = claim_where(session, ctx, owed, now)
    session.commit()

    def build(delivery_id: int, _user_id: int) -> OutgoingEmail | None:
        row = session.get(Delivery, delivery_id)
        email = signup_email(session, ctx.settings, row) if row is not None else None
        return None if email is None or is_suppressed(session, email.to) else email

    return send_claimed(session, ctx, got, build, LABEL, "subscription or address gone, or suppressed", now)
