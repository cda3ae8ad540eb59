"""What a subscription follows: a search. One or more skills (any of, or all of) and optional filters on job
postings: kind (news, jobs or both), remote, metros (with "or remote"), seniority levels, a salary floor in one
currency, excluded companies and excluded words. Pure: the value, its checks, its canonical JSON (stored in
`subscriptions.search`; equal searches have equal keys, so subscribers who share one share its sections),
whether a posting reaches it (`matches`), and its description in words ("Python or Go · remote or Berlin ·
senior+ · ≥ €70k"). Resolving what a person typed into ids is digest.accounts.search_input.

News items meet only the skills, the kind and the excluded words; every other filter is about job postings."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Literal

from digest.demand.pay_counts import annualised
from digest.sources.seniority import LABELS as LEVEL_LABELS

Kind = Literal["both", "news", "jobs"]
Remote = Literal["any", "only", "exclude"]

KINDS: tuple[Kind, ...] = ("both", "news", "jobs")
REMOTES: tuple[Remote, ...] = ("any", "only", "exclude")
LEVELS = tuple(LEVEL_LABELS)  # intern, junior, mid, senior, staff, lead: junior to senior order
CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "SEK", "NOK", "DKK", "PLN", "INR", "JPY", "SGD", "NZD", "BRL")
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}

MAX_SKILLS = 5
MAX_METROS = 10
MAX_COMPANIES = 20
MAX_WORDS = 20
MAX_TEXT = 60  # characters of one excluded company or word
MAX_SALARY = 10_000_000

_WORD = re.compile(r"\w+")


class SearchError(ValueError):
    """A search that cannot be followed; the message says why in plain words (never the whole input)."""


@dataclass(frozen=True)
class Posting:
    """What a search looks at in an item (digest.delivery.items builds it from a stored row)."""

    kind: str  # "news" or "job"
    text: str = ""  # title and summary: excluded words are looked for here
    remote: bool | None = None
    metro_id: int | None = None
    seniority: str | None = None
    salary_min: float | None = None
    salary_max: float | None = None
    salary_currency: str | None = None
    salary_period: str | None = None
    employer_key: str | None = None

    @cached_property
    def words(self) -> str:
        """The text's words, casefolded, space-separated and space-padded: where excluded phrases are looked for."""
        return f" {' '.join(_WORD.findall(self.text.casefold()))} "


@dataclass(frozen=True, eq=False)
class Search:
    """`skills[0]` is the subscription's skill (its section's figures and link); the rest follow sorted.
    Equal and hashed by its canonical JSON (computed once: a batch looks a search up once per subscriber)."""

    skills: tuple[int, ...]
    all_skills: bool = False  # all of the skills, not any of them
    kind: Kind = "both"
    remote: Remote = "any"
    metros: tuple[int, ...] = ()
    or_remote: bool = False  # with metros: a remote posting from anywhere also meets the place filter
    seniority: tuple[str, ...] = ()
    min_salary: int | None = None  # a year, in `currency`
    currency: str | None = None
    drop_unsalaried: bool = False  # with min_salary: drop postings that state no salary in `currency`
    exclude_companies: tuple[str, ...] = ()  # folded employer keys (digest.sources.employer)
    exclude_words: tuple[str, ...] = ()  # casefolded words or phrases
    _key: str = field(default="", init=False, repr=False)

    def __post_init__(self) -> None:
        check(self)
        object.__setattr__(self, "_key", to_json(self))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Search) and other._key == self._key

    def __hash__(self) -> int:
        return hash(self._key)

    @property
    def skill_id(self) -> int:
        return self.skills[0]

    @property
    def plain(self) -> bool:
        """One skill, no filters: a subscription as it was before searches (stored as NULL)."""
        return self._key == _plain_key(self.skills[0])

    @property
    def key(self) -> str:
        """The canonical JSON: equal searches, equal keys."""
        return self._key

    def matches(self, p: Posting) -> bool:
        """Whether an item that meets the skills reaches this search: it meets every filter. News items meet
        the kind and the excluded words only."""
        if p.kind == "news":
            return self.kind != "jobs" and not self._excluded_text(p)
        if self.kind == "news":
            return False
        if self.remote == "only" and p.remote is not True:
            return False
        if self.remote == "exclude" and p.remote is True:
            return False
        if self.metros and p.metro_id not in self.metros and not (self.or_remote and p.remote is True):
            return False
        if self.seniority and p.seniority not in self.seniority:
            return False
        if self.min_salary is not None:
            top = annual_top(p, self.currency)
            if top is None:
                if self.drop_unsalaried:
                    return False
            elif top < self.min_salary:
                return False
        if self.exclude_companies and p.employer_key in self.exclude_companies:
            return False
        return not self._excluded_text(p)

    def _excluded_text(self, p: Posting) -> bool:
        return any(text_has(p, phrase) for phrase in self.exclude_words)


