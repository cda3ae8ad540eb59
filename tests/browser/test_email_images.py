"""The digest chart (an inline cid: image in the sent email) shows wherever the email is shown: the outbox in
the browser and `digest preview --html`. Screenshots in test-artifacts/browser/."""

from __future__ import annotations

import base64
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from digest.cli import app
from digest.mail.inline import html_for_browser, with_data_uris
from digest.mail.message import InlineImage, OutgoingEmail, to_mime
from digest.store.models import DemandSkillDay
from tests.browser.conftest import WIDTHS, layout_problems, shot, viewport
from tests.test_digest_ledger import T0, World, outbox, run


def _digest_with_chart(settings: Any, session: Session) -> None:
    w = World(session)
    w.subscribe(w.user("jo@example.com"), "python")
    sid = w.skill("python").id
    for d in range(1, 57):
        session.add(DemandSkillDay(skill_id=sid, day=date(2026, 3, 2) - timedelta(days=d - 1), postings=1 + d % 3))
    w.item("Python news", T0 + timedelta(hours=1), "python")
    w.commit()


def _chart_loaded(page: Any) -> bool:
    img = page.locator('img[src^="data:image/png;base64,"]').first
    img.wait_for()
    return bool(img.evaluate("i => i.complete && i.naturalWidth > 100"))


def test_the_outbox_shows_the_digest_chart(settings: Any, session: Session, server: str, page: Any) -> None:
    _digest_with_chart(settings, session)
    run(session, settings, T0 + timedelta(hours=8))
    [name] = outbox(settings)
    page.goto(f"{server}/outbox?key={settings.outbox_key}")  # the key's cookie opens the outbox
    page.goto(f"{server}/outbox/{name}")
    assert _chart_loaded(page)
    assert page.locator('img[src^="cid:"]').count() == 0
    shot(page, "20-outbox-digest-with-chart")


def test_the_outbox_list_fits_a_phone(settings: Any, session: Session, server: str, browser: Any) -> None:
    """The operator reads the outbox on a phone too: its table of emails is no wider than the screen."""
    _digest_with_chart(settings, session)
    run(session, settings, T0 + timedelta(hours=8))
    problems: dict[str, list[str]] = {}
    for width in WIDTHS:
        with viewport(browser, width, "light") as page:
            page.goto(f"{server}/outbox?key={settings.outbox_key}")
            assert page.locator("td", has_text="jo@example.com").count() == 1
            shot(page, f"22-outbox-list-{width}")
            problems |= layout_problems(page, width, "outbox")
    assert problems == {}


def test_preview_html_shows_the_digest_chart(settings: Any, session: Session, page: Any, tmp_path: Path) -> None:
    _digest_with_chart(settings, session)
    html = tmp_path / "preview.html"
    r = CliRunner().invoke(app, ["preview", "jo@example.com", "--now", (T0 + timedelta(hours=5)).isoformat(),
                                 "--html", str(html)])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "cid:" not in html.read_text()
    page.goto(html.as_uri())
    assert _chart_loaded(page)
    shot(page, "21-preview-html-with-chart")


def test_one_helper_turns_cid_references_into_data_uris() -> None:
    png = b"\x89PNG fake"
    html = '<p><img src="cid:chart-a" alt="a"> <img src=\'cid:other\'> <img src="https://x/y.png"></p>'
    out = with_data_uris(html, [InlineImage("chart-a", png)])
    assert f'src="data:image/png;base64,{base64.b64encode(png).decode()}"' in out
    assert "src='cid:other'" in out and 'src="https://x/y.png"' in out
    email = OutgoingEmail(key="k", to="a@example.com", subject="s", text="t", html=html,
                          images=(InlineImage("chart-a", png),))  # fmt: skip
    msg = to_mime(email, T0, "installation")
    assert isinstance(msg, EmailMessage)
    assert (html_for_browser(msg) or "").strip() == out


def test_emails_follow_the_readers_colour_scheme(settings: Any, session: Session, server: str, browser: Any) -> None:
    """Dark where the client asks for it (the @media rules survive inlining), light everywhere else."""
    _digest_with_chart(settings, session)
    run(session, settings, T0 + timedelta(hours=8))
    [name] = outbox(settings)
    backgrounds = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme, viewport={"width": 700, "height": 900})
        page = context.new_page()
        try:
            page.goto(f"{server}/outbox?key={settings.outbox_key}")
            page.goto(f"{server}/outbox/{name}")
            assert _chart_loaded(page)
            backgrounds[scheme] = page.locator("table.container").evaluate("e => getComputedStyle(e).backgroundColor")
            shot(page, f"22-digest-email-{scheme}")
        finally:
            context.close()
    assert backgrounds == {"light": "rgb(255, 255, 255)", "dark": "rgb(28, 32, 39)"}
