"""The `file` backend: one .eml per email in the outbox (the embedded default)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from digest.config import private_dir
from digest.mail.message import OutgoingEmail, to_mime


class FileBackend:
    """Writes one .eml per email to the outbox, named by its key: a retry rewrites its own file. The outbox holds
    every sign-in link, so the folder is its owner's alone (0700) and each message 0600, whatever the umask."""

    def __init__(self, outbox: Path, *, secret: str) -> None:
        self.outbox = outbox
        self.secret = secret  # the installation's: part of every Message-ID

    def send(self, email: OutgoingEmail, now: datetime) -> str:
        private_dir(self.outbox, narrow=True)  # an outbox made by an older release, or by hand, is narrowed
        name = f"{_safe(email.key)}.eml"
        tmp = self.outbox / f".{name}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(bytes(to_mime(email, now, self.secret)))
        os.replace(tmp, self.outbox / name)  # atomic: a reader never sees half a message
        return name

    def find_accepted(self, email: OutgoingEmail) -> str | None:
        name = f"{_safe(email.key)}.eml"
        return name if (self.outbox / name).exists() else None


def _safe(key: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in key)
