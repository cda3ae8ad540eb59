"""Sign-in by emailed link: ask for one (the email owed in the request's transaction, rendered and sent by the
worker as sign-up emails are: digest.delivery.signups), check it without spending it, spend it.

The link is made from the owed delivery's row and the secret key (its `jti` derived from the row's id), so the
worker makes the same link on every attempt and nothing stored makes one without the key; the web stores
only what it did before: the `jti` once spent."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.accounts.emails import LOGIN, PendingEmail, owe_email, transactional_email
from digest.accounts.inputs import normalize_email
from digest.accounts.links import TokenUsed, link_int, spend_link, unsubscribe_url
from digest.accounts.tokens import InvalidToken, derived_jti, make_token, read_token
from digest.config import Settings
from digest.mail.message import OutgoingEmail
from digest.store.models import Delivery, DeliveryKind, UsedToken, User


def request_login(session: Session, email: str, now: datetime) -> int | None:
    """Owe a one-time sign-in link, in the caller's transaction, if the address has an account: the owed
    delivery's id (for the worker), None for an address without one (answer people the same either way).
    Raises BadInput for a malformed address."""
    address = normalize_email(email)
    user_id = session.scalar(select(User.id).where(User.email == address))
    if user_id is None:
        return None
    # every ask owes its own email, two in one instant too (a frozen test clock, a double click): a random key
    return owe_email(session, user_id, DeliveryKind.login, secrets.token_hex(8), {"template": LOGIN}, now)


def login_url(settings: Settings, user_id: int, delivery_id: int, asked: datetime) -> str:
    """The sign-in link an owed delivery stands for, the same on every attempt; it expires from `asked`."""
    jti = derived_jti(settings.secret, "login", delivery_id)
    token = make_token(settings.secret, "login", {"u": user_id}, asked, jti=jti)
    return f"{settings.base_url}/login?token={token}"


def login_email(session: Session, settings: Settings, row: Delivery, now: datetime) -> OutgoingEmail | None:
    """The email an owed sign-in delivery stands for, its link dated when it was asked for; None when the
    account is gone or the link expired before it could go (a retry that late would only disappoint)."""
    asked = row.created_at
    user = session.get(User, row.user_id)
    if user is None or now - asked >= timedelta(seconds=settings.login_link_max_age):
        return None
    context = {
        "login_url": login_url(settings, user.id, row.id, asked),
        "valid_minutes": settings.login_link_max_age // 60,
        "base_url": settings.base_url,
        "unsubscribe_url": unsubscribe_url(settings, None, user.id, asked),  # in the footer, not a header
    }
    pending = PendingEmail(user.email, LOGIN, context, f"login-{row.id}")  # a retry rewrites its own file
    return replace(transactional_email(settings, pending), delivery_id=row.id)


def check_login_token(session: Session, settings: Settings, token: str, now: datetime) -> tuple[User, str]:
    """(user, jti) of a valid, unused sign-in link, without spending it (a GET shows a button first)."""
    data, jti = read_token(settings.secret, "login", token, now, timedelta(seconds=settings.login_link_max_age))
    user = session.get(User, link_int(data.get("u")))
    if user is None:
        raise InvalidToken("this link is not valid (the account no longer exists)")
    if not jti or session.get(UsedToken, jti) is not None:
        raise TokenUsed("this sign-in link was already used; ask for a new one")
    return user, jti


def complete_login(session: Session, settings: Settings, token: str, now: datetime) -> User:
    """Spend a sign-in link: it works once, for `login_link_max_age` seconds."""
    user, jti = check_login_token(session, settings, token, now)
    spend_link(session, jti, now)
    if user.confirmed_at is None:  # opening the link proves the address is theirs
        user.confirmed_at = now
    session.flush()
    return user
