"""The web app factory. Routers live in their own modules; this wires them."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from digest import __version__
from digest.config import Settings, get_settings
from digest.db import immediate_transactions
from digest.web.cache import TTLCache
from digest.web.security import UNSAFE


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="digest", version=__version__, docs_url="/api/docs", redoc_url=None)
    app.state.settings = settings
    app.state.page_cache = TTLCache(settings.web_cache_ttl, settings.web_cache_size)
    from digest.web import accounts, digests, pages, security, skills, system, webhooks

    for module in (system, pages, skills, accounts, digests, webhooks):
        app.include_router(module.router)
    security.install(app)
    app.add_middleware(WritesLockFirst)
    return app


class WritesLockFirst:
    """Requests with an unsafe method write: on SQLite their transactions begin IMMEDIATE (digest.db)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE:
            with immediate_transactions():
                await self.app(scope, receive, send)
        else:
            await self.app(scope, receive, send)
