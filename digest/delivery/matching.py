"""Which items of a window reach a search, as set work: each skill's window is indexed once by every value a
search filters on (kind, remote, metro, level, employer, salary, words), and a distinct search then costs a few
set operations on those indexes instead of a pass over the items. The definition stays
digest.accounts.searches.Search.matches (one item); tests hold the two to the same reference."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import reduce
from typing import TypeVar

from digest.accounts.searches import Posting, Search, annual_top, text_has
from digest.mail.content import ItemView

K = TypeVar("K", int, str)


class WindowIndex:
    """The items one skill has in one window (start, end], by id, with the sets searches are built from."""

    def __init__(self, rows: Sequence[tuple[datetime, ItemView]], facts: dict[int, Posting]) -> None:
        self.views = {v.id: v for _, v in rows}
        self.facts = {i: facts[i] for i in self.views}
        self.ids = frozenset(self.views)
        self.news = frozenset(i for i, p in self.facts.items() if p.kind == "news")
        self.jobs = self.ids - self.news
        self.remote = frozenset(i for i in self.jobs if self.facts[i].remote is True)
        by_metro: dict[int, set[int]] = defaultdict(set)
        by_level: dict[str, set[int]] = defaultdict(set)
        by_employer: dict[str, set[int]] = defaultdict(set)
        for i in self.jobs:
            p = self.facts[i]
            if p.metro_id is not None:
                by_metro[p.metro_id].add(i)
            if p.seniority is not None:
                by_level[p.seniority].add(i)
            if p.employer_key is not None:
                by_employer[p.employer_key].add(i)
        self.by_metro, self.by_level, self.by_employer = by_metro, by_level, by_employer
        self._salary: dict[tuple[str, int, bool], frozenset[int]] = {}
        self._phrases: dict[str, frozenset[int]] = {}

    @staticmethod
    def _any(table: Mapping[K, set[int]], keys: Sequence[K]) -> set[int]:
        return set().union(*(table.get(k, ()) for k in keys))

    def salary_ok(self, currency: str, floor: int, drop: bool) -> frozenset[int]:
        """Postings whose top salary a year in `currency` is at least `floor`, and (unless `drop`) those that
        state none in it."""
        key = (currency, floor, drop)
        if key not in self._salary:
            tops = {i: annual_top(self.facts[i], currency) for i in self.jobs}
            self._salary[key] = frozenset(
                i for i, top in tops.items() if (top is None and not drop) or (top is not None and top >= floor)
            )
        return self._salary[key]

    def with_phrase(self, phrase: str) -> frozenset[int]:
        if phrase not in self._phrases:
            self._phrases[phrase] = frozenset(i for i, p in self.facts.items() if text_has(p, phrase))
        return self._phrases[phrase]

    def matching(self, s: Search) -> set[int]:
        """The ids of this window's items that meet every filter of `s` (its skills aside)."""
        jobs: set[int] = set() if s.kind == "news" else set(self.jobs)
        if s.remote == "only":
            jobs &= self.remote
        elif s.remote == "exclude":
            jobs -= self.remote
        if s.metros:
            jobs &= self._any(self.by_metro, s.metros) | (self.remote if s.or_remote else set())
        if s.seniority:
            jobs &= self._any(self.by_level, s.seniority)
        if s.min_salary is not None and s.currency is not None:
            jobs &= self.salary_ok(s.currency, s.min_salary, s.drop_unsalaried)
        if s.exclude_companies:
            jobs -= self._any(self.by_employer, s.exclude_companies)
        found = jobs if s.kind == "jobs" else jobs | self.news
        for phrase in s.exclude_words:
            found -= self.with_phrase(phrase)
        return found


def search_views(search: Search, indexes: Sequence[WindowIndex]) -> list[ItemView]:
    """The items reaching `search` from its skills' window indexes (in the search's skill order): those
    mentioning any (or all) of the skills and meeting every filter, each under the first skill that has it."""
    if len(indexes) == 1:  # every item of the one window that meets the filters
        ix = indexes[0]
        return [ix.views[i] for i in ix.matching(search)]
    if search.all_skills:
        ids = reduce(lambda a, b: a & b, (ix.ids for ix in indexes))
    else:
        ids = frozenset().union(*(ix.ids for ix in indexes))
    views: dict[int, ItemView] = {}
    for ix in indexes:
        wanted = (ids & ix.ids) - views.keys()
        for i in wanted & ix.matching(search):
            views[i] = ix.views[i]
    return list(views.values())  # in no particular order: a section ranks its items
