"""Backtest of shift detection: run the detector week by week (the real code, on a SQLite database of
per-day rollups) and count false alerts and detection delays.

    .venv/bin/python -m bench.backtest_shifts [--data ../shared/data/hn-whoishiring-2026q1] [--smoke]

Series:
1. HN as it is: the 2026 Q1 "Who is hiring" postings imported with `digest.ingest.imports` and matched
   by the taxonomy matcher, evaluated on every Monday with 8 weeks of history.
2. HN resampled: 12 months built by drawing each month's postings from the real threads, keeping each
   posting's day of the month, so the month-start bursts are preserved; no real change: every alert is false.
3. Synthetic Poisson: skills at 5, 10, 30 and 100 postings a week among ~2,000 a week, 40 weeks; some
   multiplied by 0.5 or 1.5 from week 20 (and 1.5/0.5 injections into the resampled HN series, too).
Targets: false alerts <= 1 per 100 skill-weeks; a >= 50% change at >= 30 postings a week detected within
2 weeks (delay = completed weeks of changed data when the alert opens). By construction the gates put a
floor under that delay for x1.5 and x0.5: after one changed week the 4-week window moves by only 12.5%
(below the 20% gate), after two by 25% (the condition can hold), and persistence needs a second
evaluation: 3 weeks at the earliest. See docs/demand.md.
Beside it, the sequential detector (`digest.demand.sequential`: a likelihood-ratio scan over the last 1-4
weeks, its threshold calibrated per skill for an ARL >= 100 weeks, BH across skills; the product's default
`shift_method`) runs on the same rollups, on the same Mondays, through the same `run_detection`; both are
printed side by side, with the seconds each took.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select

from digest.demand import rollups
from digest.demand.shifts import run_detection
from digest.store.engine import make_engine, migrate, session_factory
from digest.store.models import Skill

DEFAULT_DATA = (
    Path(os.environ.get("DIGEST_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    / "hn-whoishiring-2026q1"
)


@dataclass
class Series:
    """Per-day postings: totals and per-skill counts; which skills change from which week, and how."""

    name: str
    start: date  # a Monday
    weeks: int
    total: Counter[date] = field(default_factory=Counter)
    skills: dict[str, Counter[date]] = field(default_factory=lambda: defaultdict(Counter))
    injected: dict[str, tuple[int, float]] = field(default_factory=dict)  # skill -> (week k, factor)
    weekly_rate: dict[str, float] = field(default_factory=dict)


@dataclass
class Outcome:
    skill_weeks: int = 0
    false_alerts: int = 0
    delays: dict[str, int | None] = field(default_factory=dict)
    seconds: float = 0.0  # detection runs only (not building the rollups)


def run(series: Series, method: str, first_eval_week: int = 9) -> Outcome:
    """The product's detection (`run_detection` with this method) every Monday, on SQLite rollups."""
    folder = Path(tempfile.mkdtemp(prefix="digest-backtest-"))
    url = f"sqlite:///{folder / 'backtest.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    session = session_factory(engine)()
    names = sorted(series.skills)
    session.execute(insert(Skill), [{"slug": n, "name": n} for n in names])
    ids = dict(session.execute(select(Skill.slug, Skill.id)).all())
    counts = rollups._empty()
    for d, n in series.total.items():
        counts["total"][(d,)] = n
    for name, days in series.skills.items():
        for d, n in days.items():
            if n:
                counts["skill"][(ids[name], d)] = n
    rollups.apply_counts(session, counts)
    session.commit()
    out = Outcome()
    for w in range(first_eval_week, series.weeks + 1):
        monday = series.start + timedelta(days=7 * w)
        now = datetime(monday.year, monday.month, monday.day, 0, 30, tzinfo=UTC)
        started = time.perf_counter()
        summary = run_detection(session, now, method=method)
        session.commit()
        out.seconds += time.perf_counter() - started
        for name in names:
            k = series.injected.get(name)
            if k is None or w <= k[0]:  # no change in any week evaluated so far
                out.skill_weeks += 1
        for alert in summary.opened:
            name = next(n for n, i in ids.items() if i == alert.skill_id)
            k = series.injected.get(name)
            if k is None or w <= k[0]:
                out.false_alerts += 1
            elif out.delays.get(name) is None:
                expected = "up" if k[1] > 1 else "down"
                if alert.direction == expected:
                    out.delays[name] = w - k[0]
    for name in series.injected:
        out.delays.setdefault(name, None)
    session.close()
    engine.dispose()
    return out


