"""The bundled taxonomy is what scripts/build_taxonomy.py makes from the sources, and respects the rules."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

from tests.helpers import REPO


def _build_module() -> Any:
    spec = importlib.util.spec_from_file_location("build_taxonomy", REPO / "scripts" / "build_taxonomy.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_bundled_files_are_regenerated_exactly(shared_data: Path) -> None:
    build = _build_module()
    taxonomy, titles = build.build(shared_data, build.previous_bundle())
    data = REPO / "digest" / "taxonomy" / "data"
    # the same serialisation as the script
    assert json.loads(json.dumps(taxonomy)) == json.loads((data / "taxonomy.json").read_text("utf-8")), (
        "run scripts/build_taxonomy.py and commit the result"
    )
    assert json.loads(json.dumps(titles)) == json.loads((data / "titles.json").read_text("utf-8"))
    context = json.loads((data / "context.json").read_text("utf-8"))
    assert context == json.loads(json.dumps(build.context_data(taxonomy)))


def test_every_slug_ever_shipped_still_resolves() -> None:
    """A slug of an earlier bundle is a skill, a redirect to one, or retired on purpose (its row stays)."""
    from digest.taxonomy import curated

    bundle = json.loads((REPO / "digest" / "taxonomy" / "data" / "taxonomy.json").read_text("utf-8"))
    skills = {s["slug"] for s in bundle["skills"]}
    shipped = (REPO / "tests" / "snapshots" / "taxonomy_slugs_v1.txt").read_text("utf-8").split("\n")
    shipped = [s for s in shipped if s and not s.startswith("#")]
    assert len(shipped) == 9222
    lost = [s for s in shipped if s not in skills and s not in bundle["redirects"] and s not in curated.RETIRED_SLUGS]
    assert not lost, lost
    assert all(target in skills for target in bundle["redirects"].values())
    assert bundle["redirects"]["data-warehouse"] == "data-warehousing"  # merged into the plain concept
    assert bundle["redirects"]["microservices-architecture"] == "microservices"
    assert bundle["version"]


def test_every_skill_has_a_kind_and_its_related_skills_exist() -> None:
    from digest.taxonomy import layer

    bundle = json.loads((REPO / "digest" / "taxonomy" / "data" / "taxonomy.json").read_text("utf-8"))
    skills = {s["slug"]: s for s in bundle["skills"]}
    for s in bundle["skills"]:
        assert s["kind"] in layer.KINDS, s["slug"]
        assert all(r in skills and r != s["slug"] for r in s["related"]), s["slug"]
    kinds = {slug: skills[slug]["kind"] for slug in ("python", "react", "postgresql", "aws", "docker")}
    assert kinds == {
        "python": "language",
        "react": "framework",
        "postgresql": "database",
        "aws": "platform",
        "docker": "tool",
    }
    for slug in (
        "microservices",
        "infrastructure-as-code",
        "test-driven-development",
        "ci-cd",
        "devsecops",
        "event-driven-architecture",
        "data-pipelines",
        "cloud-native",
        "distributed-systems",
    ):
        assert skills[slug]["kind"] == "practice", slug
    assert "kubernetes" in skills["microservices"]["related"]
    assert "microservices" in skills["kubernetes"]["related"]  # related both ways


def test_named_products_are_tools_and_plain_phrases_fields() -> None:
    """A product O*NET names is a tool (or what it is), never a 'field' because another source said no more;
    a plain phrase such as 'Data mining' stays a field."""
    bundle = json.loads((REPO / "digest" / "taxonomy" / "data" / "taxonomy.json").read_text("utf-8"))
    kind = {s["name"]: s["kind"] for s in bundle["skills"]}
    products = ["Adobe Acrobat", "Adobe Photoshop", "WordPress", "The MathWorks MATLAB", "SSIS", "Wireshark"]
    assert {name: kind[name] for name in products} == dict.fromkeys(products, "tool")
    assert (kind["EC2"], kind["Hibernate ORM"], kind["ASGI"]) == ("platform", "framework", "framework")
    assert kind["Data mining"] == kind["Monte Carlo simulation"] == "domain"


def test_plain_phrases_and_short_forms_reach_their_skills() -> None:
    """Occupational labels are not the only name: the plain phrase, the bare word and the short form people
    write reach the same skill; wrong mappings from the sources are gone."""
    bundle = json.loads((REPO / "digest" / "taxonomy" / "data" / "taxonomy.json").read_text("utf-8"))
    owner = {a["alias"].casefold(): s["slug"] for s in bundle["skills"] for a in s["aliases"]}
    assert owner["regression testing"] == "regression-testing"
    assert owner["agile"] == "agile-development" and owner["agile development"] == "agile-development"
    assert owner["ci"] == "ci-cd" and owner["bq"] == "bigquery" and owner["etl"] == "etl"
    assert owner["claude code"] == "claude-code"
    assert owner["mcp"] == "model-context-protocol"
    assert "saas" not in owner  # a business model, not "service-oriented modelling"


def test_bundle_rules() -> None:
    bundle = json.loads((REPO / "digest" / "taxonomy" / "data" / "taxonomy.json").read_text("utf-8"))
    skills = {s["slug"]: s for s in bundle["skills"]}
    seen: dict[str, str] = {}
    for s in bundle["skills"]:
        for a in s["aliases"]:
            key = a["alias"].casefold()
            assert seen.setdefault(key, s["slug"]) == s["slug"], f"{a['alias']!r} names two skills"
    aliases = {a["alias"] for a in skills["computer-vision"]["aliases"]}
    assert not aliases & {"tensorflow", "cuda", "keras", "matlab", "openCV"}  # ESCO hypernym aliases
    assert "Spark" not in {a["alias"] for a in skills["spark-java-framework"]["aliases"]}
    for slug in ("c", "cpp", "csharp", "dotnet", "nodejs", "nextjs", "go", "r", "react", "react-native"):
        assert slug in skills
    assert skills["python"]["hot"] and skills["go"]["weak"] and not skills["kubernetes"]["weak"]
    assert {"alias": "pyhton", "kind": "hidden"} in skills["python"]["aliases"]
    assert {"alias": "Go", "kind": "exact"} in skills["go"]["aliases"]
    assert "GitHub Explore topics (github/explore, CC-BY-4.0)" in bundle["sources"]


def test_names_read_as_people_write_them() -> None:
    """No skill is named with its vendor twice or behind 'software' when postings name the product plainly, and no
    acronym of an unrelated product reads as another skill's name (found by a person searching 'react')."""
    bundle = json.loads((REPO / "digest" / "taxonomy" / "data" / "taxonomy.json").read_text("utf-8"))
    name = {s["slug"]: s["name"] for s in bundle["skills"]}
    owner = {a["alias"].casefold(): s["slug"] for s in bundle["skills"] for a in s["aliases"]}
    assert name["amazon-web-services-aws-cloudformation"] == "AWS CloudFormation"
    assert (name["alteryx"], owner["alteryx"]) == ("Alteryx", "alteryx")
    assert (name["informatica"], owner["informatica"]) == ("Informatica", "informatica")
    lowered = [n.casefold() for n in name.values()]
    assert lowered.count("react") == 1
    assert not [n for n in name.values() if n.startswith("Amazon Web Services AWS")]


