"""Shift detection: is a skill's share of postings really different from before? `run_detection` runs the
method `Settings.shift_method` names: "sequential" (the default: `digest.demand.sequential_run`, a scan of
the last 1-4 weeks against the skill's own baseline) or "windows", this module's own test of the last 4
completed weeks against the 4 before. See docs/demand.md for both. Everything reads the per-day rollups."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import and_, bindparam, case, delete, func, or_, select
from sqlalchemy.orm import Session

from digest.demand.totals import MIN_TOTAL
from digest.demand.weeks import monday
from digest.store.models import DemandSkillDay, DemandTotalDay, Direction, ShiftAlert, ShiftEvaluation, Skill
from digest.store.weeks import weekly_postings

WINDOW_DAYS = 28  # 4 weeks per window
MIN_LARGER = 10  # postings in the larger window
MIN_CHANGE = 0.20  # |share ratio - 1| to open
CLOSE_BELOW = 0.10  # an open alert closes when the change in its direction falls below this
Q_MAX = 0.05  # Benjamini-Hochberg
PERSISTENCE = 2  # consecutive weekly evaluations with the condition
COOLDOWN_DAYS = 28  # one alert per skill and direction per 4 weeks
HISTORY_WEEKS = 26  # the skill's own history for over-dispersion
EXACT_BELOW = 100  # effective postings across both windows below which the exact conditional test is used


@dataclass
class Result:
    skill_id: int
    recent: int
    prior: int
    recent_total: int
    prior_total: int
    change: float | None
    p_value: float
    q_value: float | None
    phi: float
    direction: Direction
    condition: bool


def evaluation_week(as_of: date) -> date:
    """The Monday after the last completed week as of `as_of` (the week containing as_of is not complete)."""
    return monday(as_of)


def rate_test(c1: Any, c0: Any, n1: Any, n0: Any, phi: Any) -> tuple[np.ndarray, np.ndarray]:
    """Two-sample Poisson rate-ratio test of c1/n1 against c0/n0, conditional on c1 + c0, with counts
    deflated by the over-dispersion phi (quasi-Poisson). Exact binomial (central two-sided) for small
    effective counts, score test for large. Returns (p_value, share ratio - 1, inf when c0 == 0)."""
    from scipy import stats  # ~0.7 s to import: only where a test runs

    c1, c0, n1, n0, phi = (np.atleast_1d(np.asarray(a, dtype=float)) for a in (c1, c0, n1, n0, phi))
    c1, c0, n1, n0, phi = np.broadcast_arrays(c1, c0, n1, n0, phi)
    p = np.ones(c1.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(c0 > 0, (c1 / n1) / (c0 / n0) - 1.0, np.where(c1 > 0, np.inf, 0.0))
    ok = (n1 > 0) & (n0 > 0) & (c1 + c0 > 0)
    pi = np.where(ok, n1 / np.where(ok, n1 + n0, 1.0), 0.5)
    eff1, eff0 = c1 / phi, c0 / phi
    exact = ok & (eff1 + eff0 < EXACT_BELOW)
    if exact.any():
        k = np.rint(eff1[exact] + eff0[exact])
        x = np.minimum(np.rint(eff1[exact]), k)
        lower = stats.binom.cdf(x, k, pi[exact])
        upper = stats.binom.sf(x - 1, k, pi[exact])
        p[exact] = np.minimum(1.0, 2 * np.minimum(lower, upper))
    score = ok & ~exact
    if score.any():
        n = c1[score] + c0[score]
        var = n * pi[score] * (1 - pi[score]) * phi[score]
        z = (c1[score] - n * pi[score]) / np.sqrt(var)
        p[score] = 2 * stats.norm.sf(np.abs(z))
    return p, change


def direction_of(change: float, recent: int) -> Direction:
    if change == np.inf:
        return Direction.up
    if abs(change) < 0.0005 or (recent == 0 and change == 0):
        return Direction.flat
    return Direction.up if change > 0 else Direction.down


def window_counts(
    session: Session, week: date, skill_ids: Sequence[int] | None = None
) -> tuple[dict[int, tuple[int, int]], int, int]:
    """Per skill (recent, prior) postings for the 4 weeks before `week` and the 4 before those; totals."""
    r0, p0 = week - timedelta(days=WINDOW_DAYS), week - timedelta(days=2 * WINDOW_DAYS)
    recent = func.sum(case((DemandSkillDay.day >= r0, DemandSkillDay.postings), else_=0))
    prior = func.sum(case((DemandSkillDay.day < r0, DemandSkillDay.postings), else_=0))
    q = select(DemandSkillDay.skill_id, recent, prior).where(DemandSkillDay.day >= p0, DemandSkillDay.day < week)
    if skill_ids is not None:
        q = q.where(DemandSkillDay.skill_id.in_(skill_ids))
    counts = {s: (int(r or 0), int(p or 0)) for s, r, p in session.execute(q.group_by(DemandSkillDay.skill_id))}
    tr = func.sum(case((DemandTotalDay.day >= r0, DemandTotalDay.postings), else_=0))
    tp = func.sum(case((DemandTotalDay.day < r0, DemandTotalDay.postings), else_=0))
    n1, n0 = session.execute(select(tr, tp).where(DemandTotalDay.day >= p0, DemandTotalDay.day < week)).one()
    return counts, int(n1 or 0), int(n0 or 0)


def dispersion(session: Session, week: date, skill_ids: Sequence[int]) -> dict[int, float]:
    """phi per skill: Pearson chi2/df of its weekly counts against a constant share of all postings,
    over the HISTORY_WEEKS weeks before the recent window (so the change under test does not inflate it)."""
    start = week - timedelta(days=WINDOW_DAYS + 7 * HISTORY_WEEKS)
    # a long list of skills reads them all: one scan beats a large IN list
    totals, series = weekly_postings(session, start, HISTORY_WEEKS, skill_ids if len(skill_ids) <= 500 else None)
    weeks = [w for w, n in enumerate(totals) if n > 0]
    phi = dict.fromkeys(skill_ids, 1.0)
    if len(weeks) < 4:
        return phi
    tot = np.array([totals[w] for w in weeks], dtype=float)
    all_n = tot.sum()
    none = [0] * HISTORY_WEEKS
    for s in skill_ids:
        c = np.array([series.get(s, none)[w] for w in weeks], dtype=float)
        if c.sum() < MIN_LARGER:
            continue
        expected = tot * c.sum() / all_n
        seen = expected > 0
        chi2 = float(((c[seen] - expected[seen]) ** 2 / expected[seen]).sum())
        phi[s] = max(1.0, chi2 / (len(weeks) - 1))
    return phi


def evaluate(session: Session, week: date, skill_ids: Sequence[int] | None = None) -> list[Result]:
    """Test every skill with postings in the two windows before `week`; BH across the skills tested."""
    from scipy import stats

    counts, n1, n0 = window_counts(session, week, skill_ids)
    ids = sorted(counts)
    if not ids:
        return []
    phi = dispersion(session, week, ids)
    c1 = np.array([counts[s][0] for s in ids])
    c0 = np.array([counts[s][1] for s in ids])
    p, change = rate_test(c1, c0, n1, n0, [phi[s] for s in ids])
    tested = (c1 + c0 >= MIN_TOTAL) & (np.maximum(c1, c0) >= MIN_LARGER) & (n1 > 0) & (n0 > 0)
    q = np.full(len(ids), np.nan)
    if tested.any():
        q[tested] = stats.false_discovery_control(p[tested], method="bh")
    results = []
    for i, s in enumerate(ids):
        ch = float(change[i])
        cond = bool(tested[i] and abs(ch) >= MIN_CHANGE and q[i] <= Q_MAX)
        results.append(
            Result(
                skill_id=s,
                recent=int(c1[i]),
                prior=int(c0[i]),
                recent_total=n1,
                prior_total=n0,
                change=None if not np.isfinite(ch) else ch,
                p_value=float(p[i]),
                q_value=None if np.isnan(q[i]) else float(q[i]),
                phi=phi[s],
                direction=direction_of(ch, int(c1[i])),
                condition=cond,
            )
        )
    return results


def store_week(session: Session, week: date, verdicts: Iterable[ShiftEvaluation]) -> None:
    """The week's verdicts, by either method, in place of any stored before."""
    session.execute(delete(ShiftEvaluation).where(ShiftEvaluation.week_start == week))
    session.add_all(verdicts)
    session.flush()