_MATCHED: list[tuple[datetime, list[str]]] = []


def _hn_postings(data: Path) -> list[tuple[datetime, list[str]]]:
    """Each HN posting's time and skills: the taxonomy matcher's, through the real importer."""
    if _MATCHED:
        return _MATCHED
    from digest.ingest.imports import import_rows
    from digest.sources.jobfile import read_hn
    from digest.store.models import Item, ItemSkill
    from digest.taxonomy.load import load_taxonomy

    folder = Path(tempfile.mkdtemp(prefix="digest-backtest-hn-"))
    url = f"sqlite:///{folder / 'hn.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    with session_factory(engine)() as session:
        load_taxonomy(session)
        session.commit()
        import_rows(session, read_hn(data), "import:hn", datetime(2026, 3, 20, tzinfo=UTC))
        skills: dict[int, list[str]] = defaultdict(list)
        for item_id, slug in session.execute(
            select(ItemSkill.item_id, Skill.slug).join(Skill, Skill.id == ItemSkill.skill_id)
        ):
            skills[item_id].append(slug)
        for item_id, published in session.execute(select(Item.id, Item.published_at)):
            _MATCHED.append((published, sorted(skills.get(item_id, []))))
    engine.dispose()
    return _MATCHED


def _hn_tagged(data: Path) -> list[tuple[datetime, list[str]]]:
    """The dump's own LLM technology tags (silver labels), for comparison."""
    out = []
    for run_dir in sorted(p for p in data.iterdir() if p.is_dir()):
        raw = json.loads((run_dir / "raw.json").read_text())
        tags = {
            j["id"]: j.get("technologies") or [] for j in json.loads((run_dir / "classified.json").read_text())["jobs"]
        }
        for job in raw["jobs"]:
            when = datetime.fromtimestamp(int(job["time"]), UTC)
            out.append((when, sorted({t.strip().lower() for t in tags.get(job["id"], []) if t.strip()})))
    return out


