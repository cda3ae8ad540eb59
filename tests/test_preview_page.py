"""/settings/preview as a new subscriber meets it (the walk: weekly, confirmed just after the week's slot,
postings fetched minutes before): the slot already due is empty, so the page must not present that past
slot as "your next digest" with nothing in it; it names the next one, in the person's own time zone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.config import Settings
from digest.store.models import Item, ItemKind, ItemSkill, Skill
from tests.test_api_accounts import sign_in, subscribe_and_confirm
from tests.test_digest_web_view import accounts, frozen

__all__ = ["accounts", "frozen"]  # fixtures


def test_a_new_weekly_subscriber_sees_when_the_next_digest_comes(
    settings: Settings, session: Session, accounts: TestClient, frozen: Any
) -> None:
    python = session.scalars(select(Skill).where(Skill.slug == "python")).one()
    item = Item(kind=ItemKind.job, title="Python role", url="https://example.com/1", summary="",
                published_at=frozen.now - timedelta(minutes=30), fetched_at=frozen.now - timedelta(minutes=30),
                company="Acme")  # fmt: skip
    session.add(item)
    session.flush()
    session.add(ItemSkill(item_id=item.id, skill_id=python.id, alias="Python", span_start=0, span_end=6, found_in=2))
    session.commit()
    subscribe_and_confirm(accounts, settings, "ann@example.com", "python", cadence="weekly")  # Mon 09:30 UTC
    sign_in(accounts, settings, "ann@example.com")
    shown = accounts.get("/settings/preview").text
    # the Monday 08:00 slot is due and empty (the posting came after it): no email goes out for it
    assert "no email goes out for it" in shown
    assert "Your next weekly digest is due Mon 09 Mar 2026, 08:00 UTC" in shown
    assert 'class="card skill"' not in shown  # no empty section under it
    assert "Mar 2, 2026 08:00 UTC" not in shown
    settings_page = accounts.get("/settings").text
    assert "next digest: Mon 09 Mar 2026, 08:00 UTC" in settings_page  # the two pages say the same
