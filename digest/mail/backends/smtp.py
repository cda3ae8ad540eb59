"""The `smtp` backend: STARTTLS (or smtps://) and AUTH against one relay."""

from __future__ import annotations

import smtplib
import ssl
from datetime import datetime
from urllib.parse import unquote, urlsplit

from digest.mail.backends import PermanentSendError, TemporarySendError
from digest.mail.message import OutgoingEmail, to_mime


class SmtpBackend:
    """smtp://user:pass@host:port: STARTTLS (required unless the server is smtps://), then AUTH."""

    def __init__(self, url: str, timeout: float = 20.0, ca_file: str = "", *, secret: str) -> None:
        self.secret = secret  # the installation's: part of every Message-ID
        parts = urlsplit(url)
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.implicit_tls else 587)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else ""
        self.timeout = timeout
        self.context = ssl.create_default_context(cafile=ca_file or None)

    def send(self, email: OutgoingEmail, now: datetime) -> str:
        msg = to_mime(email, now, self.secret)
        try:
            client: smtplib.SMTP
            if self.implicit_tls:
                client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.context)
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if not self.implicit_tls:
                    client.starttls(context=self.context)
                    client.ehlo()
                if self.user:
                    client.login(self.user, self.password)
                refused = client.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentSendError(f"recipient refused: {exc.recipients}") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentSendError(f"SMTP authentication failed: {exc.smtp_code}") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentSendError(f"SMTP server lacks a required extension: {exc}") from None
        except smtplib.SMTPResponseException as exc:
            err = TemporarySendError if 400 <= exc.smtp_code < 500 else PermanentSendError
            raise err(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from None
        except (OSError, smtplib.SMTPException) as exc:  # connection refused, TLS, timeouts, disconnects
            raise TemporarySendError(f"SMTP: {exc.__class__.__name__}: {exc}") from None
        if refused:
            raise PermanentSendError(f"recipient refused: {refused}")
        return str(msg["Message-ID"])

    def find_accepted(self, email: OutgoingEmail) -> str | None:
        return None  # SMTP cannot be asked; the re-send carries the same Message-ID
