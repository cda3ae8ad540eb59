"""The smtp backend against a real aiosmtpd server on 127.0.0.1: STARTTLS required, then AUTH."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from dataclasses import replace
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from digest.mail.backends import PermanentSendError, TemporarySendError
from digest.mail.backends.smtp import SmtpBackend
from digest.mail.message import OutgoingEmail

NOW = dt.datetime(2026, 5, 17, 8, tzinfo=dt.UTC)
SECRET = "installation"  # the Message-ID's installation tag


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(2020, 1, 1))
        .not_valid_after(dt.datetime(2100, 1, 1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[Envelope, Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.messages.append((envelope, message_from_bytes(envelope.content, policy=policy.default)))  # type: ignore[arg-type]
        return "250 OK"


def _auth(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"digest", b"s3cret:/@")
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[tuple[Inbox, int, Path]]:
    cert, key = _self_signed(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    inbox = Inbox()
    with socket.socket() as probe:  # aiosmtpd needs a concrete port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=tls,
        require_starttls=True,
        authenticator=_auth,
        auth_require_tls=True,
        enable_SMTPUTF8=True,
    )
    controller.start()
    try:
        yield inbox, port, cert
    finally:
        controller.stop()


def _email() -> OutgoingEmail:
    return OutgoingEmail(
        key="delivery-3",
        to="ann@example.com",
        subject="Python today",
        text="plain",
        html="<p>html</p>",
        from_email="digest@example.org",
        unsubscribe_url="https://digest.example.org/unsubscribe?token=t",
        delivery_id=3,
    )


def test_sends_over_starttls_with_auth(smtp_server: tuple[Inbox, int, Path]) -> None:
    inbox, port, cert = smtp_server
    backend = SmtpBackend(
        f"smtp://digest:s3cret%3A%2F%40@127.0.0.1:{port}", timeout=5, ca_file=str(cert), secret=SECRET
    )
    message_id = backend.send(_email(), NOW)
    ((envelope, msg),) = inbox.messages
    assert envelope.rcpt_tos == ["ann@example.com"] and envelope.mail_from == "digest@example.org"
    assert msg["Message-ID"] == message_id and msg["X-Digest-Delivery-Id"] == "3"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]


def test_bad_password_is_permanent_and_untrusted_certificate_is_not_sent(
    smtp_server: tuple[Inbox, int, Path],
) -> None:
    inbox, port, cert = smtp_server
    with pytest.raises(PermanentSendError, match="authentication"):
        SmtpBackend(f"smtp://digest:wrong@127.0.0.1:{port}", timeout=5, ca_file=str(cert), secret=SECRET).send(
            _email(), NOW
        )
    with pytest.raises(TemporarySendError, match=r"SSL|certificate"):  # no CA given: the self-signed cert fails
        SmtpBackend(f"smtp://digest:x@127.0.0.1:{port}", timeout=5, secret=SECRET).send(_email(), NOW)
    assert inbox.messages == []


def test_unreachable_server_is_temporary() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connection refused
        with pytest.raises(TemporarySendError):
            SmtpBackend(f"smtp://127.0.0.1:{port}", timeout=2, secret=SECRET).send(_email(), NOW)


def test_a_non_ascii_local_part_goes_out_with_smtputf8(smtp_server: tuple[Inbox, int, Path]) -> None:
    inbox, port, cert = smtp_server
    backend = SmtpBackend(
        f"smtp://digest:s3cret%3A%2F%40@127.0.0.1:{port}", timeout=5, ca_file=str(cert), secret=SECRET
    )
    email = _email()
    backend.send(replace(email, to="jörg@example.com"), NOW)
    ((envelope, msg),) = inbox.messages
    assert envelope.rcpt_tos == ["jörg@example.com"] and "SMTPUTF8" in envelope.mail_options
    assert msg["To"] == "jörg@example.com"