def text_has(p: Posting, phrase: str) -> bool:
    """Whether an excluded word or phrase (as a Search keeps it: words joined by one space) is in the text."""
    return f" {phrase} " in p.words


def annual_top(p: Posting, currency: str | None) -> float | None:
    """The top of the posting's stated range a year (as stated when its period is unknown), when it is stated
    in `currency`; None otherwise (no salary, or one in another currency: nothing is converted)."""
    top = p.salary_max if p.salary_max is not None else p.salary_min
    if top is None or p.salary_currency != currency:
        return None
    return annualised(top, p.salary_period)[0]


def check(s: Search) -> None:
    """SearchError when the search is out of bounds or inconsistent."""
    if not s.skills:
        raise SearchError("A search follows at least one skill.")
    if len(s.skills) > MAX_SKILLS:
        raise SearchError(f"A search follows at most {MAX_SKILLS} skills.")
    if len(set(s.skills)) != len(s.skills):
        raise SearchError("A skill appears twice in the search.")
    if s.kind not in KINDS:
        raise SearchError("The kind must be news, jobs or both.")
    if s.remote not in REMOTES:
        raise SearchError("Remote must be only, exclude or any.")
    if len(s.metros) > MAX_METROS:
        raise SearchError(f"A search names at most {MAX_METROS} places.")
    if s.or_remote and not s.metros:
        raise SearchError("“Or remote” goes with at least one place.")
    if s.or_remote and s.remote == "exclude":
        raise SearchError("“Or remote” and “not remote” contradict each other.")
    for level in s.seniority:
        if level not in LEVELS:
            raise SearchError(f"Seniority is one of {', '.join(LEVELS)}.")
    if s.min_salary is not None:
        if not 0 < s.min_salary <= MAX_SALARY:
            raise SearchError(f"The minimum salary must be between 1 and {MAX_SALARY:,}.")
        if s.currency not in CURRENCIES:
            raise SearchError(f"A minimum salary needs its currency, one of {', '.join(CURRENCIES)}.")
    elif s.currency is not None or s.drop_unsalaried:
        raise SearchError("A currency, or dropping postings without a salary, goes with a minimum salary.")
    for what, values, most in (
        ("excluded companies", s.exclude_companies, MAX_COMPANIES),
        ("excluded words", s.exclude_words, MAX_WORDS),
    ):
        if len(values) > most:
            raise SearchError(f"A search has at most {most} {what}.")
        if any(not v.strip() or len(v) > MAX_TEXT for v in values):
            raise SearchError(f"Each of the {what} is 1 to {MAX_TEXT} characters.")
    if any(not _WORD.search(w) for w in s.exclude_words):
        raise SearchError("An excluded word needs a letter or a digit.")


