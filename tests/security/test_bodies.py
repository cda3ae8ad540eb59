"""Bodies are capped before they are read (413): 64 KB for forms and JSON (DIGEST_MAX_BODY_BYTES), the
webhook's documented batch size for it; a 422 never echoes more than a short excerpt of the input; a
multipart body without a boundary is a 400, not a 500."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from digest.web.app import create_app
from digest.web.webhooks import WEBHOOK_MAX_BYTES

MB = 1024 * 1024


def _client(settings: Any) -> TestClient:
    return TestClient(create_app(settings))


def test_a_20_mb_json_body_is_refused_before_it_is_read(settings: Any) -> None:
    client = _client(settings)
    huge = b'{"email": "' + b"a" * (20 * MB) + b'@example.com", "skill": "python"}'
    started = time.monotonic()
    r = client.post("/api/subscriptions", content=huge, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and len(r.content) < 200
    assert time.monotonic() - started < 5  # not parsed: today it took ~15 s and echoed all 20 MB


def test_a_chunked_body_without_length_is_cut_at_the_cap(settings: Any) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"email": "'
        for _ in range(40):
            yield b"a" * 4096

    r = _client(settings).post("/api/login", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_forms_are_capped_too(settings: Any) -> None:
    client = _client(settings)
    r = client.post("/subscribe", data={"email": "a" * (100 * 1024), "skill": "python"})
    assert r.status_code == 413
    just_under = client.post("/subscribe", data={"email": "a" * 1000, "skill": "python"})
    assert just_under.status_code != 413


def test_the_webhook_takes_its_documented_batch_size_and_no_more(settings: Any) -> None:
    der = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    s = settings.model_copy(update={"sendgrid_webhook_public_key": base64.b64encode(der).decode()})
    client = _client(s)
    batch = b"[" + b" " * (WEBHOOK_MAX_BYTES - 100) + b"]"  # over 64 KB, within the webhook's size
    assert client.post("/webhooks/sendgrid", content=batch).status_code == 403  # read, then refused: unsigned
    assert client.post("/webhooks/sendgrid", content=batch + b" " * 200).status_code == 413


def test_a_422_echoes_only_an_excerpt(settings: Any) -> None:
    client = _client(settings)
    long = "x" * 30_000
    for body in ({"email": long, "skill": "python"}, {"email": "a@example.com", "skill": long},
                 {"email": ["a"] * 500, "skill": {"k": long}}):  # fmt: skip
        r = client.post("/api/subscriptions", json=body)
        assert r.status_code == 422, r.text
        assert len(r.content) < 2000, len(r.content)
        assert r.json()["message"]


def test_multipart_without_boundary_is_400(settings: Any) -> None:
    client = _client(settings)
    for path in ("/subscribe", "/login", "/api/subscriptions"):
        r = client.post(path, content=b"--x\r\n\r\n", headers={"Content-Type": "multipart/form-data"})
        assert r.status_code == 400, (path, r.status_code, r.text[:200])
