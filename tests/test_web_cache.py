"""The web processes' TTL cache: expiry, size bound, errors not kept, one computation per key at a time."""

from __future__ import annotations

import threading

import pytest

from digest.web.cache import TTLCache
from tests.helpers import wait_for


def test_expiry_size_and_errors() -> None:
    now = [0.0]
    cache = TTLCache(ttl=10, size=2, clock=lambda: now[0])
    calls: list[str] = []

    def compute(key: str) -> str:
        calls.append(key)
        return f"{key}{len(calls)}"

    assert cache.get("a", lambda: compute("a")) == "a1"
    now[0] = 9.9
    assert cache.get("a", lambda: compute("a")) == "a1"
    now[0] = 10.0
    assert cache.get("a", lambda: compute("a")) == "a2"
    cache.get("b", lambda: compute("b"))
    cache.get("c", lambda: compute("c"))  # over the size: the least recently used ("a") goes
    assert cache.get("a", lambda: compute("a")) == "a5" and calls == ["a", "a", "b", "c", "a"]

    def fail() -> str:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        cache.get("d", fail)
    assert cache.get("d", lambda: "ok") == "ok"
    off = TTLCache(ttl=0, size=2)
    assert [off.get("k", lambda: compute("k")) for _ in range(2)] == ["k6", "k7"]


def test_concurrent_misses_compute_once() -> None:
    looks: list[int] = []

    def clock() -> float:  # each get() reads it once before it waits for a computation under way
        looks.append(1)
        return 0.0

    cache = TTLCache(ttl=60, size=10, clock=clock)
    release, started = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow() -> int:
        calls.append(1)
        started.set()
        release.wait(10)
        return 42

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("k", slow))) for _ in range(4)]
    threads[0].start()
    assert started.wait(10)
    for t in threads[1:]:
        t.start()
    wait_for(lambda: len(looks) >= 2 + 3, timeout=10, message="every get() to have looked while the first computes")
    release.set()
    for t in threads:
        t.join(10)
    assert results == [42] * 4 and calls == [1]
