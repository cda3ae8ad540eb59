"""What a weekly shift-detection run costs, by each method (`run_detection`, the product's entry point):

    .venv/bin/python -m bench.shift_cost [--skills 5000] [--runs 3] [--db sqlite,postgresql] [--smoke]

1. Real data: the HN "Who is hiring" postings of 2026 Q1 (../shared/data) loaded with `digest init` and
   `digest import-jobs --format hn` in a child process (which runs the default method once itself), then
   the run as of the Monday after the last thread's first week, timed in this process.
2. Synthetic: `--skills` skills with 34 weeks of rollups (weekly counts on a Wednesday among ~20,000
   postings a week), expected postings log-uniform from 0.3 to 300 a week, a quarter of them over-dispersed
   (gamma-Poisson, phi 2 or 4), as a big install's weekly run would see them.
Each run is repeated `--runs` times, the methods alternating (the machine is shared: medians). Prints the
seconds per run beside the target (<= 10 s for 5,000 skills by the sequential method, whose threshold is
simulated; the windows method has its own target in bench.demand), the simulations that run needed, and
what it would have cost with one simulation per skill (the calibrations measured, times the skills tested).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert

from bench.databases import scratch_database
from digest.demand import rollups
from digest.demand import sequential as sq
from digest.demand.shifts import run_detection
from digest.store.engine import make_engine, migrate, session_factory
from digest.store.models import Skill
from tests.helpers import REPO, digest_env

HN = (
    Path(os.environ.get("DIGEST_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    / "hn-whoishiring-2026q1"
)
HN_NOW = datetime(2026, 3, 9, 0, 30, tzinfo=UTC)  # the Monday after the March thread's first week
TARGET_S = 10.0  # seconds a sequential run may take over 5,000 skills
START = date(2025, 1, 6)  # a Monday
WEEKS = 34


class Counting:
    """Counts the simulations (`sequential.calibrate` calls) and their seconds while it is entered."""

    def __enter__(self) -> Counting:
        self.calls, self.seconds, self._real = 0, 0.0, sq.calibrate

        def counted(*args: object, **kwargs: object) -> sq.Calibration:
            t = time.perf_counter()
            try:
                return self._real(*args, **kwargs)  # type: ignore[arg-type]
            finally:
                self.calls += 1
                self.seconds += time.perf_counter() - t

        sq.calibrate = counted  # type: ignore[assignment]
        return self

    def __exit__(self, *_: object) -> None:
        sq.calibrate = self._real  # type: ignore[assignment]


def synthetic(url: str, skills: int, seed: int = 3) -> None:
    """`skills` skills' weekly counts into the rollups of a migrated database."""
    rng = np.random.default_rng(seed)
    rate = np.exp(rng.uniform(np.log(0.3), np.log(300), skills))
    phi = rng.choice([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 4.0], skills)
    totals = rng.poisson(20000, WEEKS)
    mu = rate[:, None] * (totals / 20000)[None, :]
    d = np.maximum(phi - 1.0, 1e-9)[:, None]
    counts = rng.poisson(np.where(phi[:, None] > 1, rng.gamma(mu / d, d), mu))
    engine = make_engine(url)
    with session_factory(engine)() as session:
        session.execute(insert(Skill), [{"slug": f"s{i}", "name": f"S{i}"} for i in range(skills)])
        c = rollups._empty()
        for w in range(WEEKS):
            day = START + timedelta(days=7 * w + 2)
            c["total"][(day,)] = int(totals[w])
            for i in np.flatnonzero(counts[:, w]):
                c["skill"][(int(i) + 1, day)] = int(counts[i, w])
        rollups.apply_counts(session, c)
        session.commit()
    engine.dispose()


def hn_import(url: str, folder: Path) -> dict[str, object]:
    """`digest init` and `digest import-jobs` (HN format) in a child process, as an operator runs them."""
    env = digest_env(DIGEST_DATABASE_URL=url, DIGEST_DATA_DIR=str(folder), DIGEST_SECRET_KEY="bench")
    cli = [sys.executable, "-m", "digest.cli"]
    subprocess.run([*cli, "init"], cwd=REPO, env=env, check=True, capture_output=True)
    done = subprocess.run(
        [*cli, "import-jobs", str(HN), "--format", "hn", "--now", HN_NOW.isoformat(), "--json"],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(done.stdout))


def timed_runs(url: str, now: datetime, runs: int) -> dict[str, dict[str, float]]:
    """Median seconds of `runs` runs per method, alternating; for the sequential one, its simulations."""
    engine = make_engine(url)
    seconds: dict[str, list[float]] = {"windows": [], "sequential": []}
    out: dict[str, dict[str, float]] = {}
    with session_factory(engine)() as session:
        for _ in range(runs):
            for method in ("windows", "sequential"):
                with Counting() as sims:
                    t = time.perf_counter()
                    summary = run_detection(session, now, method=method)
                    session.commit()
                    seconds[method].append(time.perf_counter() - t)
                out[method] = {"tested": summary.tested, "opened": len(summary.opened)}
                if method == "sequential":
                    per = sims.seconds / max(sims.calls, 1)
                    out[method].update(sims=sims.calls, per_sim_ms=1000 * per, unshared_s=per * summary.tested)
    engine.dispose()
    for method, s in seconds.items():
        out[method]["seconds"] = statistics.median(s)
    return out


def report(label: str, r: dict[str, dict[str, float]], target: float | None) -> None:
    w, s = r["windows"], r["sequential"]
    goal = f"(target <= {target:g} s)" if target else f"(target <= {TARGET_S:g} s at 5,000 skills)"
    print(f"  {label}: {int(s['tested']):,} skills tested")
    print(f"    sequential (runs)  {s['seconds']:7.2f} s  {goal}, {int(s['opened'])} opened")
    print(
        f"      {int(s['sims']):,} simulations of {s['per_sim_ms']:.0f} ms; one per skill would be"
        f" ~{s['unshared_s']:.0f} s"
    )
    print(f"    windows (before)   {w['seconds']:7.2f} s  {int(w['opened'])} opened")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skills", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--smoke", action="store_true", help="HN and 300 synthetic skills on SQLite, one run")
    args = parser.parse_args()
    if args.smoke:
        args.skills, args.runs, args.db = 300, 1, "sqlite"
    target = TARGET_S if args.skills >= 5000 else None
    print(f"shift detection, one weekly run (median of {args.runs}), by method")
    for db in args.db.split(","):
        print(f"\n[{db}]")
        with scratch_database(db) as url, tempfile.TemporaryDirectory(prefix="digest-bench-") as folder:
            imported = hn_import(url, Path(folder))
            print(f"  HN 2026 Q1 through `digest import-jobs`: {imported['added']} postings in {imported['seconds']} s")
            report(f"HN, as of {HN_NOW.date()}", timed_runs(url, HN_NOW, args.runs), None)
        with scratch_database(db) as url:
            migrate(url)
            synthetic(url, args.skills)
            now = datetime.combine(START + timedelta(days=7 * WEEKS), datetime.min.time(), tzinfo=UTC)
            report(f"synthetic, {args.skills:,} skills", timed_runs(url, now, args.runs), target)


if __name__ == "__main__":
    main()
