"""One outgoing email as plain data, and its RFC 5322 form."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime


@dataclass(frozen=True)
class InlineImage:
    cid: str  # referenced from the HTML as src="cid:<cid>"
    data: bytes
    subtype: str = "png"


@dataclass(frozen=True)
class OutgoingEmail:
    key: str  # unique and stable per email: a retry of the same delivery reuses it (outbox file name)
    to: str
    subject: str
    text: str
    html: str | None = None
    from_email: str = "digest@localhost"
    headers: dict[str, str] = field(default_factory=dict)  # List-Unsubscribe, X-Digest-Delivery-Id, ...
    images: tuple[InlineImage, ...] = ()
    unsubscribe_url: str | None = None  # adds List-Unsubscribe + List-Unsubscribe-Post (RFC 8058)
    delivery_id: int | None = None
    categories: tuple[str, ...] = ()


def message_id(email: OutgoingEmail, secret: str) -> str:
    """The same for every attempt at one email (it is made from the email's key, not a random part): a
    message sent again after a crash between the provider's acceptance and our record of it is then the
    same message to the recipient's mail system, which keeps one copy of a Message-ID (Gmail does). A tag
    derived from the installation's `secret` keeps two installations sending from one domain apart."""
    domain = email.from_email.rpartition("@")[2] or "localhost"
    local = "".join(c if c.isalnum() or c in ".-_" else "-" for c in email.key)
    return f"<{local}.{_installation_tag(secret)}@{domain}>"


def _installation_tag(secret: str) -> str:
    return hashlib.sha256(b"message-id:" + secret.encode()).hexdigest()[:10]


def to_mime(email: OutgoingEmail, now: datetime, secret: str) -> EmailMessage:
    """multipart/alternative (text first, then HTML with its inline images as multipart/related); `secret`:
    the installation's, for the Message-ID."""
    # a non-ASCII local part has no ASCII form: such a message is written for SMTPUTF8 (RFC 6532 headers)
    msg = EmailMessage() if email.to.isascii() else EmailMessage(policy=policy.default.clone(utf8=True))
    msg["From"] = email.from_email
    msg["To"] = Address(addr_spec=email.to) if email.to.isascii() else email.to
    msg["Subject"] = email.subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(email, secret)
    if email.unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{email.unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if email.delivery_id is not None:
        msg["X-Digest-Delivery-Id"] = str(email.delivery_id)
    for name, value in email.headers.items():
        msg[name] = value
    msg.set_content(email.text, subtype="plain", charset="utf-8")
    if email.html is not None:
        msg.add_alternative(email.html, subtype="html", charset="utf-8")
        if email.images:
            html_part = msg.get_payload()[-1]  # type: ignore[index]
            assert isinstance(html_part, EmailMessage)
            for image in email.images:
                html_part.add_related(image.data, maintype="image", subtype=image.subtype, cid=f"<{image.cid}>")
    return msg
