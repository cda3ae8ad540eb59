"""Render an email from templates/emails/<name>/{subject.txt, body.txt, body.html} (extending _base).

Text is mandatory and rendered without autoescaping; HTML is autoescaped and its CSS inlined (css-inline).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import css_inline
import jinja2

from digest.config import TEMPLATES_DIR

EMAILS_DIR = TEMPLATES_DIR / "emails"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


@lru_cache(maxsize=1)
def _envs() -> tuple[jinja2.Environment, jinja2.Environment]:
    loader = jinja2.FileSystemLoader(str(EMAILS_DIR))

    def env(autoescape: bool) -> jinja2.Environment:
        return jinja2.Environment(
            loader=loader,
            autoescape=autoescape,  # off only for the text part
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )

    text_env, html_env = env(False), env(True)
    return text_env, html_env


@lru_cache(maxsize=1)
def _inliner() -> css_inline.CSSInliner:
    return css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def render_email(name: str, context: dict[str, Any]) -> Rendered:
    text_env, html_env = _envs()
    subject = " ".join(text_env.get_template(f"{name}/subject.txt").render(context).split())
    text = text_env.get_template(f"{name}/body.txt").render(context)
    try:
        html_template = html_env.get_template(f"{name}/body.html")
    except jinja2.TemplateNotFound:
        html = None
    else:
        html = _inliner().inline(html_template.render(context))
    return Rendered(subject=subject, text=text, html=html)
