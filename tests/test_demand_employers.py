"""top_employers and employer_concentration: hand-checked on a small fixture (window edges, spellings folded,
postings without an employer, pending postings), and equal to the computation from the raw postings on
random postings, on SQLite and PostgreSQL; the per-day employer rollup follows a relink and a delete."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from digest.demand import rollups
from digest.demand.employers import employer_figures
from digest.demand.figures import clear_memo, demand_figures
from digest.demand.rollups import mark_pending
from digest.demand.text import figures_text
from digest.ingest.pipeline import delete_items
from tests.conftest import _empty_database
from tests.support import synthetic
from tests.support.raw_figures import raw_figures

D = date(2026, 5, 17)


@pytest.fixture(autouse=True)
def _empty_at_start(engine: Any) -> None:
    _empty_database(engine)


def test_hand_checked_employer_figures(session: Session) -> None:
    k, p = synthetic.skills(session, ["Kubernetes", "Python"])
    day = lambda n: D - timedelta(days=n)  # noqa: E731
    post = synthetic.posting
    synthetic.add(
        session,
        [
            post(day(90), [k.id], company="Acme"),  # exactly D-90: out
            post(day(89), [k.id], company="Stripe"),
            post(day(50), [k.id], company="Stripe, Inc."),
            post(day(40), [k.id, p.id], company="stripe.com"),
            post(day(30), [k.id], company="Stripe"),
            post(day(20), [k.id], company="Acme GmbH"),
            post(day(10), [k.id], company="Zeta"),
            post(day(5), [k.id], company=None),  # no employer: in the share's denominator, not in the HHI
            post(day(4), [k.id], company="Stealth"),  # names no employer
            post(D, [k.id], company="acme"),
            post(day(-1), [k.id], company="Zeta"),  # after D: out
            post(D, [p.id], company="Zeta"),  # not Kubernetes
        ],
    )
    session.commit()
    fig = demand_figures(session, k, D)
    assert fig["postings"] == 9
    assert fig["top_employers"] == [
        {"employer": "Stripe", "key": "stripe", "postings": 4},  # "Stripe" twice, the other spellings once
        {"employer": "Acme GmbH", "key": "acme", "postings": 2},  # a tie of spellings: code-point order
        {"employer": "Zeta", "key": "zeta", "postings": 1},
    ]
    assert fig["employer_concentration"] == {
        "postings": 9,
        "with_employer": 7,
        "employers": 3,
        "top_employer_share": round(4 / 9, 3),
        "herfindahl": round((16 + 4 + 1) / 49, 4),
    }
    assert {k_: v for k_, v in fig.items() if k_ != "shift"} == raw_figures(session, k, D)
    assert (
        "  top employers (3 employers posted 7, 2 name none; the largest 44.4% of all, Herfindahl 0.4286): "
        "Stripe (4), Acme GmbH (2), Zeta (1)"
    ) in figures_text(fig).splitlines()
    # a posting not yet counted into the rollups is in no figure, this one included
    late = synthetic.posting(day(3), [k.id], company="Zeta")
    session.add(late)
    session.flush()
    mark_pending(session, [{"item_id": late.id, "posted_on": late.posted_on, "job_title_id": None, "metro_id": None}])
    assert employer_figures(session, k.id, D) == {
        "top_employers": fig["top_employers"],
        "employer_concentration": fig["employer_concentration"],
    }


def test_no_postings_and_no_named_employer(session: Session) -> None:
    (s,) = synthetic.skills(session, ["Rust"])
    empty = employer_figures(session, s.id, D)
    assert empty == {
        "top_employers": [],
        "employer_concentration": {
            "postings": 0,
            "with_employer": 0,
            "employers": 0,
            "top_employer_share": None,
            "herfindahl": None,
        },
    }
    synthetic.add(session, [synthetic.posting(D, [s.id]), synthetic.posting(D, [s.id], company="Confidential")])
    none_named = employer_figures(session, s.id, D)["employer_concentration"]
    assert none_named == {**empty["employer_concentration"], "postings": 2}


def test_employer_figures_equal_raw_on_random_postings(session: Session) -> None:
    rng = random.Random(20)
    skills = synthetic.skills(session, [f"Skill {i}" for i in range(6)])
    spellings = [
        ["Stripe", "Stripe, Inc.", "stripe.com", "STRIPE"],
        ["Acme GmbH", "ACME", "acme.io"],
        ["Scale AI"],
        ["Scale Computing"],
        ["Root Insurance"],
        ["Root Sustainability"],
        *([f"Company {i}"] for i in range(14)),
    ]
    items = []
    for _ in range(700):
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(200))
        stripe = [rng.choice(spellings[0]) for _ in range(3)]  # the big employer, in all its spellings
        company = rng.choice([None, None, "Stealth", *stripe, *(rng.choice(s) for s in spellings)])
        picked = [s.id for s in rng.sample(skills, rng.choice([1, 2, 3]))]
        items.append(synthetic.posting(day, picked, company=company))
    for chunk in range(0, len(items), 101):
        synthetic.add(session, items[chunk : chunk + 101])
    session.commit()
    for as_of in (date(2026, 3, 1), D, date(2026, 8, 1)):
        for skill in skills:
            fig = demand_figures(session, skill, as_of)
            fig.pop("shift")
            assert fig == raw_figures(session, skill, as_of), (skill.slug, as_of)
            top = fig["top_employers"]
            assert [e["postings"] for e in top] == sorted((e["postings"] for e in top), reverse=True)
            assert len({e["key"] for e in top}) == len(top)
            c = fig["employer_concentration"]
            assert c["employers"] >= len(top) and c["with_employer"] <= c["postings"] == fig["postings"]
    top = demand_figures(session, skills[0], D)["top_employers"]
    assert any(e["key"] == "stripe" and e["postings"] > 1 for e in top), top


def test_the_web_memo_keeps_the_answer_until_a_posting_is_counted(session: Session) -> None:
    (s,) = synthetic.skills(session, ["Rust"])
    (first,) = synthetic.add(session, [synthetic.posting(D, [s.id], company="Stripe")])
    session.commit()
    clear_memo()
    try:
        before = demand_figures(session, s, D, memo=True)["top_employers"]
        assert before == [{"employer": "Stripe", "key": "stripe", "postings": 1}]
        # the spelling is read from the posting (the counts from the rollup, which the fold keeps): changed
        # behind the fold's back, which postings never are, it shows the answer is kept
        first.company = "STRIPE"
        session.commit()
        assert demand_figures(session, s, D, memo=True)["top_employers"] == before
        assert demand_figures(session, s, D)["top_employers"][0]["employer"] == "STRIPE"  # no memo: read again
        synthetic.add(session, [synthetic.posting(D - timedelta(days=1), [s.id], company="Zeta")])
        session.commit()
        assert [e["employer"] for e in demand_figures(session, s, D, memo=True)["top_employers"]] == ["STRIPE", "Zeta"]
    finally:
        clear_memo()


def test_the_employer_rollup_follows_a_relink_and_a_delete(session: Session) -> None:
    """The per-day employer rollup is counted by the fold and taken out by unfold like the title and metro
    rollups: re-linked postings move to their new skill, deleted ones leave, and `rollups.check` agrees."""
    k, p = synthetic.skills(session, ["Kubernetes", "Python"])
    day = lambda n: D - timedelta(days=n)  # noqa: E731
    post = synthetic.posting
    stripe = [post(day(n), [k.id], company=c) for n, c in ((3, "Stripe"), (9, "stripe.com"), (12, "Stripe, Inc."))]
    acme = [post(day(n), [k.id, p.id], company="Acme") for n in (2, 4)]
    others = [post(day(1), [k.id], company="Zeta"), post(day(6), [k.id], company=None)]
    synthetic.add(session, [*stripe, *acme, *others])
    session.commit()

    def agree() -> dict[str, Any]:
        assert rollups.check(session) == []
        for skill in (k, p):
            fig = demand_figures(session, skill, D)
            fig.pop("shift")
            assert fig == raw_figures(session, skill, D), skill.slug
        return demand_figures(session, k, D)

    fig = agree()
    assert [(e["key"], e["postings"]) for e in fig["top_employers"]] == [("stripe", 3), ("acme", 2), ("zeta", 1)]
    # a relink: two Stripe postings now mention Python, not Kubernetes
    moved = [i.id for i in stripe[:2]]
    rollups.unfold(session, moved)
    for item in stripe[:2]:
        for mention in item.skills:
            mention.skill_id = p.id
    session.flush()
    rollups.repend(session, moved)
    rollups.fold(session, moved)
    session.commit()
    fig = agree()
    assert [(e["key"], e["postings"]) for e in fig["top_employers"]] == [("acme", 2), ("stripe", 1), ("zeta", 1)]
    top_p = demand_figures(session, p, D)["top_employers"]
    assert [(e["employer"], e["postings"]) for e in top_p] == [("Acme", 2), ("Stripe", 2)]  # tie: key order
    # a delete: the Acme postings are taken out of the counts first, then deleted
    gone = [i.id for i in acme]
    rollups.unfold(session, gone)
    delete_items(session, gone, datetime(2026, 5, 18, tzinfo=UTC))
    rollups.drop_zeros(session)
    session.commit()
    fig = agree()
    assert [(e["key"], e["postings"]) for e in fig["top_employers"]] == [("stripe", 1), ("zeta", 1)]
    assert fig["employer_concentration"] == {
        "postings": 3,
        "with_employer": 2,
        "employers": 2,
        "top_employer_share": round(1 / 3, 3),
        "herfindahl": 0.5,
    }
    # a key changed behind the fold's back: the check sees it, a rebuild counts it afresh
    stripe[2].employer_key = "stripe-two"
    session.commit()
    assert any(problem.startswith("skill_employer") for problem in rollups.check(session))
    rollups.rebuild(session, datetime(2026, 5, 18, tzinfo=UTC))
    session.commit()
    assert rollups.check(session) == []  # (the raw reference folds the company itself: it still says "stripe")
    assert [e["key"] for e in demand_figures(session, k, D)["top_employers"]] == ["stripe-two", "zeta"]
