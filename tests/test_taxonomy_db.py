"""Loading the bundled taxonomy, resolving typed skills, and linking items, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from digest.store.models import AliasKind, Item, ItemKind, ItemSkill, JobTitle, Metro, Skill, SkillAlias
from digest.taxonomy.link import link_items, link_text
from digest.taxonomy.load import load_taxonomy
from digest.taxonomy.resolve import UnknownSkill, resolve_skill

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_cleanup(engine: Engine) -> Iterator[None]:
    yield
    empty_taxonomy_fast(engine)


def empty_taxonomy_fast(engine: Engine) -> None:
    """Empty the taxonomy tables quickly: on SQLite, 9,000 skills with a self-reference (parent_id, not
    indexed) make the shared per-row cascade checks take seconds."""
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()  # outside SQLAlchemy's BEGIN: the pragma only works between transactions
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA foreign_keys=OFF")
        for table in (
            "item_skills",
            "items",
            "subscriptions",
            "users",
            "skill_related",
            "skill_redirects",
            "taxonomy_state",
            "skill_aliases",
            "skills",
            "job_titles",
            "metros",
        ):
            cur.execute(f'DELETE FROM "{table}"')
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()
    finally:
        raw.close()


def counts(session: Session) -> tuple[int, ...]:
    return tuple(session.scalar(select(func.count()).select_from(m)) or 0 for m in (Skill, SkillAlias, JobTitle, Metro))


def test_load_is_idempotent_and_repairs_renames(session: Session) -> None:
    summary = load_taxonomy(session)
    session.commit()
    first = counts(session)
    assert f"(+{first[0]} new, 0 updated)" in summary  # a new skill's parent is no update
    assert first[0] > 9000 and first[1] > 12000 and first[2] > 1000 and first[3] > 50
    python = session.scalars(select(Skill).where(Skill.slug == "python")).one()
    go = session.scalars(select(Skill).where(Skill.slug == "go")).one()
    assert go.weak and python.hot and not python.weak
    kinds = {a.alias: a.kind for a in go.aliases}
    assert kinds["Go"] == AliasKind.exact and kinds["Golang"] == AliasKind.ci
    python_id = python.id

    summary = load_taxonomy(session)
    session.commit()
    assert counts(session) == first
    assert "+0 new, 0 updated" in summary and "aliases +0 -0" in summary

    # a renamed skill and a renamed alias are put back; the slug and id stay
    session.execute(update(Skill).where(Skill.slug == "python").values(name="Pythn"))
    session.execute(update(SkillAlias).where(SkillAlias.alias == "Golang").values(alias="Golangg"))
    session.commit()
    load_taxonomy(session)
    session.commit()
    session.expire_all()
    python = session.scalars(select(Skill).where(Skill.slug == "python")).one()
    assert python.name == "Python" and python.id == python_id
    assert session.scalar(select(func.count()).where(SkillAlias.alias == "Golangg")) == 0
    assert session.scalar(select(func.count()).where(SkillAlias.alias == "Golang")) == 1
    assert counts(session) == first


@pytest.fixture
def loaded(session: Session) -> Session:
    load_taxonomy(session)
    session.commit()
    return session


def test_resolve_skill_by_slug_name_alias_and_version(loaded: Session) -> None:
    for query in ("python", "Python", "python 3", "Python3", "  PYTHON  "):
        assert resolve_skill(loaded, query).slug == "python"
    assert resolve_skill(loaded, "golang").slug == "go"
    assert resolve_skill(loaded, "k8s").slug == "kubernetes"
    assert resolve_skill(loaded, "react-native").slug == "react-native"
    assert resolve_skill(loaded, "C#").slug == "csharp"
    assert resolve_skill(loaded, ".net 8").slug == "dotnet"
    with pytest.raises(UnknownSkill) as err:
        resolve_skill(loaded, "Kubernetis")
    assert "kubernetes" in [s.slug for s in err.value.suggestions]
    assert "did you mean" in str(err.value)


def _item(i: int, kind: ItemKind, title: str, summary: str, **kw: object) -> Item:
    return Item(
        kind=kind, title=title, summary=summary, published_at=NOW, fetched_at=NOW, url=f"https://e.test/{i}", **kw
    )


def test_link_items(loaded: Session) -> None:
    job = _item(
        1,
        ItemKind.job,
        "Sr. ML Engineer II (Remote)",
        "Python 3, PyTorch and Kubernetes. Series C. Go to market. python again.",
        title_raw="Sr. ML Engineer II (Remote)",
        location_raw="San Francisco, CA (Hybrid)",
    )
    news = _item(2, ItemKind.news, "Rust 2.0 released", "The Rust team and the Cargo maintainers announce ...")
    remote = _item(3, ItemKind.job, "Backend Engineer", "Go and Postgres", location_raw=None, remote=True)
    loaded.add_all([job, news, remote])
    loaded.flush()
    link_items(loaded, [job, news, remote], NOW)
    loaded.commit()

    rows = loaded.scalars(select(ItemSkill).where(ItemSkill.item_id == job.id)).all()
    by_slug = {loaded.get(Skill, r.skill_id).slug: r for r in rows}  # type: ignore[union-attr]
    assert set(by_slug) == {"machine-learning", "python", "pytorch", "kubernetes"}
    text = link_text(job)
    py = by_slug["python"]
    assert py.alias == "Python 3" and text[py.span_start : py.span_end] == "Python 3"
    assert job.matched_at == NOW
    assert loaded.get(JobTitle, job.job_title_id).slug == "machine-learning-engineer"  # type: ignore[union-attr]
    assert loaded.get(Metro, job.metro_id).slug == "san-francisco"  # type: ignore[union-attr]
    assert loaded.get(Metro, remote.metro_id).slug == "remote"  # type: ignore[union-attr]
    assert loaded.get(JobTitle, remote.job_title_id).slug == "backend-engineer"  # type: ignore[union-attr]
    assert news.job_title_id is None and news.metro_id is None
    news_skills = {loaded.get(Skill, r.skill_id).slug for r in news.skills}  # type: ignore[union-attr]
    assert news_skills == {"rust"}

    # re-linking replaces the rows instead of adding to them
    job.summary = "Now only TypeScript"
    link_items(loaded, [job], NOW)
    loaded.commit()
    slugs = {loaded.get(Skill, r.skill_id).slug for r in job.skills}  # type: ignore[union-attr]
    assert slugs == {"machine-learning", "typescript"}  # the title still says ML


def test_link_items_before_the_taxonomy_is_loaded_stores_nothing(session: Session) -> None:
    item = _item(9, ItemKind.job, "Engineer", "Python", location_raw="NYC")
    session.add(item)
    session.flush()
    link_items(session, [item], NOW)
    assert item.skills == [] and item.metro_id is None and item.matched_at == NOW
