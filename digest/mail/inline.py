"""Emails shown in a browser (the outbox, `digest preview --html`, the digest web view): a browser cannot
resolve `cid:` references to a message's inline parts, so the images travel inside the HTML as data: URIs."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from email.message import EmailMessage

from digest.mail.message import InlineImage

_CID_SRC = re.compile(r"""(\ssrc=)(["'])cid:([^"'\s>]+)\2""", re.IGNORECASE)


def with_data_uris(html: str, images: Iterable[InlineImage]) -> str:
    """`html` with every src="cid:X" of one of `images` replaced by a data: URI of it; others stay as they are."""
    by_cid = {image.cid: image for image in images}
    if not by_cid:
        return html

    def replace(match: re.Match[str]) -> str:
        image = by_cid.get(match.group(3))
        if image is None:
            return match.group(0)
        data = base64.b64encode(image.data).decode("ascii")
        return f"{match.group(1)}{match.group(2)}data:image/{image.subtype};base64,{data}{match.group(2)}"

    return _CID_SRC.sub(replace, html)


def html_for_browser(msg: EmailMessage) -> str | None:
    """The HTML part of a MIME message with its inline images (multipart/related parts) as data: URIs;
    None when the message has no HTML part."""
    body = msg.get_body(preferencelist=("html",))
    if body is None:
        return None
    images = []
    for part in msg.walk():
        cid = str(part.get("Content-ID") or "").strip().strip("<>")
        if cid and part.get_content_maintype() == "image":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                images.append(InlineImage(cid=cid, data=payload, subtype=part.get_content_subtype()))
    return with_data_uris(str(body.get_content()), images)
