"""The web hands owed emails to the worker in batches: one task for the ids of a short wait, none for none."""

from __future__ import annotations

import logging

import pytest

from digest.web.batches import Batches
from tests.helpers import wait_for


def test_ids_added_during_the_wait_go_out_in_one_batch() -> None:
    sent: list[list[int]] = []
    batches = Batches(0.2, sent.append)
    for i in (1, 2, 3):
        batches.add(i)
    wait_for(lambda: sent, timeout=10, message="the batch")
    assert sent == [[1, 2, 3]]
    batches.add(4)
    batches.flush()  # at exit: what waits goes out now, once
    batches.flush()
    assert sent == [[1, 2, 3], [4]]


def test_a_batch_the_broker_refuses_is_logged_for_the_sweeper(caplog: pytest.LogCaptureFixture) -> None:
    def refuse(ids: list[int]) -> None:
        raise ConnectionError("broker down")

    batches = Batches(10, refuse)
    batches.add(7)
    with caplog.at_level(logging.WARNING):
        batches.flush()
    assert "could not queue [7] (the sweeper will)" in caplog.text
