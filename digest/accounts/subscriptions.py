"""A person's subscriptions: subscribe (double opt-in), list, change cadence, pause, resume, unsubscribe and
resubscribe.

Nothing here answers differently for a known or an unknown address: callers get the same result either way.
The digest window of a subscription is (cursor, now]; a confirmed subscription's cursor starts
`first_digest_days` before its confirmation; only a sent digest moves the cursor, so changing
cadence, pausing or resuming never loses or doubles an item.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from digest.accounts.confirmation import activate, owe_already_subscribed, owe_confirmation
from digest.accounts.inputs import normalize_email, parse_cadence
from digest.accounts.links import UnsubscribeTarget
from digest.accounts.people import account_of
from digest.accounts.search_input import SearchInput, resolve_search
from digest.accounts.searches import Search, column
from digest.config import Settings
from digest.mail.suppression import suppress
from digest.store.bulk import insert_new
from digest.store.models import Cadence, Skill, Subscription, SubscriptionStatus, Suppression, User
from digest.taxonomy.resolve import resolve_skill


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class SubscribeOutcome:
    """What happened, for logs and tests only: callers must answer people the same way whatever it says.
    `email_id`: the owed sign-up email's delivery (digest.delivery.signups sends it), if one is owed."""

    subscription_id: int
    email_id: int | None
    skill: Skill

    @property
    def emailed(self) -> bool:
        return self.email_id is not None


def subscribe(
    session: Session,
    settings: Settings,
    email: str,
    skill_query: str,
    cadence: str | Cadence,
    now: datetime,
    *,
    confirmed: bool = False,
    search: SearchInput | None = None,
) -> SubscribeOutcome:
    """Ask for a subscription. New, unconfirmed and unsubscribed ones are owed a confirmation email (again
    at most every `confirm_resend_after` seconds); active and paused ones are left as they are, and their
    owner is owed a notice instead: the same work, so answers take as long whoever asks. The email is only
    recorded here, in the caller's transaction (`email_id`); the worker renders and sends it after commit.
    `confirmed` (the admin CLI, a person signed in as the address) activates at once and owes nothing.

    `search`: what it follows beyond the skill (more skills, job filters); a new, pending or unsubscribed
    subscription takes it, an active or paused one only with `confirmed` (nobody changes another's search).

    Raises BadInput for a bad address, cadence or search and UnknownSkill (with suggestions) for an unknown skill."""
    address = normalize_email(email)
    cad = cadence if isinstance(cadence, Cadence) else parse_cadence(cadence)
    skill = resolve_skill(session, skill_query)  # held here: the session keeps only what someone holds
    found = resolve_search(session, skill_query, search or SearchInput(), first=skill)
    user_id, new_user = account_of(session, address, now)
    existing = select(Subscription).where(Subscription.user_id == user_id, Subscription.skill_id == skill.id)
    sub = None if new_user else session.scalar(existing)
    if sub is None:
        values = {"user_id": user_id, "skill_id": skill.id, "cadence": cad, "status": SubscriptionStatus.pending,
                  "cursor": now, "created_at": now, "updated_at": now, "search": column(found),
                  "confirm_sent_at": None if confirmed else now}  # fmt: skip
        sub_id = insert_new(session, cast(Table, Subscription.__table__), values)
        if sub_id is None:  # a concurrent request created it first: answer as for a repeat
            return SubscribeOutcome(session.scalars(existing).one().id, None, skill)
        if not confirmed:  # the common case, in three statements: no objects loaded
            return SubscribeOutcome(sub_id, owe_confirmation(session, user_id, sub_id, now), skill)
        sub = session.get(Subscription, sub_id)
        assert sub is not None
    elif sub.status in (SubscriptionStatus.active, SubscriptionStatus.paused):
        if confirmed:
            if search is not None:
                change_search(session, sub, found, now)
            return SubscribeOutcome(sub.id, None, skill)
        if _sent_lately(settings, sub, now):
            return SubscribeOutcome(sub.id, None, skill)
        # the same work as for a new address (a write and an email owed): timing tells nobody it exists
        sub.confirm_sent_at = now  # a notice throttles confirmations and notices alike
        return SubscribeOutcome(sub.id, owe_already_subscribed(session, user_id, sub.id, now), skill)
    elif sub.status == SubscriptionStatus.unsubscribed:
        sub.status = SubscriptionStatus.pending
        sub.cadence = cad
        sub.search = column(found)
        sub.confirm_sent_at = None
        sub.updated_at = now
    else:  # pending: the latest choice of cadence and search wins
        sub.cadence = cad
        sub.search = column(found)
        sub.updated_at = now
    if confirmed:
        activate(session, settings, sub, now)
        return SubscribeOutcome(sub.id, None, skill)
    if _sent_lately(settings, sub, now):
        return SubscribeOutcome(sub.id, None, skill)
    sub.confirm_sent_at = now
    return SubscribeOutcome(sub.id, owe_confirmation(session, user_id, sub.id, now), skill)


