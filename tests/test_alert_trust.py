"""Alerts a person can trust and tune (#20, item 3), on SQLite and PostgreSQL: who gets an alert email (followed
skills only or also paired ones; the smallest change), the chart with the compared windows marked, the p-value
in words at its boundaries, the "Why am I seeing this?" page, and an alert email read from the outbox with its
links followed."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.config import Settings
from digest.demand.chance import chance_line, fdr_line, one_in, p_text
from digest.demand.chart import DARK, LIGHT, NARROW_WIDTH_PX, chart_path, render_weekly_chart
from digest.demand.explain import compared_windows
from digest.store.models import (
    Delivery,
    DeliveryKind,
    DemandSkillDay,
    DemandSkillPairWindow,
    DemandWindow,
    Direction,
    ShiftAlert,
    User,
)
from tests.helpers import REPO
from tests.test_digest_ledger import T0, World, outbox, run

ARTIFACTS = REPO / "test-artifacts" / "alerts"

WEEK = T0.date()  # a Monday: the alert's evaluation week


def _alert(session: Session, skill_id: int, change: float = 0.5, hours: int = 2) -> ShiftAlert:
    a = ShiftAlert(skill_id=skill_id, direction=Direction.up if change > 0 else Direction.down, opened_on=WEEK,
                   change=change, p_value=0.0004, q_value=0.004, recent=150, prior=100,
                   created_at=T0 + timedelta(hours=hours))  # fmt: skip
    session.add(a)
    session.commit()
    return a


def _prefs(u: User, scope: str = "followed", least: int = 0) -> User:
    u.alert_scope, u.alert_min_change = scope, least
    return u


def _alerted(session: Session) -> dict[str, Any]:
    """Alert deliveries by address: the payload of each."""
    rows = session.execute(
        select(User.email, Delivery.payload).join(User, User.id == Delivery.user_id)
        .where(Delivery.kind == DeliveryKind.alert)
    ).all()  # fmt: skip
    return {email: payload for email, payload in rows}


def _pairs(session: Session, w: World, followed: str, counts: dict[str, int]) -> None:
    """The pair window (as of WEEK): postings mentioning `followed` and each other skill."""
    session.add(DemandWindow(id=1, as_of=WEEK))
    for slug, n in counts.items():
        session.add(DemandSkillPairWindow(skill_id=w.skill(followed).id, other_skill_id=w.skill(slug).id, postings=n))
        session.add(DemandSkillPairWindow(skill_id=w.skill(slug).id, other_skill_id=w.skill(followed).id, postings=n))


def test_followed_only_or_also_paired(settings: Settings, session: Session) -> None:
    """Paired = among the first 5 (alert_paired_skills) of the followed skill's paired skills, in the figure's
    order (postings, then name): "e" and "f" tie at 10, "e" is fifth by name, "f" sixth."""
    w = World(session)
    both = _prefs(w.user("both@example.com", alerts=True), "paired")
    only = _prefs(w.user("only@example.com", alerts=True), "followed")
    off = _prefs(w.user("off@example.com", alerts=False), "paired")
    for u in (both, only, off):
        w.subscribe(u, "python")
    direct = _prefs(w.user("direct@example.com", alerts=True), "paired")
    w.subscribe(direct, "e")
    _pairs(session, w, "python", {"a": 50, "b": 40, "c": 30, "d": 20, "e": 10, "f": 10, "g": 5})
    w.commit()
    _alert(session, w.skill("e").id)
    assert run(session, settings, T0 + timedelta(hours=2, minutes=1)) == {"alert sent": 2}
    got = _alerted(session)
    assert set(got) == {"both@example.com", "direct@example.com"}
    assert got["both@example.com"]["via"] == w.skill("python").id and "via" not in got["direct@example.com"]
    mail = next(m for m in outbox(settings).values() if m["To"] == "both@example.com")
    text = str(mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert "because you follow Python, E is among the skills most often paired with it" in text
    for slug in ("f", "g"):  # sixth by name, seventh: not paired
        _alert(session, w.skill(slug).id, hours=3)
    assert run(session, settings, T0 + timedelta(hours=3, minutes=1)) == {}


def test_a_paired_alerts_unsubscribe_link_stops_paired_alerts_only(settings: Settings, session: Session) -> None:
    """A paired alert came for a skill the person never followed: its link (and List-Unsubscribe) stops paired
    alerts, and the followed skill's subscription, which that email was not about, stays."""
    from digest.store.models import Subscription, SubscriptionStatus
    from digest.web.app import create_app

    w = World(session)
    u = _prefs(w.user("both@example.com", alerts=True), "paired")
    w.subscribe(u, "python")
    _pairs(session, w, "python", {"a": 50})
    w.commit()
    _alert(session, w.skill("a").id)
    assert run(session, settings, T0 + timedelta(hours=2, minutes=1)) == {"alert sent": 1}
    (mail,) = outbox(settings).values()
    text = str(mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    header = re.search(r"<(https?://[^>]+)>", str(mail["List-Unsubscribe"]))
    assert header is not None
    link = header.group(1)
    assert f"Unsubscribe (from alerts for paired skills): {link}" in text
    client = TestClient(create_app(settings))
    path = link.removeprefix(settings.base_url)
    page = " ".join(client.get(path).text.split())
    assert "Stop alerts for skills paired with those I follow" in page and "Unsubscribe from Python" not in page
    done = client.post(path, data={"action": "paired"})
    assert done.status_code == 200 and "No more paired alerts" in done.text
    session.expire_all()
    assert session.get(User, u.id).alert_scope == "followed"  # type: ignore[union-attr]
    (sub,) = session.scalars(select(Subscription).where(Subscription.user_id == u.id))
    assert sub.status == SubscriptionStatus.active
    u2 = session.get(User, u.id)
    assert u2 is not None
    u2.alert_scope = "paired"
    session.commit()
    r = client.post(path, data={"List-Unsubscribe": "One-Click"})  # RFC 8058, as a mail client sends it
    assert r.status_code == 200
    session.expire_all()
    assert session.get(User, u.id).alert_scope == "followed"  # type: ignore[union-attr]
    assert session.scalars(select(Subscription.status)).all() == [SubscriptionStatus.active]
    _alert(session, w.skill("a").id, change=0.6, hours=30 * 24)  # a later alert for the paired skill: none
    assert "alert sent" not in run(session, settings, T0 + timedelta(days=30, minutes=1))


def test_the_smallest_change_and_the_defaults(settings: Settings, session: Session) -> None:
    w = World(session)
    plain = w.user("plain@example.com", alerts=True)  # the defaults: followed skills, any size
    assert (plain.alert_scope, plain.alert_min_change) == ("followed", 0)
    users = {least: _prefs(w.user(f"min{least}@example.com", alerts=True), least=least) for least in (25, 50, 100)}
    for u in (plain, *users.values()):
        w.subscribe(u, "python")
        w.subscribe(u, "go")
    w.commit()
    _alert(session, w.skill("python").id, change=0.5)
    _alert(session, w.skill("go").id, change=-0.499, hours=3)  # "fell 50%": size 50, as the email states it
    run(session, settings, T0 + timedelta(hours=3, minutes=1))
    sent = sorted((m["To"], m["Subject"]) for m in outbox(settings).values())
    assert sent == [
        ("min25@example.com", "[digest] Go: demand falling (-50%)"),
        ("min25@example.com", "[digest] Python: demand rising (+50%)"),
        ("min50@example.com", "[digest] Go: demand falling (-50%)"),
        ("min50@example.com", "[digest] Python: demand rising (+50%)"),
        ("plain@example.com", "[digest] Go: demand falling (-50%)"),
        ("plain@example.com", "[digest] Python: demand rising (+50%)"),
    ]
    assert run(session, settings, T0 + timedelta(hours=4)) == {}  # once: the ledger's semantics are unchanged


def _weekly(as_of: date, recent: int = 8, before: int = 4) -> dict[str, Any]:
    weeks = [as_of - timedelta(days=as_of.weekday() + 7 * k) for k in range(13, -1, -1)]
    tested = compared_windows(WEEK).tested
    rows = [{"week_start": d.isoformat(), "postings": recent if tested[0] <= d < tested[1] else before} for d in weeks]
    return {"skill": "python", "name": "Python", "as_of": as_of.isoformat(), "weekly": rows}


def _colours(png: bytes) -> set[tuple[int, int, int]]:
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    return {c for _, c in img.getcolors(maxcolors=1 << 16) or []}


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return (int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16))


