"""Per-subscriber rendering of a digest: every section and the whole document rendered and inlined for
one email. The baseline the digest benchmark compares section reuse (digest.mail.render.DigestRenderer)
against, and what the content tests check that reuse renders exactly."""

from __future__ import annotations

from markupsafe import Markup

from digest.mail.content import Digest
from digest.mail.render import _VIEW, Rendered, _envs, _view_online, render_email


class WholeRenderer:
    """Renders each digest from the templates as one document, sharing nothing between digests."""

    def render(self, digest: Digest) -> Rendered:
        text_env, html_env = _envs()
        sections_html = [
            Markup(html_env.get_template("digest/_section.html").render(section=s, more_url=digest.more_url(s)))
            for s in digest.sections
        ]
        sections_text = [
            text_env.get_template("digest/_section.txt").render(section=s, more_url=digest.more_url(s)).strip()
            for s in digest.sections
        ]
        rendered = render_email(
            "digest",
            {"digest": digest, "sections_html": sections_html, "sections_text": sections_text,
             "view_online": Markup(_VIEW)},
        )  # fmt: skip
        # the view line is inlined as the shared path inlines it
        html = (rendered.html or "").replace(_VIEW, _view_online(digest, True))
        return Rendered(rendered.subject, rendered.text.replace(_VIEW, _view_online(digest, False)), html)
