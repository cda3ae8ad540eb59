"""Searches (#19): the value and its words, each filter and their combinations through the digest's own plan on
SQLite and PostgreSQL (a hypothesis test against a plain reference predicate), changing a search mid-window,
the CLI, the API and the preview counts."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from digest.accounts import subscriptions as subs
from digest.accounts.inputs import BadInput
from digest.accounts.search_input import SearchInput, resolve_search, split_companies
from digest.accounts.searches import Posting, Search, SearchError, describe, from_json, make, stored
from digest.cli import app
from digest.delivery.context import Context
from digest.delivery.links import web_view_url
from digest.delivery.plan import plan
from digest.delivery.preview import NullBackend
from digest.delivery.search_preview import preview_counts
from digest.delivery.state import Window
from digest.delivery.webview import web_view
from digest.sources.employer import employer_key
from digest.store.models import Delivery, Item, ItemSkill, Metro, Subscription
from digest.web.app import create_app
from tests.accounts_data import add_skills, link_in, outbox, press_confirm, text_of
from tests.test_digest_ledger import T0, World, run, titles_sent
from tests.test_digest_ledger import outbox as ledger_outbox
from tests.test_digest_ledger import text_of as ledger_text

NAMES = {1: "Python", 2: "Go", 3: "Rust"}
METROS = {10: "Berlin", 11: "London"}


# --- the value ---------------------------------------------------------------------------------------


def test_a_search_is_canonical_and_round_trips() -> None:
    a = make([1, 3, 2, 3], seniority=["lead", "senior", "staff"], exclude_words=["PHP", " Ruby  on Rails "])
    b = make([1, 2, 3], seniority=["senior", "staff", "lead"], exclude_words=["ruby on rails", "php"])
    assert a == b and a.key == b.key and from_json(a.key) == a
    assert a.skills == (1, 2, 3) and a.exclude_words == ("php", "ruby on rails")
    assert Search(skills=(1,)).plain and not a.plain
    assert stored(1, None) == Search(skills=(1,)) and stored(1, a.key) == a


def test_a_search_in_words() -> None:
    s = make([1, 2], metros=[10], or_remote=True, seniority=["senior", "staff", "lead"], min_salary=70000,
             currency="EUR", drop_unsalaried=True)  # fmt: skip
    assert describe(s, NAMES, METROS) == "Python or Go · remote or Berlin · senior+ · ≥ €70k"
    s = make([1, 3], all_skills=True, kind="jobs", remote="exclude", metros=[11, 10], seniority=["junior", "mid"],
             min_salary=65500, currency="CHF", exclude_companies=["acme"], exclude_words=["php"])  # fmt: skip
    assert describe(s, NAMES, METROS) == (
        "Python and Rust · jobs only · not remote · Berlin or London · junior or mid-level · ≥ 65,500 CHF or "
        "unstated · not acme · without “php”"
    )
    assert describe(Search(skills=(1,)), NAMES, METROS) == "Python"


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"skills": [1, 2, 3, 4, 5, 6]}, "at most 5 skills"),
        ({"kind": "podcasts"}, "news, jobs or both"),
        ({"remote": "maybe"}, "only, exclude or any"),
        ({"metros": list(range(11))}, "at most 10 places"),
        ({"or_remote": True}, "goes with at least one place"),
        ({"metros": [10], "or_remote": True, "remote": "exclude"}, "contradict"),
        ({"seniority": ["wizard"]}, "Seniority is one of"),
        ({"min_salary": 70000}, "needs its currency"),
        ({"min_salary": 70000, "currency": "XYZ"}, "needs its currency"),
        ({"min_salary": 0, "currency": "EUR"}, "between 1 and"),
        ({"currency": "EUR"}, "goes with a minimum salary"),
        ({"exclude_words": ["x" * 61]}, "1 to 60 characters"),
        ({"exclude_words": [f"w{i}" for i in range(21)]}, "at most 20 excluded words"),
        ({"exclude_words": ["!!"]}, "a letter or a digit"),
    ],
)
def test_searches_out_of_bounds_are_refused_clearly(kw: dict[str, Any], message: str) -> None:
    skills = kw.pop("skills", [1])
    with pytest.raises(SearchError, match=re.escape(message)):
        make(skills, **kw)


def test_company_lists_keep_legal_forms_with_their_names() -> None:
    assert split_companies("Acme, Inc., Initech; Globex GmbH") == ["Acme, Inc.", "Initech", "Globex GmbH"]


# --- each filter, and all of them together, through the digest's plan ------------------------------------

SLUGS = ("python", "go", "rust")
WORDS = ("php", "rails", "ruby", "on", "python", "remote", "cloud")
COMPANIES = (None, "Acme GmbH", "acme", "Initech", "Globex")


@dataclass(frozen=True)
class P:
    """A generated item: what the reference predicate reads."""

    kind: str
    skills: frozenset[str]
    title: str
    remote: bool | None
    metro: str | None
    seniority: str | None
    salary: tuple[float, float | None, str, str | None] | None  # min, max, currency, period
    company: str | None


postings_st = st.builds(
    P,
    kind=st.sampled_from(["news", "job", "job"]),
    skills=st.frozensets(st.sampled_from(SLUGS), min_size=1),
    title=st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join),
    remote=st.sampled_from([True, False, None]),
    metro=st.sampled_from([None, "berlin", "london"]),
    seniority=st.sampled_from([None, "junior", "mid", "senior", "staff", "lead"]),
    salary=st.one_of(
        st.none(),
        st.tuples(
            st.sampled_from([3000.0, 50000.0, 69000.0, 70000.0, 90000.0]),
            st.sampled_from([None, 75000.0, 120000.0]),
            st.sampled_from(["EUR", "USD"]),
            st.sampled_from([None, "year", "month"]),
        ),
    ),
    company=st.sampled_from(COMPANIES),
)


@st.composite
def searches_st(draw: Any) -> dict[str, Any]:
    skills = draw(st.lists(st.sampled_from(SLUGS), min_size=1, max_size=3, unique=True))
    metros = draw(st.lists(st.sampled_from(["berlin", "london"]), unique=True, max_size=2))
    remote = draw(st.sampled_from(["any", "only", "exclude"]))
    salary = draw(
        st.one_of(st.none(), st.tuples(st.sampled_from([50000, 70000, 100000]), st.sampled_from(["EUR", "USD"])))
    )
    return {
        "skills": skills,
        "all": draw(st.booleans()),
        "kind": draw(st.sampled_from(["both", "news", "jobs"])),
        "remote": remote,
        "metros": metros,
        "or_remote": bool(metros) and remote != "exclude" and draw(st.booleans()),
        "seniority": draw(st.lists(st.sampled_from(["junior", "mid", "senior", "staff", "lead"]), unique=True)),
        "salary": salary,
        "drop": salary is not None and draw(st.booleans()),
        "companies": draw(st.lists(st.sampled_from(["Acme", "Initech"]), unique=True)),
        "words": draw(st.lists(st.sampled_from(["php", "ruby on rails", "cloud"]), unique=True, max_size=2)),
    }


ANNUAL = {"year": 1, "month": 12, None: 1}


def reference(p: P, s: dict[str, Any]) -> bool:
    """A posting reaches a search when it satisfies every filter: spelled out, one filter per line."""
    skills_ok = all(k in p.skills for k in s["skills"]) if s["all"] else any(k in p.skills for k in s["skills"])
    text = [*p.title.split(), "about", *p.title.split()]  # title, then the summary World writes: "About <title>."
    words_ok = not any(any(text[i : i + len(w.split())] == w.split() for i in range(len(text))) for w in s["words"])
    if p.kind == "news":
        return skills_ok and words_ok and s["kind"] != "jobs"
    kind_ok = s["kind"] != "news"
    remote_ok = {"any": True, "only": p.remote is True, "exclude": p.remote is not True}[s["remote"]]
    place_ok = not s["metros"] or p.metro in s["metros"] or (s["or_remote"] and p.remote is True)
    level_ok = not s["seniority"] or p.seniority in s["seniority"]
    pay_ok = True
    if s["salary"] is not None:
        floor, currency = s["salary"]
        if p.salary is None or p.salary[2] != currency:
            pay_ok = not s["drop"]
        else:
            low, high, _, period = p.salary
            pay_ok = (high if high is not None else low) * ANNUAL[period] >= floor
    company_ok = p.company is None or p.company.split()[0].lower() not in [c.lower() for c in s["companies"]]
    return skills_ok and words_ok and kind_ok and remote_ok and place_ok and level_ok and pay_ok and company_ok


@pytest.fixture
def world(session: Session) -> World:
    w = World(session)
    for slug in SLUGS:
        w.skill(slug)
    session.add_all([Metro(slug="berlin", name="Berlin", country="DE"), Metro(slug="london", name="London")])
    session.commit()
    return w


def _metro_ids(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Metro.slug, Metro.id)).tuples().all())  # type: ignore[arg-type]


def _add(w: World, ps: list[P], metros: dict[str, int]) -> list[int]:
    ids = []
    for n, p in enumerate(ps):
        it = w.item(
            p.title,
            T0 + timedelta(minutes=n + 1),
            *sorted(p.skills),
            kind=p.kind,
            remote=p.remote if p.kind == "job" else None,
            metro_id=metros[p.metro] if p.metro and p.kind == "job" else None,
            seniority=p.seniority if p.kind == "job" else None,
            salary_min=p.salary[0] if p.salary and p.kind == "job" else None,
            salary_max=p.salary[1] if p.salary and p.kind == "job" else None,
            salary_currency=p.salary[2] if p.salary and p.kind == "job" else None,
            salary_period=p.salary[3] if p.salary and p.kind == "job" else None,
            company=p.company if p.kind == "job" else None,
            employer_key=employer_key(p.company) if p.kind == "job" else None,
        )
        ids.append(it.id)
    return ids


def _search(session: Session, s: dict[str, Any]) -> Search:
    return resolve_search(
        session,
        s["skills"][0],
        SearchInput(
            skills=s["skills"][1:],
            all_skills=s["all"],
            kind=s["kind"],
            remote=s["remote"],
            metros=[m.capitalize() for m in s["metros"]],
            or_remote=s["or_remote"],
            seniority=s["seniority"],
            min_salary=s["salary"][0] if s["salary"] else None,
            currency=s["salary"][1] if s["salary"] else None,
            drop_unsalaried=s["drop"],
            exclude_companies=s["companies"],
            exclude_words=s["words"],
        ),
    )


def _planned(session: Session, settings: Any, searches: list[Search]) -> dict[int, set[int]]:
    """User (one per search) -> the item ids their digest section holds, all of them (no cap)."""
    ctx = Context.for_settings(settings, backend=NullBackend())
    end = T0 + timedelta(days=1)
    wins = [Window(u + 1, u + 1, s.skill_id, T0, end, None, s) for u, s in enumerate(searches)]
    sections = plan(session, ctx, wins, None, end, cap=None)
    return {u + 1: {i.id for sec in sections.get(u + 1, []) for i in sec.shown_items} for u in range(len(searches))}


@given(ps=st.lists(postings_st, min_size=1, max_size=25), ss=st.lists(searches_st(), min_size=1, max_size=4))
@hsettings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_a_posting_reaches_a_search_exactly_when_it_meets_every_filter(
    settings: Any, session: Session, world: World, ps: list[P], ss: list[dict[str, Any]]
) -> None:
    try:
        ids = _add(world, ps, _metro_ids(session))
        session.commit()
        got = _planned(session, settings, [_search(session, s) for s in ss])
        for u, s in enumerate(ss, start=1):
            want = {i for i, p in zip(ids, ps, strict=True) if reference(p, s)}
            assert got[u] == want, (s, [(i, p) for i, p in zip(ids, ps, strict=True) if (i in want) != (i in got[u])])
    finally:
        session.rollback()
        session.execute(delete(ItemSkill))
        session.execute(delete(Item))
        session.commit()


@given(p=postings_st, s=searches_st())
@hsettings(max_examples=400, deadline=None, database=None)
def test_one_items_predicate_is_the_reference(p: P, s: dict[str, Any]) -> None:
    """Search.matches (what previews count with) against the same reference, the skills aside."""
    ids, metros = {"python": 1, "go": 2, "rust": 3}, {"berlin": 10, "london": 11}
    search = make(
        [ids[k] for k in s["skills"]], all_skills=s["all"], kind=s["kind"], remote=s["remote"],
        metros=[metros[m] for m in s["metros"]], or_remote=s["or_remote"], seniority=s["seniority"],
        min_salary=s["salary"][0] if s["salary"] else None, currency=s["salary"][1] if s["salary"] else None,
        drop_unsalaried=s["drop"], exclude_companies=[c.lower() for c in s["companies"]], exclude_words=s["words"],
    )  # fmt: skip
    job = p.kind == "job"
    posting = Posting(
        kind=p.kind, text=f"{p.title}\nAbout {p.title}.", remote=p.remote if job else None,
        metro_id=metros[p.metro] if p.metro and job else None, seniority=p.seniority if job else None,
        salary_min=p.salary[0] if p.salary and job else None, salary_max=p.salary[1] if p.salary and job else None,
        salary_currency=p.salary[2] if p.salary and job else None,
        salary_period=p.salary[3] if p.salary and job else None,
        employer_key=employer_key(p.company) if job else None,
    )  # fmt: skip
    every_skill = P(**{**p.__dict__, "skills": frozenset(SLUGS)})
    assert search.matches(posting) == reference(every_skill, s)


def test_each_filter_on_its_own(settings: Any, session: Session, world: World) -> None:
    metros = _metro_ids(session)
    job = dict(kind="job", skills=frozenset({"python"}), title="engineer", remote=None, metro=None, seniority=None,
               salary=None, company=None)  # fmt: skip
    ps = [
        P(**{**job, "kind": "news", "title": "python news"}),  # 0
        P(**{**job, "remote": True}),  # 1
        P(**{**job, "remote": False, "metro": "berlin"}),  # 2
        P(**{**job, "metro": "london", "seniority": "senior"}),  # 3
        P(**{**job, "seniority": "lead", "salary": (6000.0, None, "EUR", "month")}),  # 4: 72k a year
        P(**{**job, "salary": (60000.0, 65000.0, "EUR", "year"), "company": "Acme GmbH"}),  # 5
        P(**{**job, "salary": (90000.0, None, "USD", "year"), "title": "php engineer"}),  # 6
        P(**{**job, "skills": frozenset({"python", "go"})}),  # 7
    ]
    ids = _add(world, ps, metros)
    session.commit()

    def reach(**kw: Any) -> set[int]:
        base = {"skills": ["python"], "all": False, "kind": "both", "remote": "any", "metros": [], "or_remote": False,
                "seniority": [], "salary": None, "drop": False, "companies": [], "words": []}  # fmt: skip
        got = _planned(session, settings, [_search(session, {**base, **kw})])[1]
        return {ids.index(i) for i in got}

    every = set(range(8))
    assert reach() == every
    assert reach(kind="news") == {0} and reach(kind="jobs") == every - {0}
    assert reach(remote="only") == {0, 1}  # news ignores job-only filters
    assert reach(remote="exclude") == every - {1}
    assert reach(metros=["berlin"]) == {0, 2} and reach(metros=["berlin"], or_remote=True) == {0, 1, 2}
    assert reach(seniority=["senior", "lead"]) == {0, 3, 4}
    assert reach(salary=(70000, "EUR")) == every - {5}  # a month's 6,000 is 72,000 a year; USD is unstated
    assert reach(salary=(70000, "EUR"), drop=True) == {0, 4}
    assert reach(companies=["Acme"]) == every - {5}
    assert reach(words=["php"]) == every - {6}
    assert reach(skills=["python", "go"], all=True) == {7}
    assert reach(skills=["go"]) == {7}
    assert reach(remote="only", kind="jobs") == {1}


# --- changing a search ---------------------------------------------------------------------------------


def test_changing_a_search_loses_and_duplicates_nothing(settings: Any, session: Session, world: World) -> None:
    ann = world.user("ann@example.com")
    sub = world.subscribe(ann, "python")
    world.item("Remote python job", T0 + timedelta(hours=1), "python", "go", kind="job", remote=True)
    world.item("Onsite python job", T0 + timedelta(hours=2), "python", kind="job", remote=False)
    world.commit()
    assert run(session, settings, T0 + timedelta(hours=8)) == {"sent": 1}
    assert titles_sent(settings, "ann@example.com") == ["Onsite python job", "Remote python job"]
    first = session.scalars(select(Delivery)).one().id
    # new items come in; the search changes mid-window: remote only, and Go too
    world.item("Remote go job", T0 + timedelta(hours=10), "go", kind="job", remote=True)
    world.item("Onsite go job", T0 + timedelta(hours=11), "go", kind="job", remote=False)
    world.item("Another remote python job", T0 + timedelta(hours=12), "python", kind="job", remote=True)
    world.commit()
    wider = resolve_search(session, "python", SearchInput(skills=["go"], remote="only"))
    subs.change_search(session, sub, wider, T0 + timedelta(hours=13))
    session.commit()
    assert sub.cursor == T0 + timedelta(hours=8)  # the window carries on
    assert run(session, settings, T0 + timedelta(days=1, hours=8)) == {"sent": 1}
    # the items of the window the new search matches, and none already sent ("Remote python job" mentions Go)
    assert titles_sent(settings, "ann@example.com")[2:] == ["Another remote python job", "Remote go job"]
    latest = list(ledger_outbox(settings).values())[-1]
    assert "== Python ==\nYour search: Python or Go · remote\n" in ledger_text(latest)
    assert "Your search: Python or Go · remote</div>" in str(latest.get_body(("html",)).get_content())
    # the first digest's web view is rebuilt with the search it was sent with
    digest = web_view(session, settings, first, _token(settings, first, ann.id), T0 + timedelta(days=2))
    assert {i.title for s in digest.sections for i in s.shown_items} == {"Remote python job", "Onsite python job"}
    assert all(s.search is None for s in digest.sections)
    later = session.scalars(select(Delivery).where(Delivery.id != first)).one().id
    digest = web_view(session, settings, later, _token(settings, later, ann.id), T0 + timedelta(days=2))
    assert [s.search for s in digest.sections] == ["Python or Go · remote"]


def _token(settings: Any, delivery_id: int, user_id: int) -> str:
    return web_view_url(settings, delivery_id, user_id, T0 + timedelta(days=1)).split("token=")[1]


# --- the CLI and the API -------------------------------------------------------------------------------

NOW = "2026-03-02T09:30:00Z"


def test_cli_subscribe_with_a_search(settings: Any, session: Session) -> None:
    add_skills(session)
    session.add(Metro(slug="berlin", name="Berlin", country="DE"))
    session.commit()
    args = ["subscribe", "ann@example.com", "python", "--skill", "go", "--remote", "only", "--metro", "Berlin",
            "--or-remote", "--seniority", "senior", "--seniority", "staff", "--seniority", "lead", "--min-salary",
            "70000", "--currency", "EUR", "--drop-unsalaried", "--exclude-company", "Acme Inc",
            "--exclude-word", "PHP", "--confirmed", "--now", NOW]  # fmt: skip
    r = CliRunner().invoke(app, [*args, "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["search"] == "Python or Go · remote · remote or Berlin · senior+ · ≥ €70k · not acme · without “php”"
    session.rollback()
    row = session.scalars(select(Subscription)).one()
    assert row.search == data["search_json"] and from_json(row.search).exclude_companies == ("acme",)
    r = CliRunner().invoke(app, ["subscribe", "ann@example.com", "python", "--confirmed", "--now", NOW])
    assert r.exit_code == 0 and "search:" not in r.stdout  # confirmed again without filters: the skill alone
    session.rollback()
    assert session.scalars(select(Subscription)).one().search is None


def test_cli_refuses_a_bad_search_without_echoing_it(settings: Any, session: Session) -> None:
    add_skills(session)
    long_place = "Atlantis " * 40
    r = CliRunner().invoke(app, ["subscribe", "ann@example.com", "python", "--metro", long_place, "--now", NOW])
    assert r.exit_code == 1 and "We do not know the place “Atlantis" in r.stderr
    assert long_place.strip() not in r.stderr and len(r.stderr) < 200
    r = CliRunner().invoke(app, ["subscribe", "ann@example.com", "python", "--min-salary", "70000", "--now", NOW])
    assert r.exit_code == 1 and "needs its currency" in r.stderr
    r = CliRunner().invoke(app, ["subscribe", "ann@example.com", "python", "--skill", "pythn", "--now", NOW])
    assert r.exit_code == 1 and "did you mean" in r.stderr
    assert session.scalars(select(Subscription)).all() == []


def _signed_in_client(settings: Any) -> tuple[TestClient, str]:
    c = TestClient(create_app(settings))
    c.post("/api/subscriptions", json={"email": "ann@example.com", "skill": "python"})
    press_confirm(c, link_in(outbox(settings.outbox_dir)[-1], "/confirm"))
    return c, c.get("/api/me").json()["csrf_token"]


def test_api_subscribe_and_patch_a_search(settings: Any, session: Session) -> None:
    add_skills(session)
    session.add(Metro(slug="berlin", name="Berlin", country="DE"))
    session.commit()
    c, csrf = _signed_in_client(settings)
    (sub,) = c.get("/api/subscriptions").json()
    assert sub["search_text"] == "Python" and sub["search"]["metros"] == []
    search = {"skills": ["golang"], "metros": ["berlin"], "or_remote": True, "seniority": ["senior", "staff", "lead"],
              "min_salary": 70000, "currency": "eur", "drop_unsalaried": True}  # fmt: skip
    r = c.patch(f"/api/subscriptions/{sub['id']}", json={"search": search}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    assert r.json()["search_text"] == "Python or Go · remote or Berlin · senior+ · ≥ €70k"
    assert r.json()["search"]["skills"] == ["Go"] and r.json()["search"]["currency"] == "EUR"
    bad = {"search": {"min_salary": 70000, "currency": "XYZ"}}
    r = c.patch(f"/api/subscriptions/{sub['id']}", json=bad, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 422 and "needs its currency" in r.json()["detail"]
    r = c.patch(f"/api/subscriptions/{sub['id']}", json={"search": {"metros": ["Atlantis"]}},
                headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert r.status_code == 422 and "Atlantis" in r.json()["detail"]
    # signed in: subscribing to another skill with a search starts it at once, search and all
    body = {"email": "ann@example.com", "skill": "rust", "search": {"kind": "jobs"}}
    r = c.post("/api/subscriptions", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 202
    texts = sorted(s["search_text"] for s in c.get("/api/subscriptions").json())
    assert texts == ["Python or Go · remote or Berlin · senior+ · ≥ €70k", "Rust · jobs only"]
    body = {"email": "bo@example.com", "skill": "rust", "search": {"skills": ["pythn"]}}
    r = c.post("/api/subscriptions", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 422 and "pythn" in r.json()["detail"]


def test_preview_counts_postings_of_the_last_7_and_30_days(settings: Any, session: Session, world: World) -> None:
    today = date(2026, 3, 2)
    for days_ago, remote in ((1, True), (3, False), (10, True), (29, True), (31, True)):
        it = world.item(f"job {days_ago}", T0, "python", kind="job", remote=remote)
        it.posted_on = today - timedelta(days=days_ago)
        session.execute(ItemSkill.__table__.update().where(ItemSkill.item_id == it.id).values(posted_on=it.posted_on))
    world.item("news", T0, "python")  # articles are not postings
    world.commit()
    plain = resolve_search(session, "python", SearchInput())

    def counts(search: Search) -> tuple[int, int]:
        found = preview_counts(session, search, today)
        return found.last_7_days, found.last_30_days

    assert counts(plain) == (2, 4)
    assert counts(resolve_search(session, "python", SearchInput(remote="only"))) == (1, 3)
    assert counts(resolve_search(session, "python", SearchInput(kind="news"))) == (0, 0)


def test_preview_api(settings: Any, session: Session, world: World) -> None:
    c = TestClient(create_app(settings))
    r = c.get("/api/searches/preview", params={"skill": "python", "more_skills": "go", "remote": "only",
                                                "seniority": ["senior", "lead"]})  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["search"] == "Python or Go · remote · senior or lead/manager"
    assert body["postings_7_days"] == 0 and body["postings_30_days"] == 0
    r = c.get("/api/searches/preview", params={"skill": "python", "metros": "x" * 300})
    assert r.status_code == 422 and "x" * 300 not in r.text
    r = c.get("/api/searches/preview", params={"skill": "python", "min_salary": "70000"})
    assert r.status_code == 422 and "currency" in r.json()["detail"]
    schema = c.get("/openapi.json").json()
    assert "/api/searches/preview" in schema["paths"]
    models = schema["components"]["schemas"]
    assert models["SubscribeIn"]["examples"][1]["search"]["min_salary"] == 70000
    assert models["SubscriptionPatch"]["examples"][2]["search"]["remote"] == "only"
    assert (
        "search" in models["SubscriptionPatch"]["properties"]
        and "search_text" in models["SubscriptionOut"]["properties"]
    )


def test_resolve_search_names_what_it_cannot_use(session: Session) -> None:
    add_skills(session)
    with pytest.raises(BadInput, match="names no company"):
        resolve_search(session, "python", SearchInput(exclude_companies=["!!!"]))
    with pytest.raises(BadInput, match="too many"):
        resolve_search(session, "python", SearchInput(metros=["Berlin"] * 60))


# --- the forms, without JavaScript -------------------------------------------------------------------------


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_subscribe_form_previews_and_subscribes_to_a_search(settings: Any, session: Session) -> None:
    add_skills(session)
    session.add(Metro(slug="berlin", name="Berlin", country="DE"))
    session.commit()
    c = TestClient(create_app(settings))
    csrf = _csrf(c.get("/skills/python").text)
    form = {"skill": "python", "email": "", "cadence": "daily", "more_skills": "go", "metros": "Berlin",
            "or_remote": "1", "seniority": ["senior", "lead"], "min_salary": "70,000", "currency": "EUR",
            "exclude_words": "php, ruby on rails", "csrf_token": csrf}  # fmt: skip
    r = c.post("/subscribe", data={**form, "preview": "1"})
    assert r.status_code == 200 and "What this search would have matched" in r.text
    assert "Python or Go · remote or Berlin · senior or lead/manager · ≥ €70k or unstated" in r.text
    assert "0 job postings in the last 7 days, 0 job postings in the last 30" in r.text
    assert 'value="Berlin"' in r.text and '<details class="search-filters" open>' in r.text  # as typed
    assert session.scalars(select(Subscription)).all() == []  # a preview saves nothing
    r = c.post("/subscribe", data={**form, "email": "ann@example.com"})
    assert r.status_code == 202
    session.rollback()
    sub = session.scalars(select(Subscription)).one()
    assert sub.search is not None and from_json(sub.search).exclude_words == ("php", "ruby on rails")
    r = c.post("/subscribe", data={**form, "email": "bo@example.com", "min_salary": "lots"})
    assert r.status_code == 422 and "whole number" in r.text
    r = c.post("/subscribe", data={**form, "email": "bo@example.com", "metros": "Atlantis"})
    assert r.status_code == 422 and "We do not know the place “Atlantis”" in r.text


def test_settings_edit_a_search_in_place(settings: Any, session: Session) -> None:
    add_skills(session)
    c, _ = _signed_in_client(settings)
    page = c.get("/settings").text
    found = re.search(r'data-search-for="(\d+)"', page)
    assert found and "Narrow it down" in page
    target = f"/settings/subscriptions/{found.group(1)}"
    fields = {"skill": "python", "kind": "jobs", "remote": "only", "exclude_companies": "Acme, Inc., Initech",
              "csrf_token": _csrf(page)}  # fmt: skip
    r = c.post(target, data={**fields, "action": "preview_search"})
    assert r.status_code == 200 and "Python · jobs only · remote · not acme, initech: 0 job postings" in r.text
    r = c.post(target, data={**fields, "action": "search"})
    assert r.status_code == 200 and "Search saved" in r.text
    assert '<div class="search-words small">Python · jobs only · remote · not acme, initech</div>' in r.text
    r = c.post(target, data={**fields, "action": "search", "more_skills": "pythn"})
    assert (
        r.status_code == 422
        and "We do not know the skill “pythn”" in r.text
        and '<details class="edit-search" open>' in r.text
    )
    session.rollback()
    assert from_json(session.scalars(select(Subscription)).one().search or "").remote == "only"  # unchanged


def test_the_confirmation_email_names_the_search(settings: Any, session: Session) -> None:
    add_skills(session)
    session.add(Metro(slug="berlin", name="Berlin", country="DE"))
    session.commit()
    c = TestClient(create_app(settings))
    search = {"skills": ["golang"], "metros": ["berlin"], "or_remote": True}
    r = c.post("/api/subscriptions", json={"email": "cy@example.com", "skill": "python", "search": search})
    assert r.status_code == 202, r.text
    msg = outbox(settings.outbox_dir)[-1]
    html = msg.get_body(preferencelist=("html",))
    assert html is not None
    assert "Your search: Python or Go · remote or Berlin" in text_of(msg)
    assert "Your search: <strong>Python or Go · remote or Berlin</strong>" in str(html.get_content())
    c.post("/api/subscriptions", json={"email": "di@example.com", "skill": "python"})
    assert "Your search" not in text_of(outbox(settings.outbox_dir)[-1])  # a skill alone reads as before
