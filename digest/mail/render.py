"""Render an email from templates/emails/<name>/{subject.txt, body.txt, body.html} (extending _base).

Text is mandatory and rendered without autoescaping; HTML is autoescaped and its CSS inlined (css-inline).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import css_inline
import jinja2
from markupsafe import Markup

from digest.config import TEMPLATES_DIR
from digest.mail.content import AlertView, Digest, SkillSection
from digest.mail.message import InlineImage

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


# --- digests: sections shared by many subscribers render once ------------------------------------

_MARK = "<!--digest-section-{}-->"
_TEXT_MARK = "@@digest-section-{}@@"


class _Placeholders:
    """Stands in for a Digest while its shell is rendered once: per-subscriber values become tokens."""

    def __init__(self, cadence: str) -> None:
        self.cadence = cadence
        self.subject = "@@digest-subject@@"
        self.reason = "@@digest-reason@@"
        self.settings_url = "@@digest-settings-url@@"
        self.unsubscribe_url = "@@digest-unsubscribe-url@@"


def _raw(value: str, attribute: bool) -> str:
    return value


def _html_text(value: str, attribute: bool) -> str:
    """Escape as the HTML serializer does: text nodes escape & < >, attribute values & and "."""
    value = value.replace("&", "&amp;")
    return value.replace('"', "&quot;") if attribute else value.replace("<", "&lt;").replace(">", "&gt;")


_ATTRIBUTES = {"settings_url", "unsubscribe_url"}  # used only inside href="..." in the templates


def _fill(shell: str, digest: Digest, escape: Any) -> str:
    for name in ("subject", "reason", "settings_url", "unsubscribe_url"):
        value = escape(getattr(digest, name), name in _ATTRIBUTES)
        shell = shell.replace(f"@@digest-{name.replace('_', '-')}@@", value)
    return shell


@lru_cache(maxsize=1)
def _css() -> str:
    return (EMAILS_DIR / "_base" / "style.css").read_text()


@lru_cache(maxsize=1)
def _fragment_inliner() -> css_inline.CSSInliner:
    # the email stylesheet given once, so each fragment does not re-parse it
    return css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False, extra_css=_css())


