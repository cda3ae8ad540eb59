"""Pay and seniority on the skill page and in the demand API: the words a reader sees, from the same figures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digest.demand.figures import clear_memo, demand_figures
from digest.store.models import Skill
from digest.web.app import create_app
from tests.conftest import _empty_database
from tests.support import synthetic

AS_OF = date(2026, 5, 17)


@pytest.fixture(autouse=True)
def _fresh(engine: Any) -> Iterator[None]:
    _empty_database(engine)
    clear_memo()
    yield
    clear_memo()


def pay_data(session: Session, as_of: date) -> Skill:
    """40 postings of Kubernetes: 8 Platform Engineers paid $150k-$190k a year, 3 Berlin jobs at €6k a month,
    levels on most."""
    (k8s,) = synthetic.skills(session, ["Kubernetes"])
    platform, backend = synthetic.titles(session, ["Platform Engineer", "Backend Engineer"])
    items = []
    for n in range(40):
        item = synthetic.posting(as_of - timedelta(days=n), [k8s.id], (platform if n < 20 else backend).id)
        if n < 8:
            item.salary_min, item.salary_max = 150_000 + 5_000 * n, 190_000
            item.salary_currency, item.salary_period = "USD", "year"
        elif n < 11:
            item.salary_min, item.salary_currency, item.salary_period = 6_000, "EUR", "month"
        item.seniority = ["senior", "senior", "staff", "mid", None][n % 5]
        items.append(item)
    synthetic.add(session, items)
    session.commit()
    return k8s


def test_page_and_api_show_pay_and_seniority(settings: Any, session: Session) -> None:
    skill = pay_data(session, AS_OF)
    client = TestClient(create_app(settings))
    html = client.get(f"/skills/kubernetes?as_of={AS_OF}").text
    figures = demand_figures(session, skill, AS_OF)
    assert figures["salary"]["by_currency"][0]["median"] == 178_750
    # midpoints 170,000 172,500 … 187,500: median 178,750, quartiles 174,375 and 183,125
    assert "Stated pay (11 of 40 postings)" in html
    assert "median $179k a year, middle half $174k–$183k (8 postings)" in html
    assert "3 in EUR a year (too few for a figure)" in html
    assert '<td>senior</td><td class="num">16</td>' in html and "<td>staff/principal</td>" in html
    assert "median pay $179k a year (8 stated)" in html and html.count('class="pay-note"') == 1  # not Backend
    assert client.get(f"/api/skills/kubernetes/demand?as_of={AS_OF}").json() == figures


def test_page_says_when_nothing_is_stated(settings: Any, session: Session) -> None:
    (skill,) = synthetic.skills(session, ["Cobol"])
    synthetic.add(session, [synthetic.posting(AS_OF, [skill.id])])
    session.commit()
    html = TestClient(create_app(settings)).get(f"/skills/cobol?as_of={AS_OF}").text
    assert "Stated pay (0 of 1 postings)" in html and "None of these postings states a salary." in html
    assert "No posting says its level." in html


def test_money_in_words() -> None:
    from digest.demand.pay_words import money

    assert [money(165_400, "USD"), money(62_500, "EUR"), money(450, "GBP"), money(120_000, "CHF")] == [
        "$165k",
        "€62.5k",
        "£450",
        "120k CHF",
    ]
    assert money(180_000, None) == "180k (currency not stated)"


def test_stats_text_says_pay_and_seniority(session: Session) -> None:
    from digest.demand.text import figures_text

    text = figures_text(demand_figures(session, pay_data(session, AS_OF), AS_OF))
    assert "  stated pay (11 of 40 postings):\n    median $179k a year, middle half $174k–$183k (8 postings)" in text
    assert "  seniority: mid-level 25%, senior 50%, staff/principal 25% of the 32 postings that say" in text


def test_pay_block_of_a_skill_without_postings_counts_nothing() -> None:
    """A fresh install's skill page said 'Stated pay (0 of 0 postings)'; with no postings it says so plainly."""
    from digest.demand.pay_words import pay_words

    empty = {"postings": 0, "stated": 0, "by_currency": []}
    assert pay_words(empty) == {"head": "Stated pay", "lines": []}
    assert pay_words({**empty, "postings": 40})["head"] == "Stated pay (0 of 40 postings)"
