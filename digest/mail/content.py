"""What goes into a digest, as plain data: a pure function of items, demand snapshots and alerts, so a
digest can be previewed and tested without a database, and a section shared by many subscribers (same
skill, same window, same items) is one value that renders once."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cached_property

from digest.demand.chance import chance_line, fdr_line
from digest.demand.explain import Compared
from digest.demand.snapshot import Snapshot

WORDS = {2: " in the title", 1: " in the requirements", 0: ", mentioned in passing"}  # digest.taxonomy.where


@dataclass(frozen=True)
class ItemView:
    id: int
    kind: str  # "news" or "job"
    title: str
    url: str | None
    published_at: datetime
    alias: str  # the text that matched the skill: "why you got this"
    source: str | None = None
    snippet: str = ""
    company: str | None = None
    location: str | None = None  # metro name, else the posting's location text
    fetched_at: datetime | None = None  # ingestion: before the subscription started means "recent" in a first digest
    found_in: int = 0  # digest.taxonomy.where: 2 title, 1 requirements, 0 in passing
    remote: bool | None = None
    salary: str | None = None  # "$116,800–175,200", "€70k–90k", "$80 per hour"
    seniority: str | None = None  # a digest.sources.seniority label
    repost_key: str | None = None
    reposted: bool = False  # the same company posted the same title before

    @property
    def why(self) -> str:
        """The "why you got this" line: the text that matched and where."""
        return f"matched “{self.alias}”{WORDS.get(self.found_in, WORDS[0])}"

    @property
    def where(self) -> str:
        """Location or "Remote" ("Berlin, Germany (remote possible)" when both)."""
        if self.location and self.remote and "remote" not in self.location.lower():
            return f"{self.location} (remote possible)"
        return self.location or ("Remote" if self.remote else "Location not given")

    @property
    def facts(self) -> list[str]:
        """A job's line of facts after title and company: where, posted, pay, seniority."""
        out = [self.where, f"posted {self.published_at.strftime('%b %-d')}"]
        if self.salary:
            out.append(self.salary)
        if self.seniority:
            out.append(self.seniority)
        return out

    @cached_property
    def stamp(self) -> float:
        """When it was published, as a timestamp (what `rank` measures freshness with; computed once)."""
        return self.published_at.timestamp()

    @cached_property
    def snippet_text(self) -> str:
        """The snippet wrapped for the text part, indented under its item (computed once per item)."""
        return "\n  ".join(textwrap.wrap(self.snippet, 70))


@dataclass(frozen=True)
class AlertView:
    id: int
    direction: str
    change: float
    opened_on: date
    recent: int
    prior: int
    # what moved it, in one line (digest.demand.explain.sentence); the alert email shows it, a digest does not
    why: str = ""
    p_value: float | None = None
    q_value: float | None = None
    compared: Compared | None = None  # the two windows the test compared (the alert email's chart marks them)

    @property
    def chance(self) -> str:
        """The p-value in words (digest.demand.chance); empty when unknown."""
        return "" if self.p_value is None else chance_line(self.p_value)

    @property
    def fdr(self) -> str:
        """The Benjamini-Hochberg q-value in words; empty when unknown."""
        return "" if self.q_value is None else fdr_line(self.q_value)

    @property
    def headline(self) -> str:
        word = "rising" if self.direction == "up" else "falling"
        return f"Demand is {word}: {self.change:+.0%} in the last 4 weeks ({self.prior} → {self.recent} postings)"


