"""One outgoing email as plain data, and its RFC 5322 form."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid


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


def to_mime(email: OutgoingEmail, now: datetime) -> EmailMessage:
    """multipart/alternative (text first, then HTML with its inline images as multipart/related)."""
    msg = EmailMessage()
    msg["From"] = email.from_email
    msg["To"] = Address(addr_spec=email.to)
    msg["Subject"] = email.subject
    msg["Date"] = format_datetime(now)
    domain = email.from_email.rpartition("@")[2] or "localhost"
    msg["Message-ID"] = make_msgid(idstring=email.key.replace("/", "-"), domain=domain)
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
