"""A skill's demand snapshot as a digest shows it: the figures of digest.demand.figures, batched over many
skills (one read of the daily rollups for all of them), from pure functions of the daily counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from digest.demand.totals import MIN_TOTAL, weekly_totals, window_totals
from digest.demand.window import WINDOW_DAYS
from digest.store.models import DemandSkillDay, ShiftAlert, ShiftEvaluation, Skill


@dataclass(frozen=True)
class Snapshot:
    """Demand figures for one skill as of a date (DESIGN.md 'Demand figures', the part a digest shows)."""

    postings: int
    recent_4_weeks: int
    prior_4_weeks: int
    change_vs_prior_4_weeks: float | None
    direction: str = "flat"  # up, down, flat
    significant: bool = False
    alert_open: bool = False
    weekly: tuple[tuple[date, int], ...] = ()
    chart_png: bytes | None = field(default=None, compare=False, repr=False)

    @property
    def verdict(self) -> str:
        if self.significant and self.direction == "up":
            return "demand is rising"
        if self.significant and self.direction == "down":
            return "demand is falling"
        if self.postings == 0:
            return "no postings yet"
        if self.recent_4_weeks + self.prior_4_weeks < MIN_TOTAL:
            return "too few postings to test for a shift"  # 'no significant change' would be a verdict on nothing
        return "no significant change"

    @property
    def change_text(self) -> str:
        c = self.change_vs_prior_4_weeks
        if c is None:
            return "new (no postings in the prior 4 weeks)" if self.recent_4_weeks else "no change"
        return f"{c:+.0%} vs the prior 4 weeks"


def snapshot_of(days: Mapping[date, int], as_of: date, verdict: tuple[str, bool] | None, alert_open: bool) -> Snapshot:
    """The snapshot from plain data: the window's daily counts, the latest shift verdict (direction,
    significant), and whether an alert is open."""
    postings, recent, prior, change = window_totals(days, as_of)
    direction, significant = verdict or ("flat", False)
    return Snapshot(
        postings=postings,
        recent_4_weeks=recent,
        prior_4_weeks=prior,
        change_vs_prior_4_weeks=change,
        direction=direction,
        significant=significant,
        alert_open=alert_open,
        weekly=weekly_totals(days, as_of),
    )


def snapshots(
    session: Session,
    skill_ids: Iterable[int],
    as_of: date,
    charts_dir: Path,
    cache: dict[tuple[int, date], Snapshot] | None = None,
) -> dict[int, Snapshot]:
    """Postings in 90 days, change vs the prior 4 weeks with the shift verdict, and the weekly chart, per
    skill, from the daily rollups (batched over many skills), and the skill page's weekly chart."""
    cache = {} if cache is None else cache
    ids = sorted(set(skill_ids))
    missing = [s for s in ids if (s, as_of) not in cache]
    if missing:
        start = as_of - timedelta(days=WINDOW_DAYS)
        counts: dict[int, dict[date, int]] = defaultdict(dict)
        for chunk in _chunks(missing, 1000):
            q = select(DemandSkillDay.skill_id, DemandSkillDay.day, DemandSkillDay.postings).where(
                DemandSkillDay.skill_id.in_(chunk), DemandSkillDay.day > start, DemandSkillDay.day <= as_of
            )
            for s, d, n in session.execute(q).tuples():
                counts[s][d] = n
        verdicts = _latest_verdicts(session, missing, as_of)
        open_alerts = set(
            session.scalars(
                select(ShiftAlert.skill_id).where(
                    ShiftAlert.skill_id.in_(missing), ShiftAlert.closed_on.is_(None), ShiftAlert.opened_on <= as_of
                )
            )
        )
        skills = {sk.id: sk for sk in session.scalars(select(Skill).where(Skill.id.in_(missing)))}
        for s in missing:
            snap = snapshot_of(counts.get(s, {}), as_of, verdicts.get(s), s in open_alerts)
            if snap.postings and s in skills:
                # the skill page's narrow chart (emails show it at most 300 px wide: the wide one's labels would
                # shrink to 6 px), cached on disk per skill and day: drawn once a day, whoever asks first
                from digest.demand.chart import weekly_chart_png  # Pillow only where a chart is drawn

                snap = replace(snap, chart_png=weekly_chart_png(session, skills[s], as_of, charts_dir, narrow=True))
            cache[(s, as_of)] = snap
    return {s: cache[(s, as_of)] for s in ids}


def _latest_verdicts(session: Session, skill_ids: list[int], as_of: date) -> dict[int, tuple[str, bool]]:
    """(direction, condition) of each skill's latest stored weekly evaluation on or before `as_of`."""
    latest = (
        select(ShiftEvaluation.skill_id, func.max(ShiftEvaluation.week_start).label("week"))
        .where(ShiftEvaluation.skill_id.in_(skill_ids), ShiftEvaluation.week_start <= as_of)
        .group_by(ShiftEvaluation.skill_id)
        .subquery()
    )
    rows = session.execute(
        select(ShiftEvaluation.skill_id, ShiftEvaluation.direction, ShiftEvaluation.condition).join(
            latest,
            and_(ShiftEvaluation.skill_id == latest.c.skill_id, ShiftEvaluation.week_start == latest.c.week),
        )
    ).tuples()
    return {s: (str(d), bool(c)) for s, d, c in rows}


def _chunks(seq: Sequence[Any], n: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]
