"""What a person met walking through the product from a fresh clone, each a defect seen in headless Chromium:
skill names on the home page broken a letter a line, a stale home page whose links open pages of zeros.
Screenshots in test-artifacts/browser/."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from digest import clock
from digest.accounts.people import get_or_create_user
from tests.accounts_data import link_in, outbox
from tests.browser.conftest import shot
from tests.browser.test_email_images import _digest_with_chart
from tests.helpers import wait_for
from tests.support import synthetic
from tests.test_digest_ledger import T0, run
from tests.test_digest_ledger import outbox as sent

pytestmark = pytest.mark.browser

# the names and kinds the home page showed broken in the walk (real counts from the HN postings)
WALK = {
    ("Kubernetes", "platform"): 97,
    ("Google Cloud", "platform"): 57,
    ("React", "framework"): 222,
    ("Node.js", "platform"): 90,
    ("TypeScript", "language"): 248,
    ("Amazon Web Services AWS CloudFormation", "platform"): 12,
    ("Distributed systems", "practice"): 46,
}


def _postings(session: Session, last_day: date) -> None:
    skills = synthetic.skills(session, [name for name, _ in WALK])
    for skill, (_, kind) in zip(skills, WALK, strict=True):
        skill.kind = kind
    items = [
        synthetic.posting(last_day - timedelta(days=n % 60), [skill.id])
        for skill, count in zip(skills, WALK.values(), strict=True)
        for n in range(count)
    ]
    synthetic.add(session, items)
    session.commit()


@pytest.fixture
def recent(session: Session) -> date:
    today = clock.today()
    _postings(session, today)
    return today


@pytest.fixture
def stale(session: Session) -> date:
    """The walk's data: postings that end months before today (the HN dump of early 2026)."""
    newest = clock.today() - timedelta(days=200)
    _postings(session, newest)
    return newest


BROKEN_WORDS = """() => {
  // every word of every skill name in the list must sit on one line: a word cut across lines is broken
  const broken = [];
  for (const a of document.querySelectorAll('#skill-results .name, ul.skills li a:first-child')) {
    const text = a.firstChild;
    if (!text || text.nodeType !== 3) continue;
    const re = /\\S+/g; let m;
    while ((m = re.exec(text.data))) {
      const r = document.createRange();
      r.setStart(text, m.index); r.setEnd(text, m.index + m[0].length);
      const lines = new Set([...r.getClientRects()].map(c => Math.round(c.top)));
      if (lines.size > 1) broken.push(m[0]);
    }
  }
  return broken;
}"""


