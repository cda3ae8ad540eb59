"""The sequential detector (`digest.demand.sequential`) as the product runs it: each skill's weekly series read
from the per-day rollups, every skill judged as of an evaluation week, the verdicts stored in
`shift_evaluations` (method "sequential") and alerts opened and closed in `shift_alerts` with today's cooldown
and hysteresis. `digest.demand.shifts.run_detection` calls `run` when `Settings.shift_method` is "sequential"
(the default); docs/demand.md, "Sequential detection", has the method and why it runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from digest.demand import sequential as sq
from digest.demand.shifts import RunSummary, direction_of, evaluation_week, finite_change, store_week
from digest.store.models import Direction, ShiftAlert, ShiftEvaluation
from digest.store.weeks import weekly_postings

METHOD = "sequential"
SERIES_WEEKS = sq.LAG_WEEKS + sq.HISTORY_WEEKS  # the longest baseline, the 4 weeks it lags, the scan inside those
SEED = 0


@dataclass
class Judged:
    """One skill's verdict for an evaluation week: the 4 weeks against the 4 before (what the page shows and
    the explanation splits) and, when it was tested, the scan's verdict."""

    skill_id: int
    recent: int
    prior: int
    recent_total: int
    prior_total: int
    change: float | None  # the share change, None when not finite
    direction: Direction
    scan: sq.Verdict | None

    @property
    def condition(self) -> bool:
        return self.scan is not None and self.scan.condition


def evaluate(session: Session, week: date, skill_ids: Sequence[int] | None = None) -> list[Judged]:
    """Every skill with a posting in the SERIES_WEEKS weeks before `week` (or those of `skill_ids`; BH then runs
    across them alone), judged on its weekly series as the backtest judges it."""
    totals, series = weekly_postings(session, week - timedelta(days=7 * SERIES_WEEKS), SERIES_WEEKS, skill_ids)
    ids = sorted(series)
    if not ids:
        return []
    counts = np.array([series[s] for s in ids], dtype=float)
    n = np.array(totals, dtype=float)
    c1, c0, n1, n0, change = sq.four_weeks(counts, n, SERIES_WEEKS)
    scans = {v.row: v for v in sq.evaluate(counts, n, SERIES_WEEKS, seed=SEED)}
    out = []
    for i, s in enumerate(ids):
        v, ch = scans.get(i), float(change[i])
        if v is not None and v.condition:
            direction = Direction.up if v.up else Direction.down
        else:
            direction = Direction.flat if np.isnan(ch) else direction_of(ch, int(c1[i]))
        out.append(
            Judged(
                skill_id=s,
                recent=int(c1[i]),
                prior=int(c0[i]),
                recent_total=int(n1[i]),
                prior_total=int(n0[i]),
                change=ch if np.isfinite(ch) else None,
                direction=direction,
                scan=v,
            )
        )
    return out


def _store(session: Session, week: date, judged: list[Judged], now: datetime) -> None:
    store_week(
        session,
        week,
        (
            ShiftEvaluation(
                skill_id=j.skill_id,
                week_start=week,
                recent=j.recent,
                prior=j.prior,
                recent_total=j.recent_total,
                prior_total=j.prior_total,
                change=j.change,
                p_value=j.scan.p_value if j.scan else None,
                q_value=j.scan.q_value if j.scan else None,
                direction=j.direction,
                condition=j.condition,
                evaluated_at=now,
                method=METHOD,
                statistic=j.scan.stat if j.scan else None,
                threshold=j.scan.threshold if j.scan else None,
                scan_weeks=j.scan.weeks if j.scan and j.scan.stat > 0 else None,
                scan_change=j.scan.ratio - 1.0 if j.scan and j.scan.stat > 0 else None,
            )
            for j in judged
        ),
    )


def run(session: Session, now: datetime, as_of: date | None = None) -> RunSummary:
    """Judge every skill as of `as_of`'s evaluation week (default: now's), store the verdicts, close the open
    alerts whose last 4 weeks no longer move by CLOSE_BELOW in their direction against the baseline
    (hysteresis), and open one where the condition holds, unless the skill has one open or opened in the
    last COOLDOWN_WEEKS in that direction (cooldown). Idempotent per week."""
    week = evaluation_week(as_of or now.date())
    judged = evaluate(session, week)
    _store(session, week, judged, now)
    by_skill = {j.skill_id: j for j in judged}
    opened, closed = [], []
    for alert in session.scalars(
        select(ShiftAlert).where(ShiftAlert.closed_on.is_(None), ShiftAlert.opened_on < week)
    ).all():
        j = by_skill.get(alert.skill_id)
        ch = j.scan.change4 if j is not None and j.scan is not None else 0.0
        if sq.closes(alert.direction == Direction.up, ch):
            alert.closed_on = week
            closed.append(alert)
    busy = {
        (a.skill_id, a.direction)
        for a in session.scalars(
            select(ShiftAlert).where(
                or_(ShiftAlert.closed_on.is_(None), ShiftAlert.opened_on > week - timedelta(weeks=sq.COOLDOWN_WEEKS))
            )
        )
    }
    for j in judged:
        if not j.condition or (j.skill_id, j.direction) in busy or j.scan is None:
            continue
        alert = ShiftAlert(
            skill_id=j.skill_id,
            direction=j.direction,
            opened_on=week,
            change=finite_change(j.recent, j.prior, j.recent_total, j.prior_total),
            p_value=j.scan.p_value,
            q_value=j.scan.q_value if j.scan.q_value is not None else 1.0,
            recent=j.recent,
            prior=j.prior,
            created_at=now,
            method=METHOD,
            scan_weeks=j.scan.weeks,
            scan_change=j.scan.ratio - 1.0,
        )
        session.add(alert)
        opened.append(alert)
    session.flush()
    return RunSummary(week, sum(j.scan is not None for j in judged), len(judged), opened, closed)