@pytest.mark.parametrize("palette", [LIGHT, DARK], ids=["light", "dark"])
@pytest.mark.parametrize("width", [560, NARROW_WIDTH_PX])
def test_the_chart_marks_the_two_windows(palette: Any, width: int, tmp_path: Any) -> None:
    fig = _weekly(WEEK + timedelta(days=2))
    marks = compared_windows(WEEK)
    assert (marks.tested, marks.before) == ((date(2026, 2, 2), WEEK), (date(2026, 1, 5), date(2026, 2, 2)))
    marked, plain = render_weekly_chart(fig, palette, width, marks), render_weekly_chart(fig, palette, width)
    bands = {_rgb(palette.tested_band), _rgb(palette.before_band)}
    assert bands <= _colours(marked) and not bands & _colours(plain)
    from PIL import Image

    img = Image.open(io.BytesIO(marked)).convert("RGB")
    # the tested band stands above the tested weeks' bars, right of the band of the weeks before
    row = [img.getpixel((x, 34)) for x in range(width)]
    tested_x = [x for x, c in enumerate(row) if c == _rgb(palette.tested_band)]
    before_x = [x for x, c in enumerate(row) if c == _rgb(palette.before_band)]
    assert tested_x and before_x and max(before_x) < min(tested_x)
    assert chart_path(fig, tmp_path, marks=marks) != chart_path(fig, tmp_path)  # cached apart


