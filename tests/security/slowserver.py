"""A hostile feed server on 127.0.0.1 that drips its answer: one byte of the headers (or of the body) every
`gap` seconds, each byte well inside any per-read timeout, for at most `for_at_most` seconds.

    with SlowServer("headers", gap=0.1) as server:
        fetch(client, server.url, limits)
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Literal

HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nX-Padding: " + b"a" * 10_000 + b"\r\n"
BODY = b'<?xml version="1.0"?><rss version="2.0"><channel><title>slow</title>' + b" " * 10_000


class SlowServer:
    def __init__(self, drip: Literal["headers", "body"], gap: float = 0.1, for_at_most: float = 20.0) -> None:
        self.drip, self.gap, self.for_at_most = drip, gap, for_at_most
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/feed.xml"
        self._stop = threading.Event()
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> SlowServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(65536)  # the request
                if self.drip == "headers":
                    slow = HEADERS
                else:
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n\r\n"
                    )  # no length: until close
                    slow = BODY
                until = time.monotonic() + self.for_at_most
                for i in range(len(slow)):
                    if self._stop.is_set() or time.monotonic() > until:
                        return
                    conn.sendall(slow[i : i + 1])
                    self._stop.wait(self.gap)
            except OSError:  # the client gave up: what we want
                return
