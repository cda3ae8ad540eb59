"""Session cookie and CSRF protection.

Session: a signed token (purpose "session") naming the user, in an HttpOnly, SameSite=Lax cookie (Secure
under https). CSRF: a random nonce in its own cookie and, in every form, that nonce signed with the
server's secret (double submit with a signed token), so anonymous visitors' forms are protected too.
Every unsafe request that sends a form, or that carries the session cookie, must present the token
(form field `csrf_token` or header `X-CSRF-Token`); otherwise 403.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup, escape
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from digest import clock
from digest.config import Settings
from digest.store.models import User
from digest.web.templating import templates

SESSION_COOKIE = "digest_session"
CSRF_COOKIE = "digest_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# token-authenticated endpoints that mail providers call without cookies (RFC 8058), and signed webhooks
EXEMPT_PREFIXES = ("/unsubscribe", "/webhooks/")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _settings(request: Request) -> Settings:
    s: Settings = request.app.state.settings
    return s


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret, salt="digest.csrf")


def csrf_token(request: Request) -> str:
    """The token to put in a form; creates the browser's nonce cookie when it has none yet."""
    nonce = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_nonce", None)
    if not nonce:
        nonce = secrets.token_urlsafe(24)
        request.state.new_csrf_nonce = nonce
    return str(_serializer(_settings(request)).dumps(nonce))


def csrf_input(request: Request) -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, escape(csrf_token(request)))


templates.env.globals["csrf_input"] = csrf_input
templates.env.globals["csrf_token"] = csrf_token


def _valid(settings: Settings, cookie_nonce: str | None, token: str | None) -> bool:
    if not cookie_nonce or not token:
        return False
    try:
        signed = _serializer(settings).loads(token)
    except BadSignature:
        return False
    return isinstance(signed, str) and secrets.compare_digest(signed, cookie_nonce)


def secure_cookies(request: Request) -> bool:
    return _settings(request).base_url.startswith("https://") or request.url.scheme == "https"


def set_session(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=_settings(request).session_max_age,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def session_cookie(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def current_user(request: Request, session: Any) -> User | None:
    from digest.accounts.sessions import user_from_session

    token = session_cookie(request)
    if not token:
        return None
    return user_from_session(session, _settings(request), token, clock.utcnow())


class CSRFMiddleware:
    """Pure ASGI (no task group and streams per request, as BaseHTTPMiddleware costs): checks the token of an
    unsafe request, replays a form's body it read to the endpoint, and sets the nonce cookie a page made."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        if request.method in UNSAFE and not request.url.path.startswith(EXEMPT_PREFIXES):
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            is_form = content_type in FORM_TYPES
            if is_form or session_cookie(request):
                token = request.headers.get(CSRF_HEADER)
                if token is None and is_form:
                    try:
                        token = await _form_token(request, content_type)
                    except BadForm as exc:
                        await _bad_request(request, str(exc))(scope, receive, send)
                        return
                    receive = _replay(await request.body(), receive)  # the endpoint reads it again
                if not _valid(_settings(request), request.cookies.get(CSRF_COOKIE), token):
                    await _forbidden(request)(scope, receive, send)
                    return
        if request.cookies.get(CSRF_COOKIE):
            await self.app(scope, receive, send)
            return

        async def send_nonce(message: Message) -> None:
            nonce = scope.get("state", {}).get("new_csrf_nonce")  # request.state of the page that made one
            if message["type"] == "http.response.start" and nonce:
                cookie = Response()
                cookie.set_cookie(
                    CSRF_COOKIE, nonce, httponly=True, samesite="lax", secure=secure_cookies(request), path="/"
                )
                set_cookie = [h for h in cookie.raw_headers if h[0] == b"set-cookie"]
                message = {**message, "headers": [*message.get("headers", []), *set_cookie]}
            await send(message)

        await self.app(scope, receive, send_nonce)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives `body` first, then whatever the client sends next (its disconnect)."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _form_token(request: Request, content_type: str) -> str | None:
    # request.body() is cached and replayed to the endpoint, so reading it here loses nothing
    body = await request.body()
    if content_type == "application/x-www-form-urlencoded":
        values = parse_qs(body.decode("utf-8", "replace")).get(CSRF_FIELD)
        return values[0] if values else None
    try:
        form = await request.form()
    except HTTPException as exc:
        if exc.status_code == 413:
            raise
        raise BadForm("The form could not be read (a multipart body needs its boundary).") from None
    except (KeyError, ValueError, MultiPartException):
        raise BadForm("The form could not be read (a multipart body needs its boundary).") from None
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None


class BadForm(ValueError):
    pass


def _bad_request(request: Request, message: str) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=400)
    return HTMLResponse(
        templates.get_template("accounts_error.html").render(
            {"request": request, "title": "That request could not be read", "message": message, "status": 400}
        ),
        status_code=400,
    )


def _forbidden(request: Request) -> Response:
    message = (
        "This request was refused because its security token is missing or out of date. Reload the page and try again."
    )
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=403)
    return HTMLResponse(
        templates.get_template("accounts_error.html").render(
            {"request": request, "title": "Please try again", "message": message, "status": 403}
        ),
        status_code=403,
    )


EXCERPT = 80  # characters of a bad value shown back in a 422; the input itself is never echoed whole
MAX_ERRORS = 10


def validation_json(exc: RequestValidationError) -> Response:
    """FastAPI's 422 body (`detail`: loc, msg, type and a short excerpt of each bad value), plus one sentence
    a person can read (`message`). `digest.web.errors` answers /api/ with it."""
    errors = exc.errors()
    parts = []
    for err in errors[:3]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg", "invalid")))
    message = "; ".join(parts) or "The request is not valid."
    detail = [
        {
            "loc": [p if isinstance(p, int) else excerpt(p) for p in err.get("loc", ())][:8],
            "msg": excerpt(err.get("msg", "invalid")),
            "type": excerpt(err.get("type", "invalid")),
            "input": excerpt(err.get("input")),
        }
        for err in errors[:MAX_ERRORS]
    ]
    return JSONResponse({"detail": detail, "message": excerpt(message, 300)}, status_code=422)


def excerpt(value: Any, limit: int = EXCERPT) -> str:
    """At most `limit` characters of a value as text, marked when cut."""
    if isinstance(value, bytes):
        value = value[: limit * 4].decode("utf-8", "replace")
    text = value if isinstance(value, str) else repr(value)[: limit + 1]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def install(app: FastAPI) -> None:
    """Wire the CSRF middleware into the app."""
    app.add_middleware(CSRFMiddleware)