@dataclass(frozen=True)
class SkillSection:
    skill_id: int
    slug: str
    name: str
    url: str  # the skill page ("+N more" links here)
    articles: tuple[ItemView, ...]
    jobs: tuple[ItemView, ...]
    more_articles: int
    more_jobs: int
    snapshot: Snapshot | None
    alerts: tuple[AlertView, ...]
    # a first digest: items ingested before this instant are marked "recent, before you subscribed"
    subscribed_at: datetime | None = None
    search: str | None = None  # the subscription's search in words, when it is more than the skill

    @property
    def anchor(self) -> str:
        return f"skill-{self.slug}"

    def recent(self, item: ItemView) -> bool:
        return self.subscribed_at is not None and item.fetched_at is not None and item.fetched_at <= self.subscribed_at

    @cached_property  # a shared section is asked for every digest that holds it
    def item_count(self) -> int:
        return len(self.articles) + len(self.jobs) + self.more_articles + self.more_jobs

    @property
    def shown_items(self) -> tuple[ItemView, ...]:
        return self.articles + self.jobs

    @property
    def chart_cid(self) -> str | None:
        return f"chart-{self.slug}" if self.snapshot and self.snapshot.chart_png else None

    @cached_property
    def key(self) -> tuple[object, ...]:
        """Equal for every subscriber who gets this exact section: the rendering cache key."""
        return (self.skill_id, tuple(i.id for i in self.shown_items), self.more_articles, self.more_jobs,
                self.snapshot, self.alerts, self.subscribed_at, self.search)  # fmt: skip

    @cached_property
    def body_key(self) -> tuple[object, ...]:
        """Equal for sections that differ at most in their search line: two searches that matched the same
        items share the rest of their rendering. An item's own fields are those of its id; what a section
        changes about it (the alias that matched, where, a re-post mark) is in the key."""
        items = tuple([(i.id, i.alias, i.found_in, i.reposted) for i in self.shown_items])
        return (self.skill_id, items, len(self.articles), self.more_articles, self.more_jobs, self.snapshot,
                self.alerts, self.subscribed_at)  # fmt: skip


@dataclass(frozen=True)
class Digest:
    to: str
    cadence: str
    window_end: datetime
    sections: tuple[SkillSection, ...]
    settings_url: str
    unsubscribe_url: str
    reason: str
    web_url: str | None = None  # the digest's web view (every item, no sign-in); None before it is sent

    def more_url(self, section: SkillSection) -> str:
        """Where a section's "+N more" leads: its part of the web view (the skill page in a preview)."""
        return f"{self.web_url}#{section.anchor}" if self.web_url else section.url

    @property
    def is_empty(self) -> bool:
        """Nothing new: no items and no alerts (the demand snapshot alone is not news)."""
        return not any(s.item_count or s.alerts for s in self.sections)

    @property
    def item_ids(self) -> list[tuple[int, int]]:
        """(item id, skill id) of every item shown: what the ledger records as delivered."""
        return [(i.id, s.skill_id) for s in self.sections for i in s.shown_items]

    @cached_property  # the text and the HTML part both carry it
    def subject(self) -> str:
        names = [s.name for s in self.sections if s.item_count or s.alerts]
        if not names:
            return f"{self.cadence.capitalize()} digest: nothing new yet"
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        n = sum(s.item_count for s in self.sections)
        alert = " · demand shift" if any(s.alerts for s in self.sections) else ""
        return f"{self.cadence.capitalize()} digest: {shown} — {n} new{alert}"


RECENCY_DAYS = 7  # an item's freshness falls from 1 (the newest of the section) to 0 over this many days


def rank(items: Iterable[ItemView]) -> list[ItemView]:
    """Best first: where the skill was found (title 2, requirements 1, in passing 0), plus freshness (1 for
    the newest item of the section down to 0 a week older), minus 1 for a re-post. Ties newest first, then
    by id, for a stable order. See docs/digests.md."""
    items = list(items)
    if not items:
        return []
    stamps = [i.stamp for i in items]
    newest, week = max(stamps), RECENCY_DAYS * 86400.0
    keyed = [
        (-(i.found_in + max(0.0, 1 - (newest - t) / week) - i.reposted), -t, i.id, n)
        for n, (i, t) in enumerate(zip(items, stamps, strict=True))
    ]
    keyed.sort()  # by the first three; ties keep the given order (n), as a stable sort on them does
    return [items[k[3]] for k in keyed]


def fold_reposts(items: Iterable[ItemView]) -> list[ItemView]:
    """The same company's same title more than once (another monthly thread): once, the newest, marked."""
    items = list(items)
    if sum(1 for i in items if i.repost_key) < 2:
        return items
    kept: dict[str | int, ItemView] = {}
    for i in items:
        key: str | int = i.repost_key or i.id
        other = kept.get(key)
        if other is None:
            kept[key] = i
            continue
        newer = i if (i.published_at, i.id) > (other.published_at, other.id) else other
        kept[key] = replace(newer, reposted=True)
    return list(kept.values())


