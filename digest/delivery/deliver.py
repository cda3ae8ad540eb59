"""Delivering digests: claim, build, send and record a batch (the use cases the tasks and `send-due` call).

The ledger makes lost and duplicated digests visible and rare:

1. claim   - a `deliveries` row unique per (user, kind, cadence, window end) is inserted as 'sending', or
             an existing one moves pending -> sending by a conditional UPDATE; only the worker whose
             statement wrote the row goes on. The subscription windows (cursor, window end] and the items
             shown are recorded in the same transaction, each (user, item) once, so an item reaches a
             person at most once across skills and cadences. A whole batch is claimed and built at once.
2. send    - the irreversible step, after the claim committed. The delivery id travels with the message
             (outbox file name, X-Digest-Delivery-Id header, SendGrid custom_args).
3. record  - sending -> sent and the cursors advance to the window end, in one transaction per send,
             committed before the next send (see digest.delivery.ledger.recording).

A crash between 1 and 3 leaves the row in 'sending'; the sweeper re-queues it after
`delivery_stuck_after` and the retry rebuilds the same email from the recorded items. Before sending it
again, the retry asks the backend whether an earlier attempt already reached it (`find_accepted`: the
outbox file; SendGrid's Email Activity API when enabled) and then only records it. Empty digests are
recorded as 'empty' and their cursors advance too.

These functions commit at the step boundaries above: pass a session the caller does not share.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from digest import collector
from digest.delivery.alerts import deliver_alerts, due_alerts
from digest.delivery.build import compose, digest_email
from digest.delivery.context import Context, Outcome, checkpoint
from digest.delivery.due import due_batches, stuck_deliveries
from digest.delivery.ledger import Claimed, claim, record, record_items, record_windows, recording
from digest.delivery.plan import keep_owned, plan
from digest.delivery.send import send_with_retries
from digest.delivery.signups import deliver_signups
from digest.delivery.state import Window, first_window_start, search_of
from digest.logs import log_context
from digest.store.models import Delivery, DeliveryKind, DeliveryStatus


def deliver_digests(
    session: Session, ctx: Context, user_ids: Sequence[int], cadence: str, window_end: datetime, now: datetime
) -> Counter[str]:
    """Claim, build, send and record the digests of `user_ids` for one slot. Returns counts by outcome."""
    summary: Counter[str] = Counter()
    # a batch allocates hundreds of thousands of short-lived objects (rows, views, sections, emails) that
    # reference counting frees; the cyclic collector they trigger would re-scan every long-lived object of the
    # process (a run's caches: millions) again and again - a fifth of a worker's CPU in bench/digests
    with collector.paused():
        claimed = claim(session, ctx, list(user_ids), cadence, window_end, now)
        if len(user_ids) > len(claimed):
            summary["skipped"] += len(user_ids) - len(claimed)
        if not claimed:
            session.commit()
            return summary
        _build(session, ctx, claimed, cadence, window_end, now)
        session.commit()
        checkpoint("after_claim")
        _send_and_record(session, ctx, claimed, window_end, now, summary)
    return summary


def deliver_one(session: Session, ctx: Context, delivery_id: int, now: datetime) -> Counter[str]:
    """Deliver (or retry) one delivery by id (a digest, an alert, a sign-up or sign-in email): what the sweeper
    re-queues."""
    row = session.get(Delivery, delivery_id)
    if row is None or row.status in (DeliveryStatus.sent, DeliveryStatus.empty, DeliveryStatus.failed):
        session.rollback()
        return Counter(skipped=1)
    if row.kind == DeliveryKind.alert:
        return deliver_alerts(session, ctx, [delivery_id], now)
    if row.kind in (DeliveryKind.confirm, DeliveryKind.login):
        return deliver_signups(session, ctx, [delivery_id], now)
    user_id, cadence, window_end = row.user_id, row.cadence, row.window_end
    session.rollback()
    return deliver_digests(session, ctx, [user_id], cadence, window_end, now)


def send_due(session: Session, ctx: Context, now: datetime) -> Counter[str]:
    """Everything `dispatch_due` and its tasks do, in this process: due digests, then alert emails."""
    summary: Counter[str] = Counter()
    batches = due_batches(session, ctx.settings, now)
    session.rollback()
    for b in batches:
        summary.update(deliver_digests(session, ctx, b.user_ids, b.cadence, b.window_end, now))
    ids = due_alerts(session, ctx.settings, now)
    if ids:
        summary.update(deliver_alerts(session, ctx, ids, now))
    for delivery_id in stuck_deliveries(session, ctx.settings, now):  # what the sweeper would re-queue
        summary.update({f"retried {k}": v for k, v in deliver_one(session, ctx, delivery_id, now).items()})
    return summary


def _build(
    session: Session, ctx: Context, claimed: list[Claimed], cadence: str, window_end: datetime, now: datetime
) -> None:
    """Record each claimed delivery's windows and shown items, and build its digest from what it owns."""
    by_user = {c.user_id: c for c in claimed}
    windows = record_windows(session, claimed, cadence, window_end)
    for w in windows:
        by_user[w.user_id].subscription_ids.append(w.subscription_id)
    wins = [
        Window(
            w.user_id,
            w.subscription_id,
            w.skill_id,
            w.window_start,
            window_end,
            first_window_start(w.window_start, w.confirmed_at),
            search_of(w.search),
        )
        for w in windows
    ]
    own = {c.user_id: c.delivery_id for c in claimed}
    planned = plan(session, ctx, wins, own, window_end)
    rows = [
        (own[u], u, item.id, section.skill_id)
        for u, sections in planned.items()
        for section in sections
        for item in section.shown_items
    ]
    owned = record_items(session, rows, [c.delivery_id for c in claimed])
    for c in claimed:
        sections = [keep_owned(sec, c.user_id, owned) for sec in planned.get(c.user_id, [])]
        c.digest = compose(
            ctx, c.user_id, c.email, cadence, window_end, sections, c.subscription_ids, now, c.delivery_id
        )


def _send_and_record(
    session: Session, ctx: Context, claimed: list[Claimed], window_end: datetime, now: datetime, summary: Counter[str]
) -> None:
    unsent: list[Outcome] = []  # empty and suppressed: nothing goes out, so they are recorded together
    try:
        with recording(session, window_end, now) as record_one:
            for c in claimed:
                assert c.digest is not None
                if c.digest.is_empty:
                    unsent.append((c.delivery_id, DeliveryStatus.empty, None, None))
                    continue
                if c.suppressed:
                    unsent.append((c.delivery_id, DeliveryStatus.failed, None, "address is suppressed"))
                    continue
                with log_context(delivery_id=c.delivery_id):
                    email = digest_email(ctx, c.delivery_id, c.digest)
                    outcome = send_with_retries(ctx, email, now, retry=c.attempts > 1)
                checkpoint("after_send")
                record_one(outcome)
                summary[str(outcome[1])] += 1
    finally:
        record(session, unsent, window_end, now)
        session.commit()
    for _, status, _, _ in unsent:
        summary[str(status)] += 1
