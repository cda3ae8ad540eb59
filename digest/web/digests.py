"""Digests in the browser. GET /digests/{id}?token=: the web view of a sent digest, every item it covered,
grouped as in the email ("+N more" and "view in browser" lead here); the signed link is the only key (no
sign-in, valid as long as the unsubscribe link, for that one digest and person). GET /settings/preview:
the signed-in person's next digest, built by the function `send-due` uses (digest.delivery.preview.preview)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from digest import clock
from digest.accounts.people import local_time_label
from digest.accounts.slots import Prefs, next_due
from digest.accounts.tokens import InvalidToken
from digest.delivery.preview import preview
from digest.delivery.webview import web_view
from digest.store.engine import session_scope
from digest.store.models import Cadence, Delivery, User
from digest.web.account_pages import error_page, page, token_error
from digest.web.security import current_user

router = APIRouter()
TOKEN_MAX = 1000  # characters; a real link's token is about 120


@router.get("/digests/{delivery_id}", response_class=HTMLResponse, include_in_schema=False)
def digest_page(request: Request, delivery_id: int, token: str = "") -> HTMLResponse:
    settings = request.app.state.settings
    if not token:
        return error_page(request, "This link does not work", "Open the digest from the link in its email.", 404)
    if len(token) > TOKEN_MAX:  # checked here, not by the validator, whose message would echo it back
        return error_page(request, "This link does not work", "Copy the whole link from the email.", 400)
    try:
        with session_scope() as session:
            digest = web_view(session, settings, delivery_id, token, clock.utcnow())
            delivery = session.get(Delivery, delivery_id)
            reader = session.get(User, delivery.user_id) if delivery else None
            # as the settings and the preview say it: in the reader's time zone
            ends = (
                local_time_label(reader, digest.window_end) if reader else f"{digest.window_end:%a %d %b %Y, %H:%M} UTC"
            )
    except InvalidToken as exc:
        return token_error(request, exc, "Digest")
    except LookupError:
        return error_page(request, "This digest is gone", "It no longer exists (the account was deleted).", 404)
    return page(request, "digest.html", {"digest": digest, "title": digest.subject, "ends": ends})


@router.get("/settings/preview", response_class=HTMLResponse, include_in_schema=False)
def preview_page(request: Request) -> HTMLResponse:
    settings = request.app.state.settings
    with session_scope() as session:
        user = current_user(request, session)
        if user is None:
            return page(request, "login.html", {"intro": "Sign in to preview your next digest."})
        now = clock.utcnow()
        results = preview(session, settings, user.email, now)
        shown = [_when(user, r.digest.cadence, r.due_at, now) for r in results]
    return page(request, "digest_preview.html", {"results": list(zip(results, shown, strict=True))})


def _when(user: User, cadence: str, due_at: datetime, now: datetime) -> dict[str, Any]:
    """When a previewed digest goes out, in the person's time zone as the settings page says it: a slot
    already due goes out at the next dispatch ("now"); when that one is empty, the slot after it is the next."""
    prefs = Prefs(cadence=Cadence(cadence), timezone=user.timezone, send_hour=user.send_hour, weekday=user.weekday)
    return {
        "due_now": due_at <= now,
        "slot": local_time_label(user, due_at),
        "next": local_time_label(user, next_due(prefs, now)),
    }
