"""Delivery backends behind one interface: `file` (the embedded default: one .eml per email in the
outbox), `smtp` (STARTTLS and auth) and `sendgrid` (v3 Mail Send through the official client).

Each raises PermanentSendError (do not retry: bad payload, credentials, size) or TemporarySendError
(retry later: timeouts, 5xx, 429 with the provider's reset time); callers never see provider types.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import smtplib
import ssl
import urllib.error
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from digest.config import Settings
from digest.mail.message import OutgoingEmail, message_id, to_mime

log = logging.getLogger(__name__)


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

    def find_accepted(self, email: OutgoingEmail) -> str | None:
        name = f"{_safe(email.key)}.eml"
        return name if (self.outbox / name).exists() else None


def _safe(key: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in key)


class SmtpBackend:
    """smtp://user:pass@host:port: STARTTLS (required unless the server is smtps://), then AUTH."""

    def __init__(self, url: str, timeout: float = 20.0, ca_file: str = "") -> None:
        parts = urlsplit(url)
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.implicit_tls else 587)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else ""
        self.timeout = timeout
        self.context = ssl.create_default_context(cafile=ca_file or None)

    def send(self, email: OutgoingEmail, now: datetime) -> str:
        msg = to_mime(email, now)
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


class SendGridBackend:
    """POST /v3/mail/send with the sendgrid client. Text part first, List-Unsubscribe headers, the
    delivery id in custom_args (events and retries are reconciled by it), SendGrid's own unsubscribe
    tracking off (the app owns unsubscribe)."""

    def __init__(
        self, api_key: str, host: str = "https://api.sendgrid.com", timeout: float = 20.0, activity_api: bool = False
    ) -> None:
        from sendgrid import SendGridAPIClient

        self.client = SendGridAPIClient(api_key=api_key, host=host)
        self.client.client.timeout = timeout  # the library default is no timeout at all
        self.timeout = timeout
        self.activity_api = activity_api

    def send(self, email: OutgoingEmail, now: datetime) -> str:
        from python_http_client import exceptions as http

        body = sendgrid_body(email)
        try:
            response = self.client.client.mail.send.post(request_body=body, timeout=self.timeout)
        except http.HTTPError as exc:
            raise _sendgrid_error(exc, now) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise TemporarySendError(f"SendGrid unreachable: {exc}") from None
        headers = response.headers
        return str(headers.get("X-Message-Id") or "") if headers else ""

    def find_accepted(self, email: OutgoingEmail) -> str | None:
        """GET /v3/messages by our delivery id (custom_args reach the Email Activity API as unique_args).
        Any error answers "cannot tell": the email is sent again, as without the API."""
        if not self.activity_api or email.delivery_id is None:
            return None
        query = f"unique_args['delivery_id']=\"{email.delivery_id}\""
        try:
            response = self.client.client.messages.get(query_params={"query": query, "limit": 1}, timeout=self.timeout)
            found = json.loads(response.body or b"{}").get("messages") or []
        except Exception as exc:  # any failure means "cannot tell", never "it was sent"
            log.warning("delivery %s: Email Activity API gave no answer (%s); sending again", email.delivery_id, exc)
            return None
        return str(found[0].get("msg_id") or "accepted") if found else None


def sendgrid_body(email: OutgoingEmail) -> dict[str, Any]:
    headers = {"Message-ID": message_id(email)}  # ours, not SendGrid's: the same on a retry
    if email.unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{email.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    headers.update(email.headers)
    custom_args = {"delivery_id": str(email.delivery_id)} if email.delivery_id is not None else {}
    personalization: dict[str, Any] = {"to": [{"email": email.to}]}
    if custom_args:
        personalization["custom_args"] = custom_args
        headers["X-Digest-Delivery-Id"] = custom_args["delivery_id"]
    content = [{"type": "text/plain", "value": email.text}]  # text/plain must come first
    if email.html is not None:
        content.append({"type": "text/html", "value": email.html})
    body: dict[str, Any] = {
        "personalizations": [personalization],
        "from": {"email": email.from_email},
        "subject": email.subject,
        "content": content,
        "tracking_settings": {"subscription_tracking": {"enable": False}},
    }
    body["headers"] = headers
    if email.categories:
        body["categories"] = list(dict.fromkeys(email.categories))[:10]
    if email.images:
        body["attachments"] = [
            {
                "content": base64.b64encode(img.data).decode("ascii"),
                "type": f"image/{img.subtype}",
                "filename": f"{img.cid}.{img.subtype}",
                "disposition": "inline",
                "content_id": img.cid,
            }
            for img in email.images
        ]
    return body


def _sendgrid_error(exc: Any, now: datetime) -> Exception:
    status = int(getattr(exc, "status_code", 0) or 0)
    raw = getattr(exc, "body", b"") or b""
    detail = raw.decode("utf-8", "replace")[:500] if isinstance(raw, bytes) else str(raw)[:500]
    if status == 429:
        reset = _header(exc, "X-RateLimit-Reset")
        wait = max(0.0, float(reset) - now.timestamp()) if reset and reset.replace(".", "").isdigit() else None
        return TemporarySendError("SendGrid 429 too many requests", retry_after=wait)
    if status >= 500 or status in (408,):
        return TemporarySendError(f"SendGrid {status}: {detail}")
    log.error("SendGrid refused the message (%s): %s", status, detail)
    return PermanentSendError(f"SendGrid {status}: {detail}")


def _header(exc: Any, name: str) -> str | None:
    headers = getattr(exc, "headers", None)
    if headers is None:
        return None
    value = headers.get(name)
    return str(value) if value is not None else None


def get_backend(settings: Settings) -> EmailBackend:
    if settings.email_backend == "smtp":
        return SmtpBackend(settings.smtp_url, settings.smtp_timeout, settings.smtp_ca_file)
    if settings.email_backend == "sendgrid":
        return SendGridBackend(
            settings.sendgrid_api_key, settings.sendgrid_host, settings.sendgrid_timeout, settings.sendgrid_activity_api
        )
    return FileBackend(settings.outbox_dir)
