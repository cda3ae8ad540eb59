"""Delivery backends behind one interface. `file` is the embedded default; `smtp` and `sendgrid` are
production backends (the Digests and delivery issue completes them)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Protocol

from digest.config import Settings
from digest.mail.message import OutgoingEmail, to_mime


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


class FileBackend:
    """Writes one .eml per email to the outbox, named by its key: a retry rewrites its own file."""

    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox

    def send(self, email: OutgoingEmail, now: datetime) -> str:
        self.outbox.mkdir(parents=True, exist_ok=True)
        name = f"{_safe(email.key)}.eml"
        tmp = self.outbox / f".{name}.tmp"
        tmp.write_bytes(bytes(to_mime(email, now)))
        os.replace(tmp, self.outbox / name)  # atomic: a reader never sees half a message
        return name


def _safe(key: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in key)


def get_backend(settings: Settings) -> EmailBackend:
    if settings.email_backend == "file":
        return FileBackend(settings.outbox_dir)
    raise NotImplementedError(f"email backend {settings.email_backend!r} is not built yet")
