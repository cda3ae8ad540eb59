"""Delivery backends behind one interface: `file` (the embedded default: one .eml per email in the
outbox), `smtp` (STARTTLS and auth) and `sendgrid` (v3 Mail Send through the official client), one module
each; `get_backend` makes the one the settings name.

Each raises PermanentSendError (do not retry: bad payload, credentials, size) or TemporarySendError
(retry later: timeouts, 5xx, 429 with the provider's reset time); callers never see provider types.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from digest.config import Settings
from digest.mail.message import OutgoingEmail


class PermanentSendError(Exception):
    """The provider refused the message for good (bad address, auth, size): do not retry."""


class TemporarySendError(Exception):
    """Worth retrying later (timeouts, 5xx, 429). `retry_after` in seconds when the provider said."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class EmailBackend(Protocol):
    def send(self, email: OutgoingEmail, now: datetime) -> str:
        """Send; return the provider's message id (or the file name). Raise Permanent/TemporarySendError."""
        ...

    def find_accepted(self, email: OutgoingEmail) -> str | None:
        """Asked before a retry of an email an earlier attempt may have sent (a worker died between the
        send and its record): the provider's id if it has it, None if not or if it cannot tell."""
        ...


def get_backend(settings: Settings) -> EmailBackend:
    if settings.email_backend == "smtp":
        from digest.mail.backends.smtp import SmtpBackend

        return SmtpBackend(settings.smtp_url, settings.smtp_timeout, settings.smtp_ca_file, secret=settings.secret)
    if settings.email_backend == "sendgrid":
        from digest.mail.backends.sendgrid import SendGridBackend

        return SendGridBackend(
            settings.sendgrid_api_key,
            settings.sendgrid_host,
            settings.sendgrid_timeout,
            settings.sendgrid_activity_api,
            secret=settings.secret,
        )
    from digest.mail.backends.file import FileBackend

    return FileBackend(settings.outbox_dir, secret=settings.secret)
