"""The matcher's candidates and gates, made cheaper, keep every result of the ones they replaced.

`Matcher.match` skips the false-context and weak-name tests for the aliases that have neither (`_Alias.gated`)
and finds whether a text has a strong mention only when a weak name needs it. The reference
(tests/support/reference_gates.py) is the loop as it was; both run over the same engine, so any difference
is the gates': compared on every HN posting (cleaned text and raw HTML), on generated texts over every weak,
lower-case-in-lists and falsely-contexted alias with strong names around them or not, and on the sentences
the gates were written for.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from digest.taxonomy import curated
from digest.taxonomy.matcher import get_matcher
from tests.support import reference_gates
from tests.test_matcher_engine import _GLUE, _every_posting


def _same(texts: list[str]) -> int:
    matcher = get_matcher()
    found = 0
    for text in texts:
        assert matcher.candidates(text) == reference_gates.candidates(matcher, text), text[:300]
        got = matcher.match(text)
        assert got == reference_gates.match(matcher, text), text[:300]
        found += len(got)
    return found


def test_every_hn_posting_gets_the_same_matches(shared_data: Path) -> None:
    assert _same(_every_posting(shared_data)) > 8000


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_texts_around_the_gated_aliases(seed: int) -> None:
    matcher = get_matcher()
    gated = sorted(k for k, a in matcher.aliases.items() if a.gated)
    assert len(gated) > 100 and "go" in gated and "python" not in gated
    strong = ["python", "kubernetes", "postgresql", "machine learning", "ai", "llms", "ci/cd"]
    contexts = ["go to market", "Series C", "R&D", "react to", "Spark Capital", "spring break", "ex-OpenAI",
                "Apache Spark", "Go/Golang", "embedded C", "backend engineer", "Swift/iOS", "enable JavaScript",
                *curated.LOWERCASE_IN_LISTS]  # fmt: skip
    rnd = random.Random(seed)
    texts = []
    for _ in range(3000):
        words = rnd.choices(gated, k=rnd.randint(1, 4)) + rnd.choices(contexts, k=rnd.randint(0, 2))
        if rnd.random() < 0.4:
            words += rnd.choices(strong, k=1)
        rnd.shuffle(words)
        texts.append("".join(rnd.choice([w, w.upper(), w.title()]) + rnd.choice(_GLUE) for w in words))
    assert _same(texts) > 1000


def test_the_sentences_the_gates_were_written_for() -> None:
    texts = [
        "We use Go and Rust.",
        "go to market with us, Series C funded",
        "python / react / go",
        "Spark Capital backed; we use Apache Spark",
        "R&D team. R/tidyverse for stats",
        "Swift/iOS engineer",
        "Zero lines of React; react to incidents",
        "Ruby on Rails, AWS CDK, Kotlin Multiplatform",
        "pyhton and kubernates",
    ]
    assert _same(texts) >= 10
