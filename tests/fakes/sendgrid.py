"""A local fake of SendGrid's POST /v3/mail/send on 127.0.0.1.

Every request body is validated against the official OpenAPI schema (tsg_mail_v3.yaml, vendored in
shared/data/sendgrid-oai), with the one known spec bug patched: top-level `custom_args` is typed as a
string though the API and the official client send an object. Faults are scripted per request:
"429" (with X-RateLimit-Reset), "500", "503", "400", "401", "timeout" (the request is dropped: the
server answers only after the client gave up, and does not count it as accepted).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml
from jsonschema import Draft202012Validator


def _shared_data() -> Path:
    if os.environ.get("DIGEST_SHARED_DATA"):
        return Path(os.environ["DIGEST_SHARED_DATA"])
    for parent in Path(__file__).resolve().parents:  # shared/ sits beside the repository (or a worktree's)
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    raise FileNotFoundError("shared/data not found; set DIGEST_SHARED_DATA")


SPEC = _shared_data() / "sendgrid-oai" / "tsg_mail_v3.yaml"


@lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    doc = yaml.safe_load(SPEC.read_text())
    body = doc["components"]["requestBodies"]["PostMailSend"]["content"]["application/json"]["schema"]
    body["properties"]["custom_args"] = {"type": "object", "additionalProperties": {"type": "string"}}
    root = dict(doc)
    root["$ref"] = "#/components/requestBodies/PostMailSend/content/application~1json/schema"
    return Draft202012Validator(root)


class FakeSendGrid:
    def __init__(self, api_key: str = "SG.test", hang: float = 2.0) -> None:
        self.api_key = api_key
        self.hang = hang  # how long a "timeout" fault holds the request
        self.script: list[str] = []
        self.rate_limit_reset: float = 0.0  # epoch seconds sent with a 429
        self.accepted: list[dict[str, Any]] = []
        self.invalid: list[str] = []
        self.requests = 0
        self.lookups = 0  # Email Activity API queries
        self.faults: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def host(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def delivery_ids(self) -> Counter[str]:
        return Counter(m["personalizations"][0]["custom_args"]["delivery_id"] for m in self.accepted)

    def message_ids(self) -> dict[str, set[str]]:
        """Per delivery id, the Message-IDs it was accepted with: one, however often it was sent."""
        out: dict[str, set[str]] = {}
        for m in self.accepted:
            did = m["personalizations"][0]["custom_args"]["delivery_id"]
            out.setdefault(did, set()).add(m.get("headers", {}).get("Message-ID", ""))
        return out

    def _next_fault(self) -> str | None:
        with self._lock:
            self.requests += 1
            return self.script.pop(0) if self.script else None

    @contextmanager
    def running(self) -> Iterator[FakeSendGrid]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def _reply(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                try:
                    self.send_response(status)
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a scripted timeout)

            def do_GET(self) -> None:
                """The Email Activity API, as far as a retry uses it: messages by unique_args['delivery_id']."""
                url = urlsplit(self.path)
                if url.path != "/v3/messages":
                    return self._reply(404, {"errors": [{"message": "not found"}]})
                if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                    return self._reply(401, {"errors": [{"message": "authorization required"}]})
                query = parse_qs(url.query).get("query", [""])[0]
                wanted = re.fullmatch(r"unique_args\['delivery_id'\]=\"(\d+)\"", query)
                if not wanted:
                    return self._reply(400, {"errors": [{"message": f"unsupported query {query!r}"}]})
                with fake._lock:
                    fake.lookups += 1
                    args = [m["personalizations"][0].get("custom_args", {}) for m in fake.accepted]
                    hits = [n for n, a in enumerate(args, 1) if a.get("delivery_id") == wanted[1]]
                messages = [{"msg_id": f"fake-{n}", "status": "processed"} for n in hits[:1]]
                return self._reply(200, {"messages": messages})

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fault = fake._next_fault()
                if fault:
                    fake.faults[fault] += 1
                if fault == "timeout":
                    time.sleep(fake.hang)
                    return self._reply(504, {"errors": [{"message": "too late"}]})
                if self.path != "/v3/mail/send":
                    return self._reply(404, {"errors": [{"message": "not found"}]})
                if self.headers.get("Authorization") != f"Bearer {fake.api_key}" or fault == "401":
                    return self._reply(401, {"errors": [{"message": "authorization required"}]})
                if fault == "429":
                    reset = str(int(fake.rate_limit_reset))
                    return self._reply(429, {"errors": [{"field": None, "message": "too many requests"}]},
                                       {"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0",
                                        "X-RateLimit-Reset": reset})  # fmt: skip
                if fault in ("500", "503"):
                    return self._reply(int(fault), {"errors": [{"message": "internal error"}]})
                try:
                    body = json.loads(raw)
                except ValueError:
                    fake.invalid.append("not JSON")
                    return self._reply(400, {"errors": [{"message": "bad JSON"}]})
                errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator().iter_errors(body)]
                if errors or fault == "400":
                    fake.invalid += errors
                    return self._reply(400, {"errors": [{"message": m} for m in errors or ["scripted 400"]]})
                with fake._lock:
                    fake.accepted.append(body)
                    n = len(fake.accepted)
                return self._reply(202, None, {"X-Message-Id": f"fake-{n}"})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join(timeout=5)