def _sent_lately(settings: Settings, sub: Subscription, now: datetime) -> bool:
    """Whether a sign-up email (confirmation or notice) went out for it less than `confirm_resend_after` ago."""
    resend_after = timedelta(seconds=settings.confirm_resend_after)
    return sub.confirm_sent_at is not None and now - sub.confirm_sent_at < resend_after


def subscriptions_of(session: Session, user: User) -> list[Subscription]:
    """The account's subscriptions that still exist for the person (not unsubscribed), by skill name."""
    rows = session.scalars(
        select(Subscription)
        .join(Skill, Skill.id == Subscription.skill_id)
        .where(Subscription.user_id == user.id, Subscription.status != SubscriptionStatus.unsubscribed)
        .order_by(Skill.name)
    )
    return list(rows)


def subscription_of(session: Session, user: User, subscription_id: int, unsubscribed: bool = False) -> Subscription:
    """One of the account's subscriptions; an unsubscribed one only with `unsubscribed` (to resubscribe)."""
    sub = session.get(Subscription, subscription_id)
    if sub is None or sub.user_id != user.id or (sub.status == SubscriptionStatus.unsubscribed and not unsubscribed):
        raise NotFound(f"You have no subscription with id {subscription_id}.")
    return sub


def left_by(session: Session, user: User) -> list[Subscription]:
    """The account's unsubscribed subscriptions, by skill name: the skills a person left and may resubscribe."""
    rows = session.scalars(
        select(Subscription)
        .join(Skill, Skill.id == Subscription.skill_id)
        .where(Subscription.user_id == user.id, Subscription.status == SubscriptionStatus.unsubscribed)
        .order_by(Skill.name)
    )
    return list(rows)


def resubscribe(session: Session, sub: Subscription, now: datetime) -> Subscription:
    """A signed-in person takes back a subscription they left: active again at once (they proved the address
    is theirs by signing in), its digest window starting now. Their own earlier "unsubscribe from everything"
    no longer holds; a bounce or a complaint still does."""
    if sub.status == SubscriptionStatus.unsubscribed:
        sub.status = SubscriptionStatus.active
        sub.cursor = now
        sub.confirmed_at = now
        sub.updated_at = now
        email = sub.user.email.strip().lower()
        session.execute(delete(Suppression).where(Suppression.email == email, Suppression.reason == "unsubscribed"))
        session.flush()
    return sub


def change_cadence(session: Session, sub: Subscription, cadence: str | Cadence, now: datetime) -> Subscription:
    """The cursor stays: the next digest at the new cadence holds everything since the last one sent."""
    sub.cadence = cadence if isinstance(cadence, Cadence) else parse_cadence(cadence)
    sub.updated_at = now
    session.flush()
    return sub


def change_search(session: Session, sub: Subscription, search: Search, now: datetime) -> Subscription:
    """Follow another search on the same skill. The cursor stays and the ledger keeps what was sent: the next
    digest holds what the new search matches since the last one, minus items the person already got."""
    if search.skill_id != sub.skill_id:
        raise ValueError("a subscription's search starts with its own skill")
    sub.search = column(search)
    sub.updated_at = now
    session.flush()
    return sub


def pause(session: Session, sub: Subscription, now: datetime) -> Subscription:
    if sub.status == SubscriptionStatus.active:
        sub.status = SubscriptionStatus.paused
        sub.updated_at = now
        session.flush()
    return sub


def resume(session: Session, sub: Subscription, now: datetime) -> Subscription:
    """Back to active with the cursor untouched: the next digest holds everything since the last one."""
    if sub.status == SubscriptionStatus.paused:
        sub.status = SubscriptionStatus.active
        sub.updated_at = now
        session.flush()
    return sub


def unsubscribe(session: Session, sub: Subscription, now: datetime) -> Subscription:
    if sub.status != SubscriptionStatus.unsubscribed:
        sub.status = SubscriptionStatus.unsubscribed
        sub.updated_at = now
        session.flush()
    return sub


def unsubscribe_all(session: Session, user: User, now: datetime) -> None:
    """Every subscription ends and the address is suppressed: it is never emailed again."""
    for sub in user.subscriptions:
        unsubscribe(session, sub, now)
    suppress(session, user.email, "unsubscribed", now)


def stop_paired_alerts(user: User) -> None:
    """Alert emails only for the skills the person follows (their digests and other alerts are unchanged)."""
    user.alert_scope = "followed"


def one_click_unsubscribe(session: Session, target: UnsubscribeTarget, now: datetime) -> None:
    """RFC 8058: the link's subscription ends (everything, for a link that names none; paired alerts, for a
    paired alert's link). Idempotent."""
    if target.paired_alerts:
        stop_paired_alerts(target.user)
    elif target.subscription is None:
        unsubscribe_all(session, target.user, now)
    else:
        unsubscribe(session, target.subscription, now)