def _store(session: Session, week: date, results: list[Result], now: datetime) -> None:
    store_week(
        session,
        week,
        (
            ShiftEvaluation(
                skill_id=r.skill_id,
                week_start=week,
                recent=r.recent,
                prior=r.prior,
                recent_total=r.recent_total,
                prior_total=r.prior_total,
                change=r.change,
                p_value=r.p_value,
                q_value=r.q_value,
                direction=r.direction,
                condition=r.condition,
                evaluated_at=now,
            )
            for r in results
        ),
    )


def finite_change(recent: int, prior: int, recent_total: int, prior_total: int) -> float:
    """The share change an alert stores: finite even when nothing was posted before (Haldane: prior 0.5)."""
    return (recent / recent_total) / ((prior or 0.5) / prior_total) - 1


@dataclass
class RunSummary:
    week_start: date
    tested: int
    evaluated: int
    opened: list[ShiftAlert]
    closed: list[ShiftAlert]


def configured_method() -> str:
    from digest.config import get_settings

    return get_settings().shift_method


def run_detection(session: Session, now: datetime, as_of: date | None = None, method: str | None = None) -> RunSummary:
    """Evaluate every skill on the last completed weeks as of `as_of` (default now's date), store the
    verdicts, and open or close alerts, by `method` (default: `Settings.shift_method`). Idempotent per week."""
    if (method or configured_method()) == "sequential":
        from digest.demand.sequential_run import run

        return run(session, now, as_of)
    return run_windows(session, now, as_of)


