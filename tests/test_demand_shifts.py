"""Shift detection: the rate test, the gates, persistence, hysteresis and cooldown, on both databases."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.demand import rollups
from digest.demand.figures import demand_figures
from digest.demand.shifts import list_shifts, open_alerts, rate_test, run_detection
from digest.store.models import ShiftAlert, ShiftEvaluation
from tests.support import synthetic

START = date(2025, 11, 3)  # a Monday


def test_rate_test_known_values() -> None:
    p, change = rate_test([30, 1100, 1100, 10], [10, 1000, 1000, 10], 1000, 1000, [1.0, 1.0, 4.0, 1.0])
    assert p[0] == pytest.approx(0.0022214, rel=1e-4)  # exact: 2 * P(Bin(40, 1/2) >= 30)
    assert p[1] == pytest.approx(0.0290963, rel=1e-4)  # score test, z = 50 / sqrt(2100 / 4)
    assert p[2] == pytest.approx(0.2752335, rel=1e-4)  # the same with over-dispersion 4: z halves
    assert p[3] == pytest.approx(1.0)
    assert list(change) == pytest.approx([2.0, 0.1, 0.1, 0.0])
    # shares, not counts: twice the postings from twice the exposure is no change at all
    p, change = rate_test(60, 30, 2000, 1000, 1.0)
    assert change[0] == pytest.approx(0.0) and p[0] == pytest.approx(1.0, abs=0.02)


def _weeks(session: Session, per_skill: dict[int, list[int]], totals: list[int]) -> None:
    """Week w gets the counts on its Tuesday and Friday (split), directly into the rollups."""
    counts = rollups._empty()
    for w, total in enumerate(totals):
        tue, fri = START + timedelta(days=7 * w + 1), START + timedelta(days=7 * w + 4)
        counts["total"][(tue,)] += total - total // 2
        counts["total"][(fri,)] += total // 2
        for s, series in per_skill.items():
            if series[w]:
                counts["skill"][(s, tue)] += series[w] - series[w] // 2
                counts["skill"][(s, fri)] += series[w] // 2
    rollups.apply_counts(session, counts)
    session.commit()


def _monday(w: int) -> datetime:
    return datetime.combine(START + timedelta(days=7 * w), datetime.min.time(), tzinfo=UTC) + timedelta(minutes=30)


def test_alert_lifecycle(session: Session) -> None:
    rng = random.Random(3)
    skills = synthetic.skills(session, [f"S{i}" for i in range(30)])
    weeks = 30
    # skill 0: 40/week, doubles from week 12, back to 40 from week 20; the rest: steady noise
    rising = [40] * 12 + [80] * 8 + [40] * 10
    per_skill = {skills[0].id: rising}
    for s in skills[1:]:
        lam = rng.choice([5, 15, 40])
        per_skill[s.id] = [sum(rng.random() < lam / 200 for _ in range(200)) for _ in range(weeks)]
    _weeks(session, per_skill, [2000] * weeks)
    opened_at: dict[int, list[int]] = {}
    conditions: Counter[int] = Counter()
    for w in range(9, weeks + 1):  # evaluation on the Monday after week w-1 completes
        summary = run_detection(session, _monday(w), method="windows")
        session.commit()
        for a in summary.opened:
            opened_at.setdefault(a.skill_id, []).append(w)
        for e in session.scalars(select(ShiftEvaluation).where(ShiftEvaluation.week_start == summary.week_start)):
            conditions[e.skill_id] += e.condition
    # weeks 12.. doubled; the condition first holds once the recent window carries enough of them,
    # and the alert opens on the second consecutive evaluation, not the first
    assert list(opened_at) == [skills[0].id], opened_at
    first = opened_at[skills[0].id][0]
    cond_weeks = [
        e.week_start
        for e in session.scalars(
            select(ShiftEvaluation)
            .where(ShiftEvaluation.skill_id == skills[0].id, ShiftEvaluation.condition.is_(True))
            .order_by(ShiftEvaluation.week_start)
        )
    ]
    assert cond_weeks[0] == START + timedelta(days=7 * (first - 1))
    assert 13 <= first <= 16
    alert = session.scalar(select(ShiftAlert).where(ShiftAlert.skill_id == skills[0].id))
    assert alert is not None and alert.direction == "up" and alert.change >= 0.2
    # it closed once the change fell below 10% (hysteresis), and nothing re-opened in the cooldown
    assert alert.closed_on is not None and alert.closed_on > alert.opened_on
    assert len(opened_at[skills[0].id]) == 1
    assert open_alerts(session, [skills[0].id], as_of=alert.opened_on) == [alert]
    assert open_alerts(session, [skills[0].id]) == []
    # stats carries the stored verdict of the run
    fig = demand_figures(session, skills[0], alert.opened_on)
    assert fig["shift"]["significant"] is True and fig["shift"]["alert_open"] is True
    assert fig["shift"]["direction"] == "up"
    rows = list_shifts(session, alert.opened_on)
    assert rows[0]["skill"] == skills[0].slug and rows[0]["alert_open"]


def test_gates_small_counts_and_new_feed(session: Session) -> None:
    small, fed = synthetic.skills(session, ["Small", "Fed"])
    # small: 1/week then 3/week (p small, but fewer than 20 postings across the windows)
    # fed: doubles exactly when a new feed doubles all postings: its share does not move
    _weeks(
        session,
        {small.id: [1] * 8 + [3] * 4, fed.id: [50] * 8 + [100] * 4},
        [1000] * 8 + [2000] * 4,
    )
    for w in (11, 12):
        run_detection(session, _monday(w), method="windows")
    session.commit()
    evals = {
        e.skill_id: e
        for e in session.scalars(
            select(ShiftEvaluation).where(ShiftEvaluation.week_start == START + timedelta(days=84))
        )
    }
    assert evals[small.id].condition is False and evals[small.id].q_value is None  # not tested: too few
    assert evals[fed.id].condition is False and abs(evals[fed.id].change or 0) < 0.01
    assert session.scalar(select(ShiftAlert)) is None
    # idempotent: running the same week again stores one evaluation per skill
    run_detection(session, _monday(12), method="windows")
    session.commit()
    assert (
        len(
            session.scalars(
                select(ShiftEvaluation).where(ShiftEvaluation.week_start == START + timedelta(days=84))
            ).all()
        )
        == 2
    )


def test_verdict_words() -> None:
    from digest.demand.text import change_words, verdict_words

    assert verdict_words({"significant": True, "direction": "up"}) == "a real rise"
    assert verdict_words({"significant": True, "direction": "down"}) == "a real fall"
    assert verdict_words({"significant": False, "direction": "down"}) == "within normal variation"
    assert change_words(-0.091) == "down 9% vs the prior 4 weeks" and change_words(None).startswith("no postings")


def test_dispersion_is_pearson_chi2_over_the_history_weeks(session: Session) -> None:
    """phi from the rollups equals chi2/df computed here from the weekly series, over the HISTORY_WEEKS weeks
    before the recent window only (the weeks under test and a week with no posting at all stay out)."""
    from digest.demand.shifts import HISTORY_WEEKS, WINDOW_DAYS, dispersion

    skills = synthetic.skills(session, ["Steady", "Bursty", "Rare"])
    weeks = HISTORY_WEEKS + WINDOW_DAYS // 7 + 2  # two weeks before the history, which must not count
    rng = random.Random(5)
    totals = [1000 + rng.randrange(200) for _ in range(weeks)]
    totals[5] = 0  # an outage: no posting that week
    steady = [round(t * 0.03) for t in totals]
    bursty = [(90 if w % 5 == 0 else 10) if totals[w] else 0 for w in range(weeks)]
    rare = [1 if w % 4 == 0 else 0 for w in range(weeks)]  # fewer than MIN_LARGER in the history: phi 1
    _weeks(session, {skills[0].id: steady, skills[1].id: bursty, skills[2].id: rare}, totals)
    week = START + timedelta(days=7 * weeks)
    history = range(2, 2 + HISTORY_WEEKS)
    seen = [w for w in history if totals[w]]

    def expected(series: list[int]) -> float:
        c = [series[w] for w in seen]
        n = [totals[w] for w in seen]
        e = [t * sum(c) / sum(n) for t in n]
        return max(1.0, sum((x - y) ** 2 / y for x, y in zip(c, e, strict=True)) / (len(seen) - 1))

    phi = dispersion(session, week, [s.id for s in skills])
    assert phi[skills[0].id] == pytest.approx(expected(steady), rel=1e-9)
    assert phi[skills[1].id] == pytest.approx(expected(bursty), rel=1e-9) and phi[skills[1].id] > 10
    assert phi[skills[2].id] == 1.0
