from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

from digest.mail.backends import FileBackend
from digest.mail.message import InlineImage, OutgoingEmail

NOW = datetime(2026, 5, 17, 8, tzinfo=UTC)


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
    backend = FileBackend(tmp_path)
    assert backend.send(email, NOW) == "delivery-17.eml"
    backend.send(email, NOW)  # a retry rewrites its own file
    assert [p.name for p in tmp_path.iterdir()] == ["delivery-17.eml"]
    msg = BytesParser(policy=policy.default).parsebytes((tmp_path / "delivery-17.eml").read_bytes())
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "multipart/related"]
    assert msg.get_body(("plain",)).get_content().strip() == "plain ü"  # type: ignore[union-attr]
    assert "cid:chart" in msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert msg["List-Unsubscribe"] == "<http://127.0.0.1:8000/unsubscribe?token=abc>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["X-Digest-Delivery-Id"] == "17" and msg["Message-ID"]
