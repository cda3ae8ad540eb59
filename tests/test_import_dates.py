"""Dates out of range are bad rows: reported with their line, skipped, and the rest of the file loads. No row,
however odd, can make another row's fate worse (a property test over random rows among good ones)."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from digest.cli import app
from digest.ingest.imports import import_rows
from digest.sources.identity import import_identity
from digest.sources.jobfile import read_jsonl
from digest.store.models import ItemSource

NOW = datetime(2026, 3, 20, 10, tzinfo=UTC)


def _good(n: int) -> dict[str, str]:
    return {"id": f"good-{n}", "title": f"Engineer number {n}", "company": f"Company {n}", "location": "Berlin",
            "posted_at": "2026-03-02", "url": "", "description": "Python"}  # fmt: skip


def test_dates_out_of_range_are_bad_rows_and_the_rest_loads(settings: Any, session: Session, tmp_path: Path) -> None:
    dated = [("old", "0001-01-01"), ("far", "9999-12-31T23:59:59"), ("pre", "1989-12-31"), ("soon", "2026-03-22"),
             ("off", "0001-01-01T00:00:00+01:00")]  # fmt: skip
    bad = [{**_good(10 + i), "id": name, "posted_at": when} for i, (name, when) in enumerate(dated)]
    rows = [_good(1), bad[0], _good(3), bad[1], bad[2], bad[3], bad[4], _good(8)]
    path = tmp_path / "jobs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = CliRunner().invoke(app, ["import-jobs", str(path), "--now", NOW.isoformat(), "--json", "--no-detect"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["read"], summary["added"]) == (8, 3)
    assert [(b["line"], b["error"].split(" is ")[0]) for b in summary["bad_rows"]] == [
        (2, "posted_at 0001-01-01"),
        (4, "posted_at 9999-12-31"),
        (5, "posted_at 1989-12-31"),
        (6, "posted_at 2026-03-22"),  # more than a day after --now
        (7, "posted_at"),  # the offset takes it off the calendar
    ]


ODD_DATES = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["0001-01-01", "9999-12-31", "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+14:00", "",
                     "2026-02-30", "1990-01-01", "2026-03-21T10:00:00Z", "2026-03-21T10:00:01Z", "\x00", "NaN"]),
    st.text(max_size=30),
)  # fmt: skip
FIELD = st.one_of(st.none(), st.text(max_size=200), st.integers(), st.floats(), st.booleans())
ODD_ROWS = st.one_of(
    st.fixed_dictionaries(
        {"id": st.text(min_size=1, max_size=600).map(lambda s: "odd-" + s), "title": FIELD, "posted_at": ODD_DATES},
        optional={"company": FIELD, "location": FIELD, "url": FIELD, "description": FIELD},
    ),
    st.lists(FIELD, max_size=3),
    FIELD,
)
runs = itertools.count()


@given(odd=st.lists(ODD_ROWS, min_size=1, max_size=12), seed=st.randoms(use_true_random=False))
@hsettings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_row_makes_a_good_row_fare_worse(settings: Any, session: Session, tmp_path: Path, odd: list[Any],
                                            seed: Any) -> None:  # fmt: skip
    run = next(runs)
    good = [{**_good(n), "id": f"good-{run}-{n}", "title": f"Engineer {run}-{n}"} for n in range(5)]
    lines: list[Any] = [*good, *odd]
    seed.shuffle(lines)
    path = tmp_path / f"jobs-{run}.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    source = f"import:prop-{run}"
    with path.open() as f:
        result = import_rows(session, read_jsonl(f), source, NOW, match_processes=0)
    assert result.read == len(lines)
    stored = set(session.scalars(select(ItemSource.identity).where(ItemSource.source_key == source)))
    assert {import_identity(g["id"]) for g in good} <= stored
    assert all(len(str(e)) < 300 for e in result.errors)  # a bad row is reported, never echoed whole
