"""The delivery ledger with a fake clock, on SQLite and PostgreSQL: nothing lost, nothing twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from digest.config import Settings
from digest.delivery.context import Context
from digest.delivery.deliver import deliver_digests, send_due
from digest.delivery.due import due_batches, stuck_deliveries
from digest.ingest.pipeline import prune_fetched_before
from digest.mail.backends.file import FileBackend
from digest.store.models import (
    Cadence,
    Delivery,
    DeliveryItem,
    DeliveryStatus,
    DeliverySubscription,
    Item,
    ItemKind,
    ItemSkill,
    Skill,
    Subscription,
    SubscriptionStatus,
    User,
)

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday


@dataclass
class World:
    """Builds skills, people and items for ledger tests."""

    session: Session
    skills: dict[str, Skill] = field(default_factory=dict)
    n: int = 0

    def skill(self, slug: str) -> Skill:
        if slug not in self.skills:
            s = Skill(slug=slug, name=slug.capitalize())
            self.session.add(s)
            self.session.flush()
            self.skills[slug] = s
        return self.skills[slug]

    def user(self, email: str, tz: str = "UTC", hour: int = 8, weekday: int = 0, alerts: bool = False) -> User:
        u = User(email=email, timezone=tz, send_hour=hour, weekday=weekday, alert_emails=alerts, created_at=T0)
        self.session.add(u)
        self.session.flush()
        return u

    def subscribe(self, user: User, slug: str, cadence: str = "daily", since: datetime = T0) -> Subscription:
        sub = Subscription(
            user_id=user.id,
            skill_id=self.skill(slug).id,
            cadence=Cadence(cadence),
            status=SubscriptionStatus.active,
            cursor=since,
            created_at=since,
            confirmed_at=since,
            updated_at=since,
        )
        self.session.add(sub)
        self.session.flush()
        return sub

    def item(self, title: str, fetched: datetime, *slugs: str, kind: str = "news", **kw: Any) -> Item:
        self.n += 1
        it = Item(
            kind=ItemKind(kind),
            title=title,
            url=f"https://example.com/{self.n}",
            summary=kw.pop("summary", f"About {title}."),
            source_name=kw.pop("source", "Example News" if kind == "news" else None),
            published_at=fetched - timedelta(hours=1),
            fetched_at=fetched,
            **kw,
        )
        self.session.add(it)
        self.session.flush()
        for slug in slugs:
            self.session.add(
                ItemSkill(item_id=it.id, skill_id=self.skill(slug).id, alias=slug, span_start=0, span_end=1)
            )
        self.session.flush()
        return it

    def commit(self) -> None:
        self.session.commit()


def outbox(settings: Settings) -> dict[str, EmailMessage]:
    folder = settings.outbox_dir
    if not folder.exists():
        return {}
    return {
        p.name: BytesParser(policy=policy.default).parsebytes(p.read_bytes())  # type: ignore[misc]
        for p in sorted(Path(folder).glob("*.eml"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    }


def text_of(msg: EmailMessage) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def titles_sent(settings: Settings, to: str) -> list[str]:
    """Every item title in every email to `to`, email by email (sorted within one): repeats are duplicates."""
    out = []
    for msg in outbox(settings).values():
        if msg["To"] == to:
            out += sorted(line[2:].split(" — ")[0] for line in text_of(msg).splitlines() if line.startswith("- "))
    return out


def run(session: Session, settings: Settings, now: datetime) -> dict[str, int]:
    ctx = Context.for_settings(settings, FileBackend(settings.outbox_dir, secret=settings.secret))
    return dict(send_due(session, ctx, now))


def test_daily_digest_in_the_accounts_time_zone(settings: Settings, session: Session) -> None:
    w = World(session)
    ann = w.user("ann@example.com", tz="Europe/Berlin", hour=8)
    w.subscribe(ann, "python", since=T0)
    w.item("Python 3.14 released", T0 + timedelta(hours=5), "python")
    w.item("Too late for Monday", datetime(2026, 3, 2, 7, 30, tzinfo=UTC), "python")  # after 08:00 Berlin
    w.commit()
    # 08:00 Berlin on Monday is 07:00 UTC
    assert run(session, settings, datetime(2026, 3, 2, 6, 59, tzinfo=UTC)) == {}
    assert run(session, settings, datetime(2026, 3, 2, 7, 0, tzinfo=UTC)) == {"sent": 1}
    assert titles_sent(settings, "ann@example.com") == ["Python 3.14 released"]
    assert run(session, settings, datetime(2026, 3, 2, 7, 45, tzinfo=UTC)) == {}  # nothing twice
    sub = session.scalars(select(Subscription)).one()
    session.refresh(sub)
    assert sub.cursor == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    assert run(session, settings, datetime(2026, 3, 3, 7, 0, tzinfo=UTC)) == {"sent": 1}
    assert titles_sent(settings, "ann@example.com") == ["Python 3.14 released", "Too late for Monday"]


def test_hourly_and_weekly_digests(settings: Settings, session: Session) -> None:
    w = World(session)
    bob = w.user("bob@example.com", weekday=2, hour=9)  # weekly on Wednesday 09:00 UTC
    cy = w.user("cy@example.com")
    w.subscribe(bob, "rust", "weekly")
    w.subscribe(cy, "go", "hourly")
    w.item("Rust 2.0", T0 + timedelta(minutes=30), "rust")
    w.item("Go at 00:30", T0 + timedelta(minutes=30), "go")
    w.item("Go at 01:00 sharp", T0 + timedelta(hours=1), "go")  # window is (cursor, end]: in the first hour
    w.item("Go at 01:20", T0 + timedelta(hours=1, minutes=20), "go")
    w.commit()
    assert run(session, settings, T0 + timedelta(hours=1, minutes=1)) == {"sent": 1}
    assert titles_sent(settings, "cy@example.com") == ["Go at 00:30", "Go at 01:00 sharp"]
    assert run(session, settings, T0 + timedelta(hours=2)) == {"sent": 1}
    assert run(session, settings, T0 + timedelta(hours=3)) == {"empty": 1}  # nothing new: no email
    assert titles_sent(settings, "cy@example.com") == ["Go at 00:30", "Go at 01:00 sharp", "Go at 01:20"]
    assert titles_sent(settings, "bob@example.com") == []
    run(session, settings, datetime(2026, 3, 4, 9, 0, tzinfo=UTC))
    assert titles_sent(settings, "bob@example.com") == ["Rust 2.0"]


def test_one_email_per_cadence_with_a_section_per_skill_and_each_item_once(
    settings: Settings, session: Session
) -> None:
    w = World(session)
    dee = w.user("dee@example.com")
    w.subscribe(dee, "python")
    w.subscribe(dee, "django")
    w.item("Django 6 on Python 3.14", T0 + timedelta(hours=1), "python", "django")
    w.item("Django only", T0 + timedelta(hours=2), "django")
    w.item("A Python job", T0 + timedelta(hours=3), "python", kind="job", company="Acme", location_raw="Berlin")
    w.commit()
    assert run(session, settings, T0 + timedelta(hours=8)) == {"sent": 1}
    (msg,) = outbox(settings).values()
    text = text_of(msg)
    assert "== Python ==" in text and "== Django ==" in text
    assert sorted(titles_sent(settings, "dee@example.com")) == [
        "A Python job",
        "Django 6 on Python 3.14",
        "Django only",
    ]
    assert session.scalar(select(func.count()).select_from(DeliveryItem)) == 3
    # delivery_items has no foreign key on items: pruning deletes the rows of the items it removes
    assert prune_fetched_before(session, T0 + timedelta(hours=2, minutes=30), T0 + timedelta(days=1)) == 2
    session.commit()
    assert session.scalars(select(DeliveryItem.item_id)).all() == [session.scalar(select(Item.id))]


def test_deleting_a_delivery_or_an_account_deletes_its_items(settings: Settings, session: Session) -> None:
    """delivery_items has no foreign key on deliveries (migration 0017): a trigger deletes a deleted delivery's
    rows, a cascaded one's too, and no one else's."""
    w = World(session)
    people = [w.user(f"p{n}@example.com") for n in range(3)]
    for p in people:
        w.subscribe(p, "python")
    w.item("A Python story", T0 + timedelta(hours=1), "python")
    w.commit()
    assert run(session, settings, T0 + timedelta(hours=8)) == {"sent": 3}

    def owners() -> list[int]:
        return sorted(session.scalars(select(DeliveryItem.user_id)))

    assert owners() == [p.id for p in people]
    session.delete(session.scalars(select(Delivery).where(Delivery.user_id == people[0].id)).one())
    session.commit()
    assert owners() == [people[1].id, people[2].id]
    session.execute(delete(User).where(User.id == people[1].id))  # its deliveries cascade in the database
    session.commit()
    assert owners() == [people[2].id]
    assert session.scalars(select(Delivery.user_id)).all() == [people[2].id]


def test_deleting_a_delivery_a_subscription_or_an_account_deletes_its_windows(
    settings: Settings, session: Session
) -> None:
    """delivery_subscriptions has no foreign keys (migration 0018): triggers delete the window rows of a deleted
    delivery or subscription, a cascaded one's too, and no one else's."""
    w = World(session)
    people = [w.user(f"p{n}@example.com") for n in range(4)]
    subs = [w.subscribe(p, "python") for p in people]
    w.item("A Python story", T0 + timedelta(hours=1), "python")
    w.commit()
    assert run(session, settings, T0 + timedelta(hours=8)) == {"sent": 4}

    def windows() -> list[int]:
        return sorted(session.scalars(select(DeliverySubscription.subscription_id)))

    assert windows() == sorted(s.id for s in subs)
    session.delete(session.scalars(select(Delivery).where(Delivery.user_id == people[0].id)).one())
    session.commit()
    assert windows() == sorted(s.id for s in subs[1:])
    session.execute(delete(Subscription).where(Subscription.id == subs[1].id))
    session.commit()
    assert windows() == sorted(s.id for s in subs[2:])
    session.execute(delete(User).where(User.id == people[2].id))  # deliveries and subscriptions cascade
    session.commit()
    assert windows() == [subs[3].id]


def test_cadence_changed_mid_period_loses_and_duplicates_nothing(settings: Settings, session: Session) -> None:
    w = World(session)
    eve = w.user("eve@example.com", hour=8, weekday=4)  # weekly on Friday
    sub = w.subscribe(eve, "kubernetes", "daily")
    w.item("K8s Monday", T0 + timedelta(hours=2), "kubernetes")
    w.commit()
    run(session, settings, datetime(2026, 3, 3, 8, tzinfo=UTC))  # Tuesday's daily
    w.item("K8s Tuesday", datetime(2026, 3, 3, 10, tzinfo=UTC), "kubernetes")
    sub.cadence = Cadence.weekly  # changed on Wednesday, before Wednesday's daily
    w.commit()
    w.item("K8s Thursday", datetime(2026, 3, 5, 10, tzinfo=UTC), "kubernetes")
    w.commit()
    for day in (4, 5, 6):  # Wed, Thu: nothing (weekly now); Fri: the weekly
        run(session, settings, datetime(2026, 3, day, 8, tzinfo=UTC))
    sub.cadence = Cadence.hourly
    w.commit()
    w.item("K8s Friday noon", datetime(2026, 3, 6, 12, tzinfo=UTC), "kubernetes")
    w.commit()
    run(session, settings, datetime(2026, 3, 6, 13, tzinfo=UTC))
    assert titles_sent(settings, "eve@example.com") == ["K8s Monday", "K8s Thursday", "K8s Tuesday", "K8s Friday noon"]


def test_paused_subscription_sends_nothing_and_resumes_with_everything(settings: Settings, session: Session) -> None:
    w = World(session)
    fay = w.user("fay@example.com")
    sub = w.subscribe(fay, "terraform")
    w.item("TF 1", T0 + timedelta(hours=1), "terraform")
    w.commit()
    run(session, settings, T0 + timedelta(hours=8))
    sub.status = SubscriptionStatus.paused
    w.commit()
    w.item("TF 2", T0 + timedelta(days=1, hours=1), "terraform")
    w.item("TF 3", T0 + timedelta(days=2, hours=1), "terraform")
    w.commit()
    for day in (1, 2, 3):
        assert run(session, settings, T0 + timedelta(days=day, hours=8)) == {}
    sub.status = SubscriptionStatus.active
    w.commit()
    assert run(session, settings, T0 + timedelta(days=4, hours=8)) == {"sent": 1}
    assert titles_sent(settings, "fay@example.com") == ["TF 1", "TF 2", "TF 3"]


def test_an_item_reaches_a_person_once_across_cadences(settings: Settings, session: Session) -> None:
    w = World(session)
    gus = w.user("gus@example.com")
    w.subscribe(gus, "python", "hourly")
    w.subscribe(gus, "fastapi", "daily")
    w.item("FastAPI on Python", T0 + timedelta(minutes=10), "python", "fastapi")
    w.item("FastAPI only", T0 + timedelta(minutes=20), "fastapi")
    w.commit()
    for h in range(1, 9):
        run(session, settings, T0 + timedelta(hours=h))
    assert sorted(titles_sent(settings, "gus@example.com")) == ["FastAPI on Python", "FastAPI only"]


def test_empty_digest_is_not_sent_but_advances_the_cursor(settings: Settings, session: Session) -> None:
    w = World(session)
    hal = w.user("hal@example.com")
    sub = w.subscribe(hal, "cobol")
    w.commit()
    assert run(session, settings, T0 + timedelta(hours=8)) == {"empty": 1}
    assert outbox(settings) == {}
    session.refresh(sub)
    assert sub.cursor == T0 + timedelta(hours=8)
    assert session.scalars(select(Delivery.status)).all() == [DeliveryStatus.empty]


def test_claim_is_exclusive_and_a_stuck_delivery_is_swept(settings: Settings, session: Session) -> None:
    w = World(session)
    ivy = w.user("ivy@example.com")
    w.subscribe(ivy, "java")
    w.item("Java 30", T0 + timedelta(hours=1), "java")
    w.commit()
    now = T0 + timedelta(hours=8)
    (batch,) = due_batches(session, settings, now)
    session.rollback()

    class Crash(Exception):
        pass

    class Exploding:
        def send(self, email: Any, now: datetime) -> str:
            raise Crash

    ctx = Context.for_settings(settings, Exploding())  # type: ignore[arg-type]
    try:
        deliver_digests(session, ctx, batch.user_ids, batch.cadence, batch.window_end, now)
    except Crash:
        session.rollback()
    (row,) = session.scalars(select(Delivery)).all()
    session.refresh(row)
    assert row.status == DeliveryStatus.sending and row.attempts == 1
    # a second worker cannot take it while it may be in flight ...
    ok = Context.for_settings(settings, FileBackend(settings.outbox_dir, secret=settings.secret))
    assert dict(deliver_digests(session, ok, batch.user_ids, batch.cadence, batch.window_end, now)) == {"skipped": 1}
    assert stuck_deliveries(session, settings, now) == []
    # ... until it is stuck past the deadline; then the sweeper hands it out once more
    later = now + timedelta(seconds=settings.delivery_stuck_after)
    assert stuck_deliveries(session, settings, later) == [row.id]
    assert dict(deliver_digests(session, ok, batch.user_ids, batch.cadence, batch.window_end, later)) == {"sent": 1}
    assert list(outbox(settings)) == [f"delivery-{row.id}.eml"]
    assert titles_sent(settings, "ivy@example.com") == ["Java 30"]


def test_demand_snapshot_in_the_digest(settings: Settings, session: Session) -> None:
    from digest.store.models import DemandSkillDay

    w = World(session)
    jo = w.user("jo@example.com")
    w.subscribe(jo, "python")
    sid = w.skill("python").id
    as_of = date(2026, 3, 2)
    for d in range(1, 57):
        session.add(DemandSkillDay(skill_id=sid, day=as_of - timedelta(days=d - 1), postings=2 if d <= 28 else 1))
    w.item("Python news", T0 + timedelta(hours=1), "python")
    w.commit()
    run(session, settings, T0 + timedelta(hours=8))
    (msg,) = outbox(settings).values()
    assert "Demand: 84 postings in 90 days, +100% vs the prior 4 weeks; no significant change." in text_of(msg)
    html = msg.get_body(("html",))
    assert html is not None and 'src="cid:chart-python"' in html.get_content()
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0]["Content-ID"] == "<chart-python>"
