"""The sendgrid backend against a local fake that validates every body against SendGrid's OpenAPI spec
and injects 429, 5xx and timeouts: every digest arrives, none twice (counted by delivery id)."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.config import Settings
from digest.delivery.context import Context
from digest.delivery.deliver import send_due
from digest.mail.backends import PermanentSendError, TemporarySendError
from digest.mail.backends.sendgrid import SendGridBackend
from digest.mail.message import InlineImage, OutgoingEmail
from digest.store.models import Delivery, DeliveryStatus
from tests.fakes.sendgrid import FakeSendGrid
from tests.test_digest_ledger import T0, World

NOW = datetime(2026, 5, 17, 8, tzinfo=UTC)
SECRET = "installation"  # the Message-ID's installation tag


def _email(**kw: object) -> OutgoingEmail:
    base: dict[str, object] = {
        "key": "delivery-7",
        "to": "ann@example.com",
        "subject": "Python today",
        "text": "plain",
        "html": '<p>html <img src="cid:chart-python"></p>',
        "from_email": "digest@example.org",
        "images": (InlineImage("chart-python", b"\x89PNG\r\n"),),
        "unsubscribe_url": "https://digest.example.org/unsubscribe?token=t",
        "delivery_id": 7,
        "categories": ("digest", "daily"),
    }
    base.update(kw)
    return OutgoingEmail(**base)  # type: ignore[arg-type]


def test_request_body_follows_the_spec_and_carries_the_delivery_id() -> None:
    with FakeSendGrid().running() as fake:
        backend = SendGridBackend("SG.test", fake.host, timeout=2, secret=SECRET)
        assert backend.send(_email(), NOW) == "fake-1"
    assert fake.invalid == []
    (body,) = fake.accepted
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert body["personalizations"][0]["custom_args"] == {"delivery_id": "7"}
    assert body["headers"]["List-Unsubscribe"] == "<https://digest.example.org/unsubscribe?token=t>"
    assert body["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert body["tracking_settings"]["subscription_tracking"] == {"enable": False}
    (att,) = body["attachments"]
    assert att["disposition"] == "inline" and att["content_id"] == "chart-python"
    assert base64.b64decode(att["content"]) == b"\x89PNG\r\n"


def test_an_smtputf8_address_goes_out_as_given() -> None:
    with FakeSendGrid().running() as fake:
        SendGridBackend("SG.test", fake.host, timeout=2, secret=SECRET).send(_email(to="jörg@xn--bcher-kva.de"), NOW)
    assert fake.invalid == []
    assert fake.accepted[0]["personalizations"][0]["to"] == [{"email": "jörg@xn--bcher-kva.de"}]


def test_a_retry_finds_what_the_provider_already_accepted() -> None:
    with FakeSendGrid().running() as fake:
        backend = SendGridBackend("SG.test", fake.host, timeout=2, activity_api=True, secret=SECRET)
        assert backend.find_accepted(_email()) is None  # never sent
        backend.send(_email(), NOW)
        assert backend.find_accepted(_email()) == "fake-1"
        assert backend.find_accepted(_email(delivery_id=8)) is None
        assert (
            SendGridBackend("SG.test", fake.host, timeout=2, secret=SECRET).find_accepted(_email()) is None
        )  # no add-on: no call
        assert fake.lookups == 3
        wrong_key = SendGridBackend("SG.wrong", fake.host, timeout=2, activity_api=True, secret=SECRET)
        assert wrong_key.find_accepted(_email()) is None  # an error means "cannot tell": it is sent again


def test_errors_are_classified(caplog: pytest.LogCaptureFixture) -> None:
    with FakeSendGrid(hang=1.0).running() as fake:
        backend = SendGridBackend("SG.test", fake.host, timeout=0.3, secret=SECRET)
        fake.rate_limit_reset = NOW.timestamp() + 5
        for fault, kind in (("429", TemporarySendError), ("500", TemporarySendError), ("timeout", TemporarySendError)):
            fake.script = [fault]
            with pytest.raises(kind) as info:
                backend.send(_email(), NOW)
            if fault == "429":
                assert info.value.retry_after == pytest.approx(5)  # type: ignore[attr-defined]
        with caplog.at_level(logging.ERROR):
            for fault in ("400", "401"):
                fake.script = [fault]
                with pytest.raises(PermanentSendError):
                    backend.send(_email(), NOW)
        assert SendGridBackend("SG.wrong", fake.host, timeout=2, secret=SECRET) is not None
        with pytest.raises(PermanentSendError, match="401"):
            SendGridBackend("SG.wrong", fake.host, timeout=2, secret=SECRET).send(_email(), NOW)
    assert "SendGrid refused the message (400)" in caplog.text
    assert fake.accepted == []


def test_every_digest_arrives_once_through_faults(settings: Settings, session: Session) -> None:
    w = World(session)
    for n in range(8):
        user = w.user(f"user{n}@example.com")
        w.subscribe(user, "python" if n % 2 else "go")
    w.item("Python news", T0 + timedelta(hours=1), "python")
    w.item("Go news", T0 + timedelta(hours=1), "go")
    w.commit()
    waits: list[float] = []
    now = T0 + timedelta(hours=8)
    with FakeSendGrid(hang=1.0).running() as fake:
        fake.rate_limit_reset = now.timestamp() + 3
        fake.script = ["429", "500", "timeout", "503", "429", "500", "500", "timeout"]
        s = settings.model_copy(update={"send_attempts": 3, "send_backoff_base": 0.5})
        ctx = Context(
            settings=s, backend=SendGridBackend("SG.test", fake.host, timeout=0.3, secret=SECRET), sleep=waits.append
        )
        summary = send_due(session, ctx, now)
        # the first two ran out of tries: left pending for the sweeper, which retries them later
        assert summary == {"sent": 6, "pending": 2}
        later = now + timedelta(seconds=s.delivery_stuck_after)
        assert send_due(session, ctx, later) == {"retried sent": 2}
    ids = [str(d) for d in session.scalars(select(Delivery.id).where(Delivery.status == DeliveryStatus.sent))]
    assert len(ids) == 8
    assert fake.delivery_ids() == dict.fromkeys(ids, 1)  # every digest, none twice
    assert fake.invalid == []
    assert fake.faults == {"500": 3, "429": 2, "timeout": 2, "503": 1}
    assert sum(1 for x in waits if x >= 3) == 2  # each 429 waited for X-RateLimit-Reset
