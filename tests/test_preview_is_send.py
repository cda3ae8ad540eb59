"""`digest preview` builds exactly what `send-due` sends at the same `now`: the same items in the same
sections (the cross-skill rule across cadences included) and the same subject."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.config import Settings
from digest.delivery.preview import preview
from digest.mail.render import DigestRenderer
from digest.store.models import Delivery, DeliveryItem
from tests.test_digest_ledger import T0, World, outbox, run


def test_preview_then_send_at_the_same_now(settings: Settings, session: Session) -> None:
    w = World(session)
    ann = w.user("ann@example.com", hour=8, weekday=0)
    w.subscribe(ann, "python", "weekly")  # first: an item of both skills shows under Python
    w.subscribe(ann, "django", "daily")
    w.subscribe(ann, "rust", "daily")
    for n in range(12):  # more than a section shows: "+N more"
        w.item(f"Python and Django {n}", T0 + timedelta(hours=1, minutes=n), "python", "django")
    for n in range(3):
        w.item(f"Django only {n}", T0 + timedelta(hours=2, minutes=n), "django")
        w.item(f"Rust job {n}", T0 + timedelta(hours=3, minutes=n), "rust", kind="job", company="Ferris")
    now = T0 + timedelta(hours=8, minutes=30)  # Monday 08:30: the 08:00 slot of both cadences is due
    w.item("After the slot", now - timedelta(minutes=10), "python", "django", "rust")
    w.commit()

    shown = preview(session, settings, "ann@example.com", now)
    summary = run(session, settings, now)
    assert summary.get("sent") == 2
    deliveries = session.scalars(select(Delivery).order_by(Delivery.cadence)).all()
    mails = {m["X-Digest-Delivery-Id"]: m for m in outbox(settings).values()}
    assert [r.digest.cadence for r in sorted(shown, key=lambda r: r.digest.cadence)] == [d.cadence for d in deliveries]
    for result in shown:
        d = next(d for d in deliveries if d.cadence == result.digest.cadence)
        sent = session.execute(
            select(DeliveryItem.item_id, DeliveryItem.skill_id).where(DeliveryItem.delivery_id == d.id)
        ).all()
        assert sorted(result.digest.item_ids) == sorted(tuple(r) for r in sent)
        assert result.due_at == d.window_end
        assert mails[str(d.id)]["Subject"] == DigestRenderer().render(result.digest).subject


def test_an_empty_preview_has_a_well_formed_subject(settings: Settings, session: Session) -> None:
    w = World(session)
    w.subscribe(w.user("bo@example.com"), "python", "daily")
    w.commit()
    (result,) = preview(session, settings, "bo@example.com", T0 + timedelta(hours=9))
    assert result.digest.is_empty
    assert DigestRenderer().render(result.digest).subject == "[digest] Daily digest: nothing new yet"