def test_a_window_older_than_the_chart_is_left_out() -> None:
    fig = _weekly(WEEK + timedelta(days=200))
    png = render_weekly_chart(fig, LIGHT, 560, compared_windows(WEEK))
    assert not {_rgb(LIGHT.tested_band), _rgb(LIGHT.before_band)} & _colours(png)


@pytest.mark.parametrize(
    ("p", "words"),
    [
        (0.0, "less than 1 in 1,000,000"),
        (0.00099, "less than 1 in 1,000"),
        (0.001, "less than 1 in 100"),  # exactly 1 in 1,000 is not less than it
        (0.0099, "less than 1 in 100"),
        (0.01, "about 1 in 100"),
        (0.0123, "about 1 in 81"),
        (0.05, "about 1 in 20"),
        (1.0, "every time"),
    ],
)
def test_p_value_in_words_at_the_boundaries(p: float, words: str) -> None:
    assert one_in(p) == words


def test_the_lines_say_what_p_and_q_are() -> None:
    assert chance_line(0.0004) == (
        "If demand had not really changed, a change this large would happen by chance less than 1 time in 1,000 "
        "weeks like these (p < 0.001, allowing for how much this skill's weekly counts usually wobble)."
    )
    assert "about 1 time in 40 weeks like these (p = 0.025," in chance_line(0.025)
    assert [p_text(x) for x in (0.00099, 0.001, 0.00995, 0.0029, 0.5)] == [
        "p < 0.001", "p = 0.001", "p = 0.0099", "p = 0.0029", "p = 0.5",
    ]  # fmt: skip
    assert "we expect about 1 in 25 to be a false alarm (q = 0.04)" in fdr_line(0.04)
    with pytest.raises(ValueError):
        one_in(float("nan"))


def _days(session: Session, skill_id: int) -> None:
    """A chart's worth of daily counts: 2 a day, 4 a day in the alert's tested weeks."""
    tested = compared_windows(WEEK).tested
    for d in range(1, 90):
        day = WEEK + timedelta(days=2) - timedelta(days=d)
        session.add(DemandSkillDay(skill_id=skill_id, day=day, postings=4 if tested[0] <= day < tested[1] else 2))


