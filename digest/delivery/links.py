"""The links a digest carries: its unsubscribe link and its signed web view address (and reading one back)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, Signer

from digest.accounts.tokens import ExpiredToken, InvalidToken, keyed_signer
from digest.config import Settings


def digest_unsubscribe_url(settings: Settings, subscription_ids: list[int], user_id: int, now: datetime) -> str:
    """One skill's digest unsubscribes from that skill; a digest covering several skills unsubscribes
    from everything (a one-click link that left part of the email coming would not be honoured)."""
    from digest.accounts.links import unsubscribe_url

    only = subscription_ids[0] if len(subscription_ids) == 1 else None
    return unsubscribe_url(settings, only, user_id, now)


def web_view_url(settings: Settings, delivery_id: int, user_id: int, now: datetime) -> str:
    """The digest's web view: signed for this delivery and person, valid as long as the unsubscribe link.
    A plain signed "delivery.user.issued" (no JSON, no random id: it is not single-use), since every digest
    carries one: a fifth of the cost of a serialised token."""
    token = _view_signer(settings.secret).sign(f"{delivery_id}.{user_id}.{int(now.timestamp())}").decode()
    return f"{settings.base_url}/digests/{delivery_id}?token={token}"


def _view_signer(secret: str) -> Signer:
    return keyed_signer(secret, "digest.digest-view")


def read_view_token(settings: Settings, token: str, delivery_id: int, now: datetime) -> int:
    """The user id a web view token was issued to, for this delivery; InvalidToken or ExpiredToken."""
    try:
        value = _view_signer(settings.secret).unsign(token).decode()
        d, u, iat = (int(part) for part in value.split("."))
    except (BadSignature, ValueError):
        raise InvalidToken("this link is not valid (it may have been changed or cut short)") from None
    if d != delivery_id:
        raise InvalidToken("this link is not valid (it is another digest's)")
    if now - datetime.fromtimestamp(iat, UTC) > timedelta(seconds=settings.unsubscribe_link_max_age):
        raise ExpiredToken("this link has expired")
    return u
