"""What `send-due` would send one person now, built by the same functions and sending nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest.accounts.slots import Prefs, next_due, previous_due
from digest.config import Settings
from digest.delivery.build import compose
from digest.delivery.context import Context
from digest.delivery.plan import plan
from digest.delivery.state import Window, first_window_start, search_of
from digest.mail.content import Digest
from digest.mail.message import OutgoingEmail
from digest.mail.suppression import canonical_address
from digest.store.models import Cadence, SubscriptionStatus, User


@dataclass(frozen=True)
class PreviewResult:
    digest: Digest
    due_at: datetime


def preview(session: Session, settings: Settings, address: str, now: datetime) -> list[PreviewResult]:
    """What `send-due` would send this person at `now`, built by the same functions (`plan`, `compose`):
    each cadence whose slot is due, in the order send-due takes them, each later one without the items an
    earlier one holds. A cadence not due yet shows its next digest as it stands at `now` (its items so far).
    Sends nothing, writes nothing."""
    user = session.scalar(select(User).where(func.lower(User.email) == canonical_address(address)))
    if user is None:
        raise LookupError(f"no account for {address}")
    ctx = Context.for_settings(settings, backend=NullBackend())
    subs = [s for s in user.subscriptions if s.status == SubscriptionStatus.active]
    plans = []
    for cadence in Cadence:
        mine = sorted((s for s in subs if s.cadence == cadence), key=lambda s: s.id)
        if not mine:
            continue
        prefs = Prefs(cadence=cadence, timezone=user.timezone, send_hour=user.send_hour, weekday=user.weekday)
        end = previous_due(prefs, now)
        due = [s for s in mine if s.cursor < end]
        if due:
            plans.append((str(cadence), end, end, due))
        else:  # nothing due at `now`: the next digest, with what has come in so far
            plans.append((str(cadence), next_due(prefs, now), now, [s for s in mine if s.cursor < now] or mine))
    plans.sort(key=lambda p: (p[0], p[1]))  # due_batches' order: (cadence, slot)
    results = []
    taken: set[int] = set()
    for cadence_name, due_at, items_upto, chosen in plans:
        wins = [
            Window(
                user.id,
                s.id,
                s.skill_id,
                s.cursor,
                items_upto,
                first_window_start(s.cursor, s.confirmed_at),
                search_of(s.search),
            )
            for s in chosen
        ]
        sections = plan(session, ctx, wins, None, items_upto, {user.id: set(taken)}).get(user.id, [])
        digest = compose(ctx, user.id, user.email, cadence_name, due_at, sections, [s.id for s in chosen], now)
        taken |= {i for i, _ in digest.item_ids}
        results.append(PreviewResult(digest, due_at))
    session.rollback()
    return results


class NullBackend:
    """The backend of a digest that is only looked at (a preview, the web view): it never sends."""

    def send(self, email: OutgoingEmail, now: datetime) -> str:
        raise RuntimeError("preview never sends")

    def find_accepted(self, email: OutgoingEmail) -> str | None:
        return None