@pytest.mark.parametrize("width", [1100, 390])
def test_home_page_never_breaks_a_skill_name_inside_a_word(recent: date, server: str, browser: Any, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(server + "/")
        names = page.locator("#skill-results .name").all_inner_texts()
        assert "Kubernetes" in names and "platform or service" in page.locator("#skill-results").inner_text()
        shot(page, f"60-home-names-{width}")
        assert page.evaluate(BROKEN_WORDS) == []
        page.fill("#q", "s")  # the list search.js draws keeps the kind labels and the same layout
        page.get_by_text("matching “s”").wait_for()
        assert page.locator("#skill-results .kind").count() > 0
        shot(page, f"61-home-search-names-{width}")
        assert page.evaluate(BROKEN_WORDS) == []
    finally:
        context.close()


def test_stale_home_page_opens_skill_pages_at_the_day_its_counts_are_for(stale: date, server: str, page: Any) -> None:
    """The home page counts the 90 days to the newest data when today's window is empty; the skill page a
    name links to shows those same figures, not zeros with a note (and so does a name search.js draws)."""
    page.goto(server + "/")
    assert page.locator("#stale-note").is_visible()
    first = page.locator("#skill-results li").first
    assert first.locator(".name").inner_text() == "TypeScript" and "248 postings" in first.inner_text()
    first.locator(".name").click()
    page.wait_for_url(f"**/skills/typescript?as_of={stale.isoformat()}")
    assert page.locator(".headline .big").first.inner_text() == "248"
    assert page.get_by_text("No data in this window").count() == 0
    shot(page, "62-stale-home-to-skill")
    page.goto(server + "/")
    page.fill("#q", "kube")
    page.get_by_text("matching “kube”").wait_for()
    page.locator("#skill-results .name", has_text="Kubernetes").click()
    page.wait_for_url(f"**/skills/kubernetes?as_of={stale.isoformat()}")
    assert page.locator(".headline .big").first.inner_text() == "97"
    assert page.console_errors == []


def _sign_in(page: Any, server: str, settings: Any, email: str) -> None:
    page.goto(server + "/settings")
    page.locator("#login-email").fill(email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    mails = wait_for(lambda: [m for m in outbox(settings.outbox_dir) if "sign-in" in m["Subject"]], timeout=10)
    page.goto(link_in(mails[-1], "/login"))
    page.get_by_role("button", name="Continue to my settings").click()
    page.get_by_role("heading", name="Your digests").wait_for()


@pytest.mark.parametrize("button", ["Sign out", "Sign out everywhere"])
def test_signing_out_says_so(
    settings: Any, session: Session, server: str, worker: None, page: Any, button: str
) -> None:
    """Both sign-out buttons used to drop the person on the home page without a word."""
    get_or_create_user(session, "ann@example.com", clock.utcnow())
    session.commit()
    _sign_in(page, server, settings, "ann@example.com")
    page.get_by_role("button", name=button, exact=True).click()
    page.get_by_role("heading", name="Sign in").wait_for()
    said = page.get_by_role("status").inner_text()
    assert said.startswith("You are signed out"), said
    assert ("everywhere" in said) is (button == "Sign out everywhere")
    shot(page, f"63-{button.lower().replace(' ', '-')}")


def _new_skill(session: Session, name: str, count: int) -> None:
    """A skill whose postings all came in the last 4 weeks (as a feed's did in the walk), with metros."""
    today = clock.today()
    [skill] = synthetic.skills(session, [name])
    metros = synthetic.metros(session, [f"Berlin {name}", f"Warsaw {name}"])
    days = [today - timedelta(days=n % 20) for n in range(count)]
    synthetic.add(session, [synthetic.posting(d, [skill.id], None, metros[n % 2].id) for n, d in enumerate(days)])


@pytest.fixture
def new_skills(session: Session) -> date:
    _new_skill(session, "Rust", 25)  # enough for the shift test (20)
    _new_skill(session, "Zig", 6)  # too few: the walk's Python from a feed had 2
    session.commit()
    return clock.today()


def test_skill_page_reads_well(new_skills: date, server: str, page: Any) -> None:
    page.goto(server + "/skills/rust")
    change = page.locator(".headline .figure").nth(1).locator(".label").inner_text()
    assert "no postings in the prior 4 weeks to compare with" in change and not change.endswith("(0)"), change
    # the lists take the page's width: the postings list is not squeezed beside an empty articles card
    widths = page.evaluate(
        "['.chart', '#postings', '#articles'].map(s => document.querySelector(s).getBoundingClientRect().width)"
    )
    assert widths[1] == widths[0] == widths[2], widths
    trend = page.locator(".faq dd").nth(1).inner_text()
    assert trend.startswith("25 postings in the 4 weeks to ") and "none in the 4 weeks before" in trend, trend
    where = page.locator(".faq dd").nth(2).inner_text()
    assert where.startswith("Of the Rust postings in the 90 days to ") and "that name a known metro: " in where, where
    legend = page.locator(".chart .note").inner_text()
    assert "Fainter bars: the weeks before" in legend
    shot(page, "64-skill-page-new-skill")


def test_no_shift_verdict_on_too_few_postings(new_skills: date, server: str, page: Any) -> None:
    """6 postings and none before read 'Within normal variation (p = 1.0)': the test never ran on them."""
    page.goto(server + "/skills/zig")
    verdict = page.locator(".headline .figure").nth(2).inner_text()
    assert verdict.startswith("No verdict") and "Too few postings to test: 6 mention Zig" in verdict, verdict
    assert "at least 20" in verdict
    assert "variation" not in page.locator("p.summary").inner_text()
    shot(page, "67-skill-page-too-few-to-test")


def test_digest_email_chart_keeps_its_shape_and_fits_a_phone(
    settings: Any, session: Session, server: str, browser: Any
) -> None:
    """The email's chart was declared 300x90 for a 560x220 image (squashed wherever CSS is ignored), and sat
    beside the figures at 165 px wide on a phone, its labels unreadable."""
    _digest_with_chart(settings, session)
    run(session, settings, T0 + timedelta(hours=8))
    [name] = sent(settings)
    for width in (1000, 390):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        try:
            page.goto(f"{server}/outbox?key={settings.outbox_key}")
            page.goto(f"{server}/outbox/{name}")
            img = page.locator("table.demand img")
            img.wait_for()
            natural, declared = img.evaluate(
                "i => [i.naturalWidth / i.naturalHeight, i.getAttribute('width') / i.getAttribute('height')]"
            )
            assert abs(declared / natural - 1) < 0.02, (declared, natural)
            box = img.bounding_box()
            figures = page.locator("table.demand td").first.bounding_box()
            assert box and figures
            if width == 390:
                assert box["width"] >= 280 and box["y"] >= figures["y"] + figures["height"] - 1, (box, figures)
            shot(page, f"65-digest-email-{width}")
        finally:
            context.close()


CORNER_PIXEL = """i => {
  const c = document.createElement('canvas');
  c.width = i.naturalWidth; c.height = i.naturalHeight;
  const g = c.getContext('2d'); g.drawImage(i, 0, 0);
  return Array.from(g.getImageData(2, 2, 1, 1).data);
}"""


def test_charts_follow_dark_mode(recent: date, server: str, browser: Any) -> None:
    """In dark mode the skill page's chart was a white box: it is drawn in the page's dark colours."""
    for scheme, dark in (("dark", True), ("light", False)):
        context = browser.new_context(viewport={"width": 1000, "height": 900}, color_scheme=scheme)
        page = context.new_page()
        try:
            page.goto(server + "/skills/kubernetes")
            img = page.locator(".chart img")
            img.wait_for()
            page.wait_for_function("() => document.querySelector('.chart img').complete")
            corner = img.evaluate(CORNER_PIXEL)
            assert (sum(corner[:3]) / 3 < 80) is dark, (scheme, corner)
            shot(page, f"66-skill-chart-{scheme}")
        finally:
            context.close()


def test_item_tags_never_break_across_lines(server: str, page: Any) -> None:
    """'re-posted' split into 're-' and 'posted' on two lines in the digest's web view at 390 px."""
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(server + "/static/site.css")  # same origin, so the page below can use the stylesheet
    page.set_content(
        '<html><head><link rel="stylesheet" href="/static/site.css"></head><body><ul class="items">'
        '<li class="item"><a class="item-title" href="#">Open roles at Stellar Science</a> '
        '<span class="tag">re-posted</span> <span class="tag recent">recent, before you subscribed</span></li>'
        "</ul></body></html>"
    )
    page.wait_for_function("() => getComputedStyle(document.querySelector('.tag')).fontSize === '12px'")
    broken = page.evaluate(
        """() => {
          const list = document.querySelector('ul.items'), out = [];
          for (let w = 200; w <= 420; w += 2) {  // wherever the line happens to end
            list.style.width = w + 'px';
            for (const t of document.querySelectorAll('.tag'))
              if (new Set([...t.getClientRects()].map(r => Math.round(r.top))).size > 1) out.push([w, t.textContent]);
          }
          return out;
        }"""
    )
    assert broken == [], broken[:5]


def test_follow_fills_the_name_and_results_stand_alone(recent: date, server: str, page: Any) -> None:
    """A Follow link filled the subscribe form with the slug ('google-cloud'); search results sat above the
    whole by-kind browsing list, which answered nothing that was asked."""
    page.goto(server + "/")
    page.locator("#skill-results li", has_text="Google Cloud").get_by_role("link", name="Follow Google Cloud").click()
    page.wait_for_url("**/?skill=google-cloud#subscribe")
    assert page.locator("#sub-skill").input_value() == "Google Cloud"
    assert page.locator("#popular").is_visible()
    page.fill("#q", "kube")
    page.get_by_text("matching “kube”").wait_for()
    assert not page.locator("#popular").is_visible()
    page.fill("#q", "")
    page.get_by_text("Most asked for").wait_for()
    assert page.locator("#popular").is_visible()
    assert page.console_errors == []


def test_phone_charts_keep_readable_labels(recent: date, server: str, browser: Any) -> None:
    """At 390 px the 560 px chart shrank to about half, its 8 pt labels to 4 px: phones get the narrow one."""
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme=scheme)
        page = context.new_page()
        try:
            page.goto(server + "/skills/kubernetes")
            page.wait_for_function("() => document.querySelector('.chart img').complete")
            src, natural, shown = page.locator(".chart img").evaluate(
                "i => [i.currentSrc, i.naturalWidth, i.getBoundingClientRect().width]"
            )
            assert "size=narrow" in src and ("theme=dark" in src) is (scheme == "dark"), src
            assert shown / natural >= 0.8, (shown, natural)
            shot(page, f"68-skill-chart-phone-{scheme}")
        finally:
            context.close()
