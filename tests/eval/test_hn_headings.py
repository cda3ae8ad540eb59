"""The HN heading parser against 150 hand-labelled headings: at least 95% of fields right."""

from __future__ import annotations

from tests.eval import headings


def test_field_accuracy_on_hand_labelled_headings() -> None:
    right, misses = headings.evaluate()
    assert right["n"] >= 150
    total = sum(right[f] for f in headings.FIELDS) / (right["n"] * len(headings.FIELDS))
    assert total >= 0.95, headings.table(right) + "\n" + "\n".join(map(str, misses))


def test_field_accuracy_on_headings_labelled_after_tuning() -> None:
    right, misses = headings.evaluate(headings.HOLDOUT)
    assert right["n"] >= 50
    total = sum(right[f] for f in headings.FIELDS) / (right["n"] * len(headings.FIELDS))
    assert total >= 0.93, headings.table(right) + "\n" + "\n".join(map(str, misses))
