"""The sequential detector as the product runs it (`run_detection`, default `shift_method`), on SQLite and
PostgreSQL: a change injected into the real HN postings opens an alert within two weeks through the import use
case, the real postings alone open none, cooldown and hysteresis hold, the explanation and the concentration
guard apply to its alerts, and a run is deterministic."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.demand import rollups
from digest.demand.explain import HELD_EMPLOYER, explain_week, sentence
from digest.demand.figures import demand_figures
from digest.demand.shifts import list_shifts, run_detection
from digest.demand.text import shifts_text
from digest.ingest.jobs_import import import_jobs
from digest.sources.jobfile import Posting, Row, read_hn
from digest.store.models import Direction, ShiftAlert, ShiftEvaluation, Skill
from digest.taxonomy.load import load_taxonomy
from tests.conftest import _empty_database
from tests.support import synthetic

MARCH = datetime(2026, 3, 9, 0, 30, tzinfo=UTC)  # the Monday after the March thread's first week
CHANGED = (date(2026, 3, 2), date(2026, 3, 16))  # the weeks whose Python postings are doubled


@pytest.fixture(autouse=True)
def _empty_at_start(engine: Any) -> None:
    _empty_database(engine)


def _hn(shared_data: Path, factor: int = 1, employer: str | None = None) -> list[Row]:
    """The real HN postings; with `factor`, (factor - 1) x as many postings of the changed weeks as named
    Python now name it too (and, with `employer`, come from that employer): Python's share of those weeks is
    multiplied by `factor`, and nothing else moves (the same postings, the same totals). The quarter gives
    a baseline of 5 weeks with postings, so the simulated null has a heavy tail: a doubling reaches q of
    0.07-0.2 among the ~40 skills tested (not an alert), a tripling q < 0.01."""
    rows = list(read_hn(shared_data / "hn-whoishiring-2026q1"))
    changed = [
        (i, p)
        for i, (_, p) in enumerate(rows)
        if isinstance(p, Posting) and CHANGED[0] <= p.posted_at.date() < CHANGED[1]
    ]
    named = sum("python" in p.description.lower() for _, p in changed)
    if factor > 1:
        others = [(i, p) for i, p in changed if "python" not in p.description.lower()][: (factor - 1) * named]
        for i, p in others:
            rows[i] = (rows[i][0], dataclasses.replace(p, description=p.description + " We use Python.",
                                                       company=employer or p.company))  # fmt: skip
    return rows


def _import(session: Session, rows: list[Row], now: datetime = MARCH) -> None:
    load_taxonomy(session)
    session.commit()
    done = import_jobs(rows, "import:hn", now)
    assert done.shifts is not None and done.result.added > 900


def _python(session: Session) -> Skill:
    return session.scalars(select(Skill).where(Skill.slug == "python")).one()


def test_a_change_in_real_postings_opens_an_alert_within_two_weeks(
    settings: Any, session: Session, shared_data: Path
) -> None:
    _import(session, _hn(shared_data, factor=3))
    python = _python(session)
    alerts = session.scalars(select(ShiftAlert)).all()
    assert [(a.skill_id, a.direction, a.opened_on, a.method) for a in alerts] == [
        (python.id, Direction.up, MARCH.date(), "sequential")
    ]  # one week of changed data, and nothing else in the real postings
    alert = alerts[0]
    assert alert.scan_weeks == 1 and alert.scan_change is not None and alert.scan_change > 0.5
    assert alert.p_value < 0.01 and alert.q_value <= 0.05
    # the verdict stored beside it is the one `stats` shows
    row = session.scalars(select(ShiftEvaluation).where(ShiftEvaluation.skill_id == python.id)).one()
    assert (row.method, row.condition, row.direction) == ("sequential", True, Direction.up)
    assert row.statistic is not None and row.threshold is not None and row.statistic >= row.threshold
    shift = demand_figures(session, python, MARCH.date())["shift"]
    assert shift["significant"] is True and shift["alert_open"] is True and shift["direction"] == "up"
    (listed,) = list_shifts(session, MARCH.date())
    assert (listed["skill"], listed["method"], listed["scan_weeks"], listed["alert_open"]) == (
        "python",
        "sequential",
        1,
        True,
    )
    assert "last 1 week(s) +" in shifts_text(MARCH.date(), MARCH.date(), [listed])
    # the explanation splits the 4 weeks against the 4 before, as it does for the windows method's alerts
    e = explain_week(session, python.id, alert.opened_on)
    assert (e.now, e.before) == (alert.recent, alert.prior)
    assert e.held is None and e.change > 0
    assert sentence("Python", alert.change, e).startswith(f"Python postings rose {alert.change:.0%} (4 weeks")
    # a second run in the same week opens nothing more and stores the same verdicts (idempotent, seeded)
    before = [(r.skill_id, r.statistic, r.threshold, r.p_value) for r in session.scalars(select(ShiftEvaluation))]
    session.commit()
    again = run_detection(session, MARCH + timedelta(hours=5))
    session.commit()
    assert again.opened == [] and again.closed == []
    after = [(r.skill_id, r.statistic, r.threshold, r.p_value) for r in session.scalars(select(ShiftEvaluation))]
    assert sorted(after, key=lambda r: r[0]) == sorted(before, key=lambda r: r[0])


def test_the_real_postings_alone_open_no_alert(settings: Any, session: Session, shared_data: Path) -> None:
    _import(session, _hn(shared_data))
    for week in range(2):
        summary = run_detection(session, MARCH + timedelta(weeks=week))
        session.commit()
        assert summary.tested > 20 and summary.opened == []
    assert session.scalar(select(ShiftAlert)) is None


def test_one_employers_drive_opens_an_alert_the_guard_holds_back(
    settings: Any, session: Session, shared_data: Path
) -> None:
    _import(session, _hn(shared_data, factor=3, employer="Stripe"))
    python = _python(session)
    alert = session.scalars(select(ShiftAlert).where(ShiftAlert.skill_id == python.id)).one()
    assert alert.method == "sequential" and alert.opened_on == MARCH.date()
    e = explain_week(session, python.id, alert.opened_on)
    assert e.held == HELD_EMPLOYER and e.carrier is not None and e.carrier.label == "Stripe"
    assert "Held back (driven by one employer): Stripe" in sentence("Python", alert.change, e)


START = date(2025, 11, 3)  # a Monday


def _weeks(session: Session, per_skill: dict[int, list[int]], totals: list[int]) -> None:
    """Week w's counts on its Wednesday, straight into the rollups."""
    counts = rollups._empty()
    for w, total in enumerate(totals):
        day = START + timedelta(days=7 * w + 2)
        counts["total"][(day,)] += total
        for s, series in per_skill.items():
            if series[w]:
                counts["skill"][(s, day)] += series[w]
    rollups.apply_counts(session, counts)
    session.commit()


