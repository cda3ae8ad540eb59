"""Where a feed may be fetched from, and how long a fetch may take: the SSRF guard's address rules, the
deadline of the running fetch, and the host lookup that keeps to it. Apart from digest.sources.fetch so that
`digest feeds add`, which checks a new feed's address, loads no HTTP client (~50 ms of import).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any


class FetchError(Exception):
    """A fetch that yielded no feed. `status` is the HTTP status when there was one."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        retry_after: str | None = None,
        gone: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.gone = gone
        self.headers = headers or {}


class BlockedAddress(FetchError):
    pass


# never a feed, whatever DIGEST_FEEDS_ALLOW_PRIVATE says: instance metadata services (credentials live there)
# besides all of link-local (169.254.0.0/16, fe80::/10), which is_link_local covers
METADATA = {
    ipaddress.ip_address(a)
    for a in ("fd00:ec2::254", "100.100.100.200", "192.0.0.192")  # AWS IPv6, Alibaba, Oracle Cloud
}
NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _plain(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address, with an IPv4 inside an IPv4-mapped or NAT64 IPv6 address taken out."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return addr.ipv4_mapped
        if addr in NAT64:
            return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return addr


def address_allowed(ip: str, allow_private: bool = False) -> bool:
    """Only globally routable unicast addresses (no private, loopback, link-local, reserved, multicast, CGNAT);
    with `allow_private`, private and loopback ones too, but never link-local or a metadata address."""
    addr = _plain(ip)
    if addr.is_link_local or addr in METADATA or addr.is_multicast or addr.is_unspecified:
        return False
    if allow_private:
        return True
    return bool(addr.is_global and not (addr.is_private or addr.is_loopback or addr.is_reserved))


def resolve_checked(host: str, port: int, allow_private: bool = False) -> list[str]:
    """The host's addresses, all of them allowed, or BlockedAddress."""
    try:
        infos = _lookup(host, port)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve {host}: {exc.strerror or exc}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    blocked = [a for a in addresses if not address_allowed(a, allow_private)]
    if blocked or not addresses:
        what = "a link-local or cloud-metadata" if allow_private else "a non-public"
        raise BlockedAddress(f"refused: {host} resolves to {what} address ({', '.join(blocked) or 'none'})")
    return addresses


# the monotonic deadline of the fetch running in this thread (None outside a fetch)
_deadline: ContextVar[float | None] = ContextVar("feed_fetch_deadline", default=None)
# DNS lookups of fetches, in threads of their own: the C resolver takes no timeout, so a fetch waits for its
# answer only as long as its deadline leaves (the lookup itself ends when the system resolver gives up).
# One pool per process: a forked worker does not inherit its parent's threads.
_resolvers: dict[int, ThreadPoolExecutor] = {}


def _lookup(host: str, port: int) -> list[Any]:
    end = _deadline.get()
    if end is None:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    pool = _resolvers.get(os.getpid())
    if pool is None:
        pool = _resolvers.setdefault(os.getpid(), ThreadPoolExecutor(max_workers=8, thread_name_prefix="feed-dns"))
    answer = pool.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        return answer.result(timeout=max(0.0, end - time.monotonic()))
    except FutureTimeout:
        answer.cancel()
        raise FetchError(f"looking up {host} took longer than the fetch's time") from None


@contextmanager
def deadline(seconds: float) -> Iterator[float]:
    """Every connection of this thread waits at most until `seconds` from now, in total."""
    end = time.monotonic() + seconds
    token = _deadline.set(end)
    try:
        yield end
    finally:
        _deadline.reset(token)


def time_left(timeout: float | None, error: type[Exception]) -> float | None:
    """The socket timeout for the next operation: the usual one, cut to what the deadline leaves."""
    end = _deadline.get()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise error("the fetch's total time is used up")
    return left if timeout is None else min(timeout, left)
