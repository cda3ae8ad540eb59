"""Who posts a skill's postings: `top_employers` and `employer_concentration` of the demand JSON
(docs/demand.md, "Employers"). One query: the skill's counted postings in the window grouped by employer key
and raw company name (the key is stored on the posting at ingest, digest.sources.employer), then plain sums."""

from __future__ import annotations

import copy
import threading
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import BindParameter, bindparam, exists, func, select
from sqlalchemy.orm import Session

from digest.demand.rollups import REBUILT
from digest.demand.window import WINDOW_DAYS
from digest.store.models import DemandPending, DemandTotalDay, Heartbeat, Item, ItemSkill

TOP = 10

_S: BindParameter[int] = bindparam("skill_id")
_A: BindParameter[date] = bindparam("after")
_B: BindParameter[date] = bindparam("upto")
# the skill's counted postings in (after, upto] by employer and spelling: one range of the item_skills index
# by skill and day, each posting's row read by its key
_BY_EMPLOYER = (
    select(Item.employer_key, Item.company, func.count())
    .select_from(ItemSkill)
    .join(Item, Item.id == ItemSkill.item_id)
    .where(
        ItemSkill.skill_id == _S,
        ItemSkill.posted_on > _A,
        ItemSkill.posted_on <= _B,
        ~exists().where(DemandPending.item_id == ItemSkill.item_id),
    )
    .group_by(Item.employer_key, Item.company)
)


_TOTAL = select(func.coalesce(func.sum(DemandTotalDay.postings), 0)).where(
    DemandTotalDay.day > _A, DemandTotalDay.day <= _B
)
_GENERATION = select(Heartbeat.at).where(Heartbeat.name == REBUILT)
_cache: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_cache_lock = threading.Lock()
CACHE_SIZE = 4096


def employer_figures(
    session: Session, skill_id: int, as_of: date, memo: bool = False, postings: int | None = None
) -> dict[str, Any]:
    """`top_employers` and `employer_concentration` of a skill as of a day. The query reads every posting of
    the skill in the window (about 5 µs a posting on SQLite, 8-11 on PostgreSQL), so a long-lived process
    (`memo`, with the skill's window `postings` from the rollups) keeps the answer while nothing it depends on
    changed: the key is that of demand_figures' top lists (any posting counted in the window moves the
    window's total; a rebuild or relink moves the generation mark)."""
    params = {"skill_id": skill_id, "after": as_of - timedelta(days=WINDOW_DAYS), "upto": as_of}
    key: tuple[Any, ...] = ()
    if memo and postings is not None:
        key = (
            str(session.get_bind().engine.url),
            skill_id,
            as_of,
            postings,
            session.execute(_TOTAL, params).scalar_one(),
            session.execute(_GENERATION).scalar(),
        )
        with _cache_lock:
            if key in _cache:
                _cache.move_to_end(key)
                return copy.deepcopy(_cache[key])
    rows = session.execute(_BY_EMPLOYER, params)
    figures = employer_summary((k, company, int(n)) for k, company, n in rows)
    if key:
        with _cache_lock:
            _cache[key] = copy.deepcopy(figures)
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return figures


def clear_memo() -> None:
    with _cache_lock:
        _cache.clear()


def employer_summary(rows: Iterable[tuple[str | None, str | None, int]]) -> dict[str, Any]:
    """The two figures from (employer key, raw company, postings) rows covering all the skill's postings in the
    window (a None key: no employer named)."""
    postings = 0
    by_key: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for key, company, n in rows:
        postings += n
        if key is None:
            continue
        by_key[key] += n
        spellings[key][(company or "").strip()] += n
    named = sum(by_key.values())
    ranked = sorted(by_key.items(), key=lambda kv: (-kv[1], kv[0]))
    top = [{"employer": display_name(spellings[k]), "key": k, "postings": n} for k, n in ranked[:TOP]]
    return {
        "top_employers": top,
        "employer_concentration": {
            "postings": postings,
            "with_employer": named,
            "employers": len(by_key),
            "top_employer_share": round(ranked[0][1] / postings, 3) if ranked else None,
            "herfindahl": round(sum(n * n for n in by_key.values()) / named**2, 4) if named else None,
        },
    }


def display_name(spellings: Counter[str]) -> str:
    """The most common raw spelling; of equally common ones, the first in code-point order."""
    return min(spellings.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def employer_lines(f: dict[str, Any]) -> list[str]:
    """The employer figures of a demand JSON in words, for `digest stats`."""
    c = f["employer_concentration"]
    if not f["top_employers"]:
        return []
    none = c["postings"] - c["with_employer"]
    return [
        f"  top employers ({c['employers']:,} employers posted {c['with_employer']:,}"
        f"{f', {none:,} name none' if none else ''}; the largest {c['top_employer_share'] * 100:.1f}% of all,"
        f" Herfindahl {c['herfindahl']}): "
        + ", ".join(f"{e['employer']} ({e['postings']:,})" for e in f["top_employers"]),
    ]