class DigestRenderer:
    """Renders digests. With `reuse` (the default) each distinct section is rendered and CSS-inlined once
    per renderer and the per-subscriber shell is small; without it every digest renders every section
    (the baseline the benchmark compares against). Keep one renderer per batch or per process."""

    def __init__(self, reuse: bool = True, max_sections: int = 20_000) -> None:
        self.reuse = reuse
        self.max_sections = max_sections
        self._sections: dict[tuple[object, ...], tuple[str, str]] = {}
        self._shells: dict[tuple[str, int], tuple[str, str, str]] = {}
        self._pieces: dict[tuple[Any, ...], str] = {}
        self._wrap: tuple[str, str] | None = None
        self.hits = 0
        self.misses = 0

    def section(self, section: SkillSection) -> tuple[Markup, str]:
        """(inlined HTML fragment, text) of one section, assembled from pieces rendered once each."""
        key = section.key
        cached = self._sections.get(key)
        if cached is None:
            self.misses += 1
            text_env, _ = _envs()
            text = text_env.get_template("digest/_section.txt").render(section=section).strip()
            cached = (self._assemble(section), text)
            if len(self._sections) >= self.max_sections:
                self._sections.clear()
                self._pieces.clear()
            self._sections[key] = cached
        else:
            self.hits += 1
        return Markup(cached[0]), cached[1]

    def _assemble(self, section: SkillSection) -> str:
        """The structure of digest/_section.html, from pieces of digest/_parts.html that are rendered and
        inlined once: an article shown to many people in different company is still rendered once."""
        _, html_env = _envs()
        parts: Any = html_env.get_template("digest/_parts.html").module
        s = section
        pieces = [self._piece(("head", s.skill_id, s.url, s.name, s.snapshot, s.alerts), lambda: parts.head(s))]
        for title, items, macro, more, one, many in (
            ("New articles", s.articles, parts.article, s.more_articles, "article", "articles"),
            ("New job postings", s.jobs, parts.job, s.more_jobs, "posting", "postings"),
        ):
            if not items:
                continue
            pieces.append(self._piece(("heading", title), lambda t=title: parts.heading(t)))
            for item in items:
                pieces.append(self._piece((title, s.url, item), lambda i=item, m=macro: m(i, s)))
            if more:
                pieces.append(
                    self._piece(("more", s.url, more, one), lambda n=more, o=one, m=many: parts.more(s.url, n, o, m))
                )
        prefix, suffix = self._wrapper()
        return prefix + "\n".join(pieces) + suffix

    def _piece(self, key: tuple[Any, ...], make: Any) -> str:
        piece = self._pieces.get(key)
        if piece is None:
            piece = _fragment_inliner().inline_fragment(str(make()).strip(), "")
            self._pieces[key] = piece
        return piece

    def _wrapper(self) -> tuple[str, str]:
        if self._wrap is None:
            shell = '<table role="presentation" class="section" cellpadding="0" cellspacing="0" border="0" '
            shell += 'width="100%"><tr><td><!--inner--></td></tr></table>'
            prefix, _, suffix = _fragment_inliner().inline_fragment(shell, "").partition("<!--inner-->")
            self._wrap = (prefix, suffix)
        return self._wrap

    def render(self, digest: Digest) -> Rendered:
        if not self.reuse:
            return self._render_whole(digest)
        parts = [self.section(s) for s in digest.sections]
        subject_shell, text_shell, html_shell = self._shell(digest.cadence, len(parts))
        subject = " ".join(_fill(subject_shell, digest, _raw).split())
        text = _fill(text_shell, digest, _raw)
        html = _fill(html_shell, digest, _html_text)
        for n, (section_html, section_text) in enumerate(parts):
            text = text.replace(_TEXT_MARK.format(n), section_text, 1)
            html = html.replace(_MARK.format(n), section_html, 1)
        return Rendered(subject=subject, text=text, html=html)

    def _shell(self, cadence: str, sections: int) -> tuple[str, str, str]:
        """The digest templates rendered and inlined once per (cadence, number of sections), with
        placeholders where each subscriber's own values and the shared sections go."""
        key = (cadence, sections)
        if key not in self._shells:
            text_env, html_env = _envs()
            marks = [Markup(_MARK.format(n)) for n in range(sections)]
            texts = [_TEXT_MARK.format(n) for n in range(sections)]
            context = {"digest": _Placeholders(cadence), "sections_text": texts, "sections_html": marks}
            self._shells[key] = (
                text_env.get_template("digest/subject.txt").render(context),
                text_env.get_template("digest/body.txt").render(context),
                _inliner().inline(html_env.get_template("digest/body.html").render(context)),
            )
        return self._shells[key]

    def _render_whole(self, digest: Digest) -> Rendered:
        """Per-subscriber rendering: every section and the whole document inlined for this one email."""
        text_env, html_env = _envs()
        sections_html = [
            Markup(html_env.get_template("digest/_section.html").render(section=s)) for s in digest.sections
        ]
        sections_text = [
            text_env.get_template("digest/_section.txt").render(section=s).strip() for s in digest.sections
        ]
        return render_email(
            "digest", {"digest": digest, "sections_html": sections_html, "sections_text": sections_text}
        )

    def render_alert(self, section: SkillSection, alert: AlertView, context: dict[str, Any]) -> Rendered:
        html, text = self.section(section)
        return render_email("alert", {**context, "section": section, "alert": alert, "section_html": html,
                                      "section_text": text})  # fmt: skip


def images_for(sections: tuple[SkillSection, ...] | list[SkillSection]) -> tuple[InlineImage, ...]:
    return tuple(
        InlineImage(cid=s.chart_cid, data=s.snapshot.chart_png)
        for s in sections
        if s.chart_cid and s.snapshot and s.snapshot.chart_png
    )