def run_windows(session: Session, now: datetime, as_of: date | None = None) -> RunSummary:
    """Today's method: the 4+4-week test with persistence. The week before is evaluated first when it never
    was (e.g. right after a backfill), so persistence has something to compare with."""
    week = evaluation_week(as_of or now.date())
    prev_week = week - timedelta(days=7)
    if session.scalar(select(func.count()).where(ShiftEvaluation.week_start == prev_week)) == 0:
        _store(session, prev_week, evaluate(session, prev_week), now)
    results = evaluate(session, week)
    _store(session, week, results, now)
    prev = {
        e.skill_id: e for e in session.scalars(select(ShiftEvaluation).where(ShiftEvaluation.week_start == prev_week))
    }
    by_skill = {r.skill_id: r for r in results}
    opened, closed = [], []
    for alert in session.scalars(
        select(ShiftAlert).where(ShiftAlert.closed_on.is_(None), ShiftAlert.opened_on < week)
    ).all():
        r = by_skill.get(alert.skill_id)
        ch = (r.change if r.change is not None else np.inf) if r is not None and r.recent > 0 else 0.0
        still = ch >= CLOSE_BELOW if alert.direction == Direction.up else ch <= -CLOSE_BELOW
        if not still:
            alert.closed_on = week
            closed.append(alert)
    recent_alerts = {
        (a.skill_id, a.direction)
        for a in session.scalars(
            select(ShiftAlert).where(
                or_(ShiftAlert.closed_on.is_(None), ShiftAlert.opened_on > week - timedelta(days=COOLDOWN_DAYS))
            )
        )
    }
    for r in results:
        before = prev.get(r.skill_id)
        persisted = before is not None and before.condition and before.direction == r.direction
        if not (r.condition and persisted) or (r.skill_id, r.direction) in recent_alerts:
            continue
        change = r.change if r.change is not None else finite_change(r.recent, r.prior, r.recent_total, r.prior_total)
        alert = ShiftAlert(
            skill_id=r.skill_id,
            direction=r.direction,
            opened_on=week,
            change=change,
            p_value=r.p_value,
            q_value=r.q_value if r.q_value is not None else 1.0,
            recent=r.recent,
            prior=r.prior,
            created_at=now,
        )
        session.add(alert)
        opened.append(alert)
    session.flush()
    return RunSummary(week, sum(r.q_value is not None for r in results), len(results), opened, closed)


def open_alerts(session: Session, skill_ids: Sequence[int], as_of: date | None = None) -> list[ShiftAlert]:
    """Alerts open for these skills (as of a date: opened on or before it and not closed by then)."""
    q = select(ShiftAlert).where(ShiftAlert.skill_id.in_(list(skill_ids)))
    if as_of is None:
        q = q.where(ShiftAlert.closed_on.is_(None))
    else:
        q = q.where(ShiftAlert.opened_on <= as_of, or_(ShiftAlert.closed_on.is_(None), ShiftAlert.closed_on > as_of))
    return list(session.scalars(q.order_by(ShiftAlert.opened_on.desc(), ShiftAlert.id)))


_EVALS = select(
    ShiftEvaluation.week_start,
    ShiftEvaluation.direction,
    ShiftEvaluation.p_value,
    ShiftEvaluation.condition,
    ShiftEvaluation.method,
).where(
    ShiftEvaluation.skill_id == bindparam("skill_id"),
    ShiftEvaluation.week_start.in_(bindparam("weeks", expanding=True)),
)
_ANY_POSTINGS = (
    select(DemandSkillDay.day)
    .where(
        DemandSkillDay.skill_id == bindparam("skill_id"),
        DemandSkillDay.day >= bindparam("after"),
        DemandSkillDay.day < bindparam("before"),
        DemandSkillDay.postings > 0,
    )
    .limit(1)
)
_OPEN_AT = (
    select(ShiftAlert.id)
    .where(
        ShiftAlert.skill_id == bindparam("skill_id"),
        ShiftAlert.opened_on <= bindparam("as_of"),
        or_(ShiftAlert.closed_on.is_(None), ShiftAlert.closed_on > bindparam("as_of")),
    )
    .limit(1)
)


