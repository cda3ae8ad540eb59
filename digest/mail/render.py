"""Render an email from templates/emails/<name>/{subject.txt, body.txt, body.html} (extending _base).

Text is mandatory and rendered without autoescaping; HTML is autoescaped and its CSS inlined (css-inline).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import css_inline
import jinja2
from markupsafe import Markup

from digest.config import TEMPLATES_DIR
from digest.mail.content import AlertView, Digest, ItemView, SkillSection
from digest.mail.message import InlineImage

EMAILS_DIR = TEMPLATES_DIR / "emails"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


class _QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's own cache of compiled templates, in its per-user folder of the temp dir (made 0700 and checked
    to be the user's): the email templates compile once per machine instead of once per command (~15 ms of a
    `send-due`). A compiled template is used only while its source is unchanged (its checksum is in the
    entry). A cache that cannot be written is no error: the template was compiled anyway."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _bytecode_cache(kind: str) -> jinja2.BytecodeCache | None:
    """`kind` keeps apart what the two environments compile (an entry's key is the template's name and file,
    not the environment's options, and the HTML one autoescapes)."""
    try:
        return _QuietBytecodeCache(pattern=f"__digest_email_{kind}_%s.cache")
    except (OSError, RuntimeError):  # no temp folder this user owns alone: compile every time, as before
        return None


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
            bytecode_cache=_bytecode_cache("html" if autoescape else "text"),
        )

    text_env, html_env = env(False), env(True)
    return text_env, html_env


@lru_cache(maxsize=1)
def _inliner() -> css_inline.CSSInliner:
    # at-rules stay in the head: the dark colour scheme (@media prefers-color-scheme) cannot be inlined
    return css_inline.CSSInliner(keep_style_tags=False, keep_at_rules=True, load_remote_stylesheets=False)


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
_MORE = "@@digest-more-url@@"  # in a shared section: its "+N more" link, which is each subscriber's own
_VIEW = "@@digest-view@@"
_TEXT_MARK = "@@digest-section-{}@@"
_SLOT = re.compile(r"(@@digest-[a-z0-9-]+@@|<!--digest-section-\d+-->)")  # every placeholder in a shell


class _Placeholders:
    """Stands in for a Digest while its shell is rendered once: per-subscriber values become tokens."""

    def __init__(self, cadence: str) -> None:
        self.cadence = cadence
        self.subject = "@@digest-subject@@"
        self.reason = "@@digest-reason@@"
        self.settings_url = "@@digest-settings-url@@"
        self.unsubscribe_url = "@@digest-unsubscribe-url@@"


def _view_online(digest: Digest, html: bool) -> str:
    """The "view in your browser" line (nothing in a preview: there is no web view before the send)."""
    if not digest.web_url:
        return ""
    if not html:
        return f"View it in your browser (every item): {digest.web_url}\n"
    return _view_html().replace("@@url@@", _html_attribute(digest.web_url))


@lru_cache(maxsize=1)
def _view_html() -> str:
    link = '<p class="view-online"><a href="@@url@@">View this digest in your browser</a> (every item)</p>'
    return _fragment_inliner().inline_fragment(link, "")


def _html_text(value: str) -> str:
    """Escaped as the HTML serializer does in a text node: & < >."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _html_attribute(value: str) -> str:
    """Escaped as the HTML serializer does in an attribute value: & and \"."""
    return value.replace("&", "&amp;").replace('"', "&quot;")


def _values(digest: Digest, html: bool) -> dict[str, str | list[str]]:
    """Each subscriber's own values by placeholder; the URLs appear only inside href="..." in the templates."""
    text, attribute = (_html_text, _html_attribute) if html else (str, str)
    return {
        "@@digest-subject@@": text(digest.subject),
        "@@digest-reason@@": text(digest.reason),
        "@@digest-settings-url@@": attribute(digest.settings_url),
        "@@digest-unsubscribe-url@@": attribute(digest.unsubscribe_url),
        _VIEW: _view_online(digest, html),
    }


