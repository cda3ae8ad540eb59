"""What a job item carries: salary, seniority, where the skill was found, ranking and re-posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from digest.config import Settings
from digest.delivery.preview import preview
from digest.mail.content import ItemView, build_section, fold_reposts, rank
from digest.sources.headings import parse_hn_heading
from digest.sources.salary import parse_salary
from digest.sources.seniority import seniority
from digest.taxonomy.where import _HEADING, LISTED, LOOK_BACK, MENTION, TITLE, _headed, where_found
from tests.eval import hn
from tests.test_digest_ledger import T0, World

T = datetime(2026, 3, 2, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("$116,800 - $175,200 plus benefits", "$116,800–175,200"),
        ("€70-90k", "€70k–90k"),
        ("£60k + equity", "£60k"),
        ("120-150K USD", "$120k–150k"),
        ("USD 140,000–180,000", "$140k–180k"),
        ("$80/hr contract", "$80 per hour"),
        ("CHF 120'000", "120k CHF"),
        ("€60.000 - €80.000", "€60k–80k"),
        ("C$60-80k", "60k–80k CAD"),
        ("$95k-$120k/yr", "$95k–120k"),
        ("Pay: 90.000€ - 110.000€", "€90k–110k"),
    ],
)
def test_salary_from_text(text: str, expected: str) -> None:
    pay = parse_salary(text)
    assert pay is not None and pay.text() == expected


@pytest.mark.parametrize(
    "text",
    ["5-10 years of experience", "3 days a week", "Series A, $20M raised", "$2,500 signing bonus",
     "CONTRACT (Inside IR35 £Day rate)", "We have 150-200 customers", "$20 million"],
)  # fmt: skip
def test_not_a_salary(text: str) -> None:
    assert parse_salary(text) is None


def test_bare_ranges_only_in_headings() -> None:
    assert parse_salary("[180 - 210K]") is None
    pay = parse_salary("[180 - 210K]", bare=True)
    assert pay is not None and (pay.low, pay.high, pay.currency) == (180_000, 210_000, None)


@pytest.mark.parametrize(
    "title,text,expected",
    [
        ("Senior Software Engineer", "", "senior"),
        ("Senior Staff Engineer", "", "staff"),
        ("Senior Engineering Manager", "", "lead"),
        ("Software Engineer Intern", "", "intern"),
        ("Jr. Developer", "", "junior"),
        ("Software Engineer II", "", "mid"),
        ("Backend Engineer", "You have 6+ years of professional experience", "senior"),
        ("Backend Engineer", "3 years experience with Go", "mid"),
        ("Backend Engineer", "", None),
    ],
)
def test_seniority(title: str, text: str, expected: str | None) -> None:
    assert seniority(title, text) == expected


def test_a_role_at_a_company_heading() -> None:
    """A real heading (HN, March 2026): the role, then 'at' the company and what it does."""
    h = parse_hn_heading(
        "Senior Data Analyst at P2P.org, the largest institutional staking provider  | Remote, GMT +-3/ Cyprus"
    )
    assert (h.company, h.title, h.remote) == ("P2P.org", "Senior Data Analyst", True)
    assert parse_hn_heading("Acme | Engineer at heart | Remote").company == "Acme"  # 'at' in a later field


def test_where_a_skill_was_found() -> None:
    text = (
        "Python Engineer\nWe build tools. Our team once used Java for a prototype. "
        "Requirements: experience with PostgreSQL. Stack: Go, Rust, Kafka and Redis."
    )
    spans = [(text.index(w), text.index(w) + len(w)) for w in ("Python", "Java", "PostgreSQL", "Go,", "Rust", "Kafka")]
    assert where_found(text, len("Python Engineer"), spans) == [TITLE, MENTION, LISTED, LISTED, LISTED, LISTED]


def test_the_heading_search_answers_as_the_plain_regex_everywhere(shared_data: Path) -> None:
    """_headed (searched after the last sentence end, lower-cased ASCII case-sensitively) against the regex
    over the whole window, at every seventh place of every HN posting (each place a window's end) and at every
    place of texts with the characters that ASCII and case-insensitive matching tell apart."""
    texts = [(p.text, 7) for p in hn.load(shared_data)]
    tricky = ["Our \u017ftack: Go", "TOOLS we u\u017fe: Rust", "the \u212aNOWLEDGE OF Go", "Stack. Go", "Tech stack\n"]
    texts += [(t, 1) for t in [*tricky, "\u0130 tools", "Skills! Go"]]
    for text, step in texts:
        for at in range(0, len(text) + 1, step):
            lo = max(0, at - LOOK_BACK)
            assert _headed(text, lo, at) == (_HEADING.search(text[lo:at]) is not None), (text[lo:at], at)


def view(n: int, found_in: int = 0, age_days: float = 0, reposted: bool = False, key: str | None = None) -> ItemView:
    return ItemView(id=n, kind="job", title=f"Job {n}", url=None, published_at=T - timedelta(days=age_days),
                    alias="Python", found_in=found_in, reposted=reposted, repost_key=key)  # fmt: skip


def test_ranking_by_centrality_freshness_and_novelty() -> None:
    titled_old = view(1, found_in=TITLE, age_days=3)
    listed_new = view(2, found_in=LISTED)
    passing_new = view(3, found_in=MENTION)
    reposted_titled = view(4, found_in=TITLE, reposted=True)
    titled_stale = view(5, found_in=TITLE, age_days=20)
    ranked = rank([passing_new, titled_stale, listed_new, reposted_titled, titled_old])
    # 1: 2 + 4/7; 2: 1 + 1; 4: 2 + 1 - 1; 5: 2 + 0; 3: 0 + 1. Ties at 2.0 go newest first, then by id
    assert [i.id for i in ranked] == [1, 2, 4, 5, 3]


def test_a_repost_appears_once_marked() -> None:
    jan, feb = view(1, age_days=31, key="k"), view(2, age_days=0, key="k")
    other = view(3, key=None)
    kept = fold_reposts([jan, feb, other])
    assert [(i.id, i.reposted) for i in kept] == [(2, True), (3, False)]
    section = build_section(skill_id=1, slug="python", name="Python", base_url="", items=[jan, feb, other],
                            snapshot=None)  # fmt: skip
    assert [i.id for i in section.jobs] == [3, 2] and section.more_jobs == 0  # the re-post ranks lower


def test_a_posting_repeated_from_last_months_thread_is_marked(settings: Settings, session: Session) -> None:
    w = World(session)
    w.subscribe(w.user("ann@example.com"), "python")
    w.item("Backend Engineer", T0 - timedelta(days=40), "python", kind="job", company="Acme", repost_key="acme")
    w.item("Backend Engineer", T0 + timedelta(hours=1), "python", kind="job", company="Acme", repost_key="acme")
    w.item("Frontend Engineer", T0 + timedelta(hours=2), "python", kind="job", company="Acme", repost_key="acme-fe")
    w.commit()
    (p,) = preview(session, settings, "ann@example.com", T0 + timedelta(hours=9))
    jobs = {i.title: i.reposted for s in p.digest.sections for i in s.jobs}
    assert jobs == {"Backend Engineer": True, "Frontend Engineer": False}
