"""Stable identity and an operator's own skills, on SQLite and PostgreSQL: the loaded taxonomy carries its
version, kinds and related skills; a merged skill's old slug redirects and its subscriptions follow;
`digest skills import FILE` adds skills and aliases (validated, a clash names both) that the matcher then finds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from digest.cli import app
from digest.store.models import Skill, SkillRedirect, SkillRelated, Subscription, TaxonomyState, User
from digest.taxonomy import curated, local
from digest.taxonomy.link import ids_of, resolve
from digest.taxonomy.load import load_taxonomy, taxonomy_version
from digest.taxonomy.resolve import resolve_skill
from tests.test_taxonomy_db import empty_taxonomy_fast

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _cleanup(engine: Engine) -> Iterator[None]:
    yield
    empty_taxonomy_fast(engine)


def _skill(session: Session, slug: str) -> Skill:
    return session.scalars(select(Skill).where(Skill.slug == slug)).one()


def test_load_stores_version_kinds_related_and_redirects(session: Session) -> None:
    summary = load_taxonomy(session)
    session.commit()
    assert f"version {curated.TAXONOMY_VERSION}" in summary
    assert taxonomy_version(session) == curated.TAXONOMY_VERSION
    assert _skill(session, "python").kind == "language"
    assert _skill(session, "microservices").kind == "practice"
    micro = _skill(session, "microservices")
    related = session.scalars(select(SkillRelated.related_id).where(SkillRelated.skill_id == micro.id)).all()
    assert _skill(session, "kubernetes").id in related
    redirect = session.get(SkillRedirect, "data-warehouse")
    assert redirect is not None and redirect.skill_id == _skill(session, "data-warehousing").id
    again = load_taxonomy(session)
    assert "related +0 -0" in again and "aliases +0 -0" in again
    assert session.get(TaxonomyState, "version") is not None


def test_a_merged_skill_keeps_its_slug_and_its_subscribers(session: Session) -> None:
    """A database loaded before the merge has a 'data-warehouse' skill with a subscriber: after loading the new
    bundle the slug leads to data-warehousing and the subscription follows."""
    old = Skill(slug="data-warehouse", name="Data warehouse software", hot=False, weak=False)
    both = Skill(slug="distributed-computing", name="distributed computing", hot=False, weak=False)
    ann = User(email="ann@example.com", created_at=NOW)
    bob = User(email="bob@example.com", created_at=NOW)
    session.add_all([old, both, ann, bob])
    session.flush()
    session.add_all(
        [
            Subscription(user_id=ann.id, skill_id=old.id, cursor=NOW, created_at=NOW, updated_at=NOW),
            Subscription(user_id=bob.id, skill_id=both.id, cursor=NOW, created_at=NOW, updated_at=NOW),
        ]
    )
    session.commit()
    summary = load_taxonomy(session)
    session.commit()
    assert "(2 subscriptions moved)" in summary
    heir = _skill(session, "data-warehousing")
    subs = {s.user_id: s.skill_id for s in session.scalars(select(Subscription))}
    assert subs == {ann.id: heir.id, bob.id: _skill(session, "distributed-systems").id}
    assert resolve_skill(session, "data-warehouse").slug == "data-warehousing"  # the old slug still works
    assert resolve_skill(session, "Data warehouse software").slug == "data-warehousing"


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(data), "utf-8")
    return path


MINE = {
    "skills": [
        {
            "slug": "acme-rpc",
            "name": "Acme RPC",
            "kind": "framework",
            "aliases": ["AcmeRPC", "=ARPC"],
            "related": ["grpc"],
        }
    ],
    "aliases": [{"skill": "kubernetes", "alias": "kube cluster"}],
}


def test_import_adds_skills_and_aliases_the_matcher_then_finds(session: Session, tmp_path: Path) -> None:
    load_taxonomy(session)
    session.commit()
    text = "We run AcmeRPC services on a kube cluster. ARPC, not arpc."
    before = {m[0] for m in resolve(session, [_item(text)], NOW)[0].mentions}
    assert before == set()
    summary = local.import_file(session, write(tmp_path, MINE))
    session.commit()
    assert "1 new skills" in summary and "relink" in summary
    acme = _skill(session, "acme-rpc")
    assert acme.operator and acme.kind == "framework"
    found = resolve(session, [_item(text)], NOW)[0].mentions
    assert {m[0] for m in found} == {acme.id, _skill(session, "kubernetes").id}
    assert [m[1] for m in found if m[0] == acme.id] == ["AcmeRPC"]
    assert ids_of(session).local  # the operator's rows travel with the ids to every matching process
    assert resolve_skill(session, "kube cluster").slug == "kubernetes"
    # init keeps the operator's rows (and their links to bundled skills); importing again changes nothing
    load_taxonomy(session)
    session.commit()
    assert _skill(session, "acme-rpc").operator
    grpc = _skill(session, "grpc").id
    assert session.get(SkillRelated, (grpc, acme.id)) is not None
    assert "0 new skills, 0 updated, 0 new aliases" in local.import_file(session, write(tmp_path, MINE))


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"aliases": [{"skill": "acme", "alias": "k8s"}]}, "no skill 'acme'"),
        (
            {"skills": [{"slug": "acme", "name": "Acme", "kind": "tool", "aliases": ["k8s"]}]},
            "alias 'k8s' for 'acme' is already an alias of Kubernetes (kubernetes)",
        ),
        ({"skills": [{"slug": "python", "name": "Py", "kind": "language"}]}, "bundled skill 'Python'"),
        ({"skills": [{"slug": "acme", "name": "Acme", "kind": "gadget"}]}, "kind must be one of"),
        ({"skills": [{"slug": "Acme Co", "name": "Acme", "kind": "tool"}]}, "lower-case letters"),
        ({"skills": [{"slug": "acme", "name": "Acme", "kind": "tool", "related": ["nope"]}]}, "'nope' does not"),
        ({"people": []}, 'a JSON object with "skills"'),
    ],
)
def test_a_bad_import_is_an_error_and_writes_nothing(session: Session, tmp_path: Path, data: Any, error: str) -> None:
    load_taxonomy(session)
    session.commit()
    with pytest.raises(local.ImportError_) as exc:
        local.import_file(session, write(tmp_path, data))
    assert error in str(exc.value)
    session.rollback()
    assert session.scalar(select(Skill).where(Skill.operator.is_(True))) is None


def test_import_command(settings: Any, engine: Engine, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = runner.invoke(app, ["skills", "import", str(write(tmp_path, MINE))])
    assert result.exit_code == 0, result.output
    assert "1 new skills" in result.output
    again = runner.invoke(app, ["skills", "import", str(write(tmp_path, MINE))])
    assert "imported: 0 new skills, 0 updated, 0 new aliases" in again.output  # the same file: nothing changed
    bad = {"skills": [{"slug": "acme2", "name": "Acme 2", "kind": "tool", "aliases": ["Golang"]}]}
    result = runner.invoke(app, ["skills", "import", str(write(tmp_path, bad))])
    assert result.exit_code == 1
    assert "not imported: alias 'Golang' for 'acme2' is already an alias of Go (go)" in result.output
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (local.MAX_BYTES + 1))
    result = runner.invoke(app, ["skills", "import", str(big)])
    assert result.exit_code == 1 and "at most" in result.output


def test_resolve_knows_the_imported_skills(settings: Any, engine: Engine, tmp_path: Path) -> None:
    """`skills resolve` is how an operator tries an import: it matches as the poll does, their skills too."""
    runner = CliRunner()
    text = "AcmeRPC on a kube cluster"
    assert runner.invoke(app, ["skills", "resolve", text]).exit_code == 1  # before init: the bundled taxonomy
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["skills", "import", str(write(tmp_path, MINE))]).exit_code == 0
    result = runner.invoke(app, ["skills", "resolve", "--json", text])
    assert result.exit_code == 0, result.output
    assert [m["skill"] for m in json.loads(result.output)] == ["acme-rpc", "kubernetes"]


def _item(text: str) -> dict[str, Any]:
    return {"kind": "news", "title": text, "summary": "", "title_raw": None, "location_raw": None, "remote": False}
