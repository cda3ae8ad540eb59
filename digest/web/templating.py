"""Jinja2 environment for pages (autoescaped)."""

from __future__ import annotations

import json

from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from digest.accounts.searches import CURRENCIES
from digest.config import TEMPLATES_DIR
from digest.demand.freshness import day_words

templates = Jinja2Templates(directory=str(TEMPLATES_DIR / "web"))


def _json_script(value: object) -> Markup:
    """JSON for a <script type="application/ld+json"> data block: '<', '>' and '&' escaped so it cannot end
    the element (a data block, never run: the CSP's script-src 'self' does not apply to it)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


templates.env.filters["json_script"] = _json_script
templates.env.filters["day"] = day_words
templates.env.globals["currencies"] = CURRENCIES  # the search form's salary currencies