def _monday(w: int) -> datetime:
    return datetime.combine(START + timedelta(days=7 * w), datetime.min.time(), tzinfo=UTC) + timedelta(minutes=30)


def _steady(rng: random.Random, lam: int, weeks: int) -> list[int]:
    return [sum(rng.random() < lam / 200 for _ in range(200)) for _ in range(weeks)]


def test_alert_lifecycle_cooldown_and_hysteresis(settings: Any, session: Session) -> None:
    """Skill 0 doubles from week 16 and is back from week 24: one rise, opened within 2 weeks and closed once
    the last 4 weeks are back under +10% of its baseline; the steady skills open nothing."""
    rng = random.Random(3)
    skills = synthetic.skills(session, [f"S{i}" for i in range(20)])
    weeks = 32
    per_skill = {skills[0].id: [40] * 16 + [80] * 8 + [40] * 8}
    for s in skills[1:]:
        per_skill[s.id] = _steady(rng, rng.choice([5, 15, 40]), weeks)
    _weeks(session, per_skill, [2000] * weeks)
    opened: list[tuple[int, Direction, int]] = []
    closed: list[tuple[int, int]] = []
    for w in range(9, weeks + 1):
        summary = run_detection(session, _monday(w))
        session.commit()
        opened += [(a.skill_id, a.direction, w) for a in summary.opened]
        closed += [(a.skill_id, w) for a in summary.closed]
    ups = [o for o in opened if o[1] == Direction.up]
    assert [(s, d) for s, d, _ in ups] == [(skills[0].id, Direction.up)], opened
    assert 16 < ups[0][2] <= 18  # 1 or 2 weeks of doubled postings
    assert {s for s, _, _ in opened} == {skills[0].id}  # nothing for the steady skills
    up_closed = next(w for s, w in closed if s == skills[0].id)
    assert 24 < up_closed <= 28  # not while doubled (hysteresis), soon after it ends


def test_cooldown_and_hysteresis_on_stored_alerts(settings: Any, session: Session) -> None:
    """A skill whose condition holds gets no new alert while one of its direction was opened in the last
    4 weeks (even a closed one), and gets one after; an open alert of a steady skill is closed."""
    rng = random.Random(5)
    skills = synthetic.skills(session, ["Rising", "Steady", "Other"])
    weeks = 20
    _weeks(
        session,
        {
            skills[0].id: [30] * 19 + [90],
            skills[1].id: _steady(rng, 40, weeks),
            skills[2].id: _steady(rng, 15, weeks),
        },
        [2000] * weeks,
    )
    week = _monday(weeks).date()

    def alert(skill: Skill, opened: date, closed: date | None) -> ShiftAlert:
        a = ShiftAlert(
            skill_id=skill.id, direction=Direction.up, opened_on=opened, closed_on=closed, change=0.5,
            p_value=0.001, q_value=0.01, recent=10, prior=5, created_at=_monday(0),
        )  # fmt: skip
        session.add(a)
        return a

    recent = alert(skills[0], week - timedelta(days=21), week - timedelta(days=7))  # closed, but 3 weeks ago
    steady = alert(skills[1], week - timedelta(days=35), None)
    session.commit()
    summary = run_detection(session, _monday(weeks))
    session.commit()
    assert summary.opened == []  # cooldown: Rising's condition holds, but an alert of its direction is recent
    assert session.scalars(select(ShiftEvaluation.condition).where(ShiftEvaluation.skill_id == skills[0].id)).one()
    assert [a.id for a in summary.closed] == [steady.id]  # hysteresis: nothing moves, it closes
    recent.opened_on = week - timedelta(days=28)  # 4 weeks ago: the cooldown is over
    session.commit()
    summary = run_detection(session, _monday(weeks))
    session.commit()
    assert [(a.skill_id, a.direction, a.method) for a in summary.opened] == [(skills[0].id, Direction.up, "sequential")]


def test_the_windows_method_stays_available(settings: Any, session: Session, monkeypatch: Any) -> None:
    """shift_method=windows runs today's test (persistence: nothing opens on the first evaluation)."""
    from digest import config

    skills = synthetic.skills(session, ["Rising", "Other"])
    _weeks(session, {skills[0].id: [30] * 19 + [90], skills[1].id: [20] * 20}, [2000] * 20)
    monkeypatch.setenv("DIGEST_SHIFT_METHOD", "windows")
    config.get_settings.cache_clear()
    summary = run_detection(session, _monday(20))
    session.commit()
    methods = set(session.scalars(select(ShiftEvaluation.method)))
    assert methods == {"windows"} and summary.opened == []
