"""Why a skill's postings moved: the change in its count between the 4 weeks before an evaluation week and
the 4 before those, split into contributions by employer, metro, title and source that add up exactly to it,
and the concentration guard that holds back an alert one employer (or one source) carries (docs/demand.md,
"Explaining a shift"). Pure functions of plain rows, plus one read of the skill's postings in the 8 weeks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import BindParameter, bindparam, exists, select
from sqlalchemy.orm import Session

from digest.store.models import DemandPending, Item, ItemKind, ItemSkill, JobTitle, Metro

TOP = 3
DIMENSIONS = ("employer", "metro", "title", "source")
HELD_EMPLOYER = "driven by one employer"
HELD_SOURCE = "source mix changed"
# what a posting without a value in a dimension is grouped under (never a named employer or source)
UNNAMED = {"employer": "no employer named", "metro": "no metro", "title": "no title", "source": "no source"}


@dataclass(frozen=True)
class Posting:
    """One posting of the skill in the 8 weeks: `recent` (the last 4) or not (the 4 before); its values in
    each dimension as (key, label), key None when the posting has none."""

    recent: bool
    employer: tuple[str | None, str]
    metro: tuple[str | None, str]
    title: tuple[str | None, str]
    source: tuple[str | None, str]


@dataclass(frozen=True)
class Group:
    key: str | None  # None: the postings with no value (or "others" in a breakdown)
    label: str
    now: int
    before: int

    @property
    def delta(self) -> int:
        return self.now - self.before


@dataclass(frozen=True)
class Breakdown:
    dimension: str
    change: int  # postings now - postings before
    top: tuple[Group, ...]  # up to TOP named groups that moved most in the change's direction
    others: Group | None  # every other group summed (None when there is none)
    groups: int  # named groups with a contribution in the change's direction
    all: tuple[Group, ...]  # every group, named or not

    @property
    def contributions(self) -> tuple[Group, ...]:
        return self.top + ((self.others,) if self.others else ())


@dataclass(frozen=True)
class Explanation:
    now: int
    before: int
    breakdowns: dict[str, Breakdown]
    held: str | None  # HELD_EMPLOYER, HELD_SOURCE or None
    carrier: Group | None  # the employer or source that carries more than half of the change

    @property
    def change(self) -> int:
        return self.now - self.before


def groups(postings: Iterable[Posting], dimension: str) -> list[Group]:
    """Every group of a dimension with its count now and before; their deltas add up to the change."""
    now: Counter[str | None] = Counter()
    before: Counter[str | None] = Counter()
    labels: dict[str | None, Counter[str]] = {}
    for p in postings:
        key, label = getattr(p, dimension)
        (now if p.recent else before)[key] += 1
        labels.setdefault(key, Counter())[label] += 1
    out = []
    for key, spellings in labels.items():
        label = UNNAMED[dimension] if key is None else min(spellings.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        out.append(Group(key, label, now[key], before[key]))
    return out


def _sign(n: float) -> int:
    return (n > 0) - (n < 0)


def breakdown(postings: Sequence[Posting], dimension: str) -> Breakdown:
    """The top TOP named groups by contribution in the direction of the change (a rise: the largest
    positive deltas; a fall: the most negative; no change: the largest in size), ties by label; the rest
    summed as "others", so the contributions add up exactly to the change."""
    gs = groups(postings, dimension)
    change = sum(g.delta for g in gs)
    s = _sign(change)
    named = [g for g in gs if g.key is not None and g.delta != 0 and (s == 0 or _sign(g.delta) == s)]
    named.sort(key=lambda g: (-abs(g.delta), g.label, g.key or ""))
    top = tuple(named[:TOP])
    shown = {g.key for g in top}
    rest = [g for g in gs if g.key not in shown]
    others = Group(None, "others", sum(g.now for g in rest), sum(g.before for g in rest)) if rest else None
    return Breakdown(dimension, change, top, others, len(named), tuple(gs))


def guard(b: Breakdown) -> Group | None:
    """The named group that carries more than half of the change with its sign, if one does (employers)."""
    if b.change == 0 or not b.top:
        return None
    first = b.top[0]
    return first if _sign(first.delta) == _sign(b.change) and 2 * abs(first.delta) > abs(b.change) else None


def mix_guard(b: Breakdown) -> Group | None:
    """The named source whose change beyond its part carries more than half of the change, if one does.
    Its part is what it would have added had every source moved alike (its postings before times the
    skill's relative change); the excess, delta - before * change / all before, has the sign of the change
    and more than half its size. A single source, or sources moving together, never trip it (a source
    that carries the whole change of a one-source skill did not change the mix); nor does anything when
    there were no postings before (no mix to compare with)."""
    before = sum(g.before for g in b.all)
    if b.change == 0 or before == 0:
        return None
    excess = {g: g.delta - g.before * b.change / before for g in b.all if g.key is not None}
    over = [g for g, x in excess.items() if _sign(round(x, 9)) == _sign(b.change) and 2 * abs(x) > abs(b.change)]
    return max(over, key=lambda g: (abs(excess[g]), g.label), default=None)


def explain(postings: Sequence[Posting]) -> Explanation:
    """Decompose by every dimension and apply the guard: one employer first, then the source mix."""
    bs = {d: breakdown(postings, d) for d in DIMENSIONS}
    now = sum(p.recent for p in postings)
    held, carrier = None, guard(bs["employer"])
    if carrier is not None:
        held = HELD_EMPLOYER
    else:
        carrier = mix_guard(bs["source"])
        held = HELD_SOURCE if carrier is not None else None
    return Explanation(now, len(postings) - now, bs, held, carrier)


def _postings(n: int) -> str:
    return f"{n:+d} posting{'s' if abs(n) != 1 else ''}"


def sentence(name: str, change: float, e: Explanation) -> str:
    """The line a person reads: the share change, the employer and metro that moved most in its direction,
    over how many employers the move is spread, and the hold when the guard holds the alert back."""
    rose = change >= 0
    pct = "more than doubled" if change == float("inf") else f"{'rose' if rose else 'fell'} {abs(change):.0%}"
    line = f"{name} postings {pct} (4 weeks vs the 4 before, as a share of all postings)."
    want = 1 if rose else -1
    named = [
        b.top[0] for b in (e.breakdowns["employer"], e.breakdowns["metro"]) if b.top and _sign(b.top[0].delta) == want
    ]
    spread = sum(1 for g in e.breakdowns["employer"].all if g.key is not None and _sign(g.delta) == want)
    if named:
        line += f" Most of the {'rise' if rose else 'fall'}: " + ", ".join(
            f"{g.label} ({_postings(g.delta)})" for g in named
        )
        line += f"; spread over {spread} employer{'s' if spread != 1 else ''}." if spread else "."
    if e.held and e.carrier is not None:
        line += (
            f" Held back ({e.held}): {e.carrier.label} accounts for {_postings(e.carrier.delta)}"
            f" of {_postings(e.change)}."
        )
    return line


_S: BindParameter[int] = bindparam("skill_id")
_LO: BindParameter[date] = bindparam("lo")
_HI: BindParameter[date] = bindparam("hi")
# the skill's counted job postings in [lo, hi): one range of the item_skills index by skill and day
_ROWS = (
    select(
        ItemSkill.posted_on,
        Item.employer_key,
        Item.company,
        Item.metro_id,
        Metro.name,
        Item.job_title_id,
        JobTitle.name,
        Item.source_name,
    )
    .select_from(ItemSkill)
    .join(Item, Item.id == ItemSkill.item_id)
    .outerjoin(Metro, Metro.id == Item.metro_id)
    .outerjoin(JobTitle, JobTitle.id == Item.job_title_id)
    .where(
        ItemSkill.skill_id == _S,
        ItemSkill.posted_on >= _LO,
        ItemSkill.posted_on < _HI,
        Item.kind == ItemKind.job,
        ~exists().where(DemandPending.item_id == ItemSkill.item_id),
    )
)


@dataclass(frozen=True)
class Compared:
    """The two windows an alert's test compared, each [start, end) in days: `tested`, the weeks under test,
    against `before`. What the chart marks and the email and skill page name."""

    tested: tuple[date, date]
    before: tuple[date, date]
    # a sequential alert's scan window that fired (its last 1-4 weeks against the skill's own baseline); the
    # stated change, the marks and the explanation are still the two windows above. None: the windows test
    scan_weeks: int | None = None

    @staticmethod
    def span(window: tuple[date, date]) -> str:
        """ "2 Feb – 1 Mar 2026": the window's first and last day."""
        first, last = window[0], window[1] - timedelta(days=1)
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"

    @staticmethod
    def weeks(window: tuple[date, date]) -> int:
        return (window[1] - window[0]).days // 7

    @property
    def line(self) -> str:
        """Which weeks the test compared, in words (the alert email, text and HTML, and the skill page)."""
        tested, before = self.weeks(self.tested), self.weeks(self.before)
        if self.scan_weeks is None:
            return (
                f"The test compared the {tested} weeks {self.span(self.tested)} with the {before} weeks before them "
                f"({self.span(self.before)}), as shares of all postings."
            )
        last = "week" if self.scan_weeks == 1 else f"{self.scan_weeks} weeks"
        return (
            f"The test found the change in the last {last} against the skill's usual share; the change stated "
            f"compares the {tested} weeks {self.span(self.tested)} with the {before} weeks before them "
            f"({self.span(self.before)}), as shares of all postings."
        )

    # under the marked chart: how to read it
    LEGEND = (
        "In the chart: dark bars are the weeks tested, mid bars the weeks they were compared with, and the line "
        "across each is its average week. The bars count postings; the test compares shares of all postings, "
        "so the bars can move more or less than the stated change."
    )


def compared_windows(week: date, scan_weeks: int | None = None) -> Compared:
    """The windows of an alert evaluated in `week` (the shift test, digest.demand.shifts: the 4 weeks before
    `week` against the 4 before those); `scan_weeks`, a sequential alert's scan window (ShiftAlert.scan_weeks)."""
    from digest.demand.shifts import WINDOW_DAYS  # shifts loads numpy: not for every digest that imports this

    split = week - timedelta(days=WINDOW_DAYS)
    return Compared(tested=(split, week), before=(split - timedelta(days=WINDOW_DAYS), split), scan_weeks=scan_weeks)


def read_postings(session: Session, skill_id: int, week: date) -> list[Posting]:
    """The skill's counted postings in the two windows of the evaluation week `week` (as the shift test
    counts them: the 4 weeks before `week`, and the 4 before those)."""
    windows = compared_windows(week)
    split = windows.tested[0]
    params = {"skill_id": skill_id, "lo": windows.before[0], "hi": windows.tested[1]}
    out = []
    for day, ekey, company, metro_id, metro, title_id, title, source in session.execute(_ROWS, params):
        out.append(
            Posting(
                recent=day is not None and day >= split,
                employer=(ekey, (company or ekey or "").strip() or str(ekey)),
                metro=(None if metro_id is None else str(metro_id), metro or ""),
                title=(None if title_id is None else str(title_id), title or ""),
                source=((source or "").strip() or None, (source or "").strip()),
            )
        )
    return out


def explain_week(session: Session, skill_id: int, week: date) -> Explanation:
    return explain(read_postings(session, skill_id, week))


def open_alert_lines(session: Session, skill_id: int, name: str, as_of: date) -> list[dict[str, Any]]:
    """For the skill page: each alert open as of the date (newest first), its line, its hold (None: it was
    emailed), the weeks it compared and its p- and q-value in words."""
    from digest.demand.chance import chance_line, fdr_line
    from digest.demand.shifts import open_alerts

    out = []
    for a in open_alerts(session, [skill_id], as_of):
        e = explain_week(session, skill_id, a.opened_on)
        out.append(
            {
                "id": a.id,
                "direction": a.direction.value,
                "line": sentence(name, a.change, e),
                "held": e.held,
                "compared": compared_windows(a.opened_on, a.scan_weeks).line,
                "chance": chance_line(a.p_value),
                "fdr": fdr_line(a.q_value),
            }
        )
    return out
