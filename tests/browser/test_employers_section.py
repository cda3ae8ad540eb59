"""The skill page's "Who posts it" section in headless Chromium: the top employers under their display
names, the concentration line, readable at desktop and 390 px, in light and dark, with no serious or critical
axe-core violation. Screenshots in test-artifacts/browser/."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from digest import clock
from tests.browser.conftest import WIDTHS, layout_problems, shot, viewport
from tests.support import synthetic

pytestmark = pytest.mark.browser
SPELLINGS = ["Stripe", "Stripe, Inc.", "stripe.com", "Stripe", "Acme GmbH", "Acme GmbH", "Zeta Labs", None]


@pytest.fixture
def data(session: Session) -> date:
    today = clock.today()  # the server reads the real clock
    (k8s,) = synthetic.skills(session, ["Kubernetes"])
    items = [
        synthetic.posting(today - timedelta(days=n % 60), [k8s.id], company=SPELLINGS[n % len(SPELLINGS)])
        for n in range(40)
    ]
    synthetic.add(session, items)
    session.commit()
    return today


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_employers_section_reads_well_and_passes_axe(data: date, server: str, browser: Any, scheme: str) -> None:
    problems: dict[str, list[str]] = {}
    for width in WIDTHS:
        with viewport(browser, width, scheme) as page:
            page.goto(server + "/skills/kubernetes")
            section = page.locator("#employers")
            rows = [r.split("\t") for r in section.locator("tbody tr").all_inner_texts()]
            assert [[c.strip() for c in r] for r in rows] == [["Stripe", "20"], ["Acme GmbH", "10"], ["Zeta Labs", "5"]]
            note = " ".join(section.locator(".note").inner_text().split())
            assert note.startswith("3 employers posted 35 of the 40 Kubernetes postings in 90 days (5 name none).")
            assert "The largest posted 50.0% of them; Herfindahl index 0.4286." in note
            section.scroll_into_view_if_needed()
            shot(page, f"45-employers-{scheme}-{width}")
            problems |= layout_problems(page, width, scheme)
    assert problems == {}
