"""Account emails through the ledger: sign-up emails (a confirmation, or the notice that a subscription already
runs) and sign-in links. The request only owes one (a pending `confirm` or `login` delivery,
digest.accounts.emails); this claims it, renders it and sends it once, as for digests. A lost task is the
sweeper's (digest.delivery.due.stuck_deliveries)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from digest.delivery.context import Context
from digest.delivery.ledger import claim_where
from digest.delivery.send import send_claimed
from digest.mail.message import OutgoingEmail
from digest.mail.suppression import is_suppressed
from digest.store.models import Delivery, DeliveryKind, DeliveryStatus

# what this sends (the sweeper's deliver_one hands them here): each kind's label in summaries, and why one
# is recorded failed unsent
KINDS = {
    DeliveryKind.confirm: ("sign-up", "subscription or address gone, or suppressed"),
    DeliveryKind.login: ("sign-in", "account gone, link expired, or address suppressed"),
}
SIGNUP_SENT = f"sign-up {DeliveryStatus.sent}"  # the summary's count of sign-up emails sent


def deliver_signups(session: Session, ctx: Context, delivery_ids: Sequence[int], now: datetime) -> Counter[str]:
    """Claim, send and record the owed sign-up and sign-in emails among `delivery_ids` (ones sent or claimed
    are skipped). A suppressed address, or a subscription or account gone since, is recorded failed and sent
    nothing."""
    owed = and_(Delivery.id.in_(list(delivery_ids)), Delivery.kind.in_(list(KINDS)))
    got = claim_where(session, ctx, owed, now)
    session.commit()
    if not got:
        return Counter()
    rows = {r.id: r for r in session.scalars(select(Delivery).where(Delivery.id.in_([g[0] for g in got])))}
    by_kind = {kind: [g for g in got if rows[g[0]].kind == kind] for kind in KINDS}  # read before any commit

    def build(delivery_id: int, _user_id: int) -> OutgoingEmail | None:
        row = rows[delivery_id]
        email = _email(session, ctx, row, now)
        return None if email is None or is_suppressed(session, email.to) else email

    summary: Counter[str] = Counter()
    for kind, (label, gone) in KINDS.items():
        if by_kind[kind]:
            summary.update(send_claimed(session, ctx, by_kind[kind], build, label, gone, now))
    return summary


def _email(session: Session, ctx: Context, row: Delivery, now: datetime) -> OutgoingEmail | None:
    # each path's module is loaded only when one of its emails is owed
    if row.kind == DeliveryKind.login:
        from digest.accounts.signin import login_email

        return login_email(session, ctx.settings, row, now)
    from digest.accounts.confirmation import signup_email

    return signup_email(session, ctx.settings, row)
