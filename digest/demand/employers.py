"""Who posts a skill's postings: `top_employers` and `employer_concentration` of the demand JSON
(docs/demand.md, "Employers"). Read from the per-day employer rollup the fold counts (digest.store.employer_rollups:
one range of its key sums per employer in the database and returns the top ten with the window's sums), the
skill's postings from its day rollup, and the top ten's spellings (for their display names) from their postings."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import BindParameter, bindparam, func, select
from sqlalchemy.orm import Session

from digest.demand.memo import Memo
from digest.demand.window import WINDOW_DAYS
from digest.store.employer_rollups import spellings, window_employers
from digest.store.models import DemandSkillDay

TOP = 10

_S: BindParameter[int] = bindparam("skill_id")
_A: BindParameter[date] = bindparam("after")
_B: BindParameter[date] = bindparam("upto")
# the skill's counted postings in (after, upto], those naming no employer included
_POSTINGS = select(func.coalesce(func.sum(DemandSkillDay.postings), 0)).where(
    DemandSkillDay.skill_id == _S, DemandSkillDay.day > _A, DemandSkillDay.day <= _B
)
_memo = Memo()


def employer_figures(
    session: Session, skill_id: int, as_of: date, key: tuple[Any, ...] | None = None, postings: int | None = None
) -> dict[str, Any]:
    """`top_employers` and `employer_concentration` of a skill as of a day (`postings`: the skill's window
    postings, when the caller has them from the rollups). With `key` (digest.demand.memo.window_key, which
    demand_figures reads once for the top lists, pay and employers) a long-lived process keeps the answer
    while nothing it depends on changed."""
    after = as_of - timedelta(days=WINDOW_DAYS)
    params = {"skill_id": skill_id, "after": after, "upto": as_of}
    if key and (kept := _memo.get(key)) is not None:
        return kept
    if postings is None:
        postings = int(session.execute(_POSTINGS, params).scalar_one())
    top, employers, named, squares = window_employers(session, skill_id, after, as_of, TOP)
    names: dict[str, Counter[str]] = defaultdict(Counter)
    for k, company, n in spellings(session, skill_id, after, as_of, [k for k, _ in top]):
        names[k][(company or "").strip()] += n
    figures = {
        "top_employers": [
            {"employer": display_name(names[k]) if names[k] else k, "key": k, "postings": n} for k, n in top
        ],
        "employer_concentration": {
            "postings": postings,
            "with_employer": named,
            "employers": employers,
            "top_employer_share": round(top[0][1] / postings, 3) if top else None,
            "herfindahl": round(squares / named**2, 4) if named else None,
        },
    }
    if key:
        _memo.put(key, figures)
    return figures


def clear_memo() -> None:
    _memo.clear()


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
