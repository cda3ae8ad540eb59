"""Import benchmark: `import_rows` (the path of `digest import-jobs`) with the REAL taxonomy matcher, job
title and metro resolution, cross-source dedupe and the demand rollups, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.import_jobs [--postings 50000] [--db sqlite,postgresql] [--profile]

Synthetic postings: real skill names of the bundled taxonomy (Zipf-like popularity, 1-6 per posting) in a
sentence of description, common job titles, real city names, posted over 365 days; one in twenty is a
repost of an earlier posting (merged by title+company+location). Prints postings/s over wall time and,
because the machine is shared, over the importer process's CPU time (the database server's CPU is not in
it). The matcher is built once per process before timing (its build time is printed apart).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

from sqlalchemy import func, select

from bench.databases import scratch_database
from digest.db import make_engine, migrate, session_factory
from digest.demand import importer
from digest.models import Item, ItemSkill, Skill
from digest.taxonomy.load import load_taxonomy
from digest.taxonomy.matcher import get_matcher

AS_OF = date(2026, 5, 17)
DAYS = 365
TARGET = 5000
TITLES = (
    "Senior Python Engineer",
    "Data Engineer",
    "Frontend Developer",
    "Backend Engineer",
    "Staff Software Engineer",
    "Machine Learning Engineer",
    "DevOps Engineer",
    "Site Reliability Engineer",
    "Engineering Manager",
    "Full Stack Developer",
    "Data Scientist",
    "Mobile Engineer",
)
PLACES = ("Berlin, Germany", "Remote", "San Francisco, CA", "New York, NY", "London, UK", "Paris, France", "")


def rows(n: int, skill_names: list[str], seed: int = 1) -> Iterator[importer.Row]:
    rng = random.Random(seed)
    weights = [1 / (i + 1) ** 0.9 for i in range(len(skill_names))]
    start = datetime.combine(AS_OF - timedelta(days=DAYS - 1), dtime(0), tzinfo=UTC)
    made: list[importer.Posting] = []
    for i in range(n):
        if made and rng.random() < 0.05:
            src = rng.choice(made)
            posting = importer.Posting(
                id=f"p{i}", title=src.title, company=src.company, location=src.location,
                posted_at=src.posted_at + timedelta(days=rng.randrange(10)), description=src.description,
            )  # fmt: skip
        else:
            picked = rng.choices(skill_names, weights, k=rng.choice((1, 2, 2, 3, 3, 4, 5, 6)))
            posting = importer.Posting(
                id=f"p{i}",
                title=rng.choice(TITLES),
                company=f"Company {i}",
                location=rng.choice(PLACES),
                posted_at=start + timedelta(seconds=rng.randrange(DAYS * 86400)),
                description="We work with " + ", ".join(dict.fromkeys(picked)) + ". Apply today.",
            )
            made.append(posting)
        yield i + 1, posting


def bench(url: str, n: int, profile: bool) -> dict[str, float]:
    migrate(url)
    engine = make_engine(url)
    session = session_factory(engine)()
    load_taxonomy(session)
    session.commit()
    names = list(session.scalars(select(Skill.name).order_by(Skill.id)))
    random.Random(2).shuffle(names)
    data = list(rows(n, names))
    now = datetime.combine(AS_OF, dtime(12), tzinfo=UTC)
    build = time.perf_counter()
    get_matcher()  # built once per process (seconds): timed apart, not spread over the postings
    build = time.perf_counter() - build
    prof = cProfile.Profile() if profile else None
    wall, cpu = time.perf_counter(), time.process_time()
    if prof:
        prof.enable()
    result = importer.import_rows(session, data, "import:bench.csv", now)
    if prof:
        prof.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert result.added + result.duplicates == n and not result.errors, result
    linked = session.scalar(select(func.count()).select_from(ItemSkill))
    items = session.scalar(select(func.count()).select_from(Item))
    session.close()
    engine.dispose()
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(35)
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    return {"build": build, "wall": wall, "cpu": cpu, "added": result.added, "items": items or 0, "skills": linked or 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postings", type=int, default=50_000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    args = parser.parse_args()
    print(f"import-jobs benchmark: {args.postings:,} synthetic postings, real matcher, 365 days")
    for db in args.db.split(","):
        with scratch_database(db) as url:
            r = bench(url, args.postings, args.profile)
        print(f"\n[{db}] {r['added']:,} new postings, {r['skills']:,} skill links")
        print(
            f"  import incl. matching + rollups: {args.postings / r['wall']:8,.0f} postings/s wall"
            f"   (target >= {TARGET:,}/s)"
        )
        print(f"  (matcher built once per process first: {r['build']:.1f} s, not counted)")
        print(f"  importer process CPU only      : {args.postings / r['cpu']:8,.0f} postings/s of CPU time")


if __name__ == "__main__":
    main()
