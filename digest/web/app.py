"""The web app factory. Routers live in their own modules; this wires them."""

from __future__ import annotations

from fastapi import FastAPI

from digest import __version__
from digest.config import Settings, get_settings
from digest.web.cache import TTLCache


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="digest", version=__version__, docs_url="/api/docs", redoc_url=None)
    app.state.settings = settings
    app.state.page_cache = TTLCache(settings.web_cache_ttl, settings.web_cache_size)
    from digest.web import accounts, pages, security, skills, system, webhooks

    for module in (system, pages, skills, accounts, webhooks):
        app.include_router(module.router)
    security.install(app)
    return app