def make(
    skills: list[int],
    *,
    all_skills: bool = False,
    kind: str = "both",
    remote: str = "any",
    metros: list[int] | tuple[int, ...] = (),
    or_remote: bool = False,
    seniority: list[str] | tuple[str, ...] = (),
    min_salary: int | None = None,
    currency: str | None = None,
    drop_unsalaried: bool = False,
    exclude_companies: list[str] | tuple[str, ...] = (),
    exclude_words: list[str] | tuple[str, ...] = (),
) -> Search:
    """The canonical Search: the first skill first and the others sorted, lists sorted and without repeats,
    words casefolded. SearchError when out of bounds."""
    first, rest = skills[:1], sorted(set(skills[1:]) - set(skills[:1]))
    level_order = {level: i for i, level in enumerate(LEVELS)}
    return Search(
        skills=tuple(first + rest),
        all_skills=all_skills and len(first + rest) > 1,
        kind=kind,  # type: ignore[arg-type]  # checked in Search
        remote=remote,  # type: ignore[arg-type]
        metros=tuple(sorted(set(metros))),
        or_remote=or_remote,
        seniority=tuple(sorted(set(seniority), key=lambda v: level_order.get(v, 99))),
        min_salary=min_salary,
        currency=currency.upper() if currency else None,
        drop_unsalaried=drop_unsalaried,
        exclude_companies=tuple(sorted(set(exclude_companies))),
        exclude_words=tuple(sorted({" ".join(_WORD.findall(w.casefold())) or w for w in exclude_words})),
    )


_DEFAULTS = {"all_skills": False, "kind": "both", "remote": "any", "metros": (), "or_remote": False,
             "seniority": (), "min_salary": None, "currency": None, "drop_unsalaried": False,
             "exclude_companies": (), "exclude_words": ()}  # fmt: skip


def _plain_key(skill_id: int) -> str:
    return json.dumps({"skills": [skill_id]}, separators=(",", ":"))


def to_json(s: Search) -> str:
    """Compact JSON with sorted keys, leaving out every field at its default."""
    data: dict[str, Any] = {"skills": list(s.skills)}
    for name, default in _DEFAULTS.items():
        value = getattr(s, name)
        if value != default:
            data[name] = list(value) if isinstance(value, tuple) else value
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@lru_cache(maxsize=65_536)
def from_json(text: str) -> Search:
    """The Search a stored JSON holds (cached: many subscribers share a search; a digest run parses each
    distinct one once)."""
    data = json.loads(text)
    return make(**data)


def stored(skill_id: int, text: str | None) -> Search:
    """A subscription's search from its columns: NULL is the skill alone."""
    return from_json(text) if text else Search(skills=(skill_id,))


def column(s: Search) -> str | None:
    """What `subscriptions.search` holds for this search: NULL for a plain one."""
    return None if s.plain else to_json(s)


def describe(s: Search, skill_names: Mapping[int, str], metro_names: Mapping[int, str]) -> str:
    """The search in words: "Python or Go · remote or Berlin · senior+ · ≥ €70k"."""
    names = [skill_names.get(i, "a removed skill") for i in s.skills]
    parts = [(" and " if s.all_skills else " or ").join(names)]
    if s.kind != "both":
        parts.append("jobs only" if s.kind == "jobs" else "news only")
    places = sorted(metro_names.get(i, "a removed place") for i in s.metros)
    if s.remote == "only":
        parts.append("remote")
    elif s.remote == "exclude":
        parts.append("not remote")
    if places:
        parts.append(" or ".join((["remote"] if s.or_remote else []) + places))
    if s.seniority:
        parts.append(_levels_text(s.seniority))
    if s.min_salary is not None and s.currency:
        parts.append(f"≥ {money(s.min_salary, s.currency)}" + ("" if s.drop_unsalaried else " or unstated"))
    if s.exclude_companies:
        parts.append("not " + ", ".join(s.exclude_companies))
    if s.exclude_words:
        parts.append("without " + ", ".join(f"“{w}”" for w in s.exclude_words))
    return " · ".join(parts)


def _levels_text(levels: tuple[str, ...]) -> str:
    """ "senior+" for senior and every level above it, else the levels joined by "or"."""
    order = [lv for lv in LEVELS if lv not in ("intern",)]  # junior .. lead, the ladder "X+" climbs
    for i, level in enumerate(order[:-1]):
        if set(levels) == set(order[i:]):
            return f"{LEVEL_LABELS[level]}+"
    return " or ".join(LEVEL_LABELS[lv] for lv in levels)


def money(amount: int, currency: str) -> str:
    """€70k, $120k, 90k CHF, 65,500 EUR (thousands shortened when round)."""
    text = f"{amount // 1000}k" if amount >= 1000 and amount % 1000 == 0 else f"{amount:,}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"
