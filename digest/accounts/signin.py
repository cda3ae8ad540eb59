"""Sign-in by emailed link: ask for one, check it without spending it, spend it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.accounts.emails import PendingEmail, send_or_queue
from digest.accounts.inputs import normalize_email
from digest.accounts.links import TokenUsed, link_int, spend_link, unsubscribe_url
from digest.accounts.tokens import InvalidToken, make_token, read_token
from digest.config import Settings
from digest.store.models import UsedToken, User


def request_login(
    session: Session, settings: Settings, email: str, now: datetime, later: list[PendingEmail] | None = None
) -> bool:
    """Email a one-time sign-in link if the address has an account. Returns whether one was sent (for
    tests and logs only; answer people the same either way). Raises BadInput for a malformed address.
    With `later`, the email is queued there as in `subscribe`."""
    address = normalize_email(email)
    user = session.scalar(select(User).where(User.email == address))
    if user is None:
        return False
    token = make_token(settings.secret, "login", {"u": user.id}, now)
    context = {
        "login_url": f"{settings.base_url}/login?token={token}",
        "valid_minutes": settings.login_link_max_age // 60,
        "base_url": settings.base_url,
        "unsubscribe_url": unsubscribe_url(settings, None, user.id, now),  # in the footer, not a header
    }
    pending = PendingEmail(user.email, "login", context, f"login-{user.id}-{int(now.timestamp())}")
    return send_or_queue(session, settings, pending, now, later)


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
