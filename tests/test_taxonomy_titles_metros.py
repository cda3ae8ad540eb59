"""Job titles and metros."""

from __future__ import annotations

import pytest

from digest.taxonomy.metros import resolve_metro
from digest.taxonomy.titles import normalize_title


@pytest.mark.parametrize(
    ("raw", "slug"),
    [
        ("Sr. ML Engineer II (Remote)", "machine-learning-engineer"),
        ("ML Engineer", "machine-learning-engineer"),
        ("Machine Learning Engineer", "machine-learning-engineer"),
        ("Senior Backend Engineer, Payments", "backend-engineer"),
        ("Staff Full-Stack Developer", "full-stack-engineer"),
        ("SRE", "site-reliability-engineer"),
        ("Registered Nurse", "onet-registered-nurses"),
    ],
)
def test_titles(raw: str, slug: str) -> None:
    found = normalize_title(raw)
    assert found is not None and found[0] == slug


def test_unknown_title() -> None:
    assert normalize_title("") is None
    assert normalize_title("Wizard of Vibes") is None


@pytest.mark.parametrize(
    ("raw", "slug"),
    [
        ("SF", "san-francisco"),
        ("San Francisco Bay Area", "san-francisco"),
        ("San Francisco, CA (Hybrid)", "san-francisco"),
        ("NYC", "new-york"),
        ("Bangalore", "bangalore"),
        ("Bengaluru, India", "bangalore"),
        ("Remote", "remote"),
        ("REMOTE (US)", "remote"),
        ("London or Remote (UK)", "london"),
    ],
)
def test_metros(raw: str, slug: str) -> None:
    found = resolve_metro(raw)
    assert found is not None and found[0] == slug


def test_unknown_metro() -> None:
    assert resolve_metro("la plage") is None
    assert resolve_metro(None) is None
