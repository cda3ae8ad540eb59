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
