"""The matcher over the bundled taxonomy: canonical skills, weak names, boundaries, longest match."""

from __future__ import annotations

import pytest

from digest.taxonomy.matcher import Matcher, get_matcher


def slugs(text: str) -> list[str]:
    return [m.slug for m in get_matcher().match(text)]


def test_python_variants_are_one_skill_mentioned_once() -> None:
    matches = get_matcher().match("Python 3, python3, python and PYTHON; we love Python.")
    assert [m.slug for m in matches] == ["python"]
    assert matches[0].alias == "Python 3" and (matches[0].start, matches[0].end) == (0, 8)


@pytest.mark.parametrize(
    ("text", "slug"),
    [("Java 17 services", "java"), (".NET 8 APIs", "dotnet"), ("Angular 2+ apps", "angular"), ("Vue3 apps", "vue")],
)
def test_versions_resolve_to_the_base_skill(text: str, slug: str) -> None:
    assert slugs(text + " in TypeScript") == [slug, "typescript"]


def test_go_to_market_is_not_the_language() -> None:
    assert "go" not in slugs("Our Go-To-Market team uses Python. Go to market fast; go-to-market strategy.")
    assert "go" in slugs("Backend in Go and Python")
    assert "go" in slugs("We write Golang")


def test_series_c_and_c_level_are_not_c() -> None:
    assert "c" not in slugs("We raised a Series C to hire Python engineers for C-level dashboards")
    assert "c" not in slugs("Salary C$120k, Python")
    assert slugs("C, C++, C#, .NET, Node.js and Next.js") == ["c", "cpp", "csharp", "dotnet", "nodejs", "nextjs"]


def test_c_slash_cpp_names_both() -> None:
    assert slugs("Embedded C/C++ on Linux") == ["embedded-systems", "c", "cpp", "linux"]


def test_react_vs_react_to() -> None:
    assert "react" not in slugs("Cooks must react to changes quickly. React to feedback.")
    assert "react" in slugs("Frontend in React and TypeScript")
    assert slugs("React Native and TypeScript") == ["react-native", "typescript"]


def test_spark() -> None:
    assert "apache-spark" not in slugs("Things that spark joy. Backed by Spark Capital. We use Python.")
    assert "apache-spark" in slugs("Apache Spark pipelines")
    assert "apache-spark" in slugs("Data stack: Spark, Kafka, Scala")
    assert "spark-java-framework" not in slugs("Apache Spark")  # ESCO's SPARK is another thing


def test_r_and_d_is_not_r() -> None:
    assert "r" not in slugs("Our R&D team writes Python")
    assert "r" in slugs("Statistics in R and Python")
    assert "r" in slugs("R/tidyverse")


def test_weak_names_need_corroboration() -> None:
    assert slugs("Rust never sleeps") == []
    assert slugs("Swift response expected") == []
    assert slugs("Rust and Kubernetes") == ["rust", "kubernetes"]
    assert slugs("Swift, SwiftUI and UIKit") == ["swift", "swiftui", "uikit"]


def test_longest_match_wins_and_shorter_alias_survives_a_failed_longer_one() -> None:
    assert slugs("Ruby on Rails") == ["ruby-on-rails", "ruby"]
    assert slugs("Spring Boot with Java") == ["spring-boot", "java"]
    assert slugs("JavaScript, then Java") == ["javascript", "java"]  # ("JavaScript, not Java": negated, no Java)
    m = Matcher(
        [
            {"slug": "a", "name": "A", "aliases": [{"alias": "machine", "kind": "ci"}]},
            {"slug": "b", "name": "B", "aliases": [{"alias": "machine learning", "kind": "ci"}]},
        ]
    )
    assert [x.slug for x in m.match("machine learningX and machine")] == ["a"]


def test_tokens_keep_plus_hash_and_dot() -> None:
    assert slugs("C++20 and F# on .NET Core") == ["cpp", "fsharp", "dotnet"]
    assert slugs("k8s, Node.js") == ["kubernetes", "nodejs"]
    assert slugs("React+TS, Python+Django") == ["react", "typescript", "python", "django"]
    assert slugs("see kubernetes.io and pythonic") == ["python"]


def test_hidden_aliases_match_but_are_not_shown() -> None:
    (m,) = get_matcher().match("Senior Pyhton developer")
    assert m.slug == "python" and m.hidden and m.alias == "Python"


def test_spans_point_into_the_text() -> None:
    text = "We use k8s and PostgreSQL"
    for m in get_matcher().match(text):
        assert text[m.start : m.end].lower().startswith(m.alias.lower()[:3])


def test_esco_hypernym_aliases_are_not_imported() -> None:
    assert slugs("We use TensorFlow and CUDA") == ["tensorflow", "cuda"]


def test_non_ascii_letters_are_inside_words_and_curly_quotes_are_not() -> None:
    assert slugs("Send your Résumé; Côte d’Ivoire; Python") == ["python"]
    assert slugs("“Python” and React’s hooks") == ["python", "react"]