def _splice(pieces: list[str], values: dict[str, str | list[str]]) -> str:
    """A shell split at its placeholders (literal, placeholder, literal, ...) joined with the values (a value
    may be a list of strings: joined in place, never copied on its own)."""
    filled = [values[p] for p in pieces[1::2]]
    if all(isinstance(v, str) for v in filled):
        out = pieces.copy()
        out[1::2] = filled  # type: ignore[assignment]
        return "".join(out)
    flat: list[str] = []
    for literal, value in zip(pieces[::2], [*filled, ""], strict=True):
        flat.append(literal)
        if isinstance(value, str):
            flat.append(value)
        else:
            flat += value
    return "".join(flat)


def _joined(chunks: list[str | None]) -> str:
    """A section's pieces as one string (its "+N more" link left as the placeholder)."""
    return "".join(_MORE if c is None else c for c in chunks)


@lru_cache(maxsize=1)
def _css() -> str:
    return (EMAILS_DIR / "_base" / "style.css").read_text()


@lru_cache(maxsize=1)
def _fragment_inliner() -> css_inline.CSSInliner:
    # the email stylesheet given once, so each fragment does not re-parse it
    return css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False, extra_css=_css())


Chunks = list[str | None]  # a section's text or HTML in shared pieces; None: its "+N more" link, per subscriber


