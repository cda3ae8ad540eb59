"""Accuracy of the matcher on the HN 'Who is hiring?' postings of 2026 Q1 against the silver labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.eval import hn


@pytest.fixture(scope="module")
def postings(shared_data: Path) -> list[hn.Posting]:
    return hn.load(shared_data)


def test_micro_precision_and_recall_over_the_20_most_frequent_skills(postings: list[hn.Posting]) -> None:
    assert len(postings) > 1000
    scores, _ = hn.evaluate(postings)
    top = [slug for slug, _ in hn.frequency(postings).most_common(20)]
    micro = hn.micro(scores, top)
    assert micro.precision >= 0.95, hn.table(scores, hn.frequency(postings))
    assert micro.recall >= 0.90, hn.table(scores, hn.frequency(postings))


def test_weak_names_precision(postings: list[hn.Posting]) -> None:
    for slug, (n, correct, _unchecked) in hn.weak_precision(postings).items():
        if n:
            assert correct / n >= 0.90, (slug, n, correct)
