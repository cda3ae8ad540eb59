"""Shift alerts: in the next digest of every subscriber of the skill; as their own email within minutes
for accounts that chose alert emails, at most one per skill per 4 weeks."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from digest.config import Settings
from digest.store.models import Direction, ShiftAlert
from tests.support import synthetic
from tests.test_digest_ledger import T0, World, outbox, run, text_of


def _alert(session: Session, skill_id: int, at: datetime) -> None:
    session.add(
        ShiftAlert(skill_id=skill_id, direction=Direction.up, opened_on=at.date(), change=0.5, p_value=0.001,
                   q_value=0.01, recent=150, prior=100, created_at=at)
    )  # fmt: skip
    session.commit()


def _emails(settings: Settings, to: str, kind: str) -> list[str]:
    return [m["Subject"] for m in outbox(settings).values() if m["To"] == to and kind in m["Subject"]]


def test_alert_email_and_digest_section(settings: Settings, session: Session) -> None:
    w = World(session)
    ann = w.user("ann@example.com", alerts=True)
    bob = w.user("bob@example.com")
    w.subscribe(ann, "python")
    w.subscribe(bob, "python")
    w.subscribe(ann, "rust")
    w.commit()
    python = w.skill("python").id
    _alert(session, python, T0 + timedelta(hours=2))
    assert run(session, settings, T0 + timedelta(hours=2, minutes=1)) == {"alert sent": 1}
    assert run(session, settings, T0 + timedelta(hours=2, minutes=2)) == {}
    assert _emails(settings, "ann@example.com", "demand rising") == ["[digest] Python: demand rising (+50%)"]
    assert _emails(settings, "bob@example.com", "demand rising") == []
    (alert_mail,) = outbox(settings).values()
    assert "Demand is rising: +50% in the last 4 weeks (100 → 150 postings)" in text_of(alert_mail)
    assert alert_mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # the 08:00 digests carry the alert for every subscriber of the skill
    assert run(session, settings, T0 + timedelta(hours=8)) == {"sent": 2}
    for to in ("ann@example.com", "bob@example.com"):
        (digest,) = [m for m in outbox(settings).values() if m["To"] == to and "digest" in m["Subject"].lower()
                     and "demand rising" not in m["Subject"]]  # fmt: skip
        assert "SHIFT ALERT: Demand is rising" in text_of(digest)
    # another alert 10 days later: in the digest, but no second alert email within 4 weeks
    _alert(session, python, T0 + timedelta(days=10, hours=2))
    assert "alert sent" not in run(session, settings, T0 + timedelta(days=10, hours=3))
    # 30 days after the first: a new alert email is allowed
    _alert(session, python, T0 + timedelta(days=30, hours=2))
    assert run(session, settings, T0 + timedelta(days=30, hours=3))["alert sent"] == 1
    assert len(_emails(settings, "ann@example.com", "demand rising")) == 2


def _postings(session: Session, skill_id: int, surge_company: str | None) -> None:
    """30 employers each one posting more in the 4 weeks before T0 than in the 4 before, plus (when named)
    one employer's 40 new postings: the alert's change is then mostly that employer's."""
    items = []
    for n in range(30):
        for k in range(3):
            items.append(synthetic.posting(T0.date() - timedelta(days=40 + k), [skill_id], company=f"Firm {n}"))
        for k in range(4):
            items.append(synthetic.posting(T0.date() - timedelta(days=10 + k), [skill_id], company=f"Firm {n}"))
    if surge_company:
        items += [synthetic.posting(T0.date() - timedelta(days=1 + k % 20), [skill_id], company=surge_company)
                  for k in range(40)]  # fmt: skip
    synthetic.add(session, items)
    session.commit()


@pytest.mark.parametrize("surge", [None, "Stripe"])
def test_one_employer_surge_is_held_back_a_spread_one_is_emailed(
    settings: Settings, session: Session, surge: str | None
) -> None:
    w = World(session)
    ann = w.user("ann@example.com", alerts=True)
    w.subscribe(ann, "python")
    w.commit()
    python = w.skill("python").id
    _postings(session, python, surge)
    _alert(session, python, T0 + timedelta(hours=2))
    got = run(session, settings, T0 + timedelta(hours=2, minutes=1))
    if surge:
        assert got == {} and _emails(settings, "ann@example.com", "demand rising") == []
        # nor in the 08:00 digest: a held alert is emailed in no form
        run(session, settings, T0 + timedelta(hours=8))
        assert not any("SHIFT ALERT" in text_of(m) for m in outbox(settings).values())
        return
    assert got == {"alert sent": 1}
    (mail,) = outbox(settings).values()
    assert (
        "Python postings rose 50% (4 weeks vs the 4 before, as a share of all postings). Most of the rise: "
        "Firm 0 (+1 posting); spread over 30 employers."
    ) in " ".join(text_of(mail).split())
