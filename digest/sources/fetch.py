"""Fetching feeds with httpx: timeouts, a byte cap, conditional GET, redirects checked hop by hop, SSRF guard.

The SSRF guard sits in the connection itself (miniflux does the same in its dialer): every TCP connection,
including each redirect hop, resolves the host, refuses non-global addresses and connects to the address it
checked, so a DNS answer cannot change between the check and the connect. TLS still verifies the host name.
Link-local and cloud-metadata addresses are refused even where private addresses are allowed (intranet feeds).

One deadline bounds the whole exchange (DNS, connect, TLS, request, headers, body, every redirect): each
lookup and socket operation waits at most for what is left of it, so a server dripping bytes (or a resolver
that never answers) cannot hold a worker longer.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import certifi
import httpcore
import httpx

from digest import __version__ as _version

# the address rules and the deadline live in digest.sources.addresses (no HTTP client there); these names were
# this module's before and are still imported from here
from digest.sources.addresses import BlockedAddress as BlockedAddress
from digest.sources.addresses import FetchError as FetchError
from digest.sources.addresses import address_allowed as address_allowed
from digest.sources.addresses import deadline, resolve_checked, time_left

PERMANENT = (301, 308)
REDIRECTS = (301, 302, 303, 307, 308)
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


@dataclass
class FetchResult:
    url: str  # the final URL, after redirects
    status: int
    headers: dict[str, str]
    content: bytes = b""
    not_modified: bool = False
    moved_to: str | None = None  # set when every hop was permanent (301/308): the feed's new address
    etag: str | None = None
    last_modified: str | None = None
    redirects: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int = 10 * 1024 * 1024
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 60.0
    max_redirects: int = 5
    allow_private: bool = False
    user_agent: str = f"digest-feeds/{_version} (skill digest feed poller)"


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        tls = self._stream.start_tls(ssl_context, server_hostname, time_left(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _GuardedBackend(httpcore.SyncBackend):
    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in resolve_checked(host, port, self.allow_private):
            try:
                stream = super().connect_tcp(
                    address, port, time_left(timeout, httpcore.ConnectTimeout), local_address, socket_options
                )
                return _DeadlineStream(stream)
            except httpcore.ConnectError as exc:
                last = exc
        assert last is not None
        raise last


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with a connection pool whose every connection goes through the SSRF guard and
    whose every socket operation keeps to the running fetch's deadline."""

    def __init__(self, allow_private: bool = False, **kwargs: Any) -> None:
        # one CA bundle loaded, not two: httpx's transport made its own context (~35 ms) for a pool replaced here
        ssl_context = ssl.create_default_context(cafile=certifi.where())
        super().__init__(verify=ssl_context, **kwargs)
        self._pool = httpcore.ConnectionPool(ssl_context=ssl_context, network_backend=_GuardedBackend(allow_private))


def make_client(limits: FetchLimits) -> httpx.Client:
    transport = GuardedTransport(allow_private=limits.allow_private)
    return httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(limits.read_timeout, connect=limits.connect_timeout),
        follow_redirects=False,
        headers={"User-Agent": limits.user_agent, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"},
    )


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"not an http(s) URL: {url!r}")
    return url


def fetch(
    client: httpx.Client,
    url: str,
    limits: FetchLimits,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchResult:
    """GET the feed, following redirects up to the cap, all within `limits.total_timeout`. Raises FetchError;
    never returns an error status."""
    with deadline(limits.total_timeout) as end:
        try:
            return _fetch(client, url, limits, end, etag, last_modified)
        except httpx.TimeoutException as exc:
            if time.monotonic() >= end:
                raise FetchError(f"took longer than {limits.total_timeout:g}s in all, fetching {url}") from None
            raise FetchError(f"timed out ({type(exc).__name__}) fetching {url}") from None


def _fetch(
    client: httpx.Client, url: str, limits: FetchLimits, end: float, etag: str | None, last_modified: str | None
) -> FetchResult:
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current = check_url(url)
    hops: list[str] = []
    all_permanent = True
    for _ in range(limits.max_redirects + 1):
        host = urlsplit(current).hostname or ""
        port = urlsplit(current).port or (443 if current.startswith("https") else 80)
        resolve_checked(host, port, limits.allow_private)  # a clear message early; the connection checks again
        try:
            with client.stream("GET", current, headers=headers) as response:
                status = response.status_code
                if status in REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError(f"HTTP {status} without a Location header", status)
                    all_permanent = all_permanent and status in PERMANENT
                    current = check_url(urljoin(current, location))
                    hops.append(current)
                    continue
                resp_headers = {k.lower(): v for k, v in response.headers.items()}
                result = FetchResult(
                    url=current,
                    status=status,
                    headers=resp_headers,
                    moved_to=current if hops and all_permanent else None,
                    etag=resp_headers.get("etag"),
                    last_modified=resp_headers.get("last-modified"),
                    redirects=hops,
                )
                if status == 304:
                    result.not_modified = True
                    return result
                if status == 410:
                    raise FetchError("HTTP 410 Gone: the feed was removed", status, gone=True, headers=resp_headers)
                if status >= 400 or status < 200 or status == 204:
                    raise FetchError(
                        f"HTTP {status} {response.reason_phrase}".strip(),
                        status,
                        retry_after=resp_headers.get("retry-after"),
                        headers=resp_headers,
                    )
                if etag and result.etag and result.etag == etag:
                    result.not_modified = True  # a 200 with an unchanged ETag: nothing new
                    return result
                result.content = _read_capped(response, limits, end)
                return result
        except (FetchError, httpx.TimeoutException):
            raise
        except httpx.HTTPError as exc:
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, BlockedAddress):
                raise cause from None
            raise FetchError(f"{type(exc).__name__}: {exc}") from None
    raise FetchError(f"too many redirects (more than {limits.max_redirects})")


def _read_capped(response: httpx.Response, limits: FetchLimits, end: float) -> bytes:
    declared = response.headers.get("content-length")
    if (
        declared
        and declared.isdigit()
        and "content-encoding" not in response.headers
        and int(declared) > limits.max_bytes
    ):
        raise FetchError(f"too large: {declared} bytes (limit {limits.max_bytes})", response.status_code)
    chunks: list[bytes] = []
    total = 0
    for chunk in response.iter_bytes():  # decoded: the cap applies after decompression
        total += len(chunk)
        if total > limits.max_bytes:
            raise FetchError(f"too large: over {limits.max_bytes} bytes", response.status_code)
        if time.monotonic() > end:
            raise FetchError(f"took longer than {limits.total_timeout:g}s in all", response.status_code)
        chunks.append(chunk)
    return b"".join(chunks)