class DigestRenderer:
    """Renders digests. Each distinct section is assembled once per renderer from pieces rendered (and
    CSS-inlined) once each: its title, its search line, its figures and each item, kept as a list of those
    shared pieces (joined once, into each email), so a section that differs from one already sent only by
    its search line, or by which items it shows, costs a list. The per-subscriber shell is small
    (bench/render_baseline.py renders every section of every digest from the templates, the baseline the
    benchmark compares against and the tests check this against). Keep one renderer per batch or per
    process."""

    def __init__(self, max_sections: int = 100_000) -> None:
        self.max_sections = max_sections
        # per section: (html, text, whether it has a "+N more" link), each a list of shared pieces
        self._sections: dict[tuple[object, ...], tuple[Chunks, Chunks, bool]] = {}
        # per section body (a section but its search line): html before and after that line, text likewise
        self._bodies: dict[tuple[object, ...], tuple[Chunks, Chunks, Chunks, Chunks, bool]] = {}
        self._shells: dict[tuple[str, int], tuple[list[str], list[str], list[str]]] = {}
        self._pieces: dict[tuple[Any, ...], str] = {}  # each after the newline that joins it to the one before
        self._items: dict[tuple[Any, ...], tuple[str, str]] = {}  # an item as shown: (html, text)
        self._mores: dict[tuple[Any, ...], tuple[Chunks, Chunks]] = {}
        self._wrap: tuple[str, str] | None = None
        self.hits = 0
        self.misses = 0

    def section(self, section: SkillSection) -> tuple[Markup, str]:
        """(inlined HTML fragment, text) of one section, assembled from pieces rendered once each."""
        html, text, _ = self._section(section)
        return Markup(_joined(html)), _joined(text)

    def _section(self, section: SkillSection) -> tuple[Chunks, Chunks, bool]:
        key = section.key
        cached = self._sections.get(key)
        if cached is None:
            self.misses += 1
            if len(self._sections) >= self.max_sections:
                self._sections.clear()
            html_head, html_tail, text_head, text_tail, more = self._body(section)
            if section.search:
                search = section.search
                html = [*html_head, self._piece(("search", search), lambda: _parts().search_line(section)),
                        *html_tail]  # fmt: skip
                text = [*text_head, f"Your search: {search}\n", *text_tail]
            else:
                html, text = html_head + html_tail, text_head + text_tail
            # the template's text is stripped: its trailing newlines go (a "+N more" link ends in its URL)
            while text and text[-1] is not None:
                last = text[-1].rstrip()
                if last:
                    text[-1] = last
                    break
                text.pop()
            cached = (html, text, more)
            self._sections[key] = cached
        else:
            self.hits += 1
        return cached

    def _body(self, section: SkillSection) -> tuple[Chunks, Chunks, Chunks, Chunks, bool]:
        """A section but its search line, split where that line goes: the structure of digest/_section.html
        from the pieces of digest/_parts.html, and of digest/_section.txt from those of digest/_parts.txt; an
        item shown to many people in different company, or under different searches, is rendered once."""
        key = section.body_key
        body = self._bodies.get(key)
        if body is not None:
            return body
        if len(self._bodies) >= self.max_sections:
            self._bodies.clear()
        if len(self._items) + len(self._pieces) >= 2 * self.max_sections:  # small, and rendered at a cost
            self._pieces.clear()
            self._items.clear()
            self._mores.clear()
        parts, s = _parts(), section
        html: Chunks = []
        text: Chunks = []
        demand = self._piece(("demand", s.skill_id, s.name, s.snapshot, s.alerts), lambda: parts.demand(s))
        if demand != "\n":  # no figures and no alert: nothing, not an empty line
            html.append(demand)
        text += [f"SHIFT ALERT: {a.headline}. Opened {a.opened_on.isoformat()}.\n" for a in s.alerts]
        snap = s.snapshot
        if snap and not snap.postings:
            text.append(f"Demand: no job postings mention {s.name} in the last 90 days.\n")
        elif snap:
            text.append(f"Demand: {snap.postings:,} postings in 90 days, {snap.change_text}; {snap.verdict}.\n")
        more = False
        for title, items, n, one, many in (
            ("New articles", s.articles, s.more_articles, "article", "articles"),
            ("New job postings", s.jobs, s.more_jobs, "posting", "postings"),
        ):
            if not items:
                continue
            html.append(self._piece(("heading", title), lambda t=title: parts.heading(t)))
            text.append(f"\n{title}\n")
            job = title == "New job postings"
            for item in items:
                item_html, item_text = self._item(item, s, job)
                html.append(item_html)
                text.append(item_text)
            if n:
                more = True
                more_html, more_text = self._more(n, one, many)
                html += more_html
                text += more_text
        html.append(self._wrapper()[1])
        head = self._piece(("title", s.url, s.name), lambda: parts.title(s), after=self._wrapper()[0])
        body = ([head], html, [f"== {s.name} ==\n"], text, more)
        self._bodies[key] = body
        return body

    def _more(self, n: int, one: str, many: str) -> tuple[Chunks, Chunks]:
        """A "+N more" line, split at its link (each subscriber's own)."""
        key = (n, one)
        if key not in self._mores:
            html = self._inline(lambda: _parts().more(_MORE, n, one, many))
            before, after = html.split(_MORE, 1)
            self._mores[key] = (["\n" + before, None, after], [f"  +{n} more: ", None, "\n"])
        return self._mores[key]

    def _item(self, item: ItemView, section: SkillSection, job: bool) -> tuple[str, str]:
        """One item as a section shows it: (inlined HTML, text), rendered once however many sections show it
        (an item's own fields are those of its id; what differs between sections is in the key)."""
        recent = section.recent(item)  # "recent, before you subscribed" differs per window
        url = item.url or section.url
        key = (item.id, item.alias, item.found_in, item.reposted, job, recent, url)
        cached = self._items.get(key)
        if cached is None:
            html = "\n" + self._inline(lambda: _item_html(item, section, job))
            cached = (html, _item_text(item, job, recent, url))
            self._items[key] = cached
        return cached

    def _piece(self, key: tuple[Any, ...], make: Any, after: str = "\n") -> str:
        """A piece rendered and inlined once, with what joins it to the one before (a newline)."""
        piece = self._pieces.get(key)
        if piece is None:
            piece = after + self._inline(make)
            self._pieces[key] = piece
        return piece

    @staticmethod
    def _inline(make: Any) -> str:
        return _fragment_inliner().inline_fragment(str(make()).strip(), "")

    def _wrapper(self) -> tuple[str, str]:
        if self._wrap is None:
            shell = '<table role="presentation" class="section" cellpadding="0" cellspacing="0" border="0" '
            shell += 'width="100%"><tr><td><!--inner--></td></tr></table>'
            prefix, _, suffix = _fragment_inliner().inline_fragment(shell, "").partition("<!--inner-->")
            self._wrap = (prefix, suffix)
        return self._wrap

    def render(self, digest: Digest) -> Rendered:
        subject_shell, text_shell, html_shell = self._shell(digest.cadence, len(digest.sections))
        text_values, html_values = _values(digest, html=False), _values(digest, html=True)
        for n, section in enumerate(digest.sections):
            html, text, more = self._section(section)
            if more:  # "+N more" links: this subscriber's web view
                url = digest.more_url(section)
                attribute = _html_attribute(url)
                html = [attribute if c is None else c for c in html]
                text = [url if c is None else c for c in text]
            html_values[_MARK.format(n)] = html  # type: ignore[assignment]  # no None left
            text_values[_TEXT_MARK.format(n)] = text  # type: ignore[assignment]
        return Rendered(
            subject=" ".join(_splice(subject_shell, text_values).split()),
            text=_splice(text_shell, text_values),
            html=_splice(html_shell, html_values),
        )

    def _shell(self, cadence: str, sections: int) -> tuple[list[str], list[str], list[str]]:
        """The digest templates rendered and inlined once per (cadence, number of sections), split at the
        placeholders where each subscriber's own values and the shared sections go."""
        key = (cadence, sections)
        if key not in self._shells:
            text_env, html_env = _envs()
            marks = [Markup(_MARK.format(n)) for n in range(sections)]
            texts = [_TEXT_MARK.format(n) for n in range(sections)]
            context = {"digest": _Placeholders(cadence), "sections_text": texts, "sections_html": marks,
                       "view_online": Markup(_VIEW)}  # fmt: skip
            self._shells[key] = (
                _SLOT.split(text_env.get_template("digest/subject.txt").render(context)),
                _SLOT.split(text_env.get_template("digest/body.txt").render(context)),
                _SLOT.split(_inliner().inline(html_env.get_template("digest/body.html").render(context))),
            )
        return self._shells[key]

    def render_alert(self, section: SkillSection, alert: AlertView, context: dict[str, Any]) -> Rendered:
        html, text = self.section(section)
        return render_email("alert", {**context, "section": section, "alert": alert, "section_html": html,
                                      "section_text": text})  # fmt: skip


def _parts() -> Any:
    """The macros of digest/_parts.html (the HTML pieces of a section)."""
    _, html_env = _envs()
    return html_env.get_template("digest/_parts.html").module


def _item_html(item: ItemView, section: SkillSection, job: bool) -> Markup:
    parts = _parts()
    return parts.job(item, section) if job else parts.article(item, section)  # type: ignore[no-any-return]


def _text_parts() -> Any:
    """The macros of digest/_parts.txt (one item of a section's text part, as digest/_section.txt writes it)."""
    text_env, _ = _envs()
    return text_env.get_template("digest/_parts.txt").module


def _item_text(item: ItemView, job: bool, recent: bool, url: str) -> str:
    parts = _text_parts()
    return str(parts.job(item, recent, url) if job else parts.article(item, recent, url))


def images_for(sections: tuple[SkillSection, ...] | list[SkillSection]) -> tuple[InlineImage, ...]:
    return tuple(
        InlineImage(cid=s.chart_cid, data=s.snapshot.chart_png)
        for s in sections
        if s.chart_cid and s.snapshot and s.snapshot.chart_png
    )
