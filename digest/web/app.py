"""The web app factory. Routers live in their own modules; this wires them."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from digest import __version__
from digest.config import STATIC_DIR, Settings, get_settings
from digest.store.engine import immediate_transactions
from digest.web.cache import TTLCache
from digest.web.headers import ALWAYS, CSP, SecurityHeaders
from digest.web.hostcheck import HostCheck
from digest.web.inputs import RefuseNulBytes
from digest.web.problems import ERRORS
from digest.web.security import UNSAFE


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = DigestApp(
        title="digest",
        version=__version__,
        docs_url="/api/docs",
        redoc_url=None,
        max_body_size=settings.max_body_bytes,  # 413 before reading; Content-Length first, else as it streams
        responses=ERRORS,  # every operation documents its error answers, in one shape
    )
    app.state.settings = settings
    app.state.page_cache = TTLCache(settings.web_cache_ttl, settings.web_cache_size)
    from digest.web import (
        account_pages,
        api,
        digests,
        errors,
        pages,
        security,
        seo,
        settings_pages,
        skills,
        system,
        webhooks,
    )

    for module in (system, pages, skills, api, account_pages, settings_pages, digests, webhooks, seo):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    security.install(app)
    errors.install(app)  # after security: pages get HTML errors, /api/ keeps its JSON ones
    app.add_middleware(WritesLockFirst)
    app.add_middleware(RefuseNulBytes)
    app.add_middleware(HostCheck, base_url=settings.base_url)
    app.add_middleware(SecurityHeaders, docs_path=app.docs_url, https=settings.base_url.startswith("https://"))
    if settings.trusted_proxies:  # outermost: every part of the app sees the real client and scheme
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app


class DigestApp(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        return TooLargeInWords(super().build_middleware_stack())


class TooLargeInWords:
    """The body cap (max_body_size) answers 413 outside every middleware and handler, in plain text
    ("Content Too Large"): this answers as every other error does, a page for browsers and JSON under /api/."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        replaced = False

        async def send_in_words(message: Message) -> None:
            nonlocal replaced
            if replaced:  # the plain text's body: already answered
                return
            plain_413 = message["type"] == "http.response.start" and message["status"] == 413
            if plain_413 and Headers(raw=message["headers"]).get("content-type", "").startswith("text/plain"):
                from digest.web.errors import http_error

                replaced = True
                # answered outside SecurityHeaders too: the page brings the headers every page has
                headers = {"Content-Security-Policy": CSP, **ALWAYS}
                error = HTTPException(413, "What you sent is larger than we accept.", headers=headers)
                response = await http_error(Request(scope), error)
                await response(scope, receive, send)
                return
            await send(message)

        await self.app(scope, receive, send_in_words)


class WritesLockFirst:
    """Requests with an unsafe method write: on SQLite their transactions begin IMMEDIATE (digest.store.engine)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE:
            with immediate_transactions():
                await self.app(scope, receive, send)
        else:
            await self.app(scope, receive, send)
