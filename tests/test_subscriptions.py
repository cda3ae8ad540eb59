"""The subscriptions library on SQLite and PostgreSQL: double opt-in, tokens, cadence, pause, unsubscribe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest.accounts import confirmation, housekeeping, inputs, links, people, ratelimit, sessions, signin
from digest.accounts import subscriptions as subs
from digest.accounts.tokens import ExpiredToken, InvalidToken
from digest.delivery.context import Context
from digest.delivery.signups import deliver_signups
from digest.demand import search
from digest.mail.suppression import is_suppressed, suppress
from digest.store.models import Cadence, Delivery, DeliveryStatus, RateEvent, Subscription, SubscriptionStatus, User
from digest.taxonomy.resolve import UnknownSkill
from tests.accounts_data import add_skills, link_in, outbox, send_login, send_owed

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # a Monday


def _subscribe(session: Session, settings: Any, *args: Any, **kwargs: Any) -> subs.SubscribeOutcome:
    """subscribe, then what the worker does once it committed: the owed email sent (at the same `now`)."""
    out = subs.subscribe(session, settings, *args, **kwargs)
    return send_owed(session, settings, out, args[3])


def _token(url: str) -> str:
    return parse_qs(urlparse(url).query)["token"][0]


@pytest.fixture
def skills(session: Session) -> dict[str, Any]:
    return add_skills(session)


def test_subscribe_sends_one_confirmation_and_confirm_activates(settings: Any, session: Session, skills: Any) -> None:
    out = _subscribe(session, settings, " Ann@Example.COM ", "python 3", "weekly", NOW)
    session.commit()
    assert out.emailed and out.skill.slug == "python"
    sub = session.get(Subscription, out.subscription_id)
    assert sub is not None and sub.status == SubscriptionStatus.pending and sub.cadence == Cadence.weekly
    assert sub.user.email == "ann@example.com"
    [msg] = outbox(settings.outbox_dir)
    assert msg["To"] == "ann@example.com" and "Python" in msg["Subject"]
    assert msg.get_body(preferencelist=("html",)) is not None
    assert msg["List-Unsubscribe"] == f"<{link_in(msg, '/unsubscribe')}>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = link_in(msg, "/confirm")
    assert url.startswith(settings.base_url + "/confirm?token=")

    later = NOW + timedelta(days=2)
    done = confirmation.confirm(session, settings, _token(url), later)
    session.commit()
    assert done.subscription.status == SubscriptionStatus.active
    # the first digest reaches back DIGEST_FIRST_DIGEST_DAYS before the confirmation
    assert done.subscription.cursor == later - timedelta(days=7) and done.subscription.confirmed_at == later
    assert done.user.confirmed_at == later


def test_confirm_link_is_single_use_signed_and_expires_after_7_days(
    settings: Any, session: Session, skills: Any
) -> None:
    _subscribe(session, settings, "bo@example.com", "go", "daily", NOW)
    token = _token(link_in(outbox(settings.outbox_dir)[0], "/confirm"))
    with pytest.raises(ExpiredToken):
        confirmation.confirm(session, settings, token, NOW + timedelta(days=7, seconds=1))
    with pytest.raises(InvalidToken):
        confirmation.confirm(session, settings, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), NOW)
    with pytest.raises(InvalidToken):  # a token for another purpose
        links.read_unsubscribe_token(session, settings, token, NOW)
    confirmation.confirm(session, settings, token, NOW + timedelta(days=6))
    with pytest.raises(links.TokenUsed):
        confirmation.confirm(session, settings, token, NOW + timedelta(days=6, minutes=1))


def test_resubscribing_while_pending_resends_rate_limited_and_active_is_untouched(
    settings: Any, session: Session, skills: Any
) -> None:
    assert _subscribe(session, settings, "cy@example.com", "rust", "daily", NOW).emailed
    assert not _subscribe(session, settings, "cy@example.com", "Rust", "weekly", NOW + timedelta(minutes=5)).emailed
    again = _subscribe(session, settings, "cy@example.com", "rust", "hourly", NOW + timedelta(minutes=11))
    assert again.emailed
    assert len(outbox(settings.outbox_dir)) == 2
    sub = session.get(Subscription, again.subscription_id)
    assert sub is not None and sub.cadence == Cadence.hourly  # the latest choice wins while pending
    confirmation.confirm(
        session, settings, _token(link_in(outbox(settings.outbox_dir)[-1], "/confirm")), NOW + timedelta(hours=1)
    )
    cursor = sub.cursor
    out = _subscribe(session, settings, "cy@example.com", "rust", "weekly", NOW + timedelta(days=1))
    assert out.emailed and sub.status == SubscriptionStatus.active  # a notice, as much work as a confirmation
    assert sub.cadence == Cadence.hourly and sub.cursor == cursor
    notice = outbox(settings.outbox_dir)[-1]
    assert notice["Subject"].endswith("You already get the Rust digest") and "/settings" in str(notice)
    assert session.scalar(select(func.count()).select_from(User)) == 1


def test_resubscribe_after_unsubscribe_needs_a_new_confirmation(settings: Any, session: Session, skills: Any) -> None:
    out = _subscribe(session, settings, "di@example.com", "react", "daily", NOW)
    confirmation.confirm(session, settings, _token(link_in(outbox(settings.outbox_dir)[0], "/confirm")), NOW)
    sub = session.get(Subscription, out.subscription_id)
    assert sub is not None
    subs.unsubscribe(session, sub, NOW + timedelta(days=1))
    again = _subscribe(session, settings, "di@example.com", "react", "weekly", NOW + timedelta(days=2))
    assert again.emailed and again.subscription_id == sub.id
    assert sub.status == SubscriptionStatus.pending and sub.cadence == Cadence.weekly
    new = _token(link_in(outbox(settings.outbox_dir)[-1], "/confirm"))
    confirmation.confirm(session, settings, new, NOW + timedelta(days=3))
    assert sub.status == SubscriptionStatus.active and sub.cursor == NOW + timedelta(days=3) - timedelta(days=7)


def test_bad_input_is_refused_with_a_clear_message(settings: Any, session: Session, skills: Any) -> None:
    with pytest.raises(inputs.BadInput, match="email address"):
        _subscribe(session, settings, "not-an-address", "python", "daily", NOW)
    with pytest.raises(inputs.BadInput, match="hourly, daily or weekly"):
        _subscribe(session, settings, "a@example.com", "python", "monthly", NOW)
    with pytest.raises(UnknownSkill) as info:
        _subscribe(session, settings, "a@example.com", "Pythn", "daily", NOW)
    assert [s.slug for s in info.value.suggestions][:1] == ["python"]
    assert session.scalar(select(func.count()).select_from(Subscription)) == 0


def test_cadence_change_pause_and_resume_keep_the_cursor(settings: Any, session: Session, skills: Any) -> None:
    out = _subscribe(session, settings, "ed@example.com", "kubernetes", "daily", NOW)
    confirmation.confirm(session, settings, _token(link_in(outbox(settings.outbox_dir)[0], "/confirm")), NOW)
    sub = session.get(Subscription, out.subscription_id)
    assert sub is not None
    sent_up_to = NOW + timedelta(days=1)
    sub.cursor = sent_up_to  # as the delivery engineer does when a digest is sent
    user = sub.user
    t = NOW + timedelta(days=1, hours=5)
    assert people.next_digest_at(user, sub, t) == datetime(2026, 3, 4, 8, tzinfo=UTC)
    subs.change_cadence(session, sub, "weekly", t)
    assert sub.cursor == sent_up_to and sub.cadence == Cadence.weekly
    assert people.next_digest_at(user, sub, t) == datetime(2026, 3, 9, 8, tzinfo=UTC)  # next Monday
    subs.pause(session, sub, t)
    assert sub.status == SubscriptionStatus.paused and people.next_digest_at(user, sub, t) is None
    subs.resume(session, sub, t + timedelta(days=20))
    assert sub.status == SubscriptionStatus.active and sub.cursor == sent_up_to
    with pytest.raises(inputs.BadInput):
        subs.change_cadence(session, sub, "yearly", t)


def test_next_digest_follows_account_time_zone_across_dst(settings: Any, session: Session, skills: Any) -> None:
    out = _subscribe(session, settings, "fa@example.com", "go", "daily", NOW)
    sub = session.get(Subscription, out.subscription_id)
    assert sub is not None
    sub.status = SubscriptionStatus.active
    user = people.update_account(session, sub.user, timezone="Europe/Berlin", send_hour=7, weekday=6)
    before = datetime(2026, 3, 28, 12, tzinfo=UTC)  # Saturday; clocks go forward on Sunday 29 March
    assert people.next_digest_at(user, sub, before) == datetime(2026, 3, 29, 5, tzinfo=UTC)  # 07:00 CEST
    assert people.local_time_label(user, datetime(2026, 3, 29, 5, tzinfo=UTC)) == "Sun 29 Mar 2026, 07:00 CEST"
    with pytest.raises(inputs.BadInput, match="time zone"):
        people.update_account(session, user, timezone="Mars/Olympus")
    with pytest.raises(inputs.BadInput):
        people.update_account(session, user, send_hour=24)
    with pytest.raises(inputs.BadInput):
        people.update_account(session, user, weekday=7)


def test_unsubscribe_all_suppresses_the_address(settings: Any, session: Session, skills: Any) -> None:
    for skill in ("python", "go"):
        _subscribe(session, settings, "gi@example.com", skill, "daily", NOW)
    user = session.scalar(select(User).where(User.email == "gi@example.com"))
    assert user is not None
    url = links.unsubscribe_url(settings, None, user.id, NOW)
    target = links.read_unsubscribe_token(session, settings, _token(url), NOW + timedelta(days=300))
    subs.one_click_unsubscribe(session, target, NOW)
    subs.one_click_unsubscribe(session, target, NOW)  # idempotent
    assert {s.status for s in user.subscriptions} == {SubscriptionStatus.unsubscribed}
    assert is_suppressed(session, "GI@example.com")
    before = len(outbox(settings.outbox_dir))
    _subscribe(session, settings, "gi@example.com", "rust", "daily", NOW + timedelta(days=1))  # owed, not sent
    login = session.get(Delivery, send_login(session, settings, "gi@example.com", NOW))  # owed, refused at the send
    assert login is not None and login.status == DeliveryStatus.failed and "suppressed" in (login.last_error or "")
    assert len(outbox(settings.outbox_dir)) == before


def test_unsubscribe_link_is_reusable_long_lived_and_names_one_subscription(
    settings: Any, session: Session, skills: Any
) -> None:
    a = _subscribe(session, settings, "ha@example.com", "python", "daily", NOW)
    b = _subscribe(session, settings, "ha@example.com", "go", "daily", NOW)
    sa, sb = session.get(Subscription, a.subscription_id), session.get(Subscription, b.subscription_id)
    assert sa is not None and sb is not None
    token = _token(links.unsubscribe_url(settings, sa.id, sa.user_id, NOW))
    for _ in range(2):
        subs.one_click_unsubscribe(session, links.read_unsubscribe_token(session, settings, token, NOW), NOW)
    assert sa.status == SubscriptionStatus.unsubscribed and sb.status == SubscriptionStatus.pending
    assert not is_suppressed(session, "ha@example.com")
    assert links.read_unsubscribe_token(session, settings, token, NOW + timedelta(days=365)).subscription is sa
    with pytest.raises(ExpiredToken):
        links.read_unsubscribe_token(session, settings, token, NOW + timedelta(days=3 * 365))
    assert links.settings_url(settings) == settings.base_url + "/settings"


def test_login_link_works_once_for_30_minutes_and_only_for_known_addresses(
    settings: Any, session: Session, skills: Any
) -> None:
    assert send_login(session, settings, "nobody@example.com", NOW) is None
    assert outbox(settings.outbox_dir) == []
    _subscribe(session, settings, "io@example.com", "python", "daily", NOW)
    assert send_login(session, settings, "IO@example.com", NOW) is not None
    token = _token(link_in(outbox(settings.outbox_dir)[-1], "/login"))
    with pytest.raises(ExpiredToken):
        signin.complete_login(session, settings, token, NOW + timedelta(minutes=31))
    user, _ = signin.check_login_token(session, settings, token, NOW + timedelta(minutes=10))
    user = signin.complete_login(session, settings, token, NOW + timedelta(minutes=29))
    assert user.email == "io@example.com"
    with pytest.raises(links.TokenUsed):
        signin.check_login_token(session, settings, token, NOW + timedelta(minutes=29))
    cookie = sessions.session_token(settings, user, NOW)
    assert sessions.user_from_session(session, settings, cookie, NOW + timedelta(days=29)) is user
    assert sessions.user_from_session(session, settings, cookie, NOW + timedelta(days=31)) is None
    assert sessions.user_from_session(session, settings, cookie + "x", NOW) is None


def test_suppressed_address_gets_no_confirmation(settings: Any, session: Session, skills: Any) -> None:
    suppress(session, "bounced@example.com", "bounce", NOW)
    out = _subscribe(session, settings, "bounced@example.com", "python", "daily", NOW)
    assert outbox(settings.outbox_dir) == []  # owed as for anyone (the same work), then refused at the send
    row = session.get(Delivery, out.email_id)
    assert row is not None and row.status == DeliveryStatus.failed and "suppressed" in (row.last_error or "")


def test_find_skills_ranks_exact_then_prefix(settings: Any, session: Session, skills: Any) -> None:
    assert [s.slug for s in search.find_skills(session, "python 3")][:1] == ["python"]
    assert [s.slug for s in search.find_skills(session, "k8s")] == ["kubernetes"]
    assert search.find_skills(session, "re")[0].slug == "react"
    assert search.find_skills(session, "%") == []
    assert len(search.find_skills(session, "", limit=3)) == 3


def test_rate_limit_window_slides_and_prunes(settings: Any, session: Session) -> None:
    window = timedelta(hours=1)
    assert all(ratelimit.hit_all(session, [("k", 3)], window, NOW + timedelta(minutes=i)) for i in range(3))
    assert not ratelimit.hit_all(session, [("k", 3)], window, NOW + timedelta(minutes=30))
    assert ratelimit.hit_all(session, [("other", 3)], window, NOW + timedelta(minutes=30))
    assert ratelimit.hit_all(session, [("k", 3)], window, NOW + timedelta(minutes=60, seconds=1))
    assert ratelimit.prune(session, NOW + timedelta(days=2)) == 5  # the housekeeping prunes, not each hit
    assert session.scalar(select(func.count()).select_from(RateEvent)) == 0


def test_housekeeping_forgets_old_rate_events_and_spent_tokens(settings: Any, session: Session, skills: Any) -> None:
    _subscribe(session, settings, "jo@example.com", "go", "daily", NOW)
    token = _token(link_in(outbox(settings.outbox_dir)[0], "/confirm"))
    confirmation.confirm(session, settings, token, NOW)
    ratelimit.hit_all(session, [("x", 5)], timedelta(hours=1), NOW)
    assert housekeeping.housekeeping(session, settings, NOW + timedelta(days=2)) == 1  # the rate event only
    assert housekeeping.housekeeping(session, settings, NOW + timedelta(days=9)) == 1  # now the spent token
    with pytest.raises(ExpiredToken):  # forgetting it is safe: the link has expired
        confirmation.confirm(session, settings, token, NOW + timedelta(days=9))


def test_sign_up_and_sign_in_emails_are_owed_then_sent_by_the_worker(
    settings: Any, session: Session, skills: Any
) -> None:
    out = subs.subscribe(session, settings, "ko@example.com", "go", "daily", NOW)  # owed, for the worker
    login = signin.request_login(session, "ko@example.com", NOW)
    assert signin.request_login(session, "unknown@example.com", NOW) is None
    session.commit()
    rows = [session.get(Delivery, out.email_id), session.get(Delivery, login)]
    assert outbox(settings.outbox_dir) == [] and all(r is not None and r.status == DeliveryStatus.pending for r in rows)
    assert [r.payload for r in rows if r] == [{"template": "confirm", "subscription_id": out.subscription_id},
                                              {"template": "login"}]  # fmt: skip
    sent = deliver_signups(session, Context.for_settings(settings), [out.email_id, login or 0], NOW)
    assert dict(sent) == {"sign-up sent": 1, "sign-in sent": 1}
    assert sorted(m["Subject"] for m in outbox(settings.outbox_dir)) == [
        "[digest] Confirm your Go digest",
        "[digest] Your sign-in link",
    ]
    for row in rows:
        assert row is not None
        session.refresh(row)
        assert row.status == DeliveryStatus.sent and row.attempts == 1


def test_browse_list_puts_the_skills_most_asked_for_first(settings: Any, session: Session, skills: Any) -> None:
    from datetime import date

    from digest.store.models import DemandSkillDay, Skill

    by_slug = {s.slug: s for s in session.scalars(select(Skill))}
    session.add_all(
        [
            DemandSkillDay(skill_id=by_slug["rust"].id, day=date(2026, 3, 1), postings=9),
            DemandSkillDay(skill_id=by_slug["go"].id, day=date(2026, 3, 1), postings=4),
            DemandSkillDay(skill_id=by_slug["python"].id, day=date(2025, 10, 1), postings=99),  # outside 90 days
        ]
    )
    session.flush()
    found = [s.slug for s in search.find_skills(session, "", 50, as_of=date(2026, 3, 2))]
    assert found[:2] == ["rust", "go"] and "python" not in found[:2]