def test_the_about_page_and_the_skill_page_with_an_open_alert(settings: Settings, session: Session) -> None:
    from digest.demand.figures import clear_memo
    from digest.web.app import create_app

    clear_memo()
    w = World(session)
    python = w.skill("python")
    _days(session, python.id)
    w.commit()
    alert = _alert(session, python.id)
    client = TestClient(create_app(settings))
    about = client.get("/about/alerts")
    assert about.status_code == 200
    text = " ".join(about.text.split())
    for words in ("Why am I seeing this alert?", "compare the last 1, 2, 3 and 4 of those weeks",
                  "less than once in 100 weeks", "at least 20 postings in the skill's baseline",
                  "a change of at least 20%", "1 in 20 (q ≤ 0.05)", "for 4 weeks",
                  "one of the 5 skills most often mentioned"):  # fmt: skip
        assert words in text, words
    assert "weekly tests in a row" not in text  # persistence is the windows method's, not what runs
    windows = TestClient(create_app(settings.model_copy(update={"shift_method": "windows"})))
    text = " ".join(windows.get("/about/alerts").text.split())
    for words in ("the last 4 complete weeks and in the 4 weeks before those", "at least 20 postings in the two",
                  "2 weekly tests in a row", "for 28 days"):  # fmt: skip
        assert words in text, words
    page = client.get(f"/skills/python?as_of={WEEK + timedelta(days=2)}").text
    clear_memo()
    text = " ".join(page.split())
    assert f"/skills/python/chart.png?as_of={WEEK + timedelta(days=2)}&amp;alert={alert.id}" in page
    assert "would happen by chance less than 1 time in 1,000 weeks like these" in text
    assert '<a href="/about/alerts">Why am I seeing this?</a>' in text
    assert "The test compared the 4 weeks 2 Feb – 1 Mar 2026 with the 4 weeks before them" in text
    chart = f"/skills/python/chart.png?as_of={WEEK + timedelta(days=2)}"
    marked, plain = client.get(f"{chart}&alert={alert.id}"), client.get(chart)
    assert marked.status_code == plain.status_code == 200
    assert _rgb(LIGHT.tested_band) in _colours(marked.content) and _rgb(LIGHT.tested_band) not in _colours(
        plain.content
    )
    other = client.get(f"{chart}&alert={alert.id + 1000}")  # not this skill's alert: the plain chart
    assert other.content == plain.content
    assert client.get(f"{chart}&alert=nope").status_code in (400, 422)


def test_an_alert_email_in_the_outbox_and_its_links(settings: Settings, session: Session) -> None:
    from digest.web.app import create_app

    w = World(session)
    w.subscribe(w.user("ann@example.com", alerts=True), "python")
    _days(session, w.skill("python").id)
    w.commit()
    _alert(session, w.skill("python").id)
    assert run(session, settings, T0 + timedelta(hours=2, minutes=1)) == {"alert sent": 1}
    (mail,) = outbox(settings).values()
    text = str(mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    html = str(mail.get_body(("html",)).get_content())  # type: ignore[union-attr]
    for part in (text, html):
        assert "less than 1 time in 1,000 weeks like these" in part
        assert "The test compared the 4 weeks 2 Feb – 1 Mar 2026 with the 4 weeks before them" in part
        assert f"{settings.base_url}/about/alerts" in part
    assert "In the chart: dark bars are the weeks tested" in html
    (image,) = [p for p in mail.walk() if p.get_content_type() == "image/png"]
    png = image.get_content()
    assert _rgb(LIGHT.tested_band) in _colours(png)  # the narrow chart, marked
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "alert-email-chart.png").write_bytes(png)  # to look at
    client = TestClient(create_app(settings))
    links = set(re.findall(r'href="([^"]+)"', html)) | set(re.findall(r"https?://\S+", text))
    assert links
    for url in links:
        assert url.startswith(settings.base_url + "/"), url
        r = client.get(url.replace("&amp;", "&").removeprefix(settings.base_url), follow_redirects=True)
        assert r.status_code == 200, url


def test_a_sequential_alert_says_which_weeks_its_test_found() -> None:
    """The sequential test fires on its last 1-4 weeks against the skill's baseline; the line says so and still
    names the two windows the stated change (and the chart's marks) compare."""
    windows = compared_windows(WEEK)
    assert windows.line.startswith("The test compared the 4 weeks 2 Feb – 1 Mar 2026 with the 4 weeks before")
    one, two = compared_windows(WEEK, 1), compared_windows(WEEK, 2)
    assert one.line.startswith("The test found the change in the last week against the skill's usual share;")
    assert "in the last 2 weeks against" in two.line
    assert "compares the 4 weeks 2 Feb – 1 Mar 2026 with the 4 weeks before them (5 Jan – 1 Feb 2026)" in two.line
    assert (one.tested, one.before) == (windows.tested, windows.before)
