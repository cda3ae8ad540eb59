from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from digest.accounts.tokens import ExpiredToken, InvalidToken, make_token, read_token

NOW = datetime(2026, 5, 17, 12, tzinfo=UTC)
DAY = timedelta(days=1)


def test_round_trip_and_expiry() -> None:
    t = make_token("s", "confirm", {"sub": 7}, NOW)
    data, jti = read_token("s", "confirm", t, NOW + 6 * DAY, 7 * DAY)
    assert data == {"sub": 7} and jti
    with pytest.raises(ExpiredToken):
        read_token("s", "confirm", t, NOW + 8 * DAY, 7 * DAY)


def test_other_purpose_other_secret_and_tampering_are_refused() -> None:
    t = make_token("s", "confirm", {"sub": 7}, NOW)
    with pytest.raises(InvalidToken):
        read_token("s", "login", t, NOW, DAY)
    with pytest.raises(InvalidToken):
        read_token("other", "confirm", t, NOW, DAY)
    with pytest.raises(InvalidToken):
        read_token("s", "confirm", t[:-2] + ("A" if t[-2] != "A" else "B") + t[-1], NOW, DAY)
    assert make_token("s", "confirm", {"sub": 7}, NOW) != t  # each has its own jti


def test_tokens_are_the_bytes_itsdangerous_makes() -> None:
    """The key is derived once per secret and salt; the tokens and signatures are unchanged (links already
    sent stay valid), compressed payloads included."""
    from itsdangerous import Signer, URLSafeSerializer

    from digest.accounts.tokens import _serializer, keyed_signer

    bodies = [
        {"d": {"u": 7, "s": None}, "iat": 1779019200, "jti": "abcdefghijklmnop"},
        {"d": {"u": 11111111111, "s": 22222222}, "iat": 1779019200, "jti": "aaaaaaaaaaaaaaaa"},
        {"d": {"email": "ann@example.com", "skills": ["python"] * 20}, "iat": 1, "jti": "x"},
    ]
    assert _serializer("s", "unsubscribe").dumps(bodies[2]).startswith(".")  # the compressed form
    for body in bodies:
        for secret in ("s", "other"):
            assert _serializer(secret, "unsubscribe").dumps(body) == URLSafeSerializer(
                secret, salt="digest.unsubscribe"
            ).dumps(body)
    for value in ("1.2.3", "123.456.1779019200"):
        assert keyed_signer("s", "digest.digest-view").sign(value) == Signer("s", salt="digest.digest-view").sign(value)