class RankedWindow:
    """A window's items ranked once per kind, so that the sections of its subsets (searches on the skill,
    people who already had some items) rank cheaply: freshness is measured from a kind's newest item, so a
    subset that keeps it keeps every item's score and ranks as the window's order filtered; one that does
    not ranks its own (smaller) part afresh."""

    def __init__(self, items: Iterable[ItemView]) -> None:
        items = list(items)
        news = [i for i in items if i.kind == "news"]
        self.jobs = [i for i in items if i.kind == "job"]
        self.articles = rank(news)
        # two postings that fold (fold_reposts) may fold differently in a subset: such a window's jobs rank
        # each time
        self.folds = sum(1 for i in self.jobs if i.repost_key) >= 2
        if not self.folds:
            self.jobs = rank(self.jobs)
        self.newest = (_newest(news), _newest(self.jobs))
        self._at = ({i.id: n for n, i in enumerate(self.articles)}, {i.id: n for n, i in enumerate(self.jobs)})

    def subset(self, keep: Set[int]) -> tuple[list[ItemView], list[ItemView]]:
        """(articles, jobs) of the items in `keep`, ranked (and folded) as `build_section` ranks them."""
        articles = _kept(self.articles, self._at[0], keep)
        jobs = _kept(self.jobs, self._at[1], keep)
        if articles and self.newest[0].isdisjoint(keep):
            articles = rank(articles)
        if self.folds:
            jobs = rank(fold_reposts(jobs))
        elif jobs and self.newest[1].isdisjoint(keep):
            jobs = rank(jobs)
        return articles, jobs


def _kept(items: list[ItemView], at: dict[int, int], keep: Set[int]) -> list[ItemView]:
    """The items in `keep`, in their order in `items` (`at`: each one's place there). A search keeps a few of a
    window's items: their places, sorted, instead of a pass over the window."""
    if len(keep) * 4 < len(items):
        return [items[n] for n in sorted(at[i] for i in keep if i in at)]
    if len(keep) >= len(at) and at.keys() <= keep:
        return items.copy()
    return [i for i in items if i.id in keep]


def _newest(items: list[ItemView]) -> frozenset[int]:
    """The ids of the items published last (whose time `rank` measures freshness from)."""
    if not items:
        return frozenset()
    last = max(i.stamp for i in items)
    return frozenset(i.id for i in items if i.stamp == last)


def build_section(
    *,
    skill_id: int,
    slug: str,
    name: str,
    base_url: str,
    items: Sequence[ItemView],
    snapshot: Snapshot | None,
    alerts: Sequence[AlertView] = (),
    cap: int | None = 8,
    subscribed_at: datetime | None = None,
    search: str | None = None,
    ranked: tuple[list[ItemView], list[ItemView]] | None = None,
) -> SkillSection:
    """`cap`: items shown per kind (the rest are "+N more"); None: all (the digest's web view). `ranked`:
    the items' (articles, jobs) already ranked and folded (RankedWindow.subset), instead of `items`."""
    if ranked is not None:
        articles, jobs = ranked
    else:
        articles = rank(i for i in items if i.kind == "news")
        jobs = rank(fold_reposts(i for i in items if i.kind == "job"))
    cap = max(len(articles), len(jobs)) if cap is None else cap
    return SkillSection(
        skill_id=skill_id,
        slug=slug,
        name=name,
        url=f"{base_url}/skills/{slug}",
        articles=tuple(articles[:cap]),
        jobs=tuple(jobs[:cap]),
        more_articles=max(0, len(articles) - cap),
        more_jobs=max(0, len(jobs) - cap),
        snapshot=snapshot,
        alerts=tuple(alerts),
        subscribed_at=subscribed_at,
        search=search,
    )


def build_digest(
    *,
    to: str,
    cadence: str,
    window_end: datetime,
    sections: Sequence[SkillSection],
    settings_url: str,
    unsubscribe_url: str,
    web_url: str | None = None,
) -> Digest:
    names = ", ".join(s.name for s in sections)
    reason = f"You receive this {cadence} digest because you subscribed to {names} at {to}."
    ordered = sorted(sections, key=lambda s: (not s.alerts, -s.item_count, s.name.lower()))
    return Digest(
        to=to,
        cadence=cadence,
        window_end=window_end,
        sections=tuple(ordered),
        settings_url=settings_url,
        unsubscribe_url=unsubscribe_url,
        reason=reason,
        web_url=web_url,
    )


def snippet(text: str, limit: int = 220) -> str:
    """A clean one-paragraph excerpt cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",.;:-")
    return cut + "…"
