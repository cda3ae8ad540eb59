"""Signed links in emails: the unsubscribe and settings links, reading an unsubscribe link, and spending a
single-use link (confirmation, sign-in) exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from digest.accounts.tokens import InvalidToken, make_token, read_token
from digest.config import Settings
from digest.store.models import Subscription, UsedToken, User


class TokenUsed(InvalidToken):
    """A single-use link opened a second time."""


def spend_link(session: Session, jti: str, now: datetime) -> None:
    """Record a single-use token as used; TokenUsed if it already was (also under concurrency)."""
    if not jti:
        raise InvalidToken("this link is not valid")
    if session.get(UsedToken, jti) is not None:
        raise TokenUsed("this link was already used")
    try:
        with session.begin_nested():
            session.add(UsedToken(jti=jti, used_at=now))
    except IntegrityError:
        raise TokenUsed("this link was already used") from None


def link_int(value: Any) -> int:
    """An id a link carries (user, subscription); InvalidToken for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise InvalidToken("this link is not valid")


def unsubscribe_token(settings: Settings, subscription_id: int | None, user_id: int, now: datetime) -> str:
    return make_token(settings.secret, "unsubscribe", {"u": user_id, "s": subscription_id}, now)


def unsubscribe_url(settings: Settings, subscription_id: int | None, user_id: int, now: datetime) -> str:
    """The link every digest and alert carries (List-Unsubscribe too). Long-lived and reusable.
    With subscription_id None, one-click unsubscribes from everything."""
    return f"{settings.base_url}/unsubscribe?token={unsubscribe_token(settings, subscription_id, user_id, now)}"


def paired_alerts_off_url(settings: Settings, user_id: int, now: datetime) -> str:
    """The unsubscribe link of an alert that came because its skill is paired with one the person follows: it
    stops those paired alerts (List-Unsubscribe too), where the followed skill's own link would end that
    subscription, which the person never asked for in that email."""
    token = make_token(settings.secret, "unsubscribe", {"u": user_id, "s": None, "paired": True}, now)
    return f"{settings.base_url}/unsubscribe?token={token}"


def settings_url(settings: Settings) -> str:
    return f"{settings.base_url}/settings"


def about_alerts_url(settings: Settings) -> str:
    """ "Why am I seeing this?" in an alert email: how alerts are decided, in plain words."""
    return f"{settings.base_url}/about/alerts"


@dataclass(frozen=True)
class UnsubscribeTarget:
    user: User
    subscription: Subscription | None
    paired_alerts: bool = False  # the link stops alerts for paired skills (nothing else)


def read_unsubscribe_token(session: Session, settings: Settings, token: str, now: datetime) -> UnsubscribeTarget:
    max_age = timedelta(seconds=settings.unsubscribe_link_max_age)
    data, _ = read_token(settings.secret, "unsubscribe", token, now, max_age)
    user = session.get(User, link_int(data.get("u")))
    if user is None:
        raise InvalidToken("this link is not valid (the account no longer exists)")
    sub_id = data.get("s")
    if sub_id is None:
        return UnsubscribeTarget(user, None, paired_alerts=data.get("paired") is True)
    sub = session.get(Subscription, link_int(sub_id))
    if sub is None or sub.user_id != user.id:
        raise InvalidToken("this link is not valid (the subscription no longer exists)")
    return UnsubscribeTarget(user, sub)
