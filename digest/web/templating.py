"""Jinja2 environment for pages (autoescaped)."""

from __future__ import annotations

from fastapi.templating import Jinja2Templates

from digest.config import TEMPLATES_DIR

templates = Jinja2Templates(directory=str(TEMPLATES_DIR / "web"))
