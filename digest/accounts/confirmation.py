"""Double opt-in: the confirmation email (or the notice for a subscription that already runs), owed in the
request's transaction and rendered by the worker; reading and spending its link, and activating the
subscription it names."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from digest.accounts.emails import ALREADY_SUBSCRIBED, CONFIRM, PendingEmail, owe_signup_email, transactional_email
from digest.accounts.links import link_int, settings_url, spend_link, unsubscribe_url
from digest.accounts.search_input import description
from digest.accounts.tokens import InvalidToken, make_token, read_token
from digest.config import Settings
from digest.mail.message import OutgoingEmail
from digest.store.models import Delivery, Skill, Subscription, SubscriptionStatus, UsedToken, User


def owe_confirmation(session: Session, user_id: int, subscription_id: int, now: datetime) -> int | None:
    """Record, in the caller's transaction, that the subscription is owed a confirmation email: the worker
    renders and sends it (digest.delivery.signups). The owed email's delivery id."""
    return owe_signup_email(session, user_id, subscription_id, CONFIRM, now)


def owe_already_subscribed(session: Session, user_id: int, subscription_id: int, now: datetime) -> int | None:
    """A sign-up for a subscription that already runs: its owner is told (nothing changes)."""
    return owe_signup_email(session, user_id, subscription_id, ALREADY_SUBSCRIBED, now)


def signup_email(session: Session, settings: Settings, row: Delivery) -> OutgoingEmail | None:
    """The email an owed sign-up delivery stands for, rendered as the subscription is now, its links dated
    when it was asked for (they expire from then); None when the subscription or the account is gone."""
    payload = row.payload or {}
    sub = session.get(Subscription, int(payload.get("subscription_id", 0)))
    if sub is None or sub.user_id != row.user_id:
        return None
    user, skill, asked = sub.user, sub.skill, row.created_at
    unsubscribe = unsubscribe_url(settings, sub.id, user.id, asked)
    template = str(payload.get("template"))
    context: dict[str, Any]
    if template == ALREADY_SUBSCRIBED:
        context = {
            "skill": skill.name,
            "status": sub.status.value,
            "settings_url": settings_url(settings),
            "base_url": settings.base_url,
            "unsubscribe_url": unsubscribe,
        }
        key = f"already-{sub.id}-{int(asked.timestamp())}"
    else:
        token = make_token(settings.secret, "confirm", {"u": user.id, "s": sub.id}, asked)
        context = {
            "skill": skill.name,
            # a search (filters, more skills) in words, so the person confirms what they asked for
            "search": None if sub.search is None else description(session, sub.skill_id, sub.search),
            "cadence": sub.cadence.value,
            "confirm_url": f"{settings.base_url}/confirm?token={token}",
            "valid_days": settings.confirm_link_max_age // 86400,
            "base_url": settings.base_url,
            "unsubscribe_url": unsubscribe,
        }
        key = f"confirm-{sub.id}-{int(asked.timestamp())}"
    email = transactional_email(settings, PendingEmail(user.email, template, context, key, unsubscribe))
    return replace(email, delivery_id=row.id)


@dataclass(frozen=True)
class Confirmed:
    subscription: Subscription
    skill: Skill
    user: User


@dataclass(frozen=True)
class ConfirmLink:
    """A valid confirmation link, read without spending it; `used` when it already confirmed."""

    subscription: Subscription
    jti: str
    used: bool


def read_confirm_token(session: Session, settings: Settings, token: str, now: datetime) -> ConfirmLink:
    """The subscription a confirmation link names, without spending the link (a GET shows a button first).
    Raises InvalidToken (ExpiredToken) with a message for people."""
    data, jti = read_token(settings.secret, "confirm", token, now, timedelta(seconds=settings.confirm_link_max_age))
    sub = session.get(Subscription, link_int(data.get("s")))
    if sub is None or sub.user_id != link_int(data.get("u")):
        raise InvalidToken("this link is not valid (the subscription no longer exists)")
    if sub.status == SubscriptionStatus.unsubscribed:
        raise InvalidToken("this subscription was cancelled; subscribe again to get a new link")
    if not jti:
        raise InvalidToken("this link is not valid")
    return ConfirmLink(sub, jti, session.get(UsedToken, jti) is not None)


def confirm(session: Session, settings: Settings, token: str, now: datetime) -> Confirmed:
    """Activate the subscription a confirmation link names. The link works once and for 7 days; its
    digest window starts now. Raises InvalidToken (ExpiredToken, TokenUsed) with a message for people."""
    link = read_confirm_token(session, settings, token, now)
    spend_link(session, link.jti, now)
    activate(session, settings, link.subscription, now)
    sub = link.subscription
    return Confirmed(sub, sub.skill, sub.user)


def activate(session: Session, settings: Settings, sub: Subscription, now: datetime) -> None:
    """Pending -> active. The first digest's window reaches back `first_digest_days` (7): it holds the best
    matching items of the last week, marked "recent, before you subscribed" (items the person already got
    under another subscription stay out, as always)."""
    if sub.status == SubscriptionStatus.pending:
        sub.status = SubscriptionStatus.active
        sub.confirmed_at = now
        sub.cursor = now - timedelta(days=settings.first_digest_days)
        sub.updated_at = now
    if sub.user.confirmed_at is None:
        sub.user.confirmed_at = now
    session.flush()
