"""Pay and seniority in the demand figures (docs/demand.md, "Pay and seniority"): hand-checked answers
(annualising, midpoints, min or max only, mixed currencies, unknown period and currency, 1-4 salaries),
the ≥ 5 rule for a title's median, and equality with the raw reference on random postings, on SQLite
and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from digest.demand import rollups
from digest.demand.figures import clear_memo, demand_figures
from digest.demand.rollups import fold, mark_pending
from digest.store.models import Item, ItemKind
from tests.conftest import _empty_database
from tests.support import synthetic
from tests.support.raw_figures import raw_figures

D = date(2026, 5, 17)


@pytest.fixture(autouse=True)
def _empty_at_start(engine: Any) -> None:
    _empty_database(engine)
    clear_memo()


def _post(
    skill_ids: list[int],
    title_id: int | None = None,
    low: float | None = None,
    high: float | None = None,
    currency: str | None = None,
    period: str | None = None,
    level: str | None = None,
    day: date = D,
    kind: ItemKind = ItemKind.job,
) -> Item:
    item = synthetic.posting(day, skill_ids, title_id, kind=kind)
    item.salary_min, item.salary_max, item.salary_currency, item.salary_period = low, high, currency, period
    item.seniority = level
    return item


def _without_shift(fig: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fig.items() if k != "shift"}


def test_hand_checked_pay_and_seniority(session: Session) -> None:
    k, other = synthetic.skills(session, ["Kubernetes", "Elixir"])
    a, b = synthetic.titles(session, ["Title A", "Title B"])
    usd = lambda lo, hi, period, title=a.id: _post([k.id], title, lo, hi, "USD", period, "senior")  # noqa: E731
    synthetic.add(
        session,
        [
            usd(100_000, 120_000, "year"),  # midpoint 110,000
            usd(150_000, None, "year"),  # min only: 150,000
            usd(None, 90_000, "year"),  # max only: 90,000
            usd(50, 70, "hour"),  # 60 x 2,080 = 124,800
            usd(10_000, 12_000, "month"),  # 11,000 x 12 = 132,000
            usd(2_000, 2_000, "week", None),  # 2,000 x 52 = 104,000; no title
            _post([k.id], b.id, 5_000, 5_000, "EUR", "month", "junior"),  # 60,000 a year
            _post([k.id], b.id, 4_000, 6_000, "EUR", "month", "mid"),
            _post([k.id], b.id, 6_000, None, "EUR", "month", "mid"),
            _post([k.id], b.id, 500, 500, "GBP", None),  # unknown period: not annualised
            _post([k.id], None, 180_000, 210_000, None, "year"),  # unknown currency
            _post([k.id], a.id),  # no salary
            _post([k.id], b.id, level="intern_typo"),  # no salary; a level that is not a level
            _post([k.id], a.id, 1, 1, "USD", "year", "lead", day=D - timedelta(days=90)),  # outside the window
            _post([k.id], a.id, 1, 1, "USD", "year", "lead", kind=ItemKind.news),  # news never counts
            _post([other.id], a.id, 1, 1, "USD", "year", "lead"),  # another skill
        ],
    )
    session.commit()
    fig = demand_figures(session, k, D)
    assert fig["postings"] == 13
    # USD a year: 90,000 104,000 110,000 124,800 132,000 150,000; quantiles(n=4, method="inclusive")
    assert fig["salary"] == {
        "postings": 13,
        "stated": 11,
        "by_currency": [
            {"currency": "USD", "period": "year", "postings": 6, "median": 117_400, "p25": 105_500, "p75": 130_200},
            {"currency": "EUR", "period": "year", "postings": 3, "median": None, "p25": None, "p75": None},
            {"currency": "GBP", "period": None, "postings": 1, "median": None, "p25": None, "p75": None},
            {"currency": None, "period": "year", "postings": 1, "median": None, "p25": None, "p75": None},
        ],
    }
    titles = {t["title"]: t["median_salary"] for t in fig["top_titles"]}
    # Title A: 90,000 110,000 124,800 132,000 150,000 in USD; Title B: 3 in EUR, 1 in GBP (never a figure)
    assert titles == {
        "Title A": {"currency": "USD", "period": "year", "median": 124_800, "postings": 5},
        "Title B": None,
    }
    assert fig["seniority"]["postings"] == 13 and fig["seniority"]["stated"] == 9
    assert [(lv["level"], lv["postings"], lv["share"]) for lv in fig["seniority"]["levels"]] == [
        ("intern", 0, 0.0),
        ("junior", 1, 0.111),
        ("mid", 2, 0.222),
        ("senior", 6, 0.667),
        ("staff", 0, 0.0),
        ("lead", 0, 0.0),
    ]
    assert _without_shift(fig) == raw_figures(session, k, D)
    assert demand_figures(session, k, D, memo=True) == fig


def test_no_salaries_and_no_levels(session: Session) -> None:
    (k,) = synthetic.skills(session, ["Cobol"])
    (a,) = synthetic.titles(session, ["Title A"])
    synthetic.add(session, [_post([k.id], a.id) for _ in range(3)])
    session.commit()
    fig = demand_figures(session, k, D)
    assert fig["salary"] == {"postings": 3, "stated": 0, "by_currency": []}
    assert fig["seniority"]["stated"] == 0 and {lv["share"] for lv in fig["seniority"]["levels"]} == {0.0}
    assert fig["top_titles"][0]["median_salary"] is None
    assert _without_shift(fig) == raw_figures(session, k, D)
    empty = demand_figures(session, k, D - timedelta(days=200))  # no postings at all in that window
    assert empty["salary"] == {"postings": 0, "stated": 0, "by_currency": []}
    assert _without_shift(empty) == raw_figures(session, k, D - timedelta(days=200))


@pytest.mark.parametrize("n", [1, 4, 5])
def test_a_figure_needs_five_salaries_in_one_currency(session: Session, n: int) -> None:
    (k,) = synthetic.skills(session, ["Rust"])
    (a,) = synthetic.titles(session, ["Title A"])
    # n in USD, and 4 in EUR: together more than five, but never five in one currency below n = 5
    posts = [_post([k.id], a.id, 100_000 + 1_000 * i, None, "USD", "year") for i in range(n)]
    posts += [_post([k.id], a.id, 50_000, 70_000, "EUR", "year") for _ in range(4)]
    synthetic.add(session, posts)
    session.commit()
    fig = demand_figures(session, k, D)
    usd = next(g for g in fig["salary"]["by_currency"] if g["currency"] == "USD")
    assert usd["postings"] == n
    median = fig["top_titles"][0]["median_salary"]
    if n < 5:
        assert usd["median"] is None and median is None
    else:
        assert (usd["p25"], usd["median"], usd["p75"]) == (101_000, 102_000, 103_000)
        assert median == {"currency": "USD", "period": "year", "median": 102_000, "postings": 5}
    assert _without_shift(fig) == raw_figures(session, k, D)


def test_memoised_pay_follows_new_postings(session: Session) -> None:
    (k,) = synthetic.skills(session, ["Go"])
    synthetic.add(session, [_post([k.id], None, 100, 100, "USD", "hour") for _ in range(5)])
    session.commit()
    assert demand_figures(session, k, D, memo=True)["salary"]["by_currency"][0]["median"] == 208_000
    synthetic.add(session, [_post([k.id], None, 200, 200, "USD", "hour", "staff") for _ in range(5)])
    session.commit()
    fig = demand_figures(session, k, D, memo=True)
    assert fig["salary"]["by_currency"][0]["median"] == 312_000  # (208,000 + 416,000) / 2
    assert fig["seniority"]["levels"][4] == {"level": "staff", "label": "staff/principal", "postings": 5, "share": 1.0}


def test_pay_equals_raw_on_random_postings(session: Session) -> None:
    rng = random.Random(19)
    skills = synthetic.skills(session, [f"Skill {i}" for i in range(4)])
    titles = synthetic.titles(session, [f"Title {i}" for i in range(3)])
    periods = [None, "hour", "day", "week", "month", "year", "fortnight"]
    items = []
    for _ in range(500):
        low = rng.choice([None, float(rng.randrange(20, 200_000)), float(rng.randrange(1, 20) * 5_000)])
        high = rng.choice([None, low, (low or 0) + rng.randrange(0, 50_000)])
        items.append(
            _post(
                [s.id for s in rng.sample(skills, rng.choice([1, 2]))],
                rng.choice([None, *[t.id for t in titles]]),
                low,
                high,
                rng.choice([None, "USD", "USD", "USD", "EUR", "GBP"]),
                rng.choice(periods),
                rng.choice([None, "intern", "junior", "mid", "senior", "staff", "lead"]),
                day=D - timedelta(days=rng.randrange(150)),
            )
        )
    synthetic.add(session, items)
    session.commit()
    checked = 0
    for as_of in (D, D - timedelta(days=40)):
        for skill in skills:
            fig = demand_figures(session, skill, as_of)
            assert _without_shift(fig) == raw_figures(session, skill, as_of), (skill.slug, as_of)
            checked += sum(g["median"] is not None for g in fig["salary"]["by_currency"])
            checked += sum(t["median_salary"] is not None for t in fig["top_titles"])
    assert checked > 10  # the comparison covered real figures, not only nulls
    assert rollups.check(session) == []
    # a relink takes postings out as they stand, changes them and folds them again
    ids = [i.id for i in items[::7]]
    rollups.unfold(session, ids)
    for item in items[::7]:
        item.salary_currency, item.seniority = "CHF", "intern"
    session.flush()
    rollups.repend(session, ids)
    rollups.fold(session, ids)
    session.commit()
    assert rollups.check(session) == []
    # a posting changed behind the fold's back: the check sees it, a rebuild counts everything afresh
    for item in items[1::7]:
        item.salary_currency = "SEK"
    session.commit()
    assert any(p.startswith("skill_pay") for p in rollups.check(session))
    rollups.rebuild(session, datetime(2026, 5, 18, tzinfo=UTC))
    session.commit()
    assert rollups.check(session) == []
    for skill in skills:
        assert _without_shift(demand_figures(session, skill, D)) == raw_figures(session, skill, D)


def test_a_pending_posting_is_in_no_figure(session: Session) -> None:
    """Until the fold counts a posting it is in neither `postings` nor the pay and seniority figures."""
    (k,) = synthetic.skills(session, ["Zig"])
    synthetic.add(session, [_post([k.id], None, 100_000, None, "USD", "year", "senior") for _ in range(5)])
    waiting = _post([k.id], None, 900_000, None, "USD", "year", "lead")
    session.add(waiting)
    session.flush()
    mark_pending(session, [{"item_id": waiting.id, "posted_on": D, "job_title_id": None, "metro_id": None}])
    session.commit()
    fig = demand_figures(session, k, D)
    assert fig["postings"] == 5 and fig["salary"]["stated"] == 5 and fig["seniority"]["stated"] == 5
    assert fig["salary"]["by_currency"][0]["p75"] == 100_000
    fold(session, [waiting.id])
    session.commit()
    assert demand_figures(session, k, D)["salary"]["stated"] == 6


def test_the_levels_are_those_ingest_gives() -> None:
    from digest.demand import pay
    from digest.sources import seniority

    assert list(pay.LABELS.items()) == list(seniority.LABELS.items())
