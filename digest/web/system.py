"""Liveness and the embedded outbox viewer."""

from __future__ import annotations

import secrets
from email import policy
from email.parser import BytesParser
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from digest import clock
from digest.health import heartbeats
from digest.mail.inline import html_for_browser
from digest.store.engine import ping, session_scope
from digest.web.templating import templates

router = APIRouter()


@router.get("/healthz")
def healthz() -> JSONResponse:
    if not ping():
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    with session_scope() as session:
        beats = {k: v.isoformat() for k, v in heartbeats(session).items()}
    return JSONResponse({"status": "ok", "database": "ok", "heartbeats": beats, "time": clock.utcnow().isoformat()})


@router.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    """Prometheus exposition of the funnel, read from the database (see digest.metrics)."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    from digest.metrics import DatabaseCollector
    from digest.store.engine import get_engine

    registry = CollectorRegistry()
    registry.register(DatabaseCollector(get_engine()))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


OUTBOX_COOKIE = "digest_outbox"


def _outbox(request: Request, key: str | None = None) -> Path:
    """The outbox folder, for the holder of the outbox key only (the URL `digest run` prints, then its
    cookie): it holds every sign-in link. 404 for anyone else, and always without the file backend."""
    settings = request.app.state.settings
    offered = key or request.cookies.get(OUTBOX_COOKIE) or ""
    if settings.email_backend != "file" or not secrets.compare_digest(offered.encode(), settings.outbox_key.encode()):
        raise HTTPException(404, "Not Found")
    return Path(settings.outbox_dir)


@router.get("/outbox", response_class=HTMLResponse, include_in_schema=False)
def outbox(request: Request, key: str | None = None) -> Response:
    folder = _outbox(request, key)
    if key:  # first visit: keep the key in a cookie and take it out of the address bar (and history)
        response = RedirectResponse("/outbox", status_code=303)
        response.set_cookie(
            OUTBOX_COOKIE, key, httponly=True, samesite="strict", path="/outbox", secure=request.url.scheme == "https"
        )
        return response
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True) if folder.exists() else []
    messages = [_summary(p) for p in files[:500]]
    return templates.TemplateResponse(request, "outbox.html", {"messages": messages, "folder": str(folder)})


@router.get("/outbox/{name}", response_class=HTMLResponse, include_in_schema=False)
def outbox_message(request: Request, name: str, part: str = "html") -> HTMLResponse:
    folder = _outbox(request)
    path = folder / name
    if "/" in name or not name.endswith(".eml") or not path.is_file():
        raise HTTPException(404, "No such message in the outbox.")
    msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    html = html_for_browser(msg) if part == "html" else None
    if html is None:
        body = msg.get_body(preferencelist=("plain",))
        if body is None:
            raise HTTPException(404, "That message has no such part.")
        text = body.get_content()
        return templates.TemplateResponse(request, "outbox_text.html", {"msg": _summary(path), "text": text})
    # the HTML part is our own rendered email; serve it sandboxed so it cannot run script
    return HTMLResponse(html, headers={"Content-Security-Policy": "sandbox; img-src data: cid: http: https:"})


def _summary(path: Path) -> dict[str, str]:
    with path.open("rb") as fh:
        msg = BytesParser(policy=policy.default).parse(fh, headersonly=True)
    return {
        "name": path.name,
        "to": str(msg["To"] or ""),
        "subject": str(msg["Subject"] or ""),
        "date": str(msg["Date"] or ""),
    }
