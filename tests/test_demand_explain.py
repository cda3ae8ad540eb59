"""Every alert explains itself: the change in a skill's postings split by employer, metro, title and source
(contributions add up exactly to the change, on random postings, pure and read from SQLite and PostgreSQL),
the concentration guard (a one-employer or one-source surge is held back, a spread one is not), and the line
a person reads."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from digest.demand.explain import (
    DIMENSIONS,
    HELD_EMPLOYER,
    HELD_SOURCE,
    Posting,
    breakdown,
    explain,
    explain_week,
    sentence,
)
from digest.demand.shifts import window_counts
from tests.conftest import _empty_database
from tests.support import synthetic

WEEK = date(2026, 5, 18)  # a Monday: recent = the 4 weeks before it, prior = the 4 before those


def _value(prefix: str) -> Any:
    return st.one_of(st.none(), st.integers(0, 6)).map(
        lambda n: (None, "") if n is None else (f"{prefix}{n}", f"{prefix.upper()}{n}")
    )


POSTINGS = st.lists(st.builds(Posting, st.booleans(), _value("e"), _value("m"), _value("t"), _value("s")), max_size=80)


@hsettings(max_examples=300, deadline=None)
@given(POSTINGS)
def test_contributions_add_up_to_the_change(postings: list[Posting]) -> None:
    e = explain(postings)
    assert e.now + e.before == len(postings) and e.now == sum(p.recent for p in postings)
    for d in DIMENSIONS:
        b = e.breakdowns[d]
        assert b.change == e.change
        assert sum(g.delta for g in b.contributions) == e.change
        assert sum(g.now for g in b.contributions) == e.now and sum(g.before for g in b.contributions) == e.before
        assert len(b.top) <= 3 and all(g.key is not None for g in b.top)
        if e.change:  # the named ones move with the change, largest first
            assert all((g.delta > 0) == (e.change > 0) and g.delta != 0 for g in b.top)
            assert [abs(g.delta) for g in b.top] == sorted((abs(g.delta) for g in b.top), reverse=True)
    if e.held == HELD_EMPLOYER:
        assert e.carrier is not None and 2 * abs(e.carrier.delta) > abs(e.change)
    if len({p.source for p in postings}) <= 1:  # one source cannot change the mix
        assert e.held != HELD_SOURCE


def _posting(recent: bool, employer: str | None, metro: str = "Berlin", source: str = "HN") -> Posting:
    return Posting(
        recent, (employer and employer.lower(), employer or ""), (metro.lower(), metro), ("t", "Engineer"),
        (source.lower(), source),
    )  # fmt: skip


def _spread(n_employers: int = 30, before: int = 2) -> list[Posting]:
    rows = []
    for n in range(n_employers):
        rows += [_posting(False, f"Firm{n}", metro=f"City{n % 10}") for _ in range(before)]
        rows += [_posting(True, f"Firm{n}", metro=f"City{n % 10}") for _ in range(before + 1)]
    return rows


def test_guard_holds_a_one_employer_surge_and_lets_a_spread_one_through() -> None:
    spread = _spread()
    assert explain(spread).change == 30 and explain(spread).held is None
    surge = _spread() + [_posting(True, "Stripe") for _ in range(31)]
    e = explain(surge)
    assert e.held == HELD_EMPLOYER and e.carrier is not None and e.carrier.label == "Stripe"
    # exactly half is not more than half
    assert explain(_spread() + [_posting(True, "Stripe") for _ in range(30)]).held is None
    # a fall carried by one employer
    fall = _spread(before=1) + [_posting(False, "Stripe") for _ in range(40)]
    assert explain(fall).held == HELD_EMPLOYER
    # a new source bringing postings of many employers: the source mix changed
    feed = _spread() + [_posting(True, f"New{n}", source="NewBoard") for n in range(40)]
    e = explain(feed)
    assert e.held == HELD_SOURCE and e.carrier is not None and e.carrier.label == "NewBoard"
    # postings with no employer named are never "one employer"
    assert explain(_spread() + [_posting(True, None) for _ in range(40)]).held is None


def test_top_three_and_others() -> None:
    rows = _spread(n_employers=5) + [_posting(True, "Stripe") for _ in range(4)] + [_posting(False, "Gone")]
    b = breakdown(rows, "employer")
    assert [(g.label, g.delta) for g in b.top] == [("Stripe", 4), ("Firm0", 1), ("Firm1", 1)]
    assert b.others is not None and b.others.label == "others" and b.others.delta == 5 - 2 - 1  # Firm2-4, Gone
    assert b.groups == 6


def test_the_line_a_person_reads() -> None:
    rows = _spread(n_employers=30, before=1)
    rows += [_posting(True, "Stripe", metro="Berlin") for _ in range(12)]
    rows += [_posting(False, "Firm0", metro="Berlin") for _ in range(3)]
    e = explain(rows)
    assert e.held is None
    assert sentence("Kubernetes", 0.38, e) == (
        "Kubernetes postings rose 38% (4 weeks vs the 4 before, as a share of all postings). "
        "Most of the rise: Stripe (+12 postings), Berlin (+9 postings); spread over 30 employers."
    )
    held = explain(rows + [_posting(True, "Stripe") for _ in range(20)])
    assert held.held == HELD_EMPLOYER
    assert sentence("Kubernetes", 0.9, held).endswith(
        "Held back (driven by one employer): Stripe accounts for +32 postings of +59 postings."
    )
    fall = explain([_posting(False, "Acme", metro="Paris") for _ in range(10)] + [_posting(True, "Acme", "Paris")])
    assert sentence("Go", -0.45, fall) == (
        "Go postings fell 45% (4 weeks vs the 4 before, as a share of all postings). "
        "Most of the fall: Acme (-9 postings), Paris (-9 postings); spread over 1 employer. "
        "Held back (driven by one employer): Acme accounts for -9 postings of -9 postings."
    )
    assert sentence("Rust", 0.25, explain([])) == (
        "Rust postings rose 25% (4 weeks vs the 4 before, as a share of all postings)."
    )


@pytest.fixture
def _empty(engine: Any) -> None:
    _empty_database(engine)


@hsettings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000))
def test_read_from_the_database_adds_up_to_the_shift_counts(session: Session, _empty: None, seed: int) -> None:
    """On both databases: the postings read are the ones the shift test counts, and every dimension's
    contributions add up to recent - prior."""
    rng = random.Random(seed)
    (skill, other) = synthetic.skills(session, [f"S{seed}a", f"S{seed}b"])
    titles = synthetic.titles(session, [f"T{seed}-{n}" for n in range(3)])
    metros = synthetic.metros(session, [f"M{seed}-{n}" for n in range(3)])
    items = []
    for _ in range(rng.randint(0, 60)):
        day = WEEK - timedelta(days=rng.randint(-3, 60))  # some after the windows, some before
        ids = [skill.id] if rng.random() < 0.8 else [other.id]
        it = synthetic.posting(
            day, ids, rng.choice([None, *(t.id for t in titles)]), rng.choice([None, *(m.id for m in metros)]),
            company=rng.choice([None, "Stripe", "Stripe, Inc.", "Acme", "Zeta"]),
        )  # fmt: skip
        it.source_name = rng.choice([None, "Hacker News", "Remotive"])
        items.append(it)
    synthetic.add(session, items)
    session.commit()
    counts, _, _ = window_counts(session, WEEK, [skill.id])
    recent, prior = counts.get(skill.id, (0, 0))
    e = explain_week(session, skill.id, WEEK)
    assert (e.now, e.before) == (recent, prior)
    for d in DIMENSIONS:
        assert sum(g.delta for g in e.breakdowns[d].contributions) == recent - prior


@pytest.mark.parametrize("surge", [None, "Stripe"])
def test_the_skill_page_explains_an_open_alert_and_marks_a_held_one(
    settings: Any, session: Session, surge: str | None
) -> None:
    from fastapi.testclient import TestClient

    from digest.demand.figures import clear_memo
    from digest.store.models import Direction, ShiftAlert
    from digest.web.app import create_app

    _empty_database(session.get_bind())
    clear_memo()
    (k8s,) = synthetic.skills(session, ["Kubernetes"])
    (berlin,) = synthetic.metros(session, ["Berlin"])
    items = []
    for n in range(30):
        items += [synthetic.posting(WEEK - timedelta(days=40), [k8s.id], company=f"Firm {n}") for _ in range(3)]
        items += [synthetic.posting(WEEK - timedelta(days=10), [k8s.id], company=f"Firm {n}") for _ in range(4)]
    if surge:
        items += [synthetic.posting(WEEK - timedelta(days=3), [k8s.id], None, berlin.id, company=surge)
                  for _ in range(40)]  # fmt: skip
    synthetic.add(session, items)
    at = datetime(2026, 5, 18, 1, tzinfo=UTC)
    session.add(ShiftAlert(skill_id=k8s.id, direction=Direction.up, opened_on=WEEK, change=0.38, p_value=0.001,
                           q_value=0.01, recent=160 if surge else 120, prior=90, created_at=at))  # fmt: skip
    session.commit()
    page = TestClient(create_app(settings)).get(f"/skills/kubernetes?as_of={WEEK + timedelta(days=2)}").text
    clear_memo()
    text = " ".join(page.split())
    if surge:
        assert "Driven by one employer: not emailed</span>" in text
        assert (
            "Kubernetes postings rose 38% (4 weeks vs the 4 before, as a share of all postings). Most of the rise: "
            "Stripe (+40 postings), Berlin (+40 postings); spread over 31 employers. Held back (driven by one "
            "employer): Stripe accounts for +40 postings of +70 postings."
        ) in text
    else:
        assert "not emailed" not in text
        assert (
            "Kubernetes postings rose 38% (4 weeks vs the 4 before, as a share of all postings). Most of the rise: "
            "Firm 0 (+1 posting); spread over 30 employers."
        ) in text
