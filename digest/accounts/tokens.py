"""Signed, single-purpose, expiring tokens for links in emails (confirm, login, unsubscribe, ...).

The issue time comes from the caller's `now`, never from the wall clock, so expiry is testable.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from base64 import urlsafe_b64encode
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from itsdangerous import BadSignature, Signer, URLSafeSerializer
from itsdangerous.encoding import want_bytes


class InvalidToken(ValueError):
    """Tampered, for another purpose, or malformed."""


class ExpiredToken(InvalidToken):
    pass


def make_token(secret: str, purpose: str, data: dict[str, Any], now: datetime, jti: str | None = None) -> str:
    """A URL-safe token carrying `data`, valid only for `purpose`. Each carries a `jti` (random unless given,
    see `derived_jti`) so a single-use token can be spent exactly once (see digest.store.models.UsedToken)."""
    body = {"d": data, "iat": int(now.timestamp()), "jti": jti or secrets.token_urlsafe(12)}
    return _serializer(secret, purpose).dumps(body)


def read_token(secret: str, purpose: str, token: str, now: datetime, max_age: timedelta) -> tuple[dict[str, Any], str]:
    """(data, jti) of a valid token; raises ExpiredToken or InvalidToken."""
    try:
        body = _serializer(secret, purpose).loads(token)
    except BadSignature:
        raise InvalidToken("this link is not valid (it may have been changed or cut short)") from None
    if not isinstance(body, dict) or not isinstance(body.get("d"), dict) or not isinstance(body.get("iat"), int):
        raise InvalidToken("this link is not valid")
    issued = datetime.fromtimestamp(body["iat"], UTC)
    if now - issued > max_age:
        raise ExpiredToken("this link has expired")
    return body["d"], str(body.get("jti", ""))


def derived_jti(secret: str, purpose: str, row_id: int) -> str:
    """A `jti` made from a row's id and the secret key: whoever holds the key makes the same token again from
    the row (a worker retrying an email owed), and the row stores nothing that makes a link without it."""
    mac = hmac.new(secret.encode(), f"digest.{purpose}.jti:{row_id}".encode(), hashlib.sha256).digest()
    return urlsafe_b64encode(mac[:16]).decode().rstrip("=")


class KeyedSigner(Signer):
    """itsdangerous's Signer, its key derived once per secret (itsdangerous derives it again for every
    signature: a hash of salt and secret, ~4 us with the signer it builds each time, of every digest's
    unsubscribe link). Signatures are the same bytes."""

    def __init__(self, secret: str | bytes | list[bytes], salt: str | bytes) -> None:
        super().__init__(secret, salt=salt)
        self._derived: dict[bytes, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        key = self._derived.get(secret)
        if key is None:
            key = self._derived[secret] = super().derive_key(secret)
        return key


class _Serializer(URLSafeSerializer):
    """URLSafeSerializer signing with one KeyedSigner (itsdangerous makes a signer for every token)."""

    def __init__(self, secret: str, salt: str) -> None:
        super().__init__(secret, salt=salt)
        self._signer = KeyedSigner(self.secret_keys, salt=salt)

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        return self._signer if salt is None or want_bytes(salt) == self.salt else super().make_signer(salt)


@lru_cache(maxsize=16)
def _serializer(secret: str, purpose: str) -> URLSafeSerializer:  # stateless: one per key and purpose
    return _Serializer(secret, salt=f"digest.{purpose}")


@lru_cache(maxsize=16)
def keyed_signer(secret: str, salt: str) -> KeyedSigner:
    """The signer of `salt` (a plain signed value, no JSON), one per secret and salt."""
    return KeyedSigner(secret, salt=salt)
