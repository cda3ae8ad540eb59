"""The `file` backend: one .eml per email in the outbox (the embedded default)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from digest.mail.message import OutgoingEmail, to_mime


class FileBackend:
    """Writes one .eml per email to the outbox, named by its key: a retry rewrites its own file."""

    def __init__(self, outbox: Path, *, secret: str) -> None:
        self.outbox = outbox
        self.secret = secret  # the installation's: part of every Message-ID

    def send(self, email: OutgoingEmail, now: datetime) -> str:
        self.outbox.mkdir(parents=True, exist_ok=True)
        name = f"{_safe(email.key)}.eml"
        tmp = self.outbox / f".{name}.tmp"
        tmp.write_bytes(bytes(to_mime(email, now, self.secret)))
        os.replace(tmp, self.outbox / name)  # atomic: a reader never sees half a message
        return name

    def find_accepted(self, email: OutgoingEmail) -> str | None:
        name = f"{_safe(email.key)}.eml"
        return name if (self.outbox / name).exists() else None


def _safe(key: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in key)