def hn_as_is(data: Path, tagged: bool = False) -> Series:
    posts = _hn_tagged(data) if tagged else _hn_postings(data)
    first = min(p[0] for p in posts).date()
    start = first - timedelta(days=first.weekday())
    last = max(p[0] for p in posts).date()
    s = Series("HN 2026 Q1 as it is", start, (last - start).days // 7 + 2)
    for when, skills in posts:
        s.total[when.date()] += 1
        for k in skills:
            s.skills[k][when.date()] += 1
    return s


def hn_resampled(data: Path, months: int = 12, seed: int = 5, inject: int = 0) -> Series:
    """Each month draws as many postings as a real thread (sampled with replacement from all threads),
    each keeping its day of the month. `inject` skills (>= 30 a month-week average) get x1.5 or x0.5."""
    rng = random.Random(seed)
    posts = _hn_postings(data)
    by_run: dict[tuple[int, int], list[tuple[int, list[str]]]] = defaultdict(list)
    for when, skills in posts:
        by_run[(when.year, when.month)].append((when.day, skills))
    sizes = [len(v) for v in by_run.values()]
    pool = [p for v in by_run.values() for p in v]
    start = date(2024, 1, 1)  # a Monday
    s = Series(f"HN resampled, {months} months", start, months * 52 // 12)
    for m in range(months):
        y, mo = 2024 + m // 12, m % 12 + 1
        n = rng.choice(sizes)
        for _ in range(n):
            day, skills = rng.choice(pool)
            d = date(y, mo, min(day, 28))
            if d < start + timedelta(days=7 * s.weeks):
                s.total[d] += 1
                for k in skills:
                    s.skills[k][d] += 1
    if inject:
        frequent = sorted(s.skills, key=lambda k: -sum(s.skills[k].values()))[:inject]
        k_week = s.weeks // 2
        cut = start + timedelta(days=7 * k_week)
        for i, name in enumerate(frequent):
            factor = 1.5 if i % 2 == 0 else 0.5
            s.injected[name] = (k_week, factor)
            days = s.skills[name]
            for d in list(days):
                if d >= cut:
                    n = days[d]
                    new = (
                        n + sum(rng.random() < 0.5 for _ in range(n))
                        if factor > 1
                        else sum(rng.random() < 0.5 for _ in range(n))
                    )
                    s.total[d] += new - n
                    days[d] = new
            s.weekly_rate[name] = sum(n for d, n in days.items() if d < cut) / k_week
    return s


def poisson(seed: int = 11, weeks: int = 40, k_week: int = 20) -> Series:
    rng = np.random.default_rng(seed)
    start = date(2024, 1, 1)
    s = Series("synthetic Poisson", start, weeks)
    rates = [5, 10, 30, 100]
    plan: list[tuple[str, float, float | None]] = []
    for lam in rates:
        for j in range(12):
            plan.append((f"null-{lam}-{j}", lam, None))
        for j in range(6):
            plan.append((f"up-{lam}-{j}", lam, 1.5))
            plan.append((f"down-{lam}-{j}", lam, 0.5))
    for w in range(weeks):
        for d in range(5):  # weekdays
            day = start + timedelta(days=7 * w + d)
            s.total[day] += int(rng.poisson(2000 / 5))
            for name, lam, factor in plan:
                rate = lam * (factor if factor is not None and w >= k_week else 1.0)
                n = int(rng.poisson(rate / 5))
                if n:
                    s.skills[name][day] += n
    for name, lam, factor in plan:
        s.weekly_rate[name] = lam
        if factor is not None:
            s.injected[name] = (k_week, factor)
    return s


def _line(out: Outcome) -> str:
    rate = 100 * out.false_alerts / max(out.skill_weeks, 1)
    return f"{out.false_alerts} in {out.skill_weeks:,} = {rate:.2f}"


def _detection(delays: list[int | None]) -> str:
    found = [d for d in delays if d is not None]
    med = f"median {statistics.median(found):g} weeks" if found else "never"
    return f"{len(found)}/{len(delays)}, {med}"


def report(series: Series, today: Outcome, sequential: Outcome) -> None:
    """Both methods on one series, side by side."""
    print(
        f"\n{series.name}: {len(series.skills)} skills, {series.weeks} weeks, {sum(series.total.values()):,} postings"
    )
    print(f"  {'':44} {'windows (4+4-week test)':>26} | {'sequential (runs)':>26}")
    print(f"  {'false alerts per 100 skill-weeks (target <= 1)':44} {_line(today):>26} | {_line(sequential):>26}")
    a, b = f"{today.seconds:.1f} s", f"{sequential.seconds:.1f} s"
    print(f"  {'seconds, every Monday of the series':44} {a:>26} | {b:>26}")
    if not series.injected:
        return
    groups: dict[tuple[str, int], list[str]] = defaultdict(list)
    for name, (_k, factor) in series.injected.items():
        lam = series.weekly_rate.get(name, 0)
        band = 100 if lam >= 100 else 30 if lam >= 30 else 10 if lam >= 10 else 5
        groups[("x1.5" if factor > 1 else "x0.5", band)].append(name)
    print("  detected, delay = completed weeks of changed data when the alert opens:")
    for (kind, band), names in sorted(groups.items()):
        label = f"{kind} at ~{band}+/week{' (target >= 5/6, <= 2)' if band >= 30 else ''}"
        a = _detection([today.delays.get(n) for n in names])
        b = _detection([sequential.delays.get(n) for n in names])
        print(f"    {label:42} {a:>26} | {b:>26}")


def both(series: Series, first_eval_week: int = 9) -> None:
    report(series, run(series, "windows", first_eval_week), run(series, "sequential", first_eval_week))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--smoke", action="store_true", help="the synthetic series alone, 14 weeks: seconds")
    args = parser.parse_args()
    print("shift-detection backtest: the product's run_detection on SQLite rollups, every Monday, by both methods:")
    print("'windows' (the 4+4-week test, before) and 'sequential' (the LR scan, what runs now)")
    if args.smoke:
        synth = poisson(weeks=14, k_week=10)
        both(synth, first_eval_week=12)
        return
    hn = hn_as_is(args.data)
    both(hn, first_eval_week=8)
    tagged = hn_as_is(args.data, tagged=True)
    tagged.name = "HN 2026 Q1 as it is, skills = the dump's LLM technology tags"
    both(tagged, first_eval_week=8)
    resampled = hn_resampled(args.data)
    both(resampled)
    injected = hn_resampled(args.data, seed=6, inject=10)
    injected.name = "HN resampled with injections (top 10 skills, x1.5 / x0.5 from mid-year)"
    both(injected)
    synth = poisson()
    both(synth)


if __name__ == "__main__":
    main()
