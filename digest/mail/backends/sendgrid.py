"""The `sendgrid` backend: v3 Mail Send through the official client, and its Email Activity API lookup."""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
from datetime import datetime
from typing import Any

from digest.mail.backends import PermanentSendError, TemporarySendError
from digest.mail.message import OutgoingEmail, message_id

log = logging.getLogger(__name__)


class SendGridBackend:
    """POST /v3/mail/send with the sendgrid client. Text part first, List-Unsubscribe headers, the
    delivery id in custom_args (events and retries are reconciled by it), SendGrid's own unsubscribe
    tracking off (the app owns unsubscribe)."""

    def __init__(
        self,
        api_key: str,
        host: str = "https://api.sendgrid.com",
        timeout: float = 20.0,
        activity_api: bool = False,
        *,
        secret: str,
    ) -> None:
        from sendgrid import SendGridAPIClient

        self.client = SendGridAPIClient(api_key=api_key, host=host)
        self.client.client.timeout = timeout  # the library default is no timeout at all
        self.timeout = timeout
        self.activity_api = activity_api
        self.secret = secret  # the installation's: part of every Message-ID

    def send(self, email: OutgoingEmail, now: datetime) -> str:
        from python_http_client import exceptions as http

        body = sendgrid_body(email, self.secret)
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


def sendgrid_body(email: OutgoingEmail, secret: str) -> dict[str, Any]:
    headers = {"Message-ID": message_id(email, secret)}  # ours, not SendGrid's: the same on a retry
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
