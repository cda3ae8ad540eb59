"""Signed, single-purpose, expiring tokens for links in emails (confirm, login, unsubscribe, ...).

The issue time comes from the caller's `now`, never from the wall clock, so expiry is testable.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import zlib
from base64 import urlsafe_b64encode
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from itsdangerous import BadSignature, Signer, URLSafeSerializer
from itsdangerous.encoding import want_bytes
from itsdangerous.signer import HMACAlgorithm


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


class _SHA1(HMACAlgorithm):
    """itsdangerous's default HMAC-SHA1 in one call of the C HMAC (`hmac.digest`): itsdangerous passes a Python
    function as the digest, which sends `hmac.new` down its slow pure-Python path (~3 us a signature). The same
    bytes."""

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return hmac.digest(key, value, "sha1")


class KeyedSigner(Signer):
    """itsdangerous's Signer, its key derived once per secret (itsdangerous derives it again for every
    signature: a hash of salt and secret, ~4 us with the signer it builds each time, of every digest's
    unsubscribe link) and its HMAC-SHA1 computed in one C call. Signatures are the same bytes."""

    def __init__(self, secret: str | bytes | list[bytes], salt: str | bytes) -> None:
        super().__init__(secret, salt=salt, algorithm=_SHA1())
        self._derived: dict[bytes, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        key = self._derived.get(secret)
        if key is None:
            key = self._derived[secret] = super().derive_key(secret)
        return key


# itsdangerous's compact JSON (json.dumps with these arguments builds an encoder for every call)
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _b64(data: bytes) -> bytes:
    return urlsafe_b64encode(data).rstrip(b"=")


class _Serializer(URLSafeSerializer):
    """URLSafeSerializer signing with one KeyedSigner (itsdangerous makes a signer for every token). `dumps`
    makes the bytes itsdangerous's own makes (compact JSON, zlib-compressed and dot-prefixed when that is
    shorter, URL-safe base64, "." and the signature) in one function: every digest carries one (an
    unsubscribe link); itsdangerous's layers of calls and its encoder built per call were ~3 of its ~15 us.
    Most of what is left is zlib's compressor, set up for every token to learn whether it shortens it."""

    def __init__(self, secret: str, salt: str) -> None:
        super().__init__(secret, salt=salt)
        self._signer = KeyedSigner(self.secret_keys, salt=salt)

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        return self._signer if salt is None or want_bytes(salt) == self.salt else super().make_signer(salt)

    def dumps(self, obj: Any, salt: str | bytes | None = None) -> str:
        if salt is not None:
            return super().dumps(obj, salt)
        data = _JSON.encode(obj).encode()
        compressed = zlib.compress(data)
        payload = b"." + _b64(compressed) if len(compressed) < len(data) - 1 else _b64(data)
        signer = self._signer
        return (payload + signer.sep + _b64(hmac.digest(signer.derive_key(), payload, "sha1"))).decode()


@lru_cache(maxsize=16)
def _serializer(secret: str, purpose: str) -> URLSafeSerializer:  # stateless: one per key and purpose
    return _Serializer(secret, salt=f"digest.{purpose}")


@lru_cache(maxsize=16)
def keyed_signer(secret: str, salt: str) -> KeyedSigner:
    """The signer of `salt` (a plain signed value, no JSON), one per secret and salt."""
    return KeyedSigner(secret, salt=salt)
