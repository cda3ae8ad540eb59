from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from digest.mail.backends.file import FileBackend
from digest.mail.backends.sendgrid import sendgrid_body
from digest.mail.message import InlineImage, OutgoingEmail, message_id

NOW = datetime(2026, 5, 17, 8, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from digest import config

    monkeypatch.setenv("DIGEST_SECRET_KEY", "installation-one")
    monkeypatch.setenv("DIGEST_DATA_DIR", str(tmp_path / "var"))
    config.get_settings.cache_clear()


def test_file_backend_writes_one_rfc5322_message_per_key(tmp_path: Path) -> None:
    email = OutgoingEmail(
        key="delivery-17",
        to="ann@example.com",
        subject="Python this week",
        text="plain ü",
        html='<p>html <img src="cid:chart"></p>',
        images=(InlineImage("chart", b"\x89PNG..."),),
        unsubscribe_url="http://127.0.0.1:8000/unsubscribe?token=abc",
        delivery_id=17,
    )
    backend = FileBackend(tmp_path / "outbox", secret="installation-one")
    assert backend.send(email, NOW) == "delivery-17.eml"
    backend.send(email, NOW)  # a retry rewrites its own file
    assert [p.name for p in (tmp_path / "outbox").iterdir()] == ["delivery-17.eml"]
    msg = BytesParser(policy=policy.default).parsebytes((tmp_path / "outbox" / "delivery-17.eml").read_bytes())
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "multipart/related"]
    assert msg.get_body(("plain",)).get_content().strip() == "plain ü"  # type: ignore[union-attr]
    assert "cid:chart" in msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert msg["List-Unsubscribe"] == "<http://127.0.0.1:8000/unsubscribe?token=abc>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["X-Digest-Delivery-Id"] == "17"
    # every attempt at this email is one message to the recipient's mail system, whichever backend sent it
    secret = "installation-one"
    assert msg["Message-ID"] == message_id(email, secret) == sendgrid_body(email, secret)["headers"]["Message-ID"]
    assert msg["Message-ID"].startswith("<delivery-17.") and msg["Message-ID"].endswith("@localhost>")


def test_message_ids_differ_between_emails_and_installations() -> None:
    one = OutgoingEmail(key="delivery-1", to="a@example.com", subject="s", text="t")
    two = OutgoingEmail(key="delivery-2", to="a@example.com", subject="s", text="t")
    assert message_id(one, "installation-one") != message_id(two, "installation-one")
    first = message_id(one, "installation-one")
    # staging beside production, one domain
    assert message_id(one, "installation-two") != first
