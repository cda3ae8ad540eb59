"""Provider webhooks (SendGrid event webhook)."""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from digest import clock
from digest.mail.events import SIGNATURE_HEADER, TIMESTAMP_HEADER, BadWebhook, record_events, verify
from digest.store.engine import session_scope

router = APIRouter()
log = logging.getLogger(__name__)
# SendGrid posts a batch every 30 s or when it reaches 768 KB, whichever comes first; a little room above that
WEBHOOK_MAX_BYTES = 1024 * 1024


@router.post("/webhooks/sendgrid", max_body_size=WEBHOOK_MAX_BYTES)
async def sendgrid_events(request: Request) -> JSONResponse:
    settings = request.app.state.settings
    if not settings.sendgrid_webhook_public_key:
        return JSONResponse({"detail": "The SendGrid event webhook is not configured."}, status_code=404)
    body = await request.body()
    now = clock.utcnow()
    try:
        verify(
            settings.sendgrid_webhook_public_key,
            request.headers.get(SIGNATURE_HEADER),
            request.headers.get(TIMESTAMP_HEADER),
            body,
            now,
            settings.webhook_max_age,
        )
    except BadWebhook as exc:
        log.warning("refused a SendGrid webhook post: %s", exc)
        return JSONResponse({"detail": f"Refused: {exc}."}, status_code=403)
    try:
        events = json.loads(body)
    except ValueError:
        return JSONResponse({"detail": "The body is not JSON."}, status_code=400)

    def store() -> dict[str, int]:
        with session_scope() as session:
            return dict(record_events(session, events, now))

    try:
        counts = await run_in_threadpool(store)
    except BadWebhook as exc:
        return JSONResponse({"detail": str(exc)}, status_code=400)
    return JSONResponse(counts)