def test_concept_tags_become_practices_and_fields() -> None:
    """Stack Overflow's concept tags (two or three plain words, a head word that names a kind of work, enough
    questions) are practices and fields; a product's part ('spring-security'), a generic phrase
    ('project-management', 'data-processing') and a tag below the floor are not; an O*NET label behind 'software'
    is reached by the tag's plain phrase."""
    bundle = json.loads((REPO / "digest" / "taxonomy" / "data" / "taxonomy.json").read_text("utf-8"))
    skills = {s["slug"]: s for s in bundle["skills"]}
    owner = {a["alias"].casefold(): s["slug"] for s in bundle["skills"] for a in s["aliases"]}
    concepts = {slug for slug, s in skills.items() if "stackoverflow-concepts" in s["sources"]}
    assert {"load-balancing", "system-administration", "intrusion-detection", "video-encoding"} <= concepts
    assert skills["load-balancing"]["kind"] == "practice" and skills["intrusion-detection"]["kind"] == "domain"
    assert owner["load balancer"] == "load-balancing"  # a form postings write
    assert not {"spring-security", "django-testing", "project-management", "data-processing"} & concepts
    assert (owner["device drivers"], owner["data extraction"]) == ("device-driver", "data-extraction")
    assert skills["device-driver"]["kind"] == "domain"
    assert all(skills[s]["kind"] in ("practice", "domain") for s in concepts)
