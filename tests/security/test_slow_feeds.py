"""A feed server that drips its headers or its body holds a polling worker no longer than the whole-exchange
deadline (DIGEST_FEED_TOTAL_TIMEOUT), however short each gap between bytes is."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from digest.sources.fetch import FetchError, FetchLimits, fetch, make_client
from tests.security.slowserver import SlowServer

# each byte arrives 0.05 s after the last, far inside the 2 s read timeout; the whole fetch may take 1.5 s
LIMITS = FetchLimits(connect_timeout=2, read_timeout=2, total_timeout=1.5, allow_private=True)


def _timed_fetch(url: str) -> tuple[float, BaseException | None]:
    outcome: list[BaseException | None] = []

    def run() -> None:
        with make_client(LIMITS) as client:
            try:
                fetch(client, url, LIMITS)
                outcome.append(None)
            except BaseException as exc:  # handed to the test
                outcome.append(exc)

    started = time.monotonic()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=12)  # bound of the test itself, far above the deadline
    assert not worker.is_alive(), "the fetch was still running 12 s after it started (deadline 1.5 s)"
    return time.monotonic() - started, outcome[0]


@pytest.mark.parametrize("drip", ["headers", "body"])
def test_a_dripping_server_is_cut_off_at_the_total_deadline(drip: str) -> None:
    with SlowServer(drip, gap=0.05) as server:  # type: ignore[arg-type]
        took, error = _timed_fetch(server.url)
    assert isinstance(error, FetchError) and "longer than 1.5s" in str(error), error
    assert took < LIMITS.total_timeout + 1.0, f"held the worker {took:.1f} s"


def test_a_resolver_that_never_answers_is_cut_off_too(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    released = threading.Event()
    real = socket.getaddrinfo

    def silent_dns(host: str, *args: Any, **kwargs: Any) -> Any:  # DNS is off this machine: stand in for it
        if host == "feeds.slow-dns.example":
            released.wait(20)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", silent_dns)
    try:
        took, error = _timed_fetch("http://feeds.slow-dns.example/feed.xml")
    finally:
        released.set()
    assert isinstance(error, FetchError) and "looking up feeds.slow-dns.example" in str(error), error
    assert took < LIMITS.total_timeout + 1.0
