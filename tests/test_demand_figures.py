"""Demand figures: hand-checked answers on a small fixture (window edges included), raw == rollups,
rebuild == incremental, Monday weeks across New Year, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest.demand import rollups, window
from digest.demand.figures import demand_figures
from digest.demand.weeks import EPOCH_MONDAY, week_index
from digest.store.models import DemandSkillPairWindow, DemandTotalDay, ItemKind, Skill
from digest.store.weeks import week_index_sql
from tests.conftest import _empty_database
from tests.support import synthetic
from tests.support.raw_figures import raw_figures


@pytest.fixture(autouse=True)
def _empty_at_start(engine: Any) -> None:
    """Start from an empty database even if a test outside the `settings` fixture left rows behind."""
    _empty_database(engine)


D = date(2026, 5, 17)  # a Sunday


def _fixture(session: Session) -> dict[str, int]:
    k, p, g = synthetic.skills(session, ["Kubernetes", "Python", "Go"])
    sre, mle = synthetic.titles(session, ["Site Reliability Engineer", "Machine Learning Engineer"])
    sf, berlin = synthetic.metros(session, ["San Francisco", "Berlin"])
    day = lambda n: D - timedelta(days=n)  # noqa: E731
    post = synthetic.posting
    synthetic.add(
        session,
        [
            post(day(90), [k.id], sre.id, sf.id),  # exactly D-90: out
            post(day(89), [k.id, p.id], sre.id, sf.id),  # in; before the prior window
            post(day(56), [k.id]),  # in; exactly D-56: not in prior
            post(day(55), [k.id, p.id], mle.id, sf.id),  # prior
            post(day(28), [k.id], sre.id, berlin.id),  # exactly D-28: prior
            post(day(27), [k.id, g.id]),  # recent
            post(D, [k.id, p.id, g.id], mle.id),  # exactly D: in, recent
            post(day(-1), [k.id], mle.id, sf.id),  # after D: out
            post(D, [k.id], kind=ItemKind.news),  # news never counts
            post(day(10), [p.id], mle.id),  # not Kubernetes, but an MLE posting in the window
            post(day(95), [], sre.id),  # out of the window
        ],
    )
    session.commit()
    return {"k": k.id}


def test_hand_checked_figures(session: Session) -> None:
    _fixture(session)
    skill = session.scalar(select(Skill).where(Skill.slug == "kubernetes"))
    assert skill is not None
    fig = demand_figures(session, skill, D)
    assert fig["postings"] == 6
    assert (fig["recent_4_weeks"], fig["prior_4_weeks"], fig["change_vs_prior_4_weeks"]) == (2, 2, 0.0)
    assert fig["top_titles"] == [
        {"title": "Machine Learning Engineer", "postings": 2, "share_of_title": 0.667, "median_salary": None},
        {"title": "Site Reliability Engineer", "postings": 2, "share_of_title": 1.0, "median_salary": None},
    ]
    assert fig["top_metros"] == [
        {"metro": "San Francisco", "postings": 2, "share": 0.667},
        {"metro": "Berlin", "postings": 1, "share": 0.333},
    ]
    assert fig["paired_skills"] == [
        {"skill": "python", "name": "Python", "postings": 3},
        {"skill": "go", "name": "Go", "postings": 2},
    ]
    weekly = {w["week_start"]: w["postings"] for w in fig["weekly"]}
    assert min(weekly) == "2026-02-16" and max(weekly) == "2026-05-11" and len(weekly) == 13
    assert {w: n for w, n in weekly.items() if n} == {
        "2026-02-16": 1,  # D-89, a Tuesday
        "2026-03-16": 1,  # D-56, a Sunday
        "2026-03-23": 1,  # D-55, a Monday
        "2026-04-13": 1,  # D-28, a Sunday
        "2026-04-20": 1,  # D-27, a Monday
        "2026-05-11": 1,  # D
    }
    assert sum(weekly.values()) == fig["postings"]
    assert set(fig["shift"]) == {"direction", "significant", "p_value", "alert_open"}
    assert fig["shift"]["significant"] is False
    # the day before: D itself drops out, D-90 comes in
    before = demand_figures(session, skill, D - timedelta(days=1))
    assert before["postings"] == 6  # D-90 in, D out
    assert (before["recent_4_weeks"], before["prior_4_weeks"]) == (2, 2)  # D-28 moved to recent, D-56 to prior
    # rollups agree with the raw postings, and with a rebuild
    raw = raw_figures(session, skill, D)
    assert {k: v for k, v in fig.items() if k != "shift"} == raw
    assert rollups.check(session) == []


def test_change_is_null_without_prior(session: Session) -> None:
    (s,) = synthetic.skills(session, ["Rust"])
    synthetic.add(session, [synthetic.posting(D, [s.id])])
    fig = demand_figures(session, s, D)
    assert fig["change_vs_prior_4_weeks"] is None and fig["prior_4_weeks"] == 0 and fig["recent_4_weeks"] == 1


def test_weeks_start_on_monday_across_new_year(session: Session) -> None:
    (s,) = synthetic.skills(session, ["Rust"])
    days = [date(2025, 12, 28), date(2025, 12, 29), date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 4)]
    days.append(date(2026, 1, 5))
    synthetic.add(session, [synthetic.posting(d, [s.id]) for d in days])
    wk = week_index_sql(session, DemandTotalDay.day, EPOCH_MONDAY)
    got = dict(session.execute(select(DemandTotalDay.day, wk)).all())
    assert got == {d: week_index(d) for d in days}
    assert len({got[d] for d in days[1:5]}) == 1  # Mon 29 Dec .. Sun 4 Jan: one week
    assert got[days[0]] == got[days[1]] - 1 and got[days[5]] == got[days[1]] + 1
    fig = demand_figures(session, s, date(2026, 1, 10))
    weekly = {w["week_start"]: w["postings"] for w in fig["weekly"]}
    assert weekly["2025-12-22"] == 1 and weekly["2025-12-29"] == 4 and weekly["2026-01-05"] == 1


def test_rollups_equal_raw_on_synthetic_postings(session: Session) -> None:
    rng = random.Random(7)
    skills = synthetic.skills(session, [f"Skill {i}" for i in range(12)])
    titles = synthetic.titles(session, [f"Title {i}" for i in range(5)])
    metros = synthetic.metros(session, [f"Metro {i}" for i in range(6)])
    start = date(2025, 12, 1)
    items = []
    for _ in range(600):
        day = start + timedelta(days=rng.randrange(200))
        picked = rng.sample(skills, rng.choice([0, 1, 2, 3, 4]))
        title = rng.choice([None, *titles])
        metro = rng.choice([None, None, *metros])
        items.append(
            synthetic.posting(day, [s.id for s in picked], title and title.id, metro and metro.id)  # type: ignore[arg-type]
        )
    for chunk in range(0, len(items), 97):  # arrive in several batches, like polls
        synthetic.add(session, items[chunk : chunk + 97])
    session.commit()
    assert rollups.check(session) == []
    for as_of in (date(2026, 3, 1), date(2026, 5, 17), start + timedelta(days=90)):
        for skill in skills[:6]:
            fig = demand_figures(session, skill, as_of)
            fig.pop("shift")
            assert fig == raw_figures(session, skill, as_of), (skill.slug, as_of)
    before = rollups.stored_counts(session)
    rollups.rebuild(session, datetime(2026, 5, 18, tzinfo=UTC))
    assert rollups.stored_counts(session) == before


def test_window_sums_follow_postings_and_move_with_the_same_figures(session: Session) -> None:
    """Today's top titles, metros and pairs come from the window sums: kept current by folds, moved by
    `advance`, rebuilt; the same figures as the raw postings on every date the window takes."""
    rng = random.Random(11)
    skills = synthetic.skills(session, [f"Skill {i}" for i in range(15)])
    titles = synthetic.titles(session, [f"Title {i}" for i in range(6)])
    metros = synthetic.metros(session, [f"Metro {i}" for i in range(5)])

    def postings(n: int) -> list[Any]:
        out = []
        for _ in range(n):
            day = date(2026, 1, 1) + timedelta(days=rng.randrange(200))
            picked = [s.id for s in rng.sample(skills, rng.choice([1, 2, 3, 4]))]
            title, metro = rng.choice([None, *titles]), rng.choice([None, *metros])
            out.append(synthetic.posting(day, picked, title and title.id, metro and metro.id))
        return out

    def same_as_raw(as_of: date) -> None:
        assert window.as_of(session) == as_of
        assert session.scalar(select(func.count()).select_from(DemandSkillPairWindow))  # the window path is taken
        assert rollups.check(session) == []
        for skill in skills[:8]:
            fig = demand_figures(session, skill, as_of)
            fig.pop("shift")
            assert fig == raw_figures(session, skill, as_of), (skill.slug, as_of)

    synthetic.add(session, postings(300))
    window.advance(session, D)  # summed afresh
    synthetic.add(session, postings(200))  # kept current as postings arrive
    session.commit()
    same_as_raw(D)
    # shifted by a few days, by more than a month; summed afresh when it moves back or by a whole window
    for as_of in (D + timedelta(days=3), D + timedelta(days=40), D - timedelta(days=60), D + timedelta(days=50)):
        window.advance(session, as_of)
        session.commit()
        same_as_raw(as_of)
    rollups.rebuild(session, datetime(2026, 5, 18, tzinfo=UTC))
    session.commit()
    same_as_raw(D + timedelta(days=50))


def test_memoised_top_lists_follow_new_postings_and_rebuilds(session: Session) -> None:
    from digest.demand.figures import clear_memo

    clear_memo()
    (s,) = synthetic.skills(session, ["Rust"])
    a, b = synthetic.titles(session, ["Title A", "Title B"])
    synthetic.add(session, [synthetic.posting(D, [s.id], a.id)])
    session.commit()
    first = demand_figures(session, s, D, memo=True)
    assert [t["title"] for t in first["top_titles"]] == ["Title A"]
    first["top_titles"].clear()  # a caller mutating its answer does not poison the memo
    assert demand_figures(session, s, D, memo=True)["top_titles"] != []
    # another skill's posting in the window: the window total moves, so the memo is not reused
    (other,) = synthetic.skills(session, ["Zig"])
    synthetic.add(session, [synthetic.posting(D, [other.id], b.id)])
    session.commit()
    after = demand_figures(session, s, D, memo=True)
    assert after["top_titles"] == [{"title": "Title A", "postings": 1, "share_of_title": 1.0, "median_salary": None}]
    synthetic.add(session, [synthetic.posting(D - timedelta(days=1), [s.id], b.id)])
    session.commit()
    assert [t["title"] for t in demand_figures(session, s, D, memo=True)["top_titles"]] == ["Title A", "Title B"]
    # a rebuild after re-linking (same counts, other titles) moves the generation mark
    from digest.store.models import Item

    item = session.scalar(select(Item).where(Item.job_title_id == b.id, Item.posted_on == D - timedelta(days=1)))
    assert item is not None
    item.job_title_id = a.id
    rollups.rebuild(session, datetime(2026, 5, 18, tzinfo=UTC))
    session.commit()
    assert demand_figures(session, s, D, memo=True)["top_titles"] == demand_figures(session, s, D)["top_titles"]
    assert [t["title"] for t in demand_figures(session, s, D, memo=True)["top_titles"]] == ["Title A"]
    clear_memo()


def test_weekly_chart_is_a_png_for_any_counts() -> None:
    from datetime import date, timedelta

    from digest.demand.chart import render_weekly_chart

    weeks = [date(2026, 1, 5) + timedelta(weeks=n) for n in range(13)]
    for counts in ([0] * 13, [1] + [500] * 12, list(range(13))):
        data = {
            "name": "Go",
            "as_of": "2026-04-05",
            "weekly": [{"week_start": w.isoformat(), "postings": n} for w, n in zip(weeks, counts, strict=True)],
        }
        png = render_weekly_chart(data)
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) < 40_000


def test_cached_chart_follows_postings_added_the_same_day(session: Session, tmp_path: Any) -> None:
    from digest.demand.chart import weekly_chart_png

    (s,) = synthetic.skills(session, ["Elixir"])
    empty = weekly_chart_png(session, s, D, tmp_path)
    assert weekly_chart_png(session, s, D, tmp_path) == empty  # served from the cache
    synthetic.add(session, [synthetic.posting(D - timedelta(days=3), [s.id])])
    session.commit()
    assert weekly_chart_png(session, s, D, tmp_path) != empty
    assert len(list(tmp_path.glob("elixir-2026-05-17-*.png"))) == 2