def verdict(session: Session, skill: Skill, as_of: date) -> dict[str, Any]:
    """The `shift` object of the demand figures: the stored weekly run when there is one, otherwise the
    configured method computed now for this skill alone (BH over one test). A sequential verdict is
    significant when its condition holds; a windows one when it held in this week's and last week's run in
    the same direction (persistence, checked the same way). A skill missing from a stored run had no
    postings in its windows: the same answer as testing it now."""
    week = evaluation_week(as_of)
    weeks = [week, week - timedelta(days=7)]
    flat = (Direction.flat, 1.0, False)
    rows = session.execute(_EVALS, {"skill_id": skill.id, "weeks": weeks}).all()
    found: dict[date, tuple[Direction, float, bool]] = {
        w: (d, p if p is not None else 1.0, c) for w, d, p, c, _ in rows
    }
    method = {w: m for w, *_, m in rows}.get(week) or configured_method()
    if method == "sequential":
        if week not in found:
            from digest.demand.sequential_run import evaluate as judge

            js = judge(session, week, [skill.id])
            scan = js[0].scan if js else None
            found[week] = (js[0].direction, scan.p_value if scan else 1.0, js[0].condition) if js else flat
        direction, p, significant = found[week]
    else:
        missing = [w for w in weeks if w not in found]
        if missing:
            window = {
                "skill_id": skill.id,
                "after": min(missing) - timedelta(days=2 * WINDOW_DAYS),
                "before": max(missing),
            }
            if session.execute(_ANY_POSTINGS, window).first() is None:
                found.update(dict.fromkeys(missing, flat))
            for w in missing:
                if w not in found:
                    rs = evaluate(session, w, [skill.id])
                    found[w] = (rs[0].direction, rs[0].p_value, rs[0].condition) if rs else flat
        direction, p, cond = found[week]
        pdir, _, pcond = found[weeks[1]]
        significant = cond and pcond and pdir == direction
    return {
        "direction": direction.value,
        "significant": bool(significant),
        "p_value": round(p, 3),
        "alert_open": session.execute(_OPEN_AT, {"skill_id": skill.id, "as_of": as_of}).first() is not None,
    }


def list_shifts(session: Session, as_of: date) -> list[dict[str, Any]]:
    """Alerts open as of the date, and skills whose condition held in that week's run, strongest first."""
    week = evaluation_week(as_of)
    alerts = {a.skill_id: a for a in open_alerts_all(session, as_of)}
    evals = {
        e.skill_id: e
        for e in session.scalars(
            select(ShiftEvaluation).where(
                ShiftEvaluation.week_start == week,
                or_(ShiftEvaluation.condition.is_(True), ShiftEvaluation.skill_id.in_(list(alerts))),
            )
        )
    }
    ids = set(alerts) | set(evals)
    skills = {s.id: s for s in session.scalars(select(Skill).where(Skill.id.in_(ids)))}
    rows = []
    for sid in ids:
        a, e = alerts.get(sid), evals.get(sid)
        rows.append(
            {
                "skill": skills[sid].slug,
                "name": skills[sid].name,
                "week_start": week.isoformat(),
                "direction": (a.direction if a else e.direction).value,  # type: ignore[union-attr]
                "change": None if e is None or e.change is None else round(e.change, 3),
                "recent": e.recent if e else a.recent,  # type: ignore[union-attr]
                "prior": e.prior if e else a.prior,  # type: ignore[union-attr]
                "p_value": None if e is None or e.p_value is None else round(e.p_value, 4),
                "q_value": None if e is None or e.q_value is None else round(e.q_value, 4),
                "condition": bool(e and e.condition),
                "alert_open": a is not None,
                "alert_opened_on": a.opened_on.isoformat() if a else None,
                "method": e.method if e else a.method,  # type: ignore[union-attr]
                # sequential: the scan window that fired (weeks) and its change against the skill's baseline
                "scan_weeks": e.scan_weeks if e else None,
                "scan_change": None if e is None or e.scan_change is None else round(e.scan_change, 3),
            }
        )
    rows.sort(key=lambda r: (not r["alert_open"], -abs(float(r["change"] or 0.0))))
    return rows


def open_alerts_all(session: Session, as_of: date) -> list[ShiftAlert]:
    q = select(ShiftAlert).where(
        and_(ShiftAlert.opened_on <= as_of, or_(ShiftAlert.closed_on.is_(None), ShiftAlert.closed_on > as_of))
    )
    return list(session.scalars(q))
