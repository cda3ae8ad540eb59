"""Warn, once per host, when requests arrive under a Host that the base URL (links in emails) does not name:
links would then lead people elsewhere. A warning, not a refusal: proxies and aliases are legitimate."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger("digest.web")
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
MAX_REMEMBERED = 32  # distinct hosts warned about; beyond this, stop (a client can send any Host)


class HostCheck:
    def __init__(self, app: ASGIApp, base_url: str) -> None:
        self.app = app
        self.base_url = base_url
        parts = urlsplit(base_url)
        default = {"http": 80, "https": 443}.get(parts.scheme)
        name = parts.netloc.lower().rsplit("@", 1)[-1].removesuffix(f":{parts.port}")
        names = set(LOOPBACK) if name in LOOPBACK else {name}  # loopback links work under any of its names
        ports = [f":{parts.port}"] if parts.port not in (None, default) else ["", f":{default}"]
        self.expected = {n + p for n in names for p in ports}
        self.warned: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and len(self.warned) < MAX_REMEMBERED:
            host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")[:255].lower()
            if host and host not in self.expected and host not in self.warned:
                self.warned.add(host)
                log.warning(
                    "a request came for host %r but links in emails point at %s: set DIGEST_BASE_URL to the "
                    "address people use (this is logged once per host)",
                    host,
                    self.base_url,
                )
        await self.app(scope, receive, send)
