"""The skill page's pay and seniority block as a person sees it in headless Chromium: readable at desktop and
390 px, in light and dark, and no serious or critical axe-core violation. Screenshots in test-artifacts/browser/."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from digest import clock
from tests.browser.conftest import WIDTHS, layout_problems, shot, viewport
from tests.test_skill_page_pay import pay_data

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pay_block_reads_at_desktop_and_390px(session: Session, server: str, browser: Any, scheme: str) -> None:
    pay_data(session, clock.today())  # the server reads the real clock
    problems: dict[str, list[str]] = {}
    for width in WIDTHS:
        with viewport(browser, width, scheme) as page:
            page.goto(server + "/skills/kubernetes")
            block = page.locator("#pay")
            block.scroll_into_view_if_needed()
            assert block.is_visible()
            text = block.inner_text()
            assert "Stated pay (11 of 40 postings)" in text and "median $179k a year" in text
            assert "staff/principal" in text
            shot(page, f"50-skill-pay-{scheme}-{width}")
            block.screenshot(path=str(shot.__globals__["ARTIFACTS"] / f"50-skill-pay-block-{scheme}-{width}.png"))
            problems |= layout_problems(page, width, scheme)
    assert problems == {}
