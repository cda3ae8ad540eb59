"""The employer rollup's SQL (docs/demand.md, "Employers"): per skill and day, postings by employer key,
counted over the postings being folded (`demand_fold`, which carries their items' key) joined to their
mentions (the same definition as digest.demand.employer_counts, written in SQL); and the read of one skill's
employers in a window, in the code-point order of their keys on both databases."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, func, select, text
from sqlalchemy.orm import Session

from digest.store.engine import join_in_order
from digest.store.models import DemandSkillEmployerDay

EMPLOYER_ROLLUPS: dict[str, tuple[Any, tuple[str, ...], str]] = {
    "skill_employer": (
        DemandSkillEmployerDay,
        ("skill_id", "day", "employer_key"),
        "SELECT s.skill_id, f.posted_on, f.employer_key, {sign}COUNT(*) FROM demand_fold f {join} item_skills s "
        "ON s.item_id = f.item_id WHERE f.employer_key IS NOT NULL GROUP BY 1, 2, 3",
    ),
}


_S: BindParameter[int] = bindparam("skill_id")
_A: BindParameter[date] = bindparam("after")
_B: BindParameter[date] = bindparam("upto")
_statements: dict[tuple[str, int], Select[Any]] = {}


def _window_statement(dialect: str, top: int) -> Select[Any]:
    """The skill's employers in (after, upto], summed per key over the day rows (one range of the primary key),
    the first `top` by postings then key in code-point order, each row with the window's number of employers,
    their postings and the sum of their squares."""
    r = DemandSkillEmployerDay
    n = func.sum(r.postings)
    per_key = (
        select(r.employer_key.label("k"), n.label("n"))
        .where(r.skill_id == _S, r.day > _A, r.day <= _B)
        .group_by(r.employer_key)
        .having(n > 0)
        .subquery()
    )
    # code-point order, as Python sorts keys: SQLite compares text bytewise; PostgreSQL by the locale unless "C"
    key = per_key.c.k.collate("C") if dialect == "postgresql" else per_key.c.k
    return (
        select(
            per_key.c.k,
            per_key.c.n,
            func.count().over(),
            func.sum(per_key.c.n).over(),
            func.sum(per_key.c.n * per_key.c.n).over(),
        )
        .order_by(per_key.c.n.desc(), key)
        .limit(top)
    )


def window_employers(
    session: Session, skill_id: int, after: date, upto: date, top: int
) -> tuple[list[tuple[str, int]], int, int, int]:
    """(the top employers as (key, postings), employers, their postings, sum of their postings squared) of the
    skill's counted postings in (after, upto], from the rollup alone."""
    which = (session.get_bind().dialect.name, top)
    statement = _statements.get(which)
    if statement is None:
        statement = _statements[which] = _window_statement(*which)
    rows = session.execute(statement, {"skill_id": skill_id, "after": after, "upto": upto}).all()
    if not rows:
        return [], 0, 0, 0
    _, _, employers, named, squares = rows[0]
    return [(k, int(n)) for k, n, *_ in rows], int(employers), int(named), int(squares)


def spellings(
    session: Session, skill_id: int, after: date, upto: date, keys: list[str]
) -> list[tuple[str, str | None, int]]:
    """(employer key, raw company, postings) of the skill's counted postings in (after, upto] whose key is one of
    `keys` (the top ten): read from the employers' postings (the items index by key, each posting's mention of
    the skill by its primary key), never from all the skill's postings. For the display names."""
    if not keys:
        return []
    statement = text(
        f"SELECT i.employer_key, i.company, COUNT(*) FROM items i {join_in_order(session)} item_skills s "
        "ON s.item_id = i.id AND s.skill_id = :skill_id WHERE i.employer_key IN :keys "
        "AND s.posted_on > :after AND s.posted_on <= :upto "
        "AND NOT EXISTS (SELECT 1 FROM demand_pending p WHERE p.item_id = i.id) GROUP BY 1, 2"
    ).bindparams(bindparam("keys", expanding=True))
    rows = session.execute(statement, {"skill_id": skill_id, "after": after, "upto": upto, "keys": keys})
    return [(k, company, int(n)) for k, company, n in rows]
