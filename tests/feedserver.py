"""A local HTTP feed server on 127.0.0.1 for tests: serves directories of files and programmable routes, and
records every request (path and headers) so tests can see conditional GETs.

    with FeedServer() as server:
        server.mount("/fp", Path(".../feedparser-test-feeds"))
        server.route("/feed.xml", body=b"<rss ...>", headers={"ETag": '"v1"'})
        url = server.url("/feed.xml")

A route may also be a function (request) -> Response for behaviour that depends on the request.
`conditional=True` routes answer 304 to a matching If-None-Match / If-Modified-Since themselves.
"""

from __future__ import annotations

import gzip
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

CONTENT_TYPES = {".xml": "application/xml", ".rss": "application/rss+xml", ".atom": "application/atom+xml",
                 ".json": "application/feed+json", ".rdf": "application/rdf+xml"}  # fmt: skip
_HEADER_LINE = re.compile(rb"^Header:\s*([\w-]+):\s*(.+?)\s*$", re.MULTILINE)


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the body is written (timeouts)
    conditional: bool = False  # answer 304 when the request's validators match ours


Handler = Callable[[Request], Response]


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Response | Handler] = {}
        self.mounts: dict[str, Path] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                # headers and body go out in separate writes; without this, Nagle + delayed ACK add 40 ms each
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self) -> None:
                req = Request("GET", self.path, {k.lower(): v for k, v in self.headers.items()})
                with server._lock:
                    server.requests.append(req)
                resp = server._answer(req)
                if resp.delay:
                    time.sleep(resp.delay)
                body = resp.body
                headers = dict(resp.headers)
                if resp.conditional and _not_modified(req, headers):
                    resp, body = Response(304, b"", headers), b""
                if body and "gzip" in req.headers.get("accept-encoding", "") and "Content-Encoding" not in headers:
                    body = gzip.compress(body)
                    headers["Content-Encoding"] = "gzip"
                try:
                    self.send_response(resp.status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    if "Content-Length" not in headers:
                        self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if resp.status != 304:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    # --- configuration -----------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, handler: Response | Handler | None = None, **kwargs: Any) -> str:
        self.routes[path] = handler if handler is not None else Response(**kwargs)
        return self.url(path)

    def mount(self, prefix: str, directory: Path) -> None:
        self.mounts[prefix.rstrip("/")] = directory

    def requests_to(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    # --- serving -----------------------------------------------------------------------------------
    def _answer(self, req: Request) -> Response:
        path = req.path.split("?", 1)[0]
        route = self.routes.get(req.path) or self.routes.get(path)
        if route is not None:
            return route(req) if callable(route) else route
        for prefix, directory in self.mounts.items():
            if path.startswith(prefix + "/"):
                file = (directory / path[len(prefix) + 1 :]).resolve()
                if directory.resolve() in file.parents and file.is_file():
                    return file_response(file)
        return Response(404, b"not found", {"Content-Type": "text/plain"})

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def file_response(file: Path) -> Response:
    """A feed file, with the HTTP headers its own `Header:` comment lines ask for (feedparser's test files)."""
    data = file.read_bytes()
    headers = {"Content-Type": CONTENT_TYPES.get(file.suffix.lower(), "application/octet-stream")}
    for name, value in _HEADER_LINE.findall(data[:2000]):
        headers[name.decode("latin-1").title()] = value.decode("latin-1")
    return Response(200, data, headers)


def _not_modified(req: Request, headers: dict[str, str]) -> bool:
    etag = headers.get("ETag")
    if etag and req.headers.get("if-none-match") == etag:
        return True
    lm = headers.get("Last-Modified")
    return bool(lm and not etag and req.headers.get("if-modified-since") == lm)


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server
